"""The return aggregate (DESIGN §2, §3): a return with its items, refunds and timeline, and
every rule about how it may change. Pure code: no session, no clock, no I/O.

Each change is a method that checks the status table and its guards, changes the fields,
appends its timeline entry and records its event in `pending_events`; `ReturnStore` loads
and saves the aggregate, and the service writes the events to the outbox in the same
transaction. Time, the actor and fresh ids come in through `Act`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from returns_api.core.messages import Message
from returns_api.returns.exceptions import (
    IllegalTransition,
)
from returns_api.returns.inspection import Inspection, inspect, restocked
from returns_api.returns.instant import InstantExchange
from returns_api.returns.parts import (
    Act,
    Asked,
    Change,
    ExchangeDeadlines,
    Item,
    Payment,
    PendingEvent,
    Refund,
    Valuation,
)
from returns_api.returns.refunding import Refunds
from returns_api.returns.shipments import Shipment, ShipmentPlan, Shipments
from returns_api.returns.status import BIRTH_STATUSES, RELEASED, ReturnStatus, can_transition
from returns_api.returns.statutory_deadlines import StatutoryDeadlines
from returns_api.statutory import eu

S = ReturnStatus

__all__ = ["Return", "Valuation"]

# The statuses whose first reaching is kept on the row as a milestone (analytics).
_MILESTONES: Final = {S.APPROVED: "approved_at", S.RECEIVED: "received_at"}
# The event each plain status change is announced with.
_EVENT_OF: Final = {
    S.APPROVED: "return.approved",
    S.REJECTED: "return.rejected",
    S.CANCELLED: "return.cancelled",
    S.IN_TRANSIT: "return.in_transit",
    S.RECEIVED: "return.received",
    S.COMPLETED: "return.completed",
    S.EXPIRED: "return.expired",
}


def _statutory_terms(decision: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """A statutory withdrawal is to be refunded within 14 days of the trader being told
    (Directive 2011/83/EU, Article 13(1)): the return is that telling."""
    basis = decision.get("legal_basis", "commercial_policy")
    if basis != "statutory_withdrawal":
        return {"legal_basis": basis}
    return {"legal_basis": basis, "refund_due_by": eu.days_after(at, eu.REFUND_DAYS)}


@dataclass(slots=True, eq=False)
class Return(Refunds, InstantExchange, Shipments, StatutoryDeadlines):
    """A return (RMA). Field names are the `returns` table's columns; `version` is the
    optimistic-concurrency counter behind ETag/If-Match, one step per change."""

    id: uuid.UUID
    rma_number: str
    order_id: str
    customer_id: str | None
    status: ReturnStatus
    currency: str
    locale: str
    return_method: str
    keep_item: bool
    instructions: dict[str, Any] | None
    decision: dict[str, Any]
    policy_version: int
    tracking_number: str | None
    carrier: str | None
    refund_breakdown: dict[str, Any]
    refundable_amount: int
    refunded_amount: int
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    auto_approved: bool
    approved_at: datetime | None
    received_at: datetime | None
    first_refunded_at: datetime | None
    shipping_refund_taken: int = 0
    refunds_pending: int = 0
    exchange_paid: int = 0
    exchange_payment_due_at: datetime | None = None
    instant_exchange: bool = False
    exchange_hold_amount: int | None = None
    exchange_hold_due_at: datetime | None = None
    exchange_hold_status: str | None = None
    exchange_hold_capture_amount: int | None = None
    exchange_hold_captured: int | None = None
    exchange_hold_reference: str | None = None
    exchange_order_requested_at: datetime | None = None
    exchange_ship_to: dict[str, Any] | None = None
    exchange_order_id: str | None = None
    exchange_tracking_number: str | None = None
    exchange_carrier: str | None = None
    exchange_fulfilled_at: datetime | None = None
    tracking_status: str | None = None
    legal_basis: str = "commercial_policy"
    refund_due_by: datetime | None = None
    refund_overdue_at: datetime | None = None
    send_back_overdue_at: datetime | None = None
    items: list[Item] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    timeline: list[Change] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    # Payments recorded by this unit of work, written once like its events (the money
    # movements report reads them back; no rule of the aggregate needs the old ones).
    new_payments: list[Payment] = field(default_factory=list)
    pending_events: list[PendingEvent] = field(default_factory=list)

    # --- birth -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        act: Act,
        *,
        order: Mapping[str, Any],
        request: Asked,
        rma_number: str,
        items: list[Item],
        decision: dict[str, Any],
        status: ReturnStatus,
        keep_item: bool,
        instructions: dict[str, Any] | None,
        valuation: Valuation,
        note: str,
        terms: ExchangeDeadlines,
        ship_to: dict[str, Any] | None = None,
        shipment: ShipmentPlan | None = None,
        return_id: uuid.UUID | None = None,
    ) -> Return:
        """A new return of `order` (its row, as the return's context reads it), as the
        customer's `request` asks, born with the status the policy's decision gives it
        (DESIGN §3: `requested` is never stored). What it copies from the order and what it
        takes from the request is decided here, and only here. Born approved, its exchange
        asks for what it costs more, an instant one goes ahead (`_exchange_at_approval`), and
        a method with labels asks for the first one (`shipment`)."""
        if status not in BIRTH_STATUSES:
            raise ValueError(f"a return cannot be born {status.value}")
        approved = status is S.APPROVED
        ret = cls(
            id=return_id or act.new_id(),
            rma_number=rma_number,
            order_id=order["id"],
            customer_id=order["customer_id"],
            status=status,
            currency=order["currency"],
            # The customer's language: the order's, unless the customer chose another.
            locale=request.locale or order["locale"],
            return_method=request.return_method,
            keep_item=keep_item,
            instructions=instructions if approved else None,
            decision=decision,
            policy_version=int(decision["policy_version"]),
            tracking_number=None,
            carrier=None,
            refund_breakdown={},
            refundable_amount=0,
            refunded_amount=0,
            version=1,
            created_by=act.actor,
            created_at=act.at,
            updated_at=act.at,
            auto_approved=approved,
            approved_at=act.at if approved else None,
            received_at=None,
            first_refunded_at=None,
            instant_exchange=request.instant_exchange,
            items=items,
            **_statutory_terms(decision, act.at),
        )
        ret._value(valuation)
        ret.timeline.append(
            Change(
                id=act.new_id(),
                kind="created",
                actor=act.actor,
                from_status=None,
                to_status=status.value,
                note=note,
                data={"policy_version": ret.policy_version, "action": decision["action"]},
                created_at=act.at,
            )
        )
        ret.pending_events.append(PendingEvent("return.created", None))
        if approved:
            ret._exchange_at_approval(act, terms, ship_to)
            ret._label_at_approval(act, shipment)
        return ret

    # --- changes -----------------------------------------------------------------------

    def approve(
        self,
        act: Act,
        *,
        keep_item: bool,
        instructions: dict[str, Any],
        note: str | None,
        terms: ExchangeDeadlines,
        ship_to: dict[str, Any] | None = None,
        shipment: ShipmentPlan | None = None,
    ) -> None:
        """A person approves a return waiting for review; `instructions` tell the customer
        how to send it back (or to keep it). An exchange that costs more is to be paid; a
        method with labels asks for the first one."""
        self._change(
            act,
            "approved",
            to=S.APPROVED,
            note=note,
            data={"keep_item": keep_item},
            apply=lambda: self._set(keep_item=keep_item, instructions=instructions),
        )
        self._exchange_at_approval(act, terms, ship_to)
        self._label_at_approval(act, shipment)

    def reject(self, act: Act, *, note: str | None) -> None:
        self._change(act, "rejected", to=S.REJECTED, note=note)

    def cancel(self, act: Act, *, note: str | None) -> None:
        """The customer or the merchant calls it off before the parcel left."""
        self._change(
            act, "cancelled", to=S.CANCELLED, note=note, apply=lambda: self._void_labels(act)
        )

    def expire(self, act: Act, *, note: str, data: dict[str, Any]) -> None:
        """Approved, but not shipped in time (the expiry sweep)."""
        self._change(
            act, "expired", to=S.EXPIRED, note=note, data=data, apply=lambda: self._void_labels(act)
        )

    def complete(self, act: Act, *, note: str | None) -> None:
        """Close the return: after inspection, or at once for a keep-the-item return."""
        if self.status is S.APPROVED and not self.keep_item:
            raise IllegalTransition(
                "An approved return completes without a parcel only when it is keep-the-item.",
                current_status=self.status.value,
            )
        self._refuse_closing_while_owed()
        self._refuse_closing_while_pending()
        self._change(act, "completed", to=S.COMPLETED, note=note)

    def receive(
        self,
        act: Act,
        inspections: Sequence[Inspection],
        *,
        valuation: Valuation,
        note: str | None,
        terms: ExchangeDeadlines,
        ship_to: dict[str, Any] | None = None,
        warehouse: str | None = None,
    ) -> None:
        """The warehouse opened the parcel: per item what came, its condition, what to do
        with it and how many units are accepted. Items not in the parcel are missing. Only
        accepted units are refunded: the breakdown is computed again on them. Accepted
        exchanged units request their replacement, to `ship_to` (`replacement`), when
        nothing is owed for them; otherwise the payment is asked for (`difference`)."""
        self._check(S.RECEIVED)
        inspected = inspect(self.items, inspections)

        def apply() -> None:
            for item in self.items:
                _set_fields(item, inspected[item.id])
            self._value(valuation)
            self._void_labels(act, pending_only=True)  # the parcel is here

        found = [{"item_id": str(item_id), **values} for item_id, values in inspected.items()]
        lines = restocked(self.items, inspected, warehouse)
        data = {"items": found, "restocked": lines} if lines else {"items": found}
        self._change(act, "received", to=S.RECEIVED, note=note, data=data, apply=apply)
        if lines:  # the same change, announced to the stock keepers as well
            previous = self.timeline[-1].from_status
            self.pending_events.append(
                PendingEvent("return.items_restocked", previous, {"restocked": lines})
            )
        self._request_replacement_if_due(act, ship_to)
        self._request_payment_if_due(act, terms.payment_deadline_days)
        self._settle_hold_at_receipt(act)

    # --- reading -----------------------------------------------------------------------

    @property
    def holds_units(self) -> bool:
        """Whether its units still count against the order (not rejected, cancelled or
        expired)."""
        return self.status not in RELEASED

    # --- the one way a change is made ----------------------------------------------------

    def _value(self, valuation: Valuation) -> None:
        """Value the items again: the breakdown, what is refundable, and what each item now
        takes of its line (the line's other returns are valued against it)."""
        money = valuation(self.items)
        valued = {line["item_id"]: line for line in money["items"]}
        for item in self.items:
            line = valued.get(str(item.id))
            item.units_taken = int(line["quantity"]) if line else 0
            item.discount_taken = int(line["discount"]) if line else 0
            item.tax_taken = int(line["tax"]) if line else 0
        # What is paid back: an exchange's credit buys its new items (`difference`).
        self._refresh_refundable(
            refund_breakdown=money, shipping_refund_taken=money.get("shipping_refund", 0)
        )
        if self.outstanding == 0:
            self.exchange_payment_due_at = None

    def _check(self, target: ReturnStatus) -> None:
        if not can_transition(self.status, target):
            raise IllegalTransition(
                Message(
                    "return.cannot_become",
                    current=Message(f"status.{self.status.value}"),
                    target=Message(f"status.{target.value}"),
                ),
                current_status=self.status.value,
            )
        if target in RELEASED and self.exchange_order_requested_at is not None:
            # The customer has (or is about to get) the new items: their units stay taken.
            raise IllegalTransition(
                f"A return whose replacement order was requested cannot become {target.value}.",
                current_status=self.status.value,
            )
        if target in RELEASED and self.refunded_amount > 0:
            # Releasing would make refunded units returnable (and refundable) a second time.
            raise IllegalTransition(
                f"A return with refunds recorded cannot become {target.value}.",
                current_status=self.status.value,
            )

    def _change(
        self,
        act: Act,
        kind: str,
        *,
        to: ReturnStatus | None = None,
        note: str | None,
        data: dict[str, Any] | None = None,
        event: str | None = None,
        apply: Callable[[], None] | None = None,
    ) -> None:
        """Check the status table (a transition when `to` is given), apply the change,
        step the version, and append the timeline entry and the event."""
        previous = self.status
        if to is not None:
            self._check(to)
        if apply is not None:
            apply()
        if to is not None:
            self.status = to
            milestone = _MILESTONES.get(to)
            if milestone is not None and getattr(self, milestone) is None:
                setattr(self, milestone, act.at)
            event = event or _EVENT_OF[to]
        self.version += 1
        self.updated_at = act.at
        self.timeline.append(
            Change(
                id=act.new_id(),
                kind=kind,
                actor=act.actor,
                from_status=previous.value,
                to_status=(to or previous).value,
                note=note,
                data=data,
                created_at=act.at,
            )
        )
        if event is not None:
            self.pending_events.append(PendingEvent(event, previous.value))

    def _set(self, **values: Any) -> None:
        _set_fields(self, values)


def _set_fields(target: object, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(target, name, value)
