"""A refund's lifecycle in the console, with the platform carrying refunds out
(`RETURNS_REFUND_EXECUTOR=platform`): pending until the platform reports, then failed with
its reason, and what it did not pay can be refunded again."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Shop
from tests.browser.console import ConsoleTab
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Shop]:
    """This module's own server: refunds stay pending until the platform confirms them."""
    env = {"RETURNS_CONSOLE_ENABLED": "true", "RETURNS_REFUND_EXECUTOR": "platform"}
    with LiveServer(tmp_path_factory.mktemp("console-platform"), env=env) as server:
        shop = Shop(server)
        shop.policy()
        yield shop
        shop.http.close()


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[ConsoleTab]:
    console = ConsoleTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield console
    console.close()


def _post(shop: Shop, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    answer = shop.http.post(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_a_pending_refund_then_its_failure_are_shown_and_it_can_be_made_again(
    tab: ConsoleTab, shop: Shop
) -> None:
    order_id = shop.order("7201", "lin@example.com")
    made = shop.customer_return(shop.portal_token("7201", "lin@example.com"), order_id, "7201-3")
    assert made["status"] == "approved"  # the default policy approves it
    _post(shop, f"/v1/returns/{made['id']}/tracking-events", {"status": "in_transit"})
    item = {"item_id": made["items"][0]["id"], "received_quantity": 1, "condition": "as_new"}
    left = _post(shop, f"/v1/returns/{made['id']}/receive", {"items": [item]})["amounts"][
        "remaining"
    ]
    page = tab.page

    tab.sign_in(shop.key("returns:manage"))
    tab.goto(f"/console/returns/{made['id']}")
    page.get_by_role("button", name="Review the refund").click()
    page.get_by_role("button", name=f"Refund €{left // 100}.{left % 100:02d}").click()

    refunds = page.get_by_role("table", name="Refunds")
    refunds.get_by_text("Pending").wait_for()
    assert page.get_by_text("A refund is being carried out").is_visible()
    assert page.get_by_role("button", name="Review the refund").count() == 0
    pending = shop.http.get(f"/v1/returns/{made['id']}").json()["refunds"]
    assert [r["status"] for r in pending] == ["pending"]

    platform = shop.key("refunds:write")
    report = {"outcome": "failed", "reason": "The card has expired."}
    _post(shop, f"/v1/refunds/{pending[0]['id']}/confirm", report, key=platform)
    tab.goto(f"/console/returns/{made['id']}")
    refunds.get_by_role("row", name=re.compile("Failed The card has expired.")).wait_for()
    assert page.get_by_role("button", name="Review the refund").is_visible()
    tab.check_page("console-refund-failed")
    tab.assert_clean()
