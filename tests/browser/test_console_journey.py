"""The merchant's side of a return in the console, in headless Chromium (#24): the return is
approved from the review queue, the parcel is scanned, received and inspected item by item
(one item rejected), refunded after the breakdown is shown, and the customer's portal page
shows what happened; a custom refund amount is parsed exactly, and bad input is refused
before anything is sent."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import POLICY, Shop
from tests.browser.console import ConsoleTab
from tests.browser.portal import PortalTab

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reviewing_shop(shop: Shop) -> Shop:
    """Every new return waits for a person (this module's server only)."""
    etag = shop.http.get("/v1/policy").headers["ETag"]
    policy = {**POLICY, "default_action": "review"}
    answer = shop.http.put("/v1/policy", json=policy, headers={"If-Match": etag})
    assert answer.status_code in (200, 201), answer.text
    return shop


@pytest.fixture
def tab(
    chromium: Any, reviewing_shop: Shop, axe_source: str, screenshots: Path
) -> Iterator[ConsoleTab]:
    console = ConsoleTab(chromium, reviewing_shop.url, axe_source, screenshots, locale="en-GB")
    yield console
    console.close()


def _customer_return(shop: Shop, number: str, email: str, lines: list[str]) -> Any:
    """Through the API with the customer's portal token, as a storefront would."""
    order_id = shop.order(number, email)
    body = {
        "order_id": order_id,
        "items": [{"line_item_id": f"{number}-{line}", "quantity": 1, "reason": "changed_mind"}
                  for line in lines],
        "return_method": "own_way",
    }  # fmt: skip
    token = shop.portal_token(number, email)
    answer = httpx.post(
        f"{shop.url}/v1/returns",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["status"] == "pending_review"
    return made


def _staff(shop: Shop, return_id: str, action: str, body: dict[str, Any] | None = None) -> Any:
    answer = shop.http.post(
        f"/v1/returns/{return_id}/{action}",
        json=body or {},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _received(shop: Shop, number: str) -> Any:
    """A return of one T-shirt, approved, in transit and received (all through the API)."""
    made = _customer_return(shop, number, "kay@example.com", ["1"])
    _staff(shop, made["id"], "approve")
    _staff(shop, made["id"], "tracking-events", {"status": "in_transit"})
    item = {"item_id": made["items"][0]["id"], "received_quantity": 1, "condition": "as_new"}
    return _staff(shop, made["id"], "receive", {"items": [item]})


def _euros(minor: int) -> str:
    return f"€{minor // 100}.{minor % 100:02d}"


def test_merchant_receives_rejects_one_item_refunds_and_the_customer_sees_it(
    tab: ConsoleTab, reviewing_shop: Shop, chromium: Any, axe_source: str, screenshots: Path
) -> None:
    shop = reviewing_shop
    made = _customer_return(shop, "7101", "ada@example.com", ["1", "2"])
    page = tab.page

    tab.sign_in(shop.key("returns:manage"))  # the review queue opens first
    entry = page.locator(".queue-entry", has_text=made["rma_number"])
    entry.get_by_role("button", name=f"Approve {made['rma_number']}").click()
    page.get_by_role("status").filter(
        has_text=f"Return {made['rma_number']} is approved."
    ).wait_for()
    assert shop.http.get(f"/v1/returns/{made['id']}").json()["status"] == "approved"
    scanner = page.get_by_label("Scan or type an RMA or tracking number")
    scanner.focus()
    page.keyboard.type(made["rma_number"])  # the warehouse scans the RMA on the parcel
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"Return {made['rma_number']}").wait_for()
    page.get_by_role("heading", name="Receive and inspect").wait_for()

    # Nothing is accepted by default: each item needs its result and condition.
    page.get_by_role("button", name="Record receipt").click()
    problems = page.get_by_role("alert").filter(has_text="Check the inspection")
    problems.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert problems.get_by_role("link").all_inner_texts() == [
        "T-shirt, blue, M: choose accepted, rejected or wrong item.",
        "T-shirt, blue, M: choose its condition.",
        "Mug: choose accepted, rejected or wrong item.",
        "Mug: choose its condition.",
    ]
    assert shop.http.get(f"/v1/returns/{made['id']}").json()["status"] == "approved"

    tee = page.locator("fieldset.inspect-item", has_text="T-shirt, blue, M")
    mug = page.locator("fieldset.inspect-item", has_text="Mug")
    assert tee.get_by_label("Units received").input_value() == "1"
    tee.get_by_label("Accepted", exact=True).check()
    tee.get_by_label("Condition").select_option("as_new")
    tee.get_by_label("Disposition").select_option("restock")
    mug.get_by_label("Rejected", exact=True).check()
    mug.get_by_label("Condition").select_option("used")
    mug.get_by_label("Why it is rejected").fill("Used: coffee stains inside.")
    tab.check_page("console-inspect")
    page.get_by_role("button", name="Record receipt").click()

    # Received: the inspection form is gone, the refund section offers the refund.
    page.get_by_role("heading", name="Receive and inspect").wait_for(state="detached")
    page.get_by_role("heading", name="Refund", exact=True).wait_for()
    received = shop.http.get(f"/v1/returns/{made['id']}").json()
    assert received["status"] == "received"
    tee_item, mug_item = (
        next(i for i in received["items"] if i["title"] == title)
        for title in ("T-shirt, blue, M", "Mug")
    )
    assert tee_item["acceptance"] == {"status": "accepted", "accepted_quantity": 1}
    assert (tee_item["condition"], tee_item["disposition"]) == ("as_new", "restock")
    assert mug_item["acceptance"] == {"status": "rejected", "accepted_quantity": 0}
    assert mug_item["condition"] == "used"
    reason = "Mug: rejected \u2013 Used: coffee stains inside."
    assert reason in received["timeline"][-1]["note"]
    left = received["amounts"]["remaining"]
    assert left == received["refund_breakdown"]["total"] > 0

    # The breakdown (on accepted units: the mug is not in it) before anything is confirmed.
    breakdown = page.get_by_role("table", name=re.compile("Refund breakdown, on accepted units"))
    assert breakdown.get_by_role("row", name=re.compile("T-shirt, blue, M")).is_visible()
    assert breakdown.get_by_role("row", name=re.compile("Mug")).count() == 0
    fee = received["refund_breakdown"]["return_shipping_fee"]
    assert breakdown.get_by_role("row", name=f"Return shipping fee -{_euros(fee)}").is_visible()
    assert page.get_by_label(f"All that is left: {_euros(left)}").is_checked()
    page.get_by_role("button", name="Review the refund").click()
    page.get_by_role("heading", name="Confirm the refund").wait_for()
    assert page.evaluate("document.activeElement.textContent") == "Confirm the refund"
    assert breakdown.is_visible()
    assert shop.http.get(f"/v1/returns/{made['id']}").json()["refunds"] == []  # not yet
    tab.check_page("console-refund")
    page.get_by_role("button", name=f"Refund {_euros(left)}").click()

    page.get_by_role("table", name="Refunds").get_by_text("Succeeded").wait_for()
    refunded = shop.http.get(f"/v1/returns/{made['id']}").json()
    assert [(r["amount"], r["status"]) for r in refunded["refunds"]] == [(left, "succeeded")]
    assert page.get_by_text("Everything refundable has been refunded.").is_visible()
    tab.check_page("console-refunded")
    tab.assert_clean()

    customer = PortalTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    try:
        token = shop.portal_token("7101", "ada@example.com")
        customer.goto(f"/portal/returns/{made['id']}#token={token}")
        customer.page.get_by_role("heading", name=f"Return {made['rma_number']}").wait_for()
        assert customer.page.locator(".status-line").inner_text() == "Status: Received"
        amounts = customer.page.locator("dl.amounts").inner_text()
        assert re.search(rf"Refunded so far\s+{re.escape(_euros(left))}", amounts), amounts
        assert "Refund issued" in customer.page.locator(".timeline").inner_text()
        customer.assert_clean()
    finally:
        customer.close()


def test_a_custom_refund_amount_is_checked_then_refunded_exactly(
    tab: ConsoleTab, reviewing_shop: Shop
) -> None:
    shop = reviewing_shop
    ret = _received(shop, "7102")
    assert ret["amounts"]["remaining"] > 1230
    page = tab.page
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    tab.sign_in(shop.key("returns:manage"))
    tab.goto(f"/console/returns/{ret['id']}")
    page.get_by_role("heading", name="Refund", exact=True).wait_for()

    page.get_by_label("A custom amount").check()
    amount = page.get_by_label("Amount (EUR)")
    amount.fill("12,3x")
    page.get_by_role("button", name="Review the refund").click()
    error = "Enter an amount in digits with a point for decimals, for example 12.30."
    page.get_by_role("alert").get_by_text(error).wait_for()
    assert amount.get_attribute("aria-invalid") == "true"
    assert page.locator("#refund-amount-error").inner_text() == error
    assert page.get_by_role("heading", name="Confirm the refund").count() == 0
    assert not [url for url in posted if "/refunds" in url]

    amount.fill("12.30")
    page.get_by_role("button", name="Review the refund").click()
    page.get_by_role("heading", name="Confirm the refund").wait_for()
    page.get_by_role("button", name="Refund €12.30").click()
    page.get_by_role("table", name="Refunds").get_by_text("€12.30").wait_for()

    # 4.35 is 434.99999999999994 cents in floating point: only exact parsing gives 435.
    page.get_by_label("A custom amount").check()
    page.get_by_label("Amount (EUR)").fill(" 4.35 ")
    page.get_by_role("button", name="Review the refund").click()
    page.get_by_role("button", name="Refund €4.35").click()
    page.get_by_role("table", name="Refunds").get_by_text("€4.35").wait_for()

    after = shop.http.get(f"/v1/returns/{ret['id']}").json()
    amounts = [(r["amount"], r["status"]) for r in after["refunds"]]
    assert sorted(amounts) == [(435, "succeeded"), (1230, "succeeded")]
    assert after["amounts"]["remaining"] == ret["amounts"]["remaining"] - 1230 - 435
    now_left = _euros(after["amounts"]["remaining"])
    assert page.get_by_label(f"All that is left: {now_left}").is_visible()
    tab.assert_clean()


def test_too_much_is_refused_in_the_form_and_a_read_only_key_sees_no_buttons(
    tab: ConsoleTab, reviewing_shop: Shop
) -> None:
    shop = reviewing_shop
    ret = _received(shop, "7103")
    page = tab.page
    tab.sign_in(shop.key("returns:manage"))
    tab.goto(f"/console/returns/{ret['id']}")
    page.get_by_label("A custom amount").check()
    page.get_by_label("Amount (EUR)").fill("9999")
    page.get_by_role("button", name="Review the refund").click()
    most = _euros(ret["amounts"]["remaining"])
    page.get_by_role("alert").get_by_text(f"At most {most} can be refunded.").wait_for()
    tab.page.get_by_role("button", name="Sign out").click()

    tab.sign_in(shop.key("returns:read"))
    tab.goto(f"/console/returns/{ret['id']}")
    page.get_by_role("heading", name="Refund", exact=True).wait_for()
    assert page.get_by_role("button", name="Review the refund").count() == 0
    assert page.get_by_role("table", name=re.compile("Refund breakdown")).is_visible()
    tab.assert_clean()


def test_a_parcel_in_transit_is_found_by_its_tracking_number_and_received_by_keyboard(
    tab: ConsoleTab, reviewing_shop: Shop
) -> None:
    shop = reviewing_shop
    made = _customer_return(shop, "7104", "kay@example.com", ["2"])
    _staff(shop, made["id"], "approve")
    scan = {"status": "in_transit", "tracking_number": "1Z7104TRACK", "carrier": "UPS"}
    _staff(shop, made["id"], "tracking-events", scan)
    page = tab.page
    tab.sign_in(shop.key("returns:manage"))
    page.get_by_label("Scan or type an RMA or tracking number").focus()
    page.keyboard.type("1Z7104TRACK")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"Return {made['rma_number']}").wait_for()
    page.get_by_text("The parcel is on its way back.").wait_for()

    page.get_by_label("Units received").focus()
    for key in ("Tab", "Space", "Tab", "a", "Tab", "r", "Tab", "Tab", "Tab"):
        page.keyboard.press(key)  # accepted, as new, restock; past warehouse and note
    assert page.evaluate("document.activeElement.textContent") == "Record receipt"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Receive and inspect").wait_for(state="detached")

    received = shop.http.get(f"/v1/returns/{made['id']}").json()
    assert received["status"] == "received"
    (item,) = received["items"]
    assert item["acceptance"] == {"status": "accepted", "accepted_quantity": 1}
    assert (item["condition"], item["disposition"]) == ("as_new", "restock")
    # The carrier's scan put it in transit: no arrival is recorded on top of it.
    assert [e["kind"] for e in received["timeline"]].count("tracking") == 1
    tab.assert_clean()


def test_a_refund_confirmed_on_stale_figures_is_refused(
    tab: ConsoleTab, reviewing_shop: Shop
) -> None:
    shop = reviewing_shop
    ret = _received(shop, "7105")
    page = tab.page
    tab.sign_in(shop.key("returns:manage"))
    tab.goto(f"/console/returns/{ret['id']}")
    page.get_by_role("button", name="Review the refund").click()
    page.get_by_role("heading", name="Confirm the refund").wait_for()
    _staff(shop, ret["id"], "refunds", {"amount": 100})  # someone else, meanwhile

    page.get_by_role("button", name=f"Refund {_euros(ret['amounts']['remaining'])}").click()
    page.get_by_role("alert").get_by_text("This return changed since you opened it").wait_for()
    refunds = shop.http.get(f"/v1/returns/{ret['id']}").json()["refunds"]
    assert [r["amount"] for r in refunds] == [100]
    page.get_by_role("button", name="Reload the return").click()
    left = _euros(ret["amounts"]["remaining"] - 100)
    page.get_by_label(f"All that is left: {left}").wait_for()
    tab.assert_clean()
