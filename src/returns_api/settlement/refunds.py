"""A refund of a return, carried out by its executor: recorded as done (`record`), left for
the platform to confirm (`platform`), spread over the order's Stripe payments for the refund
worker to send (`stripe`), or credited to the customer's store-credit ledger at once."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.orders.repository import OrderRepository
from returns_api.returns.domain import Return
from returns_api.returns.parts import Act
from returns_api.returns.refunding import allot
from returns_api.returns.schemas import RefundIn, ReturnOut
from returns_api.returns.transitions import change_return
from returns_api.settlement.allocation import allocate
from returns_api.settlement.executor import Payment
from returns_api.settlement.movements_repository import MovementRepository
from returns_api.settlement.repository import RefundRepository
from returns_api.store_credit.keys import customer_key
from returns_api.store_credit.service import credit


async def refund(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: RefundIn,
    if_match: str | None,
    *,
    executor: str,
) -> ReturnOut:
    """The return's row lock and the per-method remainder keep two racing refunds from
    exceeding what is refundable; the order's row lock (taken for a payment provider) keeps
    two returns of one order from refunding the same payment twice."""

    async def change(ret: Return, act: Act) -> None:
        ret.check_refundable()
        method, amount = allot(
            ret.refundable_by_method(), ret.refunded_by, amount=body.amount, method=body.method
        )
        if method == "store_credit":
            await _to_store_credit(session, ret, act, amount, body)
        elif executor == "stripe":
            await _to_payments(session, ret, act, method, amount, body)
        else:
            ret.refund(
                act,
                amount=amount,
                method=method,
                external_reference=body.external_reference,
                note=body.note,
                executor=executor,
                settled=executor == "record",
            )

    return await change_return(session, caller, return_id, if_match, change)


async def _to_store_credit(
    session: AsyncSession, ret: Return, act: Act, amount: int, body: RefundIn
) -> None:
    """The service's own ledger: credited in this transaction, so carried out at once."""
    refund = ret.refund(
        act,
        amount=amount,
        method="store_credit",
        external_reference=body.external_reference,
        note=body.note,
        executor="store_credit",
    )
    order = await OrderRepository(session).get(ret.order_id)
    assert order is not None  # returns reference their order
    await credit(
        session,
        customer_key=customer_key(order["customer_id"], order["customer_email"]),
        currency=refund.currency,
        amount=refund.amount,
        refund_id=refund.id,
        actor=act.actor,
        note=f"Refund of return {ret.rma_number}",
    )


async def _to_payments(
    session: AsyncSession, ret: Return, act: Act, method: str, amount: int, body: RefundIn
) -> None:
    """One pending refund per Stripe payment it is spread over; the refund worker sends
    them. `external_reference` is left for Stripe's own id. What an exchange pays back goes
    to what the customer paid for this return at Stripe first (the difference, a hold
    charged), then to the order's payments; the other methods only to the order's."""
    order = await OrderRepository(session).get(ret.order_id, lock=True)
    assert order is not None  # returns reference their order
    payments = [
        Payment(p["provider"], p["reference"], int(p["amount"]), order["currency"])
        for p in order["payments"] or ()
        if p["provider"] == "stripe"
    ]
    if method == "exchange":
        paid_in = await MovementRepository(session).paid_in(ret.id, "stripe")
        payments[:0] = [
            Payment("stripe", p["reference"], int(p["amount"]), ret.currency) for p in paid_in
        ]
    refunded = await RefundRepository(session).refunded_by_payment(ret.order_id)
    for payment, part in allocate(amount, payments, refunded):
        ret.refund(
            act,
            amount=part,
            method=method,
            external_reference=None,
            note=body.note,
            executor="stripe",
            settled=False,
            payment_reference=payment.reference,
        )
