"""A label the carrier keeps on its own site (EasyPost) in the portal: the page links to the
carrier's file instead of fetching our label route, whose 303 to another origin
`connect-src 'self'` would refuse. The label is bought from a local EasyPost stand-in that
answers with EasyPost's recorded responses (tests/shipping/easypost_server.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import POLICY, Shop, running_shop
from tests.browser.portal import PortalTab
from tests.shipping.conftest import EASYPOST_API_KEY
from tests.shipping.easypost_server import EasyPostServer, load_fixture

pytestmark = pytest.mark.slow

CARRIER_FILE = load_fixture("shipment_buy.json")["postage_label"]["label_url"]
# EasyPost's recorded rates are USPS's: the label method names that carrier.
METHODS = [{**method, "carrier": "usps"} for method in POLICY["return_methods"]]
QR_METHOD = {
    "code": "qr",
    "label": "Drop off with a code",
    "kind": "drop_off_qr",
    "carrier": "usps",
    "paid_by": "merchant",
    "fee": 0,
    "instructions": "Show the code at the post office.",
}
QR_FILE = "https://files.example/qr.png"


@pytest.fixture(scope="module")
def easypost() -> Iterator[EasyPostServer]:
    with EasyPostServer(api_key=EASYPOST_API_KEY) as server:
        yield server


@pytest.fixture(scope="module")
def shop(
    tmp_path_factory: pytest.TempPathFactory, chromium: Any, easypost: EasyPostServer
) -> Iterator[Shop]:
    env = {
        "RETURNS_LABEL_CARRIER": "easypost",
        "RETURNS_EASYPOST_API_KEY": EASYPOST_API_KEY,
        "RETURNS_EASYPOST_API_BASE": easypost.url,
    }
    with running_shop(tmp_path_factory.mktemp("portal-easypost"), **env) as shop:
        shop.policy(return_methods=[*METHODS, QR_METHOD])
        yield shop


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[PortalTab]:
    portal = PortalTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield portal
    portal.close()


def test_a_label_the_carrier_keeps_is_a_link_to_its_file(tab: PortalTab, shop: Shop) -> None:
    order_id = shop.order("9101", "ada@example.com")
    token = shop.portal_token("9101", "ada@example.com")
    ret = shop.customer_return(token, order_id, "9101-2", method="mail")
    page = tab.page

    tab.goto(f"/portal/returns/{ret['id']}#token={token}")
    page.get_by_role("heading", name=f"Return {ret['rma_number']}").wait_for()
    link = page.get_by_role("link", name="Open shipping label (new tab)")
    link.wait_for(timeout=20_000)  # the label worker buys it outside the request
    assert link.get_attribute("href") == CARRIER_FILE
    assert link.get_attribute("target") == "_blank"
    assert set((link.get_attribute("rel") or "").split()) == {"noopener", "noreferrer"}
    assert page.get_by_role("button", name="Download shipping label (PDF)").count() == 0
    tab.check_page("08-return-carrier-label")

    # Following the link is navigation in a new tab, which the portal's CSP does not govern;
    # the carrier's file is served here in place of EasyPost's storage.
    tab.context.route(CARRIER_FILE, lambda route: route.fulfill(body=b"label", status=200))
    with page.expect_popup() as popup:
        link.click()
    popup.value.wait_for_load_state()
    assert popup.value.url == CARRIER_FILE
    tab.assert_clean()


def test_a_drop_off_code_the_carrier_keeps_is_a_link_not_a_broken_page(
    tab: PortalTab, shop: Shop, easypost: EasyPostServer
) -> None:
    bought = load_fixture("shipment_buy.json")
    bought["forms"] = [{"object": "Form", "form_type": "label_qr_code", "form_url": QR_FILE}]
    easypost.responses["buy"] = bought
    order_id = shop.order("9102", "ada@example.com")
    token = shop.portal_token("9102", "ada@example.com")
    ret = shop.customer_return(token, order_id, "9102-2", method="qr")
    page = tab.page

    tab.goto(f"/portal/returns/{ret['id']}#token={token}")
    page.get_by_role("heading", name=f"Return {ret['rma_number']}").wait_for()
    link = page.get_by_role("link", name="Open the drop-off code (new tab)")
    link.wait_for(timeout=20_000)  # the label worker buys it outside the request
    assert link.get_attribute("href") == QR_FILE
    assert page.locator("figure.qr").count() == 0
    tab.check_page("09-return-carrier-qr")
    tab.assert_clean()
