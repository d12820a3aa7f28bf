"""Every change to a return after its birth, each one a row of the status table (or a
bookkeeping change within a status), appended to the timeline.

Changes take a row lock on the return (PostgreSQL) and compare-and-set its `version`, so
two racing changes cannot both apply to the same state: the loser gets 409 (or 412 when
it sent `If-Match`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import rfc3339, utcnow
from returns_api.core.driver import Row
from returns_api.core.errors import FieldError
from returns_api.core.http import etag, refused_if_match
from returns_api.core.ids import new_id
from returns_api.orders.repository import OrderRepository
from returns_api.policies.service import policy_version
from returns_api.returns import breakdown
from returns_api.returns.exceptions import (
    ConcurrentChange,
    IllegalTransition,
    InvalidInspection,
    NothingToRefund,
    RefundTooLarge,
    StaleVersion,
)
from returns_api.returns.repository import ReturnRepository
from returns_api.returns.schemas import (
    ApproveBody,
    NoteBody,
    ReceiveBody,
    ReceivedItemIn,
    RefundIn,
    ReturnOut,
    TrackingEventIn,
)
from returns_api.returns.service import (
    instructions_for,
    load_visible,
    record_return_event,
    render,
    shown_to,
)
from returns_api.returns.status import RELEASED, ReturnStatus, can_transition
from returns_api.webhooks.definitions import EventType

S = ReturnStatus
# The statuses whose first reaching is kept on the return row as a milestone (its column),
# at the moment of the timeline entry that records it: analytics read them from the row.
_MILESTONE_OF: dict[ReturnStatus, str] = {S.APPROVED: "approved_at", S.RECEIVED: "received_at"}


def check_if_match(if_match: str | None, version: int) -> None:
    changed = f"The return has changed since you read it (its ETag is now {etag(version)})."
    refused = refused_if_match(if_match, version, changed)
    if refused is not None:
        raise StaleVersion(refused, current_etag=etag(version))


async def _load_for_change(
    session: AsyncSession, caller: Caller, return_id: uuid.UUID, if_match: str | None
) -> Row:
    row = await load_visible(session, caller, return_id, lock=True)  # 404 before 412
    check_if_match(if_match, row["version"])
    return row


async def _apply(
    session: AsyncSession,
    row: Row,
    caller: Caller,
    *,
    kind: str,
    to_status: ReturnStatus | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    event: EventType | None = None,
) -> ReturnOut:
    """Write one change (a transition when `to_status` is given), render the result and
    put the event describing it in the outbox, all in the caller's transaction."""
    current = S(row["status"])
    if to_status is not None and not can_transition(current, to_status):
        raise IllegalTransition(
            f"A return that is {current.value} cannot become {to_status.value}.",
            current_status=current.value,
        )
    if to_status in RELEASED and int(row["refunded_amount"]) > 0:
        # Releasing would make refunded units returnable (and refundable) a second time.
        raise IllegalTransition(
            f"A return with refunds recorded cannot become {to_status.value}.",
            current_status=current.value,
        )
    now = utcnow()
    changes = {**(values or {}), "updated_at": now}
    if to_status is not None:
        changes["status"] = to_status.value
        milestone = _MILESTONE_OF.get(to_status)
        if milestone is not None and row[milestone] is None:
            changes[milestone] = now
    repo = ReturnRepository(session)
    if not await repo.update(row["id"], row["version"], changes):
        raise ConcurrentChange("The return was changed by another request; read it and retry.")
    await repo.add_change(
        {
            "id": new_id(),
            "return_id": row["id"],
            "kind": kind,
            "actor": caller.actor,
            "from_status": current.value,
            "to_status": (to_status or current).value,
            "note": note,
            "data": data,
            "created_at": now,
        }
    )
    result = await render(session, row["id"])
    if event is not None:
        await record_return_event(session, event, result, previous_status=current.value)
    return shown_to(caller, result)


async def approve(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: ApproveBody,
    if_match: str | None,
) -> ReturnOut:
    row = await _load_for_change(session, caller, return_id, if_match)
    policy = await policy_version(session, row["policy_version"])
    instructions = instructions_for(
        policy,
        row["return_method"],
        row["rma_number"],
        keep_item=body.keep_item,
        label_url=body.label_url,
    )
    return await _apply(
        session,
        row,
        caller,
        kind="approved",
        to_status=S.APPROVED,
        event="return.approved",
        note=body.note,
        data={"keep_item": body.keep_item},
        values={"keep_item": body.keep_item, "instructions": instructions},
    )


