"""The merchant console's shell in headless Chromium: sign-in with a key kept only in the
tab's sessionStorage, sign-out that forgets it, and the scanner field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Shop
from tests.browser.console import ConsoleTab

pytestmark = pytest.mark.slow


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[ConsoleTab]:
    console = ConsoleTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield console
    console.close()


def test_the_key_lives_in_session_storage_only_and_sign_out_forgets_it(
    tab: ConsoleTab, shop: Shop
) -> None:
    key = shop.key("returns:manage")
    tab.goto("/console/queue")  # signed out: the sign-in page instead
    tab.page.get_by_role("heading", name="Sign in to the returns console").wait_for()
    tab.check_page("console-01-sign-in")

    tab.sign_in(key)
    stored = tab.stored()
    assert list(stored["session"].values()) == [key]
    assert stored["local"] == {}
    assert stored["cookies"] == []
    assert key not in tab.page.url

    tab.page.get_by_role("button", name="Sign out").click()
    tab.page.get_by_role("heading", name="Sign in to the returns console").wait_for()
    assert tab.stored()["session"] == {}
    tab.goto("/console/queue")  # the key is gone: back to sign-in
    tab.page.get_by_role("heading", name="Sign in to the returns console").wait_for()
    tab.assert_clean()


def test_a_wrong_key_or_a_portal_token_is_not_accepted(tab: ConsoleTab, shop: Shop) -> None:
    shop.order("6101", "grace@example.com")
    for credential in ("rk_not-a-key", shop.portal_token("6101", "grace@example.com")):
        tab.goto("/console")
        tab.page.get_by_label("API key").fill(credential)
        tab.page.get_by_role("button", name="Sign in").click()
        tab.page.get_by_text("This key was not accepted.").wait_for()
        assert tab.stored()["session"] == {}
    assert tab.page.get_by_label("API key").get_attribute("aria-invalid") == "true"


def test_the_scanner_field_opens_the_return_it_is_fed(tab: ConsoleTab, shop: Shop) -> None:
    order_id = shop.order("6102", "grace@example.com")
    token = shop.portal_token("6102", "grace@example.com")
    made = shop.customer_return(token, order_id, "6102-2")
    tab.sign_in(shop.key("returns:manage"))

    scanner = tab.page.get_by_label("Scan or type an RMA or tracking number")
    scanner.focus()
    tab.page.keyboard.type(made["rma_number"])  # a scanner types keystrokes ...
    tab.page.keyboard.press("Enter")  # ... ending in Enter
    tab.page.get_by_role("heading", name=f"Return {made['rma_number']}").wait_for()
    assert made["id"] in tab.page.url

    scanner.focus()
    tab.page.keyboard.type("RMA-NO-SUCH")
    tab.page.keyboard.press("Enter")
    tab.page.get_by_text("No return has the RMA or tracking number RMA-NO-SUCH.").wait_for()
    tab.assert_clean()
