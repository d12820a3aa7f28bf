"""Every change to a return after its birth: load it whole and locked, let the aggregate
make the change (`returns.domain`), save it with its events, and show the result.

The row lock (PostgreSQL) queues racing changes; the version compared and set by the save
makes sure two of them can never both apply to the same state: the loser gets 409 (or 412
when it sent `If-Match`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import utcnow
from returns_api.core.http import etag, refused_if_match
from returns_api.core.ids import new_id
from returns_api.core.messages import Message
from returns_api.orders.repository import OrderRepository
from returns_api.policies.service import policy_version
from returns_api.returns import valuation
from returns_api.returns.domain import Return
from returns_api.returns.exceptions import ReturnNotFound, StaleVersion
from returns_api.returns.exchange_schemas import (
    ExchangeFulfillmentIn,
    ExchangeHoldIn,
    ExchangePaymentIn,
)
from returns_api.returns.inspection import Inspection
from returns_api.returns.parcel_schemas import TrackingEventIn
from returns_api.returns.parts import Act
from returns_api.returns.return_options import shipment_plan
from returns_api.returns.schemas import (
    ApproveBody,
    NoteBody,
    ReceiveBody,
    ReturnOut,
)
from returns_api.returns.service import instructions_for, save_and_show, shown_to, visible
from returns_api.returns.store import ReturnStore

Change = Callable[[Return, Act], Awaitable[None]]


def check_if_match(if_match: str | None, version: int) -> None:
    changed = f"The return has changed since you read it (its ETag is now {etag(version)})."
    refused = refused_if_match(if_match, version, changed)
    if refused is not None:
        raise StaleVersion(refused, current_etag=etag(version))


def act_of(caller: Caller) -> Act:
    return Act(actor=caller.actor, at=utcnow(), new_id=new_id)


async def change_return(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    if_match: str | None,
    change: Change,
) -> ReturnOut:
    """Load (404 before 412), check `If-Match`, change, save, show."""
    store = ReturnStore(session)
    ret = await store.load(return_id, lock=True)
    if ret is None or not visible(caller, ret.order_id, ret.id):
        raise ReturnNotFound(Message("return.not_found", return_id=return_id))
    check_if_match(if_match, ret.version)
    await change(ret, act_of(caller))
    return shown_to(caller, await save_and_show(store, ret))


async def approve(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: ApproveBody,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        policy = (await policy_version(session, ret.policy_version)).for_decision(ret.decision)
        orders = OrderRepository(session)
        ship_to = await orders.ship_to(ret.order_id)
        order = await orders.get(ret.order_id)
        assert order is not None  # returns reference their order
        instructions = instructions_for(
            policy,
            ret.return_method,
            ret.rma_number,
            keep_item=body.keep_item,
            label_url=body.label_url,
            country=order["country"],
        )
        ret.approve(
            act,
            keep_item=body.keep_item,
            instructions=instructions,
            note=body.note,
            terms=policy.exchanges,
            ship_to=ship_to,
            shipment=shipment_plan(policy, ret.return_method, order["country"]),
        )

    return await change_return(session, caller, return_id, if_match, change)


async def reject(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: NoteBody,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        ret.reject(act, note=body.note)

    return await change_return(session, caller, return_id, if_match, change)


async def cancel(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: NoteBody,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        ret.cancel(act, note=body.note)

    return await change_return(session, caller, return_id, if_match, change)


async def complete(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: NoteBody,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        ret.complete(act, note=body.note)

    return await change_return(session, caller, return_id, if_match, change)


async def record_tracking(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    event: TrackingEventIn,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        ret.record_tracking(
            act,
            event=event.status,
            tracking_number=event.tracking_number,
            carrier=event.carrier,
            occurred_at=event.occurred_at or act.at,
            note=event.note,
        )

    return await change_return(session, caller, return_id, if_match, change)


async def receive(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: ReceiveBody,
    if_match: str | None,
) -> ReturnOut:
    """The warehouse opened the parcel: per item what came, its condition, what to do with
    it, and how many units are accepted. Only accepted units are refunded."""
    inspections = [
        Inspection(
            received_quantity=entry.received_quantity,
            item_id=entry.item_id,
            line_item_id=entry.line_item_id,
            accepted_quantity=entry.accepted_quantity,
            condition=entry.condition,
            disposition=entry.disposition,
            wrong_item=entry.wrong_item,
            deduction=entry.deduction,
            deduction_reason=entry.deduction_reason,
        )
        for entry in body.items
    ]

    async def change(ret: Return, act: Act) -> None:
        value = await valuation.after_inspection(session, ret)
        policy = await policy_version(session, ret.policy_version)
        terms = policy.for_decision(ret.decision).exchanges
        ret.receive(
            act,
            inspections,
            valuation=value,
            note=body.note,
            terms=terms,
            ship_to=await OrderRepository(session).ship_to(ret.order_id),
            warehouse=body.warehouse,
        )

    return await change_return(session, caller, return_id, if_match, change)


async def record_exchange_fulfillment(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: ExchangeFulfillmentIn,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        ret.record_exchange_fulfillment(
            act,
            order_id=body.order_id,
            tracking_number=body.tracking_number,
            carrier=body.carrier,
            note=body.note,
        )

    return await change_return(session, caller, return_id, if_match, change)


async def record_exchange_payment(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: ExchangePaymentIn,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        ret.record_exchange_payment(
            act,
            amount=body.amount,
            external_reference=body.external_reference,
            provider=body.provider,
            note=body.note,
            ship_to=await OrderRepository(session).ship_to(ret.order_id),
        )

    return await change_return(session, caller, return_id, if_match, change)


async def report_exchange_hold(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: ExchangeHoldIn,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        ret.report_hold(
            act,
            outcome=body.outcome,
            amount=body.amount,
            external_reference=body.external_reference,
            provider=body.provider,
            note=body.note,
        )

    return await change_return(session, caller, return_id, if_match, change)