# The event each plain status change is announced with.
_EVENT_OF: dict[ReturnStatus, EventType] = {
    S.REJECTED: "return.rejected",
    S.CANCELLED: "return.cancelled",
    S.COMPLETED: "return.completed",
}


async def _move(
    session: AsyncSession, row: Row, caller: Caller, target: ReturnStatus, note: str | None
) -> ReturnOut:
    """A status change that carries nothing but a note."""
    return await _apply(
        session,
        row,
        caller,
        kind=target.value,
        to_status=target,
        note=note,
        event=_EVENT_OF[target],
    )


async def reject(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: NoteBody,
    if_match: str | None,
) -> ReturnOut:
    row = await _load_for_change(session, caller, return_id, if_match)
    return await _move(session, row, caller, S.REJECTED, body.note)


async def cancel(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: NoteBody,
    if_match: str | None,
) -> ReturnOut:
    row = await _load_for_change(session, caller, return_id, if_match)
    return await _move(session, row, caller, S.CANCELLED, body.note)


async def record_tracking(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    event: TrackingEventIn,
    if_match: str | None,
) -> ReturnOut:
    """A carrier event. The first one moves an approved return to in_transit; later ones
    (more scans, delivered to the warehouse) are kept on the timeline."""
    row = await _load_for_change(session, caller, return_id, if_match)
    current = S(row["status"])
    occurred_at = event.occurred_at or utcnow()
    values = {
        "tracking_number": event.tracking_number or row["tracking_number"],
        "carrier": event.carrier or row["carrier"],
    }
    data = {
        "event": event.status,
        "tracking_number": values["tracking_number"],
        "carrier": values["carrier"],
        "occurred_at": rfc3339(occurred_at),
    }
    if current is S.IN_TRANSIT:
        return await _apply(
            session, row, caller, kind="tracking", note=event.note, data=data, values=values
        )
    if row["keep_item"]:
        raise IllegalTransition(
            "A keep-the-item return has no parcel to track.", current_status=current.value
        )
    return await _apply(
        session,
        row,
        caller,
        kind="tracking",
        to_status=S.IN_TRANSIT,
        event="return.in_transit",
        note=event.note,
        data=data,
        values=values,
    )


