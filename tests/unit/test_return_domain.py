"""The return aggregate's rules, one test per rule, with no database (returns.domain)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from returns_api.core.clock import rfc3339
from returns_api.policies.document import ExchangeTerms
from returns_api.returns.domain import Return
from returns_api.returns.exceptions import (
    ExchangeAmountTooLarge,
    ExchangeNotRequested,
    ExchangeOrderMismatch,
    ExchangePaymentMismatch,
    ExchangePaymentOutstanding,
    HoldNotPending,
    IllegalTransition,
    InvalidInspection,
    NothingOwed,
    NothingToRefund,
    RefundTooLarge,
)
from returns_api.returns.inspection import Inspection
from returns_api.returns.parts import Act, Item
from returns_api.returns.schemas import ReturnRequest
from returns_api.returns.status import TRANSITIONS, ReturnStatus

S = ReturnStatus
TERMS = ExchangeTerms()  # the policy's default deadlines
T0 = datetime.now(UTC).replace(microsecond=0)
_ids = (uuid.UUID(int=n) for n in itertools.count(1))


def act(minutes: int = 0, actor: str = "tester") -> Act:
    return Act(actor=actor, at=T0 + timedelta(minutes=minutes), new_id=lambda: next(_ids))


def item(line: str = "li_1", quantity: int = 2, unit_price: int = 1000) -> Item:
    return Item(
        id=next(_ids),
        order_id="ord_1",
        line_item_id=line,
        position=0,
        sku=None,
        title="T-shirt",
        line_quantity=3,
        unit_price=unit_price,
        line_discount=0,
        line_tax=0,
        quantity=quantity,
        reason="size_fit",
        merchant_fault=False,
        comment=None,
        resolution="refund",
        order_placed_at=T0 - timedelta(days=5),
        order_currency="EUR",
    )


def by_accepted_units(items: Any) -> dict[str, Any]:
    """A stand-in valuation: each requested (or, once inspected, accepted) unit is worth
    its unit price, all by original payment; a tax share of 1 per unit."""
    valued = [
        (i, i.accepted_quantity if i.reception_status != "awaiting" else i.quantity) for i in items
    ]
    total = sum(i.unit_price * units for i, units in valued)
    lines = [
        {"item_id": str(i.id), "quantity": units, "discount": 0, "tax": units}
        for i, units in valued
        if units
    ]
    return {
        "items": lines,
        "total": total,
        "by_method": {"original_payment": total} if total else {},
    }


def new_return(status: S = S.PENDING_REVIEW, *, keep_item: bool = False, **kw: Any) -> Return:
    return Return.create(
        act(),
        order={"id": "ord_1", "customer_id": "cus_1", "currency": "EUR", "locale": "de-DE"},
        request=ReturnRequest.model_validate(
            {
                "order_id": "ord_1",
                "items": [{"line_item_id": "li_1", "quantity": 1, "reason": "x"}],
                **kw.pop("request", {}),
            }
        ),
        rma_number="R-TEST",
        items=kw.pop("items", None) or [item("li_1"), item("li_2", quantity=1, unit_price=500)],
        decision={"policy_version": 1, "action": "review"},
        status=status,
        keep_item=keep_item,
        instructions={"method": "mail"},
        valuation=by_accepted_units,
        note="judged",
        terms=TERMS,
    )


def ship(ret: Return, minutes: int = 1, tracking_number: str | None = None) -> None:
    ret.record_tracking(
        act(minutes),
        event="in_transit",
        tracking_number=tracking_number,
        carrier=None,
        occurred_at=T0,
        note=None,
    )


def received(ret: Return | None = None) -> Return:
    ret = ret or new_return(S.APPROVED)
    ret.record_tracking(
        act(1), event="in_transit", tracking_number="1Z", carrier="UPS", occurred_at=T0, note=None
    )
    ret.receive(
        act(2),
        [Inspection(received_quantity=2, line_item_id="li_1")],
        valuation=by_accepted_units,
        note=None,
        terms=TERMS,
    )
    return ret


def test_a_new_return_is_born_with_one_timeline_entry_and_a_created_event() -> None:
    ret = new_return()
    assert ret.version == 1
    assert [(c.kind, c.from_status, c.to_status) for c in ret.timeline] == [
        ("created", None, "pending_review")
    ]
    assert [(e.type, e.previous_status) for e in ret.pending_events] == [("return.created", None)]
    assert ret.refundable_amount == 2500


def test_a_return_approved_at_birth_is_auto_approved_with_its_instructions() -> None:
    ret = new_return(S.APPROVED)
    assert ret.auto_approved
    assert ret.approved_at == T0
    assert ret.instructions == {"method": "mail"}
    assert not new_return().auto_approved
    assert new_return().instructions is None


def test_a_return_speaks_its_orders_language_unless_the_customer_chose_another() -> None:
    assert new_return().locale == "de-DE"
    assert new_return(request={"locale": "fr-fr"}).locale == "fr-FR"


def test_a_return_cannot_be_born_in_transit() -> None:
    with pytest.raises(ValueError, match="born"):
        new_return(S.IN_TRANSIT)


def test_every_status_pair_outside_the_table_is_refused() -> None:
    """Each method that moves a return, tried from every status."""
    moves = {
        S.APPROVED: lambda r: r.approve(
            act(5), keep_item=False, instructions={}, note=None, terms=TERMS
        ),
        S.REJECTED: lambda r: r.reject(act(5), note=None),
        S.CANCELLED: lambda r: r.cancel(act(5), note=None),
        S.EXPIRED: lambda r: r.expire(act(5), note="late", data={}),
        S.COMPLETED: lambda r: r.complete(act(5), note=None),
        S.RECEIVED: lambda r: r.receive(
            act(5), [], valuation=by_accepted_units, note=None, terms=TERMS
        ),
    }
    for current in S:
        for target, move in moves.items():
            ret = new_return()
            ret.status = current
            allowed = (current, target) in TRANSITIONS
            if target is S.COMPLETED and current is S.APPROVED:
                allowed = False  # only keep-the-item returns complete without a parcel
            if allowed:
                move(ret)
                assert ret.status is target
            else:
                with pytest.raises(IllegalTransition):
                    move(ret)
                assert ret.status is current
                assert ret.version == 1


def test_each_change_steps_the_version_and_records_who_and_when() -> None:
    ret = new_return()
    ret.approve(
        act(7, "alice"), keep_item=False, instructions={"method": "mail"}, note="ok", terms=TERMS
    )
    assert ret.version == 2
    assert ret.updated_at == T0 + timedelta(minutes=7)
    last = ret.timeline[-1]
    assert (last.kind, last.actor, last.from_status, last.to_status, last.note) == (
        "approved",
        "alice",
        "pending_review",
        "approved",
        "ok",
    )
    assert ret.pending_events[-1].type == "return.approved"
    assert ret.pending_events[-1].previous_status == "pending_review"


def test_the_first_approval_is_kept_as_a_milestone() -> None:
    ret = new_return()
    ret.approve(act(3), keep_item=False, instructions={}, note=None, terms=TERMS)
    assert ret.approved_at == T0 + timedelta(minutes=3)
    assert not ret.auto_approved


def test_the_first_tracking_event_moves_an_approved_return_in_transit_and_later_ones_do_not() -> (
    None
):
    ret = new_return(S.APPROVED)
    ret.record_tracking(
        act(1), event="in_transit", tracking_number="1Z", carrier="UPS", occurred_at=T0, note=None
    )
    assert ret.status is S.IN_TRANSIT
    assert ret.pending_events[-1].type == "return.in_transit"
    ret.record_tracking(
        act(2), event="delivered", tracking_number=None, carrier=None, occurred_at=T0, note=None
    )
    assert ret.status is S.IN_TRANSIT
    assert len(ret.pending_events) == 2  # a later scan raises no event
    assert ret.timeline[-1].data == {
        "event": "delivered",
        "tracking_number": "1Z",
        "carrier": "UPS",
        "occurred_at": rfc3339(T0),
    }
    assert (ret.tracking_number, ret.carrier) == ("1Z", "UPS")


def test_a_keep_the_item_return_has_no_parcel_to_track() -> None:
    ret = new_return(S.APPROVED, keep_item=True)
    with pytest.raises(IllegalTransition, match="no parcel"):
        ret.record_tracking(
            act(1),
            event="in_transit",
            tracking_number=None,
            carrier=None,
            occurred_at=T0,
            note=None,
        )


def test_items_left_out_of_the_parcel_are_missing_and_rejected() -> None:
    ret = received()
    shirt, mug = ret.items
    assert (shirt.reception_status, shirt.acceptance_status, shirt.accepted_quantity) == (
        "received",
        "accepted",
        2,
    )
    assert (mug.reception_status, mug.acceptance_status, mug.accepted_quantity) == (
        "missing",
        "rejected",
        0,
    )
    assert ret.received_at == T0 + timedelta(minutes=2)


def test_only_accepted_units_are_refundable_after_inspection() -> None:
    assert received().refundable_amount == 2000


def test_a_wrong_item_is_never_accepted() -> None:
    ret = new_return(S.APPROVED)
    ship(ret)
    ret.receive(
        act(2),
        [
            Inspection(
                received_quantity=1, accepted_quantity=1, line_item_id="li_2", wrong_item=True
            )
        ],
        valuation=by_accepted_units,
        note=None,
        terms=TERMS,
    )
    assert (ret.items[1].reception_status, ret.items[1].accepted_quantity) == ("wrong_item", 0)


@pytest.mark.parametrize(
    "inspections",
    [
        [Inspection(received_quantity=1, line_item_id="li_9")],
        [Inspection(received_quantity=3, line_item_id="li_1")],
        [
            Inspection(received_quantity=1, line_item_id="li_1"),
            Inspection(received_quantity=1, line_item_id="li_1"),
        ],
    ],
    ids=["unknown item", "more than returned", "item twice"],
)
def test_an_inspection_that_does_not_fit_changes_nothing(inspections: list[Inspection]) -> None:
    ret = new_return(S.APPROVED)
    ship(ret)
    with pytest.raises(InvalidInspection):
        ret.receive(act(2), inspections, valuation=by_accepted_units, note=None, terms=TERMS)
    assert ret.status is S.IN_TRANSIT
    assert all(i.reception_status == "awaiting" for i in ret.items)


def test_each_item_takes_of_its_line_what_its_valuation_gives_it() -> None:
    """Other returns of the line are valued against these; an item valued at no units
    (none accepted) takes nothing."""
    ret = new_return(S.APPROVED)
    assert [(i.units_taken, i.tax_taken) for i in ret.items] == [(2, 2), (1, 1)]
    ship(ret)
    ret.receive(
        act(2),
        [Inspection(received_quantity=2, accepted_quantity=1, line_item_id="li_1")],
        valuation=by_accepted_units,
        note=None,
        terms=TERMS,
    )
    assert [(i.units_taken, i.tax_taken) for i in ret.items] == [(1, 1), (0, 0)]


def test_refunds_follow_receipt() -> None:
    ret = new_return(S.APPROVED)
    with pytest.raises(IllegalTransition, match="follow receipt"):
        ret.refund(act(1), amount=None, method=None, external_reference=None, note=None)


def test_a_keep_the_item_return_is_refunded_once_approved() -> None:
    ret = new_return(S.APPROVED, keep_item=True)
    ret.refund(act(1), amount=None, method=None, external_reference="re_1", note=None)
    assert ret.refunded_amount == 2500


def test_partial_refunds_add_up_and_never_exceed_what_is_left() -> None:
    ret = received()
    first = ret.refund(act(3), amount=1200, method=None, external_reference="re_1", note=None)
    assert first.method == "original_payment"
    with pytest.raises(RefundTooLarge):
        ret.refund(act(4), amount=801, method=None, external_reference=None, note=None)
    ret.refund(act(5), amount=None, method=None, external_reference=None, note=None)
    assert [r.amount for r in ret.refunds] == [1200, 800]
    assert ret.refunded_amount == 2000
    assert ret.first_refunded_at == T0 + timedelta(minutes=3)
    with pytest.raises(NothingToRefund):
        ret.refund(act(6), amount=None, method=None, external_reference=None, note=None)


def test_a_refund_is_named_on_its_timeline_entry() -> None:
    ret = received()
    refund = ret.refund(act(3), amount=500, method=None, external_reference=None, note="part")
    assert ret.timeline[-1].data == {
        "refund_id": str(refund.id),
        "amount": 500,
        "method": "original_payment",
        "executor": "record",
    }
    assert ret.pending_events[-1].type == "return.refunded"
    assert ret.status is S.RECEIVED


def test_a_refunded_return_cannot_release_its_units() -> None:
    ret = new_return(S.APPROVED, keep_item=True)
    ret.refund(act(1), amount=100, method=None, external_reference=None, note=None)
    for release in (
        lambda: ret.cancel(act(2), note=None),
        lambda: ret.expire(act(2), note="late", data={}),
    ):
        with pytest.raises(IllegalTransition, match="refunds recorded"):
            release()
    assert ret.holds_units


def test_an_approved_return_completes_without_a_parcel_only_when_kept() -> None:
    with pytest.raises(IllegalTransition, match="keep-the-item"):
        new_return(S.APPROVED).complete(act(1), note=None)
    kept = new_return(S.APPROVED, keep_item=True)
    kept.complete(act(1), note=None)
    assert kept.status is S.COMPLETED
    assert kept.pending_events[-1].type == "return.completed"


def test_released_returns_no_longer_hold_units() -> None:
    ret = new_return()
    ret.cancel(act(1), note="changed my mind")
    assert not ret.holds_units
    assert ret.pending_events[-1].type == "return.cancelled"


# --- exchanges: the replacement order ----------------------------------------------------


def with_balance(amount_due: int) -> Any:
    """A valuation that adds an exchange balance owing `amount_due`."""

    def value(items: Any) -> dict[str, Any]:
        money = by_accepted_units(items)
        return {**money, "exchange": {"amount_due": amount_due, "refund_due": 0}}

    return value


def exchanging(amount_due: int = 0, accepted: int = 2) -> Return:
    swap = item("li_1")
    swap.resolution = "exchange"
    swap.exchange_variant_id = "var_l"
    swap.exchange_unit_price, swap.exchange_tax, swap.exchange_like_for_like = 1000, 0, True
    ret = new_return(S.APPROVED, items=[swap])
    ship(ret)
    ret.receive(
        act(2),
        [Inspection(received_quantity=2, line_item_id="li_1", accepted_quantity=accepted)],
        valuation=with_balance(amount_due),
        note=None,
        terms=TERMS,
        ship_to={"name": "Ada", "address": None},
    )
    return ret


def two_units_of_var_l(ret: Return) -> dict[str, Any]:
    """The replacement request's data for the one item these tests exchange."""
    replacement = {"variant_id": "var_l", "quantity": 2, "unit_price": 1000, "tax": 0}
    return {"variants": [{"item_id": str(ret.items[0].id), **replacement}]}


