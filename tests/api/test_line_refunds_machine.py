"""Random histories of the returns of one order, through the HTTP API, on SQLite and
PostgreSQL: no line is ever paid back more than it cost (issue #17 §1, DESIGN §5).

A hypothesis state machine quotes, creates, approves, rejects, cancels, expires, ships,
receives (accepting some units, not always all) and refunds returns of one order. After
every step, for every line of the order:

- the part of the live returns' breakdowns that pays the line back (unit prices less
  discounts, plus tax: the items' `paid`) is at most what was paid for the line, and exactly
  that once every unit of it is valued;
- what each return has refunded stays within its refundable amount;
- the quote for a new return is what that return then gets.

The app runs in-process (the same ASGI app the server runs) on an event loop of this
test's own, because hypothesis drives the machine synchronously.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import update

from returns_api.app import create_app
from returns_api.core.settings import Settings
from returns_api.returns.expiry import expire_overdue
from returns_api.returns.models import ReturnChange
from tests.conftest import bearer, empty_all_tables, new_api_key
from tests.factories import ALL_STAFF_SCOPES, line, order_body

RELEASED = {"rejected", "cancelled", "expired"}
# Fees and a bonus the line's part of a refund must leave out; decisions of every kind.
POLICY = {
    "restocking_fee_bps": 1_000,
    "return_shipping_fee": 300,
    "store_credit_bonus_bps": 500,
    "allowed_resolutions": ["refund", "store_credit"],
    "default_action": "approve",
    "rules": [
        {
            "id": "second-thoughts",
            "name": "Second thoughts are reviewed",
            "conditions": [{"fact": "reason", "op": "eq", "value": "changed_mind"}],
            "action": "review",
        },
        {
            "id": "cheap-defects",
            "name": "Cheap defective items are kept",
            "conditions": [
                {"fact": "reason", "op": "eq", "value": "defective"},
                {"fact": "item_unit_price", "op": "lte", "value": 500},
            ],
            "action": "approve_keep_item",
        },
    ],
}
REASONS = ("size_fit", "changed_mind", "defective", "damaged")
MAX_LIVE = 3  # returns open at once: enough to interleave, few enough to reach refunds


class Service:
    """The app in-process, called synchronously: one event loop for the whole test."""

    def __init__(self, config: Settings) -> None:
        self.runner = asyncio.Runner()
        self.runner.run(self._start(config))

    async def _start(self, config: Settings) -> None:
        self.app = create_app(config)
        self.lifespan = LifespanManager(self.app)  # sniffs the running loop: made in it
        await self.lifespan.__aenter__()
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        await empty_all_tables(self.app.state.engine)
        scopes = (*ALL_STAFF_SCOPES, "policy:manage")
        self.headers = bearer(await new_api_key(self.app, *scopes, name="machine"))
        published = await self.client.put("/v1/policy", json=POLICY, headers=self.headers)
        assert published.status_code == 201, published.text

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.runner.run(self.client.request(method, path, json=body, headers=self.headers))

    def expire(self, return_id: str) -> None:
        """Move the return's approval a year back, then run the expiry sweep."""

        async def backdate_and_sweep() -> None:
            async with self.app.state.sessionmaker() as session, session.begin():
                await session.execute(
                    update(ReturnChange)
                    .where(
                        ReturnChange.return_id == uuid.UUID(return_id),
                        ReturnChange.to_status == "approved",
                    )
                    .values(created_at=datetime.now(UTC) - timedelta(days=365))
                )
            await expire_overdue(self.app.state.sessionmaker)

        self.runner.run(backdate_and_sweep())

    def close(self) -> None:
        self.runner.run(self.client.aclose())
        self.runner.run(self.lifespan.__aexit__(None, None, None))
        self.runner.close()


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


@st.composite
def order_lines(draw: st.DrawFn, count: int | None = None) -> list[dict[str, Any]]:
    lines = []
    for number in range(count or draw(st.integers(1, 2))):
        quantity = draw(st.integers(1, 6))
        unit_price = draw(st.integers(1, 5_000))
        value = quantity * unit_price
        # Near-total discounts and taxes that do not divide are where shares go wrong.
        discount = draw(st.just(0) | st.integers(0, value) | st.integers(max(0, value - 3), value))
        tax = draw(st.integers(0, 999))
        lines.append(
            line(
                f"li_{number}", quantity=quantity, unit_price=unit_price, discount=discount, tax=tax
            )
        )
    return lines


