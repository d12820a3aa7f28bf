"""The merchant console's pages as the server hands them out: off unless turned on, the same
strict CSP as the portal, only its own and the shared files. What the pages do is tested in a
real browser (tests/browser/test_console_*.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.test_portal_pages import STRICT, _client


@pytest.fixture
async def console(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(database_url, console_enabled=True):
        yield client


async def test_the_console_is_off_unless_turned_on(database_url: str) -> None:
    async for client in _client(database_url):
        for path in ("/console", "/console/queue", "/console/assets/app.js"):
            assert (await client.get(path)).status_code == 404
        assert (await client.get("/portal")).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/console",
        "/console/queue",
        "/console/returns/0193a4f2-0003-7c1d-9e2f-3a4b5c6d7e8f",
        "/console/assets/app.js",
        "/console/assets/views/queue.js",
        "/console/assets/console.css",
        "/console/assets/dom.js",
        "/console/assets/base.css",
        "/console/assets/http.js",
        "/console/assets/money.js",
    ],
)
async def test_every_console_response_carries_the_strict_policy(
    console: httpx.AsyncClient, path: str
) -> None:
    answer = await console.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == STRICT
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


async def test_the_shell_has_no_inline_script_or_style(console: httpx.AsyncClient) -> None:
    html = (await console.get("/console/queue")).text
    assert '<script type="module" src="/console/assets/app.js"></script>' in html
    assert "<style" not in html
    assert "style=" not in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/console/assets/%2e%2e/pages.py",
        "/console/assets/%2e%2e/%2e%2e/portal/static/app.js",
        "/console/assets/index.html",
        "/console/assets/i18n/en.json",  # the portal's, not the console's
    ],
)
async def test_only_the_consoles_own_and_shared_files_are_served(
    console: httpx.AsyncClient, path: str
) -> None:
    assert (await console.get(path)).status_code == 404