def test_accepted_exchanged_units_with_nothing_owed_request_the_replacement() -> None:
    ret = exchanging()
    assert ret.exchange_order_requested_at == T0 + timedelta(minutes=2)
    assert ret.exchange_ship_to == {"name": "Ada", "address": None}
    assert [e.type for e in ret.pending_events][-2:] == [
        "return.received",
        "return.exchange_order_requested",
    ]
    assert ret.timeline[-1].data == two_units_of_var_l(ret)


@pytest.mark.parametrize(("amount_due", "accepted"), [(1, 2), (0, 0)])
def test_no_replacement_while_owed_or_with_nothing_accepted(amount_due: int, accepted: int) -> None:
    ret = exchanging(amount_due, accepted)
    assert ret.exchange_order_requested_at is None
    assert "return.exchange_order_requested" not in [e.type for e in ret.pending_events]
    with pytest.raises(ExchangeNotRequested):
        ret.record_exchange_fulfillment(
            act(3), order_id="o1", tracking_number=None, carrier=None, note=None
        )


def test_the_replacement_is_created_then_shipped_once() -> None:
    ret = exchanging()
    ret.record_exchange_fulfillment(
        act(3), order_id="o1", tracking_number=None, carrier=None, note=None
    )
    assert (ret.exchange_order_id, ret.exchange_fulfilled_at) == ("o1", None)
    version = ret.version
    ret.record_exchange_fulfillment(
        act(4), order_id="o1", tracking_number=None, carrier=None, note=None
    )
    assert ret.version == version  # already recorded
    with pytest.raises(ExchangeOrderMismatch):
        ret.record_exchange_fulfillment(
            act(4), order_id="o2", tracking_number="1Z", carrier=None, note=None
        )
    for minutes in (5, 6):
        ret.record_exchange_fulfillment(
            act(minutes), order_id="o1", tracking_number="1Z", carrier="ups", note=None
        )
    assert ret.exchange_fulfilled_at == T0 + timedelta(minutes=5)
    assert [e.type for e in ret.pending_events].count("return.exchange_fulfilled") == 1


