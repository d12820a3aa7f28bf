"""The console's Analytics page in headless Chromium: returns with a few reasons, SKUs and
resolutions are made through the API, and each chart's table shows their figures; the period
selector asks again; every chart is a drawn canvas with a text alternative; axe-core finds
nothing serious at phone and desktop width, and the CSP reports nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import POLICY, Shop, order_body
from tests.browser.console import ConsoleTab

pytestmark = pytest.mark.slow
NONE = "\N{EN DASH}"  # what a table shows for no figure

# Changed minds wait for a person: one return in the review backlog.
REVIEW_CHANGED_MINDS = {
    "id": "changed-minds-wait",
    "name": "Changed minds wait for review",
    "conditions": [{"fact": "reason", "op": "eq", "value": "changed_mind"}],
    "action": "review",
}


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[ConsoleTab]:
    # Reduced motion: the charts are drawn at once (no animation), so screenshots are final.
    console = ConsoleTab(
        chromium, shop.url, axe_source, screenshots, locale="en-GB", reduced_motion="reduce"
    )
    yield console
    console.close()


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat().replace("+00:00", "Z")


def _request_return(shop: Shop, key: str, order_id: str, items: list[dict[str, Any]]) -> Any:
    answer = httpx.post(
        f"{shop.url}/v1/returns",
        json={"order_id": order_id, "items": items, "return_method": "own_way"},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def seeded(shop: Shop) -> dict[str, Any]:
    """Two orders of 7 units each this week, one of 7 units 40 days ago (only in the 90-day
    period), and two returns: 2 T-shirts (size) refunded and a mug (damaged) as store credit,
    approved by the policy; a scarf (changed mind) waiting for review."""
    etag = shop.http.get("/v1/policy").headers["ETag"]
    policy = {**POLICY, "rules": [REVIEW_CHANGED_MINDS]}
    answer = shop.http.put("/v1/policy", json=policy, headers={"If-Match": etag})
    assert answer.status_code in (200, 201), answer.text
    for number in ("8001", "8002"):
        shop.order(number, f"c{number}@example.com")
    older = order_body("8003", "c8003@example.com")
    older.update(placed_at=_days_ago(40), fulfilled_at=_days_ago(39), delivered_at=_days_ago(37))
    answer = shop.http.put("/v1/orders/ord_8003", json=older)
    assert answer.status_code in (200, 201), answer.text

    key = shop.key("returns:write")
    approved = _request_return(
        shop,
        key,
        "ord_8001",
        [
            {"line_item_id": "8001-1", "quantity": 2, "reason": "size_fit"},
            {"line_item_id": "8001-2", "quantity": 1, "reason": "damaged",
             "resolution": "store_credit"},
        ],
    )  # fmt: skip
    waiting = _request_return(
        shop, key, "ord_8002", [{"line_item_id": "8002-3", "quantity": 1, "reason": "changed_mind"}]
    )
    assert (approved["status"], waiting["status"]) == ("approved", "pending_review")
    analytics = shop.key("analytics:read")
    summary = httpx.get(
        f"{shop.url}/v1/analytics/summary", headers={"Authorization": f"Bearer {analytics}"}
    ).json()
    return {"resolutions": summary["resolutions"]}


def rows_of(tab: ConsoleTab, caption: str) -> list[list[str]]:
    """The table with this caption, as the text of its cells, header row first."""
    table = tab.page.locator("table", has=tab.page.locator("caption", has_text=caption))
    cells: list[list[str]] = table.evaluate(
        "(t) => [...t.rows].map((r) => [...r.cells].map((c) => c.textContent.trim()))"
    )
    return cells


def euros(minor_units: int) -> str:
    return f"€{minor_units // 100}.{minor_units % 100:02d}"


def test_the_charts_tables_show_the_periods_returns(
    tab: ConsoleTab, shop: Shop, seeded: dict[str, Any]
) -> None:
    page = tab.page
    tab.sign_in(shop.key("returns:read", "analytics:read"))
    page.get_by_role("link", name="Analytics").click()
    page.get_by_role("heading", name="Analytics", level=1).wait_for()
    page.get_by_role("heading", name="Reasons").wait_for()
    assert page.get_by_label("Period").input_value() == "30"

    figures = page.locator("dl.key-figures").inner_text()
    assert "Returns requested\n2" in figures
    assert "28.6%" in figures
    assert "4 of 14 units sold" in figures
    assert "Waiting for review now\n1" in figures

    assert rows_of(tab, "Return rate by SKU") == [
        ["SKU", "Units sold", "Units returned", "Return rate"],
        ["All products", "14", "4", "28.6%"],
        ["TEE-M", "6", "2", "33.3%"],
        ["MUG", "2", "1", "50%"],
        ["SCARF", "2", "1", "50%"],
        ["SALE", "4", "0", "0%"],
    ]
    assert rows_of(tab, "Returns by reason") == [
        ["Reason", "Returns", "Units", "Share of units", "Value", "Merchant's fault"],
        ["Size or fit is wrong", "1", "2", "50%", "€50.00", "0%"],
        ["Changed my mind", "1", "1", "25%", "€30.00", "0%"],
        ["Arrived damaged", "1", "1", "25%", "€15.00", "100%"],
        ["All reasons", "2", "4", "100%", "€95.00", "25%"],
    ]
    assert rows_of(tab, "Units returned by SKU")[1:] == [  # nothing refunded yet: a dash
        ["TEE-M", "6", "2", "33.3%", NONE, "Size or fit is wrong (2)"],
        ["MUG", "2", "1", "50%", NONE, "Arrived damaged (1)"],
        ["SCARF", "2", "1", "50%", NONE, "Changed my mind (1)"],
    ]
    [mix] = seeded["resolutions"]  # the refund calculator's figures (tax shares included)
    value = mix["value_by_resolution"]
    assert rows_of(tab, "Value of returns by resolution")[1:] == [
        ["EUR", euros(value["refund"]), euros(value["store_credit"]), "€0.00", "2", "0 (0%)"]
    ]
    assert value["refund"] > 0
    assert value["store_credit"] > 0
    backlog = rows_of(tab, "Age of the returns waiting for review")
    assert [row[0] for row in backlog[1:]] == ["Median", "90th percentile", "Oldest"]
    assert all(row[1].endswith(("second", "seconds", "minute", "minutes")) for row in backlog[1:])

    # Five charts, each a drawn Chart.js canvas that describes itself to assistive technology.
    canvases = page.locator("canvas")
    assert canvases.count() == 5
    for index in range(5):
        canvas = canvases.nth(index)
        assert canvas.get_attribute("role") == "img"
        assert canvas.evaluate("(c) => Boolean(globalThis.Chart.getChart(c))")
    assert canvases.nth(1).get_attribute("aria-label") == (
        "Bar chart of units returned by reason: Size or fit is wrong 2; Changed my mind 1; "
        "Arrived damaged 1."
    )
    tab.check_page("console-analytics-30-days")

    # 90 days also count the order placed 40 days ago: 7 more units sold, none returned.
    page.get_by_label("Period").select_option("90")
    page.get_by_role("status").filter(has_text="Figures for the last 90 days.").wait_for()
    # 4 / 21 is 1904 basis points (the API floors), shown to a tenth of a per cent.
    assert rows_of(tab, "Return rate by SKU")[1] == ["All products", "21", "4", "19%"]
    assert rows_of(tab, "Returns by reason")[-1][:3] == ["All reasons", "2", "4"]
    assert page.locator("canvas").count() == 5
    tab.check_page("console-analytics-90-days")
    tab.assert_clean()


def test_a_key_without_analytics_read_is_told_so(tab: ConsoleTab, shop: Shop) -> None:
    tab.sign_in(shop.key("returns:read"))
    assert tab.page.get_by_role("link", name="Analytics").count() == 0
    tab.goto("/console/analytics")
    tab.page.get_by_text(
        "This key cannot read analytics: it needs the analytics:read scope."
    ).wait_for()
    assert tab.page.locator("canvas").count() == 0
    tab.assert_clean()
