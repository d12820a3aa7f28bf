"""The portal's pages as the server hands them out: strict CSP on every response, the off
switch, the merchant's branding (README "Customer portal"). The pages' behaviour is tested
in a real browser (tests/browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from returns_api.app import create_app
from tests.conftest import make_settings

STRICT = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


async def _client(database_url: str, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url, **overrides))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.mark.parametrize(
    "path",
    [
        "/portal",
        "/portal/order",
        "/portal/returns/0193a4f2-0003-7c1d-9e2f-3a4b5c6d7e8f",
        "/portal/assets/app.js",
        "/portal/assets/portal.css",
        "/portal/assets/dom.js",  # from pages/shared
        "/portal/assets/base.css",
        "/portal/assets/i18n/ru.json",
        "/portal/config.json",
        "/portal/theme.css",
    ],
)
async def test_every_portal_response_carries_the_strict_policy(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == STRICT
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


async def test_the_page_has_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    html = (await client.get("/portal/returns/abc")).text
    assert '<script type="module" src="/portal/assets/app.js"></script>' in html
    assert "<style" not in html
    assert "style=" not in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    "path",
    ["/portal/assets/%2e%2e/pages.py", "/portal/assets/index.html", "/portal/assets/x.js"],
)
async def test_only_the_portals_own_files_are_served(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_a_setting_turns_the_portal_off(database_url: str) -> None:
    async for client in _client(database_url, portal_enabled=False):
        for path in ("/portal", "/portal/order", "/portal/assets/app.js", "/portal/config.json"):
            assert (await client.get(path)).status_code == 404
        assert (await client.get("/healthz")).status_code == 200


async def test_branding_reaches_the_page_as_json_and_css(database_url: str, tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    texts = {"de": {"login.intro": "Willkommen bei Lovelace Linen."}}
    async for client in _client(
        database_url,
        portal_shop_name="Lovelace Linen",
        portal_primary_colour="#7C2D12",
        portal_logo_file=logo,
        portal_texts=texts,
    ):
        config = (await client.get("/portal/config.json")).json()
        assert config["shop_name"] == "Lovelace Linen"
        assert config["logo_url"] == "/portal/logo"
        assert config["texts"] == texts
        assert "--primary: #7c2d12;" in (await client.get("/portal/theme.css")).text
        served = await client.get("/portal/logo")
        assert served.headers["content-type"] == "image/svg+xml"
        assert served.headers["content-security-policy"] == STRICT


async def test_a_logo_elsewhere_is_the_only_other_origin_images_may_come_from(
    database_url: str,
) -> None:
    async for client in _client(database_url, portal_logo_url="https://cdn.shop.example/l.png"):
        policy = (await client.get("/portal")).headers["content-security-policy"]
        assert "img-src 'self' data: https://cdn.shop.example;" in policy
        assert "script-src 'self';" in policy