# --- exchanges: the difference ----------------------------------------------------------


def owing(amount_due: int, status: S = S.APPROVED) -> Return:
    """A return exchanging 2 units of li_1, born `status`, owing `amount_due` for them."""
    swap = item("li_1")
    swap.resolution = "exchange"
    swap.exchange_variant_id = "var_gold"
    swap.exchange_unit_price, swap.exchange_tax, swap.exchange_like_for_like = 3000, 0, False
    return Return.create(
        act(),
        order={"id": "ord_1", "customer_id": "cus_1", "currency": "EUR", "locale": "de-DE"},
        request=ReturnRequest.model_validate(
            {"order_id": "ord_1", "items": [{"line_item_id": "li_1", "quantity": 2, "reason": "x"}]}
        ),
        rma_number="R-OWE",
        items=[swap],
        decision={"policy_version": 1, "action": "approve"},
        status=status,
        keep_item=False,
        instructions={"method": "mail"},
        valuation=with_balance(amount_due),
        note="judged",
        terms=ExchangeTerms(payment_deadline_days=5),
    )


def pay(ret: Return, amount: int, reference: str, minutes: int = 3) -> None:
    ret.record_exchange_payment(
        act(minutes), amount=amount, external_reference=reference, note=None, ship_to=None
    )


def test_payment_is_asked_for_at_approval_with_its_deadline() -> None:
    born = owing(400)
    assert born.exchange_payment_due_at == T0 + timedelta(days=5)
    assert [e.type for e in born.pending_events] == [
        "return.created",
        "return.exchange_payment_requested",
    ]
    waiting = owing(400, S.PENDING_REVIEW)
    assert waiting.exchange_payment_due_at is None
    waiting.approve(
        act(1),
        keep_item=False,
        instructions={},
        note=None,
        terms=ExchangeTerms(payment_deadline_days=2),
    )
    assert waiting.exchange_payment_due_at == T0 + timedelta(minutes=1, days=2)
    assert waiting.pending_events[-1].type == "return.exchange_payment_requested"
    assert owing(0).exchange_payment_due_at is None


