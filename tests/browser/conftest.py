"""The customer portal in a real browser: Debian's Chromium driven by Playwright from pip.

`launch(executable_path="/usr/bin/chromium")`: never `playwright install`, which downloads a
browser. scripts/test.sh installs `chromium` under CI=true and `npm ci`s axe-core here;
outside CI a missing browser or axe-core skips these tests with a line saying so.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI
from tests.live_server import LiveServer

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("RETURNS_TEST_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
STAFF_SCOPES = ("orders:write", "returns:manage", "policy:manage", "catalog:write")


def _missing() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; scripts/test.sh does in CI)"
    if not AXE.exists():
        return "axe-core is not installed: run `npm ci` in tests/browser (scripts/test.sh does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (the `dev` extra)"
    return None


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One browser for this package's tests. Not session-wide: Playwright's sync API keeps
    an event loop running in this thread until it stops, and every later test that calls
    `asyncio.run` would fail."""
    missing = _missing()
    if missing is not None:
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(f"browser tests SKIPPED outside CI: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where each page's screenshot goes: RETURNS_TEST_SCREENSHOTS, else the test's tmp dir."""
    chosen = os.environ.get("RETURNS_TEST_SCREENSHOTS")
    directory = Path(chosen) if chosen else tmp_path / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _iso(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")


def order_body(number: str, email: str, *, locale: str = "en-GB") -> dict[str, Any]:
    return {
        "order_number": number,
        "customer": {"id": f"cus_{number}", "email": email, "name": "Ada Lovelace"},
        "shipping_address": {"lines": ["Hauptstraße 5"], "city": "Berlin", "country": "DE"},
        "currency": "EUR",
        "country": "DE",
        "locale": locale,
        "placed_at": _iso(6),
        "fulfilled_at": _iso(5),
        "delivered_at": _iso(3),
        "shipping_paid": 495,
        "line_items": [
            {"id": f"{number}-1", "sku": "TEE-M", "title": "T-shirt, blue, M", "quantity": 3,
             "unit_price": 2500, "discount": 0, "tax": 475, "product_id": "tee"},
            {"id": f"{number}-2", "sku": "MUG", "title": "Mug", "quantity": 1,
             "unit_price": 1500, "tax": 285},
            {"id": f"{number}-3", "sku": "SCARF", "title": "Scarf", "quantity": 1,
             "unit_price": 3000, "tax": 570},
            {"id": f"{number}-4", "sku": "SALE", "title": "Socks (final sale)", "quantity": 2,
             "unit_price": 500, "tax": 95, "final_sale": True},
        ],
    }  # fmt: skip


POLICY = {
    "window_days": 30,
    "return_shipping_fee": 495,
    "default_action": "approve",
    "allowed_resolutions": ["refund", "store_credit"],
    "return_methods": [
        {
            "code": "mail",
            "label": "Prepaid parcel label",
            "kind": "prepaid_label",
            "paid_by": "merchant",
            "fee": 0,
            "instructions": "Print the label, stick it on the parcel and hand it to the post.",
        },
        {
            "code": "own_way",
            "label": "Send it your own way",
            "kind": "customer_ships",
            "instructions": "Send the parcel with any carrier to the address below.",
        },
    ],
    "warehouses": [
        {
            "code": "berlin",
            "name": "Returns centre Berlin",
            "address": {"lines": ["Lagerstraße 12"], "city": "Berlin", "country": "DE"},
        }
    ],
}


class Shop:
    """The merchant's side, through the API: orders, the policy, returns made for tests."""

    def __init__(self, server: LiveServer) -> None:
        self.url = server.url
        self.server = server
        key = server.api_key(*STAFF_SCOPES, name="browser-tests")
        self.http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"})

    def order(self, number: str, email: str, *, locale: str = "en-GB") -> str:
        order_id = f"ord_{number}"
        answer = self.http.put(
            f"/v1/orders/{order_id}", json=order_body(number, email, locale=locale)
        )
        assert answer.status_code in (200, 201), answer.text
        return order_id

    def policy(self, **changes: Any) -> None:
        """The policy above, with `changes` to its top-level fields."""
        etag = self.http.get("/v1/policy").headers["ETag"]
        body = {**POLICY, **changes}
        answer = self.http.put("/v1/policy", json=body, headers={"If-Match": etag})
        assert answer.status_code in (200, 201), answer.text

    def variant(self, variant_id: str, **body: Any) -> None:
        """A catalog variant, as the commerce platform syncs it (`PUT /v1/variants/{id}`)."""
        answer = self.http.put(f"/v1/variants/{variant_id}", json=body)
        assert answer.status_code in (200, 201), answer.text

    def key(self, *scopes: str) -> str:
        """A merchant API key with these scopes (for signing in to the console)."""
        return self.server.api_key(*scopes, name=f"console-{'-'.join(scopes)}")

    def portal_token(self, number: str, email: str) -> str:
        answer = httpx.post(
            f"{self.url}/v1/portal/sessions", json={"order_number": number, "email": email}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])

    def customer_return(self, token: str, order_id: str, line: str, method: str = "own_way") -> Any:
        """A return the customer made earlier (through the API, as any storefront would)."""
        body = {
            "order_id": order_id,
            "items": [{"line_item_id": line, "quantity": 1, "reason": "changed_mind"}],
            "return_method": method,
        }
        answer = httpx.post(
            f"{self.url}/v1/returns",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
        assert answer.status_code == 201, answer.text
        return answer.json()


@contextmanager
def running_shop(directory: Path, **env: str) -> Iterator[Shop]:
    """A live server with the policy above; `env` adds settings (another label carrier)."""
    settings = {
        "RETURNS_RUN_DISPATCHER_IN_PROCESS": "true",  # the label worker buys labels
        "RETURNS_LABEL_POLL_SECONDS": "0.2",
        "RETURNS_PORTAL_RATE_LIMIT_PER_MINUTE": "1000",
        "RETURNS_PORTAL_SHOP_NAME": "Lovelace Linen",
        "RETURNS_CONSOLE_ENABLED": "true",
        **env,
    }
    with LiveServer(directory, env=settings) as server:
        shop = Shop(server)
        shop.policy()
        yield shop
        shop.http.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Shop]:
    with running_shop(tmp_path_factory.mktemp("portal-server")) as shop:
        yield shop
