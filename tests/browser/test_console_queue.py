"""The console's review queue and return page in headless Chromium (#24 §1-3): pending
returns oldest first with the rule that sent each to a person, approve and reject with a note,
the return page's items, amounts, shipments, timeline, e-mails and webhooks, and a key
without `returns:manage` that gets no buttons and whose forged approval the API refuses."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PHONE, POLICY, Shop
from tests.browser.console import ConsoleTab
from tests.live_server import LiveServer
from tests.notifications.smtp_server import SmtpServer

pytestmark = pytest.mark.slow

# The browser tests' policy, with a rule that sends returns worth 20.00 or more to a person
# (a T-shirt or the scarf); the mug stays under it and is approved by the default action.
REVIEW_POLICY = {
    **POLICY,
    "rules": [
        {
            "id": "expensive",
            "name": "Expensive returns",
            "conditions": [{"fact": "return_value", "op": "gte", "value": 2000}],
            "action": "review",
        }
    ],
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Shop]:
    """The module's own shop: the browser tests' server with customer e-mail on (to a mail
    server in the test), and the policy above."""
    smtp = SmtpServer()
    smtp.start()
    env = {
        "RETURNS_RUN_DISPATCHER_IN_PROCESS": "true",
        "RETURNS_LABEL_POLL_SECONDS": "0.2",
        "RETURNS_NOTIFICATION_POLL_SECONDS": "0.2",
        "RETURNS_PORTAL_RATE_LIMIT_PER_MINUTE": "1000",
        "RETURNS_CONSOLE_ENABLED": "true",
        "RETURNS_NOTIFICATIONS_ENABLED": "true",
        "RETURNS_SMTP_HOST": "127.0.0.1",
        "RETURNS_SMTP_PORT": str(smtp.port),
        "RETURNS_SMTP_TLS": "none",
    }
    try:
        with LiveServer(tmp_path_factory.mktemp("console-queue"), env=env) as server:
            shop = Shop(server)
            etag = shop.http.get("/v1/policy").headers["ETag"]
            answer = shop.http.put("/v1/policy", json=REVIEW_POLICY, headers={"If-Match": etag})
            assert answer.status_code == 201, answer.text
            yield shop
            shop.http.close()
    finally:
        smtp.stop()


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[ConsoleTab]:
    console = ConsoleTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield console
    console.close()


def pending_return(shop: Shop, number: str, line: str, method: str = "own_way") -> Any:
    order_id = shop.order(number, f"c{number}@example.com")
    made = shop.customer_return(
        shop.portal_token(number, f"c{number}@example.com"), order_id, f"{number}-{line}", method
    )
    return made  # fmt: skip


def read(shop: Shop, return_id: str) -> Any:
    answer = shop.http.get(f"/v1/returns/{return_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def eventually(check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return found


def euros(minor: int) -> str:
    return f"€{minor // 100}.{minor % 100:02d}"


def test_the_queue_lists_pending_returns_oldest_first_and_decides_them_with_a_note(
    tab: ConsoleTab, shop: Shop
) -> None:
    older = pending_return(shop, "7101", "1")  # a T-shirt
    newer = pending_return(shop, "7102", "3")  # the scarf
    small = pending_return(shop, "7103", "2")  # the mug
    assert [older["status"], newer["status"], small["status"]] == [
        "pending_review",
        "pending_review",
        "approved",
    ]
    tab.sign_in(shop.key("returns:manage"))

    entries = tab.page.locator(".queue-entry")
    entries.first.wait_for()
    assert entries.locator("h2").all_inner_texts() == [older["rma_number"], newer["rma_number"]]
    first = entries.nth(0)
    assert "Rule “Expensive returns” decided: review by a person." in first.inner_text()
    held = read(shop, older["id"])["decision"]["trace"][0]["checks"][0]["held"][0]
    condition = first.get_by_role("table", name="Conditions of “Expensive returns”")
    assert condition.locator("tbody tr").inner_text().split("\t") == [
        "return_value is at least",
        euros(2000),
        euros(held["actual"]),
    ]
    assert "Ada Lovelace, c7101@example.com" in first.inner_text()
    assert re.search(r"\b\d+ minutes? ago\b", first.locator("time").inner_text())  # not "0 hours"
    assert "1 \u00d7 T-shirt, blue, M (TEE-M), changed mind, refund" in first.inner_text()
    tab.check_page("console-queue")

    first.get_by_label(f"Note on {older['rma_number']} (optional)").fill("Looks fine to me.")
    first.get_by_role("button", name=f"Approve {older['rma_number']}").click()
    tab.page.get_by_role("status").filter(
        has_text=f"Return {older['rma_number']} is approved."
    ).wait_for()
    assert entries.locator("h2").all_inner_texts() == [newer["rma_number"]]
    approved = read(shop, older["id"])
    assert approved["status"] == "approved"
    assert approved["timeline"][-1]["note"] == "Looks fine to me."

    entry = entries.nth(0)
    entry.get_by_label(f"Note on {newer['rma_number']} (optional)").fill("Worn, sorry.")
    entry.get_by_role("button", name=f"Reject {newer['rma_number']}").click()
    tab.page.get_by_role("status").filter(
        has_text=f"Return {newer['rma_number']} is rejected."
    ).wait_for()
    tab.page.get_by_text("Nothing is waiting for review.").wait_for()
    rejected = read(shop, newer["id"])
    assert rejected["status"] == "rejected"
    assert rejected["timeline"][-1]["note"] == "Worn, sorry."
    tab.assert_clean()


def test_the_return_page_shows_items_amounts_label_timeline_emails_and_webhooks(
    tab: ConsoleTab, shop: Shop
) -> None:
    made = pending_return(shop, "7201", "3", method="mail")
    tab.sign_in(shop.key("returns:manage", "webhooks:manage"))
    tab.goto(f"/console/returns/{made['id']}")
    page = tab.page
    page.get_by_role("heading", name=f"Return {made['rma_number']}").wait_for()
    page.get_by_role("heading", name="Why it needs a person").wait_for()
    page.get_by_label(f"Note on {made['rma_number']} (optional)").fill("Approved by hand.")
    page.get_by_role("button", name=f"Approve {made['rma_number']}").click()
    page.get_by_role("status").filter(
        has_text=f"Return {made['rma_number']} is approved."
    ).wait_for()
    assert page.get_by_role("button", name=f"Approve {made['rma_number']}").count() == 0

    # The worker buys the label and mails the customer: wait for both, then read the page.
    eventually(lambda: read(shop, made["id"])["shipments"][0]["label_state"] == "created")
    mails = f"/v1/notifications?return_id={made['id']}"
    eventually(lambda: len(shop.http.get(mails).json()["data"]) >= 3)
    tab.goto(f"/console/returns/{made['id']}")
    page.get_by_role("heading", name="E-mails").wait_for()

    items = page.get_by_role("table", name="The items being returned")
    assert items.locator("tbody tr").inner_text().split("\t")[:5] == [
        "SCARF",
        "Scarf",
        "1",
        "changed mind",
        "refund",
    ]
    ret = read(shop, made["id"])
    amounts = page.get_by_role("region", name="Refund", exact=True)
    assert euros(ret["amounts"]["refundable"]) in amounts.inner_text()
    assert "Refund breakdown, on requested units" in amounts.inner_text()
    assert "Approved by hand." in page.get_by_role("region", name="Timeline").inner_text()
    timeline = page.get_by_role("region", name="Timeline").inner_text()
    assert "pending review → approved" in timeline

    shipments = page.get_by_role("region", name="Shipments")
    assert ret["shipments"][0]["tracking_number"] in shipments.inner_text()
    with page.expect_download() as download:
        shipments.get_by_role("button", name=f"Download label (PDF) {made['rma_number']}").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    emails = page.get_by_role("table", name="E-mails to the customer, newest first").inner_text()
    for event_type in ("return.created", "return.approved", "return.label_created"):
        assert event_type in emails
    assert "c7201@example.com" in emails
    webhooks = page.get_by_role("table", name="Events for this return, oldest first").inner_text()
    for event_type in ("return.created", "return.approved"):
        assert event_type in webhooks
    tab.check_page("console-return")
    page.set_viewport_size(PHONE)  # wide tables scroll inside their box, not the page
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    tab.assert_clean()


def test_a_key_without_returns_manage_gets_no_buttons_and_a_forged_approval_is_refused(
    tab: ConsoleTab, shop: Shop
) -> None:
    made = pending_return(shop, "7301", "1")
    tab.sign_in(shop.key("returns:read"))
    entry = tab.page.locator(".queue-entry").filter(has_text=made["rma_number"])
    entry.get_by_text("Rule “Expensive returns” decided").wait_for()
    assert tab.page.get_by_role("button", name="Approve").count() == 0
    assert tab.page.get_by_role("button", name="Reject").count() == 0
    assert tab.page.get_by_role("textbox", name="Note").count() == 0

    entry.get_by_role("link", name=made["rma_number"]).click()
    tab.page.get_by_role("heading", name=f"Return {made['rma_number']}").wait_for()
    tab.page.get_by_role("heading", name="Timeline").wait_for()
    assert tab.page.get_by_role("button", name="Approve").count() == 0
    assert tab.page.get_by_role("heading", name="E-mails").count() == 0
    assert tab.page.get_by_role("heading", name="Webhooks").count() == 0

    forged = tab.page.evaluate(
        """async (id) => {
            const key = Object.values(sessionStorage)[0];
            const answer = await fetch(`/v1/returns/${id}/approve`, {
                method: "POST",
                headers: {Authorization: `Bearer ${key}`, "Content-Type": "application/json",
                          "Idempotency-Key": crypto.randomUUID()},
                body: JSON.stringify({note: "forged"}),
            });
            return answer.status;
        }""",
        made["id"],
    )
    assert forged == 403
    assert read(shop, made["id"])["status"] == "pending_review"
    tab.assert_clean()