def test_a_payment_counts_once_by_its_reference() -> None:
    ret = owing(400)
    pay(ret, 150, "p1")
    pay(ret, 150, "p1")
    assert (ret.exchange_paid, ret.outstanding) == (150, 250)
    with pytest.raises(ExchangePaymentMismatch):
        pay(ret, 100, "p1")
    with pytest.raises(ExchangeAmountTooLarge):
        pay(ret, 251, "p2")
    pay(ret, 250, "p2")
    assert (ret.outstanding, ret.exchange_payment_due_at) == (0, None)
    with pytest.raises(NothingOwed):
        pay(ret, 1, "p3")


def test_an_exchange_falls_back_only_once_overdue() -> None:
    ret = owing(400)
    with pytest.raises(NothingOwed):
        ret.fall_back(act(60), resolution="store_credit", valuation=by_accepted_units, days=5)
    late = act(60 * 24 * 5)
    ret.fall_back(late, resolution="store_credit", valuation=by_accepted_units, days=5)
    assert [(i.resolution, i.exchange_variant_id) for i in ret.items] == [("store_credit", None)]
    assert (ret.amount_due, ret.exchange_payment_due_at) == (0, None)
    assert ret.pending_events[-1].type == "return.exchange_payment_expired"
    with pytest.raises(NothingOwed):
        ret.fall_back(late, resolution="store_credit", valuation=by_accepted_units, days=5)


