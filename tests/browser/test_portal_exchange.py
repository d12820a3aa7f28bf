"""An exchange for another size or colour through the portal: where the policy offers
exchanges, the customer picks a variant of the returned line's product from the catalog (with
its price), sees the quote value the new item, submits, and the return page names the
replacement. Every page passes axe-core; nothing loads from elsewhere.
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

RESOLUTIONS = ["refund", "store_credit", "exchange"]


def tee(title: str, **options: str) -> dict[str, Any]:
    """A variant of product `tee` (the order's T-shirt line) at the line's list price."""
    return {
        "product_id": "tee",
        "title": title,
        "options": options,
        "prices": [{"currency": "EUR", "unit_price": 2500, "tax": 475}],
        "available_quantity": 5,
    }


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[PortalTab]:
    portal = PortalTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield portal
    portal.close()


def test_customer_exchanges_a_tee_for_another_size(tab: PortalTab, shop: Shop) -> None:
    shop.policy(allowed_resolutions=RESOLUTIONS)
    shop.variant("tee-l-black", **tee("T-shirt, black, L", size="L", colour="black"))
    shop.variant("tee-s-white", **tee("T-shirt", size="S", colour="white"))
    order_id = shop.order("9201", "ada@example.com")
    page = tab.page

    tab.goto(f"/portal/order#token={shop.portal_token('9201', 'ada@example.com')}")
    page.get_by_role("heading", name="Order 9201").wait_for()
    tee_line = page.locator("fieldset.item", has_text="T-shirt, blue, M")
    tee_line.get_by_label("Return T-shirt, blue, M").check()
    tee_line.get_by_label("Reason").select_option("size_fit")
    # The mug has no product in the catalog: nothing to exchange it for.
    mug = page.locator("fieldset.item", has_text="Mug")
    assert mug.get_by_label("Exchange", exact=True).count() == 0
    tee_line.get_by_label("Exchange", exact=True).check()
    variant = tee_line.get_by_label("Exchange for")
    variant.locator("option", has_text="T-shirt, black, L").wait_for(state="attached")
    offered = variant.locator("option").all_inner_texts()
    black = "T-shirt, black, L \u2013 €25.00"  # the title names its options: shown once
    assert offered[1:] == [black, "T-shirt \u2013 S, white \u2013 €25.00"]
    variant.select_option(label=black)
    tab.check_page("e1-order-exchange")
    page.get_by_role("button", name="Continue to summary").click()

    page.get_by_role("heading", name="Check your return").wait_for()
    [item] = page.locator("ul.review-items > li").all_inner_texts()
    assert item.startswith("T-shirt, blue, M \u00d7 1")
    assert "Size or fit is wrong, Exchange" in item
    # Same product at the same list price: the new T-shirt is valued at what the returned
    # one was paid (tax included), so nothing is owed either way.
    shown = page.locator("dl.amounts").inner_text().split("\n")
    amounts = dict(zip(shown[::2], shown[1::2], strict=True))
    assert amounts["Value of the new items"] == amounts["Items"] == "€26.58"
    assert not {"You pay the difference", "Difference refunded to you"} & amounts.keys()
    page.get_by_label(re.compile("Send it your own way")).check()
    page.get_by_text(re.compile("Updated: you get back")).wait_for()
    tab.check_page("e2-review-exchange")
    page.get_by_role("button", name="Submit return").click()

    page.get_by_role("heading", name=re.compile(r"^Return R-")).wait_for()
    assert page.get_by_text("Exchange for: T-shirt, black, L").is_visible()
    tab.check_page("e3-return-exchange")

    [made] = shop.http.get("/v1/returns", params={"order_id": order_id}).json()["data"]
    [item] = made["items"]
    assert (item["resolution"], item["exchange"]["variant_id"]) == ("exchange", "tee-l-black")
    tab.assert_clean()