def _inspect(
    items: Sequence[Row], received: Sequence[ReceivedItemIn]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The two tracks of each item after inspection; items not in the parcel are missing."""
    by_id = {item["id"]: item for item in items}
    by_line = {item["line_item_id"]: item for item in items}
    errors: list[FieldError] = []
    updates: dict[uuid.UUID, dict[str, Any]] = {}
    for index, entry in enumerate(received):
        where = f"body.items.{index}"
        item = by_id.get(entry.item_id) if entry.item_id else by_line.get(entry.line_item_id)
        if item is None:
            errors.append(FieldError(location=where, message="no such item in this return"))
            continue
        if item["id"] in updates:
            errors.append(FieldError(location=where, message="item listed twice"))
            continue
        if entry.received_quantity > item["quantity"]:
            errors.append(
                FieldError(
                    location=f"{where}.received_quantity",
                    message=f"only {item['quantity']} unit(s) were in this return",
                )
            )
            continue
        accepted = 0 if entry.wrong_item else entry.accepted_quantity
        accepted = entry.received_quantity if accepted is None else accepted
        if entry.wrong_item:
            reception = "wrong_item"
        elif entry.received_quantity == item["quantity"]:
            reception = "received"
        elif entry.received_quantity > 0:
            reception = "partially_received"
        else:
            reception = "missing"
        updates[item["id"]] = {
            "reception_status": reception,
            "received_quantity": entry.received_quantity,
            "acceptance_status": "accepted" if accepted > 0 else "rejected",
            "accepted_quantity": accepted,
            "condition": entry.condition,
            "disposition": entry.disposition,
        }
    if errors:
        raise InvalidInspection("The inspection does not match the return.", errors=errors)
    missing = {
        "reception_status": "missing",
        "received_quantity": 0,
        "acceptance_status": "rejected",
        "accepted_quantity": 0,
        "condition": None,
        "disposition": None,
    }
    return {item["id"]: updates.get(item["id"], missing) for item in items}


async def receive(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: ReceiveBody,
    if_match: str | None,
) -> ReturnOut:
    """The warehouse opened the parcel: per item what came, its condition, what to do with
    it, and how many units are accepted. Only accepted units are refunded."""
    row = await _load_for_change(session, caller, return_id, if_match)
    current = S(row["status"])
    if not can_transition(current, S.RECEIVED):
        raise IllegalTransition(
            f"A return that is {current.value} cannot become received.",
            current_status=current.value,
        )
    repo = ReturnRepository(session)
    items = await repo.items([row["id"]])
    inspected = _inspect(items, body.items)
    for item_id, values in inspected.items():
        await repo.update_item(item_id, values)
    updated_items = [{**item, **inspected[item["id"]]} for item in items]

    policy = await policy_version(session, row["policy_version"])
    orders = OrderRepository(session)
    order = await orders.get(row["order_id"])
    assert order is not None  # returns reference their order
    order_units = {line["id"]: int(line["quantity"]) for line in await orders.lines(order["id"])}
    others = await repo.units_held_by_others(order["id"], row["id"])
    mine = {item["line_item_id"]: int(item["accepted_quantity"]) for item in updated_items}
    money = breakdown.compute_breakdown(
        updated_items,
        basis="accepted",
        currency=row["currency"],
        policy=policy,
        shipping_paid=int(order["shipping_paid"]),
        units_before=breakdown.units_before_by_line(others, row["id"]),
        whole_order_returned=breakdown.whole_order_comes_back(
            order_units, breakdown.units_by_line(others), mine
        ),
    )
    return await _apply(
        session,
        row,
        caller,
        kind="received",
        to_status=S.RECEIVED,
        event="return.received",
        note=body.note,
        data={
            "items": [{"item_id": str(item_id), **values} for item_id, values in inspected.items()]
        },
        values={"refund_breakdown": money, "refundable_amount": money["total"]},
    )


async def refund(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: RefundIn,
    if_match: str | None,
) -> ReturnOut:
    """Record a refund. The row lock and the per-method remainder make two racing refunds
    unable to exceed what is refundable."""
    row = await _load_for_change(session, caller, return_id, if_match)
    current = S(row["status"])
    if not (current is S.RECEIVED or (current is S.APPROVED and row["keep_item"])):
        raise IllegalTransition(
            f"A return that is {current.value} cannot be refunded: refunds follow receipt "
            "(or approval, for keep-the-item returns).",
            current_status=current.value,
        )
    repo = ReturnRepository(session)
    by_method: dict[str, int] = dict(row["refund_breakdown"]["by_method"])
    refunded = await repo.refunded_by_method(row["id"])
    method = body.method or _default_method(by_method)
    remaining = by_method.get(method, 0) - refunded.get(method, 0)
    if remaining <= 0:
        raise NothingToRefund(f"Nothing is left to refund by {method}.")
    amount = body.amount if body.amount is not None else remaining
    if amount > remaining:
        raise RefundTooLarge(
            f"At most {remaining} can still be refunded by {method}; {amount} was asked.",
            errors=[FieldError(location="body.amount", message=f"must be at most {remaining}")],
        )
    refund_id = new_id()
    now = utcnow()
    await repo.add_refund(
        {
            "id": refund_id,
            "return_id": row["id"],
            "amount": amount,
            "currency": row["currency"],
            "method": method,
            "external_reference": body.external_reference,
            "note": body.note,
            "actor": caller.actor,
            "created_at": now,
        }
    )
    return await _apply(
        session,
        row,
        caller,
        kind="refunded",
        note=body.note,
        event="return.refunded",
        data={"refund_id": str(refund_id), "amount": amount, "method": method},
        values={
            "refunded_amount": int(row["refunded_amount"]) + amount,
            # The row is locked (and its version compared): no refund can slip in between.
            "first_refunded_at": row["first_refunded_at"] or now,
        },
    )


def _default_method(by_method: Mapping[str, int]) -> str:
    if len(by_method) == 1:
        return next(iter(by_method))
    return "original_payment" if "original_payment" in by_method else next(iter(by_method), "")


async def complete(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: NoteBody,
    if_match: str | None,
) -> ReturnOut:
    row = await _load_for_change(session, caller, return_id, if_match)
    if S(row["status"]) is S.APPROVED and not row["keep_item"]:
        raise IllegalTransition(
            "An approved return completes without a parcel only when it is keep-the-item.",
            current_status=row["status"],
        )
    return await _move(session, row, caller, S.COMPLETED, body.note)


async def expire(
    session: AsyncSession, caller: Caller, row: Row, *, note: str, data: dict[str, Any]
) -> ReturnOut:
    """An approved return that was not shipped in time (the expiry sweep; row locked by it)."""
    return await _apply(
        session,
        row,
        caller,
        kind="expired",
        to_status=S.EXPIRED,
        event="return.expired",
        note=note,
        data=data,
    )