def test_a_return_called_off_pays_back_only_what_was_paid_for_its_exchange() -> None:
    ret = owing(400)
    pay(ret, 120, "p1")
    ret.cancel(act(4), note=None)
    assert ret.refundable_by_method() == {"exchange": 120}
    refund = ret.refund(act(5), amount=None, method=None, external_reference=None, note=None)
    assert (refund.method, refund.amount) == ("exchange", 120)
    with pytest.raises(NothingToRefund):
        ret.refund(act(6), amount=None, method=None, external_reference=None, note=None)


def test_an_owed_exchange_cannot_close() -> None:
    ret = owing(400)
    ship(ret)
    ret.receive(
        act(2),
        [Inspection(received_quantity=2, line_item_id="li_1")],
        valuation=with_balance(400),
        note=None,
        terms=ExchangeTerms(payment_deadline_days=5),
    )
    with pytest.raises(ExchangePaymentOutstanding):
        ret.complete(act(3), note=None)
    pay(ret, 400, "p1", minutes=4)
    assert ret.exchange_order_requested_at == T0 + timedelta(minutes=4)
    ret.complete(act(5), note=None)


# --- exchanges: instant ------------------------------------------------------------------


def instant_return(amount_due: int = 0) -> Return:
    """An approved instant exchange of 2 units whose credit is 2000 (`with_balance`)."""
    swap = item("li_1")
    swap.resolution = "exchange"
    swap.exchange_variant_id = "var_l"
    swap.exchange_unit_price, swap.exchange_tax, swap.exchange_like_for_like = 1000, 0, True

    def value(items: Any) -> dict[str, Any]:
        money = by_accepted_units(items)
        credit = money["total"]
        balance = {"credit": credit, "new_value": 2000 + amount_due}
        return money | {"exchange": balance | {"amount_due": amount_due, "refund_due": 0}}

    return Return.create(
        act(),
        order={"id": "ord_1", "customer_id": "cus_1", "currency": "EUR", "locale": "de-DE"},
        request=ReturnRequest.model_validate(
            {
                "order_id": "ord_1",
                "items": [{"line_item_id": "li_1", "quantity": 2, "reason": "x"}],
                "instant_exchange": True,
            }
        ),
        rma_number="R-NOW",
        items=[swap],
        decision={"policy_version": 1, "action": "approve"},
        status=S.APPROVED,
        keep_item=False,
        instructions={"method": "mail"},
        valuation=value,
        note="judged",
        terms=ExchangeTerms(hold_deadline_days=3),
        ship_to={"name": "Ada", "address": None},
    )


