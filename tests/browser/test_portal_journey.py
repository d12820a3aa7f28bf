"""A customer returns two items through the portal in headless Chromium, and cancels another
return; every page passes axe-core at phone and desktop width and loads nothing from elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Shop
from tests.browser.portal import PortalTab

pytestmark = pytest.mark.slow


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[PortalTab]:
    portal = PortalTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield portal
    portal.close()


def test_customer_returns_two_items_and_cancels_another_return(tab: PortalTab, shop: Shop) -> None:
    order_id = shop.order("5001", "ada@example.com")
    earlier = shop.customer_return(shop.portal_token("5001", "ada@example.com"), order_id, "5001-3")
    page = tab.page

    tab.goto("/portal")
    assert tab.heading() == "Return items from your order"
    tab.check_page("01-sign-in")
    page.get_by_label("Order number").fill("5001")
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("E-mail address").press("Enter")  # the keyboard submits the form

    page.get_by_role("heading", name="Order 5001").wait_for()
    page.get_by_label("Return T-shirt, blue, M").check()
    page.get_by_label("Quantity").first.select_option("2")
    page.get_by_label("Reason").first.select_option("size_fit")
    page.get_by_label("Return Mug").check()
    mug = page.locator("fieldset.item", has_text="Mug")
    mug.get_by_label("Reason").select_option("damaged")
    mug.get_by_label("Store credit").check()
    mug.get_by_label("Comment (optional)").fill("The handle came off.")
    assert page.get_by_text("Final sale: this item cannot be returned.").is_visible()
    tab.check_page("02-order")
    page.get_by_role("button", name="Continue to summary").click()

    page.get_by_role("heading", name="Check your return").wait_for()
    assert page.get_by_text("T-shirt, blue, M \u00d7 2").is_visible()
    # The quote: two methods with their fees; the refund estimate follows the chosen one.
    page.get_by_label(re.compile("Send it your own way")).check()
    page.get_by_text(re.compile("Updated: you get back")).wait_for()
    # A damaged mug is the shop's fault: no return-shipping fee on any method.
    assert page.get_by_text("You get back", exact=True).is_visible()
    page.get_by_label(re.compile("Prepaid parcel label \u2013 free")).check()
    page.get_by_text(re.compile("Updated: you get back")).wait_for()
    tab.check_page("03-review")
    page.get_by_role("button", name="Submit return").click()

    page.get_by_role("heading", name=re.compile(r"^Return R-")).wait_for()
    assert page.get_by_text("Approved", exact=True).is_visible()
    label = page.get_by_role("button", name="Download shipping label (PDF)")
    label.wait_for(timeout=20_000)  # the label worker buys it outside the request
    assert page.get_by_text("Print the label, stick it on the parcel").is_visible()
    tab.check_page("04-return-label")
    with page.expect_download() as download:
        label.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="Back to your order").click()
    page.get_by_role("link", name=f"Return {earlier['rma_number']}").click()
    page.get_by_role("heading", name=f"Return {earlier['rma_number']}").wait_for()
    assert page.get_by_text("Send the parcel with any carrier").is_visible()
    page.get_by_role("button", name="Cancel this return").click()
    page.get_by_role("button", name="Yes, cancel the return").click()
    page.get_by_text("The return has been cancelled.").wait_for()
    assert page.get_by_text("Cancelled", exact=True).first.is_visible()
    assert page.get_by_role("button", name="Cancel this return").count() == 0
    page.get_by_label("4 \u2013 easy").check()
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text("Thank you for your feedback.").wait_for()
    tab.check_page("05-return-cancelled")

    assert shop.http.get(f"/v1/returns/{earlier['id']}").json()["status"] == "cancelled"
    tab.assert_clean()


def test_another_orders_return_is_not_found_through_the_pages(tab: PortalTab, shop: Shop) -> None:
    mine = shop.order("6001", "grace@example.com")
    theirs = shop.order("6002", "alan@example.com")
    other = shop.customer_return(shop.portal_token("6002", "alan@example.com"), theirs, "6002-2")
    token = shop.portal_token("6001", "grace@example.com")

    # The e-mail link carries the token in the fragment: read, kept, taken out of the URL.
    tab.goto(f"/portal/returns/{other['id']}#token={token}")
    tab.page.get_by_role("heading", name="Return not found").wait_for()
    assert tab.page.get_by_text("(404)").is_visible()
    assert "token" not in tab.page.url
    assert tab.page.evaluate("sessionStorage.getItem('returns-portal.token')") == token
    tab.check_page("06-not-found")

    own = shop.customer_return(token, mine, "6001-2")
    tab.goto(f"/portal/returns/{own['id']}")
    tab.page.get_by_role("heading", name=f"Return {own['rma_number']}").wait_for()
    tab.assert_clean()


def test_pages_speak_the_returns_language_else_the_browsers(
    chromium: Any, shop: Shop, axe_source: str, screenshots: Path
) -> None:
    order_id = shop.order("7001", "marie@example.com", locale="de-DE")
    token = shop.portal_token("7001", "marie@example.com")
    ret = shop.customer_return(token, order_id, "7001-2")
    french = PortalTab(chromium, shop.url, axe_source, screenshots, locale="fr-FR")
    try:
        french.goto("/portal")
        assert french.heading() == "Retourner des articles de votre commande"
        assert french.page.evaluate("document.documentElement.lang") == "fr"
        french.goto(f"/portal/returns/{ret['id']}#token={token}")
        french.page.get_by_role("heading", name=f"Rücksendung {ret['rma_number']}").wait_for()
        assert french.page.evaluate("document.documentElement.lang") == "de"
        # The reason by its German name, from GET /v1/return-reasons?locale=de.
        french.page.get_by_text("Es mir anders überlegt").first.wait_for()
        french.check_page("07-return-german")
        french.assert_clean()
    finally:
        french.close()


def test_sign_in_works_by_keyboard_alone_in_a_sensible_order(tab: PortalTab, shop: Shop) -> None:
    shop.order("8001", "kay@example.com")
    page = tab.page
    tab.goto("/portal")
    page.get_by_role("heading", name="Return items from your order").wait_for()
    order: list[str] = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", f"no visible focus on {order[-1]}"
    assert order == ["skip-link", "language", "order-number", "email", "Find my order"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.type("kay@example.com")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type("8001")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Order 8001").wait_for()
    assert page.evaluate("document.activeElement.tagName") == "H1"  # focus follows the page
    tab.assert_clean()
