"""The withdrawal function on the portal (issue #25 §6; Directive 2011/83/EU, Article 11a) in
headless Chromium: "Withdraw from contract here" from the start page without an account, a
separate "Confirm withdrawal" step, the acknowledgement with the date and time of receipt.
Every page passes axe-core at phone and desktop width and loads nothing from elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import POLICY, Shop, order_body
from tests.browser.portal import PortalTab
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Shop]:
    """A shop of its own whose policy has the EU statutory profile on (the journey tests'
    shop has it off)."""
    env = {"RETURNS_PORTAL_RATE_LIMIT_PER_MINUTE": "1000", "RETURNS_PORTAL_SHOP_NAME": "Lovelace"}
    with LiveServer(tmp_path_factory.mktemp("withdrawal-server"), env=env) as server:
        shop = Shop(server)
        etag = shop.http.get("/v1/policy").headers["ETag"]
        body = {**POLICY, "window_days": 7, "statutory": {"profile": "EU"}}
        answer = shop.http.put("/v1/policy", json=body, headers={"If-Match": etag})
        assert answer.status_code in (200, 201), answer.text
        yield shop
        shop.http.close()


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[PortalTab]:
    portal = PortalTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield portal
    portal.close()


def statutory_returns(shop: Shop, order_id: str) -> list[Any]:
    listed = shop.http.get("/v1/returns", params={"order_id": order_id}).json()["data"]
    found = [shop.http.get(f"/v1/returns/{r['id']}").json() for r in listed]
    return [r for r in found if r["legal_basis"] == "statutory_withdrawal"]


def test_a_consumer_withdraws_from_the_start_page_without_an_account(
    tab: PortalTab, shop: Shop
) -> None:
    order_id = shop.order("9001", "ada@example.com")
    page = tab.page

    tab.goto("/portal")
    page.get_by_role("heading", name="Return items from your order").wait_for()
    page.get_by_role("link", name="Withdraw from contract here").click()

    page.get_by_role("heading", name="Withdraw from your contract").wait_for()
    assert page.evaluate("document.activeElement.tagName") == "H1"  # focus follows the page
    assert page.get_by_label("Order number").input_value() == ""  # nothing known, nothing kept
    tab.check_page("w1-withdraw-form")
    page.get_by_role("button", name="Continue").click()  # empty: each error tied to its field
    page.get_by_role("alert").wait_for()
    assert page.evaluate("document.activeElement.className") == "error-summary"
    name = page.get_by_label("Your name")
    assert name.get_attribute("aria-invalid") == "true"
    assert "withdraw-name-error" in (name.get_attribute("aria-describedby") or "")
    assert page.locator("#withdraw-name-error").inner_text() == "Enter your name."
    tab.check_page("w2-withdraw-errors")

    name.fill("Ada Lovelace")
    page.get_by_label("Order number").fill("9001")
    page.get_by_label("E-mail address").fill("nobody@example.com")
    page.get_by_role("button", name="Continue").click()  # a wrong pair says what unknown says
    page.get_by_text("We found no order with this order number and e-mail address.").wait_for()
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Confirm withdrawal").wait_for()
    assert page.get_by_text("You withdraw from the whole order").is_visible()
    withdrawn = page.locator("ul.review-items")
    assert withdrawn.get_by_text("T-shirt, blue, M \u00d7 3", exact=True).is_visible()
    assert page.get_by_text(re.compile(r"^I, Ada Lovelace, hereby give notice")).is_visible()
    assert statutory_returns(shop, order_id) == []  # nothing withdrawn before the confirmation
    tab.check_page("w3-withdraw-confirm")
    page.get_by_role("button", name="Confirm withdrawal").click()

    page.get_by_role("heading", name="Withdrawal received").wait_for()
    assert page.evaluate("document.activeElement.tagName") == "H1"
    assert page.get_by_text(re.compile(r"^We received your withdrawal on .*\d")).is_visible()
    assert page.get_by_text(re.compile("follows by e-mail to ada@example.com")).is_visible()
    tab.check_page("w4-withdraw-received")

    made = statutory_returns(shop, order_id)
    assert len(made) == 1
    assert "confirm_token" not in page.url
    page.go_back()  # nothing left to confirm twice: back to the form
    page.get_by_role("heading", name="Withdraw from your contract").wait_for()
    assert len(statutory_returns(shop, order_id)) == 1
    tab.assert_clean()


def test_the_order_page_offers_the_withdrawal_in_the_customers_language(
    chromium: Any, shop: Shop, axe_source: str, screenshots: Path
) -> None:
    order_id = shop.order("9002", "marie@example.com", locale="de-DE")
    token = shop.portal_token("9002", "marie@example.com")
    german = PortalTab(chromium, shop.url, axe_source, screenshots, locale="de-DE")
    try:
        page = german.page
        german.goto(f"/portal/order#token={token}")
        page.get_by_role("heading", name="Bestellung 9002").wait_for()
        assert page.get_by_text(re.compile(r"^Sie können diesen Vertrag bis zum ")).is_visible()
        german.check_page("w5-order-withdraw-german")
        page.get_by_role("link", name="Vertrag hier widerrufen").click()

        page.get_by_role("heading", name="Widerruf Ihres Vertrags").wait_for()
        assert page.get_by_label("Bestellnummer").input_value() == "9002"  # the order's own
        assert page.get_by_label("Ihr Name").input_value() == "Ada Lovelace"
        page.get_by_role("button", name="Weiter").click()
        page.get_by_role("heading", name="Widerruf bestätigen").wait_for()
        assert page.get_by_text("Sie widerrufen die ganze Bestellung").is_visible()
        page.get_by_label("Scarf \u00d7 1").uncheck()  # only some items: a new statement
        page.get_by_role("button", name="Erklärung aktualisieren").click()
        page.get_by_text("Sie widerrufen diese Artikel").wait_for()
        assert page.locator("ul.review-items").get_by_text("Scarf \u00d7 1").count() == 0
        german.check_page("w6-confirm-some-items-german")
        page.get_by_role("button", name="Widerruf bestätigen").click()
        page.get_by_role("heading", name="Widerruf eingegangen").wait_for()
        assert page.get_by_text(re.compile(r"^Ihr Widerruf ist am .* eingegangen")).is_visible()
        (made,) = statutory_returns(shop, order_id)
        assert {item["line_item_id"] for item in made["items"]} == {"9002-1", "9002-2", "9002-4"}
        german.assert_clean()
    finally:
        german.close()


def test_the_order_page_of_a_business_order_has_no_withdrawal(tab: PortalTab, shop: Shop) -> None:
    body = {**order_body("9003", "bea@example.com"), "buyer_is_consumer": False}
    answer = shop.http.put("/v1/orders/ord_9003", json=body)
    assert answer.status_code == 201, answer.text
    token = shop.portal_token("9003", "bea@example.com")
    tab.goto(f"/portal/order#token={token}")
    tab.page.get_by_role("heading", name="Order 9003").wait_for()
    tab.page.wait_for_load_state("networkidle")
    assert tab.page.get_by_role("link", name="Withdraw from contract here").count() == 0
    tab.assert_clean()