def test_an_instant_exchange_orders_at_approval_and_holds_the_credit() -> None:
    ret = instant_return()
    assert ret.exchange_order_requested_at == T0
    assert ret.timeline[-2].data == two_units_of_var_l(ret)
    assert (ret.exchange_hold_amount, ret.exchange_hold_status) == (2000, "held")
    assert ret.exchange_hold_due_at == T0 + timedelta(days=3)
    with pytest.raises(IllegalTransition):
        ret.cancel(act(1), note=None)


def test_an_owed_instant_exchange_waits_for_its_payment() -> None:
    ret = instant_return(amount_due=300)
    assert (ret.exchange_order_requested_at, ret.exchange_hold_status) == (None, None)
    pay(ret, 300, "p1")
    assert ret.exchange_order_requested_at == T0 + timedelta(minutes=3)
    assert ret.exchange_hold_status == "held"


def test_the_hold_is_charged_once_after_its_deadline() -> None:
    ret = instant_return()
    with pytest.raises(HoldNotPending):
        ret.request_hold_capture(act(60))
    late = act(60 * 24 * 3)
    ret.request_hold_capture(late)
    assert (ret.exchange_hold_status, ret.exchange_hold_capture_amount) == (
        "capture_requested",
        2000,
    )
    assert ret.pending_events[-1].type == "return.exchange_hold_capture_requested"
    with pytest.raises(HoldNotPending):
        ret.request_hold_capture(late)
    ret.report_hold(act(5), outcome="captured", amount=None, external_reference="pi", note=None)
    assert ret.exchange_hold_captured == 2000
    with pytest.raises(HoldNotPending):
        ret.report_hold(act(6), outcome="released", amount=None, external_reference=None, note=None)
