"""The console's money in every currency's own minor unit (the API's ISO 4217 exponents, not
the browser's display digits), and what happens when an action fails: a key refused in the
middle of a session signs out, a failure that is not the API's is said, not swallowed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from returns_api.core.money import ISO_4217, minor_unit_exponent
from tests.browser.conftest import Shop
from tests.browser.console import ConsoleTab

pytestmark = pytest.mark.slow

FORMAT = """async ([calls]) => {
  const format = await import(`${location.origin}/console/assets/format.js`);
  return calls.map(([name, ...args]) => format[name](...args));
}"""


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[ConsoleTab]:
    console = ConsoleTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield console
    console.close()


def _format(tab: ConsoleTab, *calls: list[Any]) -> list[Any]:
    return list(tab.page.evaluate(FORMAT, [list(calls)]))


def test_every_currency_uses_the_apis_minor_unit_not_the_browsers_display_digits(
    tab: ConsoleTab,
) -> None:
    tab.goto("/console")
    codes = sorted(ISO_4217)
    digits = _format(tab, *[["fractionDigits", code] for code in codes])
    assert dict(zip(codes, digits, strict=True)) == {c: minor_unit_exponent(c) for c in codes}
    # HUF and IDR have 2 decimals in ISO 4217 (browsers show 0), IQD 3 (browsers show 0).
    shown = _format(
        tab,
        ["money", 1234, "HUF"],
        ["money", 1234, "IQD"],
        ["money", 1234, "JPY"],
        ["money", 1234, "KWD"],
        ["money", -5, "EUR"],
        ["minorUnits", "12.34", "HUF"],
        ["minorUnits", "12", "HUF"],
        ["minorUnits", "1.234", "IQD"],
        ["minorUnits", "1234", "JPY"],
        ["minorUnits", "12.3", "JPY"],
        ["minorUnits", "1.234", "KWD"],
    )
    assert [text.replace("\xa0", " ") if isinstance(text, str) else text for text in shown] == [
        "HUF 12.34",
        "IQD 1.234",
        "JP¥1,234",
        "KWD 1.234",
        "-€0.05",
        1234,
        1200,
        1234,
        1234,
        None,
        1234,
    ]


def test_the_portal_writes_money_in_the_same_minor_units(tab: ConsoleTab) -> None:
    """The portal shares pages/shared/money.js: 1234 HUF minor units are 12.34 forints."""
    tab.goto("/portal")
    shown = tab.page.evaluate(
        """async () => {
          const i18n = await import(`${location.origin}/portal/assets/i18n.js`);
          return [i18n.money(1234, "HUF"), i18n.money(1234, "IQD"), i18n.money(1234, "JPY")];
        }"""
    )
    assert [text.replace("\xa0", " ") for text in shown] == ["HUF 12.34", "IQD 1.234", "¥1,234"]


def _pending_return(shop: Shop, number: str) -> Any:
    shop.policy(default_action="review")
    order_id = shop.order(number, f"c{number}@example.com")
    token = shop.portal_token(number, f"c{number}@example.com")
    made = shop.customer_return(token, order_id, f"{number}-2")
    assert made["status"] == "pending_review"
    return made


def _key_refused_from_now_on(tab: ConsoleTab) -> None:
    """The key stops being accepted (revoked, expired) while the page is open."""
    tab.page.evaluate("() => sessionStorage.setItem('returns-console.key', 'rk_revoked')")


def _signed_out(tab: ConsoleTab) -> None:
    tab.page.get_by_role("heading", name="Sign in to the returns console").wait_for()
    tab.page.get_by_text("Your key was not accepted: sign in again.").wait_for()
    assert tab.stored()["session"] == {}


def test_a_key_refused_mid_session_signs_out_from_an_action(tab: ConsoleTab, shop: Shop) -> None:
    made = _pending_return(shop, "8301")
    tab.sign_in(shop.key("returns:manage"))
    tab.page.get_by_role("heading", name=made["rma_number"]).wait_for()
    _key_refused_from_now_on(tab)
    tab.page.get_by_role("button", name=f"Approve {made['rma_number']}").click()
    _signed_out(tab)


def test_a_key_refused_mid_session_signs_out_from_the_scanner(tab: ConsoleTab, shop: Shop) -> None:
    tab.sign_in(shop.key("returns:manage"))
    _key_refused_from_now_on(tab)
    tab.page.get_by_label("Scan or type an RMA or tracking number").fill("R-ANYTHING")
    tab.page.get_by_label("Scan or type an RMA or tracking number").press("Enter")
    _signed_out(tab)


def test_a_scan_that_does_not_reach_the_service_says_so(tab: ConsoleTab, shop: Shop) -> None:
    tab.sign_in(shop.key("returns:manage"))
    tab.page.route("**/v1/returns?rma_number=*", lambda route: route.abort())
    scanner = tab.page.get_by_label("Scan or type an RMA or tracking number")
    scanner.fill("R-OFFLINE")
    scanner.press("Enter")
    tab.page.get_by_text("Could not look up R-OFFLINE").wait_for()
    assert scanner.input_value() == "R-OFFLINE"  # kept, to scan again


def test_an_outage_at_sign_in_check_keeps_the_key(tab: ConsoleTab, shop: Shop) -> None:
    """Only a refusal forgets the key: a reload while the service is unreachable keeps it."""
    key = shop.key("returns:manage")
    tab.sign_in(key)
    tab.page.route("**/v1/me", lambda route: route.abort())
    tab.page.reload()
    tab.page.get_by_text("The service could not be reached.").wait_for()
    assert list(tab.stored()["session"].values()) == [key]
    tab.page.unroute("**/v1/me")
    tab.page.reload()
    tab.page.get_by_role("heading", name="Review queue").wait_for()


def _staff(shop: Shop, return_id: str, action: str, body: dict[str, Any] | None = None) -> Any:
    answer = shop.http.post(
        f"/v1/returns/{return_id}/{action}",
        json=body or {},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_a_refund_whose_answer_is_lost_is_said_and_confirmed_again_pays_once(
    tab: ConsoleTab, shop: Shop
) -> None:
    made = _pending_return(shop, "8302")
    _staff(shop, made["id"], "approve")
    _staff(shop, made["id"], "tracking-events", {"status": "in_transit"})
    item = {"item_id": made["items"][0]["id"], "received_quantity": 1, "condition": "as_new"}
    ret = _staff(shop, made["id"], "receive", {"items": [item]})
    keys: list[str] = []

    def lose_the_answer(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the service makes the refund ...
            route.abort()  # ... and its answer never comes back
        else:
            route.continue_()

    tab.page.route("**/refunds", lose_the_answer)
    tab.sign_in(shop.key("returns:manage"))
    tab.goto(f"/console/returns/{ret['id']}")
    tab.page.get_by_role("button", name="Review the refund").click()
    confirm = tab.page.get_by_role("button", name="Refund €", exact=False)
    confirm.click()
    tab.page.get_by_role("alert").get_by_text("did not reach the service").wait_for()
    confirm.click()  # enabled again, with the same Idempotency-Key
    tab.page.get_by_role("table", name="Refunds").wait_for()
    assert len(keys) == 2
    assert keys[0] == keys[1]
    refunds = shop.http.get(f"/v1/returns/{ret['id']}").json()["refunds"]
    assert [r["amount"] for r in refunds] == [ret["amounts"]["remaining"]]