class LineRefunds(RuleBasedStateMachine):
    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service
        self.returns: dict[str, dict[str, Any]] = {}

    # --- the order ---------------------------------------------------------------------

    def put_order(self, lines: list[dict[str, Any]], status: int) -> None:
        body = order_body(number=f"M-{self.order_id}", customer_id=self.order_id, lines=lines)
        expect(self.service.call("PUT", f"/v1/orders/{self.order_id}", body), status)

    @initialize(lines=order_lines())
    def sell(self, lines: list[dict[str, Any]]) -> None:
        self.order_id = f"ord_m_{uuid.uuid4().hex[:12]}"
        self.put_order(lines, 201)
        self.lines = {ln["id"]: ln for ln in lines}

    @rule(data=st.data())
    def resync(self, data: st.DataObject) -> None:
        """The platform sends the order again with one line changed: more units, or new
        amounts. A line no return holds takes anything; a held one only grows."""
        line_id = data.draw(st.sampled_from(sorted(self.lines)), label="line")
        old = self.lines[line_id]
        (new,) = data.draw(order_lines(count=1), label="new line")
        new = {**new, "id": line_id}
        if data.draw(st.booleans(), label="only more units"):
            new = {**old, "quantity": old["quantity"] + new["quantity"]}
        held = old["quantity"] - self.free_units(line_id)
        allowed = held == 0 or (
            new["quantity"] >= old["quantity"]
            and all(new[k] == old[k] for k in ("unit_price", "discount", "tax"))
        )
        lines = [new if ln["id"] == line_id else ln for ln in self.lines.values()]
        self.put_order(lines, 200 if allowed else 409)
        if allowed:
            self.lines[line_id] = new

    # --- reading ------------------------------------------------------------------------

    def in_status(self, *statuses: str) -> list[str]:
        return sorted(rid for rid, ret in self.returns.items() if ret["status"] in statuses)

    def free_units(self, line_id: str) -> int:
        held = sum(
            item["quantity"]
            for ret in self.returns.values()
            if ret["status"] not in RELEASED
            for item in ret["items"]
            if item["line_item_id"] == line_id
        )
        return int(self.lines[line_id]["quantity"]) - held

    def may_create(self) -> bool:
        live = [r for r in self.returns.values() if r["status"] not in RELEASED | {"completed"}]
        return len(live) < MAX_LIVE and any(self.free_units(line_id) for line_id in self.lines)

    def keep(self, ret: dict[str, Any]) -> None:
        self.returns[ret["id"]] = ret

    def post(self, rid: str, action: str, body: Any = None, status: int = 200) -> None:
        expect(self.service.call("POST", f"/v1/returns/{rid}/{action}", body), status)
        self.keep(expect(self.service.call("GET", f"/v1/returns/{rid}")))

    # --- rules --------------------------------------------------------------------------

    @precondition(lambda self: self.may_create())
    @rule(data=st.data())
    def create(self, data: st.DataObject) -> None:
        """Quote a return of some free units, then create it: the same breakdown."""
        free = [line_id for line_id in sorted(self.lines) if self.free_units(line_id)]
        chosen = data.draw(st.lists(st.sampled_from(free), min_size=1, unique=True), label="lines")
        wanted = [
            {
                "line_item_id": line_id,
                "quantity": data.draw(st.integers(1, self.free_units(line_id)), label="units"),
                "reason": data.draw(st.sampled_from(REASONS), label="reason"),
                "resolution": data.draw(st.sampled_from(["refund", "store_credit"])),
            }
            for line_id in chosen
        ]
        body = {"order_id": self.order_id, "items": wanted}
        quote = expect(self.service.call("POST", "/v1/returns/quote", body))
        assert quote["eligible"], quote
        ret = expect(self.service.call("POST", "/v1/returns", body), 201)
        assert quote["estimated_refund"]["total"] == ret["refund_breakdown"]["total"], (quote, ret)
        self.keep(ret)

    @precondition(lambda self: self.in_status("pending_review"))
    @rule(data=st.data())
    def review(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(self.in_status("pending_review")), label="return")
        action = data.draw(st.sampled_from(["approve", "reject"]), label="decision")
        self.post(rid, action, {})

    @precondition(lambda self: self.in_status("pending_review", "approved"))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(self.in_status("pending_review", "approved")))
        if self.returns[rid]["amounts"]["refunded"]:
            return  # a refunded keep-the-item return cannot release its units
        self.post(rid, "cancel", {})

    def awaiting_parcel(self) -> list[str]:
        return [rid for rid in self.in_status("approved") if not self.returns[rid]["keep_item"]]

    @precondition(lambda self: self.awaiting_parcel())
    @rule(data=st.data())
    def expire(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(self.awaiting_parcel()), label="return")
        self.service.expire(rid)
        self.keep(expect(self.service.call("GET", f"/v1/returns/{rid}")))
        assert self.returns[rid]["status"] == "expired"

    @precondition(lambda self: self.awaiting_parcel())
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(self.awaiting_parcel()), label="return")
        self.post(rid, "tracking-events", {"status": "in_transit"})

    @precondition(lambda self: self.in_status("in_transit"))
    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        """Every unit arrives; some are accepted (not always all, sometimes none)."""
        rid = data.draw(st.sampled_from(self.in_status("in_transit")), label="return")
        entries = [
            {
                "item_id": item["id"],
                "received_quantity": item["quantity"],
                "accepted_quantity": data.draw(st.integers(0, item["quantity"]), label="accepted"),
            }
            for item in self.returns[rid]["items"]
        ]
        self.post(rid, "receive", {"items": entries})

    def refundable(self) -> list[str]:
        candidates = self.in_status("received") + [
            rid for rid in self.in_status("approved") if self.returns[rid]["keep_item"]
        ]
        return sorted(
            rid
            for rid in candidates
            if self.returns[rid]["amounts"]["refunded"] < self.returns[rid]["amounts"]["refundable"]
        )

    @precondition(lambda self: self.refundable())
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        """The rest of the refundable amount, or a part of it."""
        rid = data.draw(st.sampled_from(self.refundable()), label="return")
        amounts = self.returns[rid]["amounts"]
        left = amounts["refundable"] - amounts["refunded"]
        body = data.draw(st.just({}) | st.builds(lambda n: {"amount": n}, st.integers(1, left)))
        self.post(rid, "refunds", body, status=201)

    @precondition(lambda self: self.in_status("received"))
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        self.post(data.draw(st.sampled_from(self.in_status("received"))), "complete", {})

    def stuck(self) -> bool:
        return not (
            self.may_create()
            or self.in_status("pending_review", "approved", "in_transit", "received")
        )

    @precondition(lambda self: self.stuck())
    @rule()
    def reread(self) -> None:
        """The last step, once every unit is refunded and completed: what the API shows
        now is what the steps left."""
        for rid, ret in self.returns.items():
            assert expect(self.service.call("GET", f"/v1/returns/{rid}")) == ret

    # --- what must always hold ------------------------------------------------------------

    @invariant()
    def no_line_is_paid_back_more_than_it_cost(self) -> None:
        if not hasattr(self, "lines"):
            return
        paid_back = dict.fromkeys(self.lines, 0)
        units_valued = dict.fromkeys(self.lines, 0)
        for ret in self.returns.values():
            amounts = ret["amounts"]
            assert 0 <= amounts["refunded"] <= amounts["refundable"], ret
            if ret["status"] in RELEASED:
                assert amounts["refunded"] == 0, ret
                continue
            line_of = {item["id"]: item["line_item_id"] for item in ret["items"]}
            for valued in ret["refund_breakdown"]["items"]:
                paid_back[line_of[valued["item_id"]]] += valued["paid"]
                units_valued[line_of[valued["item_id"]]] += valued["quantity"]
        for line_id, ln in self.lines.items():
            cost = ln["quantity"] * ln["unit_price"] - ln["discount"] + ln["tax"]
            assert paid_back[line_id] <= cost, (line_id, paid_back, self.returns)
            if units_valued[line_id] == ln["quantity"]:
                assert paid_back[line_id] == cost, (line_id, paid_back, self.returns)


def test_no_history_of_returns_pays_a_line_back_twice(settings: Settings) -> None:
    service = Service(settings)
    try:
        run_state_machine_as_test(
            lambda: LineRefunds(service),
            settings=settings_for_machine,
        )
    finally:
        service.close()


settings_for_machine = hypothesis_settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
