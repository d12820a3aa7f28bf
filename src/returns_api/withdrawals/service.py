"""The withdrawal function (Directive 2011/83/EU, Article 11a): a statement answered with a
summary to confirm, then the confirmation, which records the moment of receipt by the
server's clock and creates the return (legal basis `statutory_withdrawal`).

No account and no API key, as a portal session: the order number and e-mail find the order,
and an unknown order and a wrong e-mail get the same answer after the same work. The
confirmation is authorised by a token returned only to whoever made the statement (kept as
its SHA-256), beside a random id: an id seen in a log, an event or the console confirms
nothing. Confirming again returns the same withdrawal; the row lock on the statement makes
concurrent confirmations one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import utcnow
from returns_api.core.driver import Row
from returns_api.orders.repository import OrderRepository
from returns_api.policies.service import current_policy
from returns_api.portal.ratelimit import SlidingWindowLimiter
from returns_api.portal.tokens import PORTAL_SCOPES
from returns_api.returns import judging
from returns_api.returns import service as returns_service
from returns_api.returns.schemas import ReturnItemIn, ReturnRequest
from returns_api.statutory import eu
from returns_api.webhooks.events import record_event
from returns_api.withdrawals.exceptions import (
    WithdrawalLookupFailed,
    WithdrawalNotFound,
    WithdrawalNotPossible,
    WithdrawalThrottled,
)
from returns_api.withdrawals.repository import WithdrawalRepository
from returns_api.withdrawals.schemas import (
    ConfirmIn,
    PendingWithdrawalOut,
    WithdrawalOut,
    WithdrawalStatementIn,
)
from returns_api.withdrawals.statement import withdrawal_out

TOKEN_PREFIX = "wc_"
_NO_SUCH_EMAIL = "\x00no-order\x00"
_NO_SUCH_TOKEN = hashlib.sha256(b"\x00no-withdrawal\x00").hexdigest()


def throttle(limiter: SlidingWindowLimiter, client_ip: str, order_number: str | None) -> None:
    keys = [f"ip:{client_ip}"]
    if order_number is not None:
        keys.append(f"order:{order_number.strip().lower()}")
    waits = [wait for key in keys if (wait := limiter.retry_after(key)) is not None]
    if waits:
        raise WithdrawalThrottled(
            "Too many attempts; wait before trying again.", retry_after=max(waits)
        )


async def make_statement(
    session: AsyncSession,
    body: WithdrawalStatementIn,
    *,
    transit_buffer_days: int,
    pending_seconds: int,
) -> PendingWithdrawalOut:
    """Step one: check the statement against the order and the right; nothing is withdrawn
    until it is confirmed."""
    order = await _order_of(session, body.order_number, body.email)
    request = await _request_for(session, order, body)
    ctx = await judging.load_context(
        session, _consumer(order), request, transit_buffer_days, lock=False
    )
    if not eu.applies(ctx.policy.statutory, order["country"], bool(order["buyer_is_consumer"])):
        raise WithdrawalNotPossible(
            "The statutory right of withdrawal does not cover this order (it covers consumers "
            "whose goods went to an EU/EEA country); the return policy may still take it back."
        )
    problems = ctx.assessment.all_problems
    if problems or ctx.assessment.legal_basis != "statutory_withdrawal":
        raise WithdrawalNotPossible(
            "These items cannot be withdrawn from: "
            + (problems[0].message if problems else "the right does not cover them"),
            errors=problems,
        )
    deadlines = [la.withdrawal_deadline for la in ctx.assessment.lines if la.withdrawal_deadline]
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    lines = {line["id"]: line for line in ctx.lines}
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "order_id": order["id"],
        "order_number": order["order_number"],
        "status": "pending",
        "confirm_token_hash": _digest(token),
        "consumer_name": body.name.strip(),
        "email": body.email.strip(),
        "locale": order["locale"],
        "whole_order": body.items is None,
        "items": [
            {
                "line_item_id": item.line_item_id,
                "sku": lines[item.line_item_id]["sku"],
                "title": lines[item.line_item_id]["title"],
                "quantity": item.quantity,
                "unsealed": item.unsealed,
            }
            for item in request.items
        ],
        "withdrawal_deadline": min(deadlines) if deadlines else None,
        "created_at": ctx.now,
        "expires_at": ctx.now + timedelta(seconds=pending_seconds),
        "received_at": None,
        "return_id": None,
    }
    await WithdrawalRepository(session).add(row)
    shown = withdrawal_out(row)
    return PendingWithdrawalOut(**shown.model_dump(), confirm_token=token)


async def confirm(
    session: AsyncSession,
    withdrawal_id: uuid.UUID,
    body: ConfirmIn,
    *,
    transit_buffer_days: int,
) -> WithdrawalOut:
    """Step two: record the withdrawal as received now and create its return; once only."""
    repo = WithdrawalRepository(session)
    row = await repo.get(withdrawal_id, lock=True)
    expected = row["confirm_token_hash"] if row is not None else _NO_SUCH_TOKEN
    if row is None or not hmac.compare_digest(expected, _digest(body.confirm_token)):
        raise WithdrawalNotFound(f"Withdrawal {withdrawal_id} does not exist.")
    if row["status"] == "confirmed":
        return withdrawal_out(row)
    now = utcnow()
    if now > row["expires_at"]:
        raise WithdrawalNotFound(
            f"Withdrawal {withdrawal_id} was not confirmed in time; make the statement again."
        )
    order = await OrderRepository(session).get(row["order_id"])
    assert order is not None  # statements reference their order
    created = await returns_service.create_return(
        session,
        _consumer(order),
        await _request_of(session, order, row["items"], row["locale"]),
        transit_buffer_days=transit_buffer_days,
    )
    if created.legal_basis != "statutory_withdrawal":  # the period ended in between
        raise WithdrawalNotPossible("The withdrawal period for these items has ended.")
    await repo.confirm(withdrawal_id, received_at=now, return_id=created.id)
    shown = withdrawal_out(
        {**row, "status": "confirmed", "received_at": now, "return_id": created.id}
    )
    await record_event(
        session,
        "withdrawal.received",
        {"object": shown.model_dump(mode="json")},
        return_id=created.id,
    )
    return shown


async def get_withdrawal(session: AsyncSession, withdrawal_id: uuid.UUID) -> WithdrawalOut:
    row = await WithdrawalRepository(session).get(withdrawal_id)
    if row is None:
        raise WithdrawalNotFound(f"Withdrawal {withdrawal_id} does not exist.")
    return withdrawal_out(row)


async def _order_of(session: AsyncSession, order_number: str, email: str) -> Row:
    order = await OrderRepository(session).find_by_number(order_number.strip())
    expected = order["customer_email"] if order is not None else _NO_SUCH_EMAIL
    matches = hmac.compare_digest(expected.strip().lower().encode(), email.strip().lower().encode())
    if order is None or not matches:
        raise WithdrawalLookupFailed("No order matches this order number and e-mail address.")
    return order


async def _request_for(
    session: AsyncSession, order: Row, body: WithdrawalStatementIn
) -> ReturnRequest:
    """The return the statement asks for: every unit left of the named lines (or of the whole
    order), each withdrawn from without a reason, for a refund (Article 13)."""
    context = await OrderRepository(session).return_context(order["id"], lock=False)
    assert context is not None  # the order was just found
    left = {
        line["id"]: int(line["quantity"])
        - (context.held[line["id"]].units if line["id"] in context.held else 0)
        for line in context.lines
    }
    if body.items is None:
        wanted = [
            {"line_item_id": line_id, "quantity": units, "unsealed": None}
            for line_id, units in left.items()
            if units > 0
        ]
        if not wanted:
            raise WithdrawalNotPossible("Every item of this order is already being returned.")
    else:
        wanted = [
            {
                "line_item_id": item.line_item_id,
                "quantity": item.quantity or max(1, left.get(item.line_item_id, 1)),
                "unsealed": item.unsealed,
            }
            for item in body.items
        ]
    return await _request_of(session, order, wanted, order["locale"])


async def _request_of(
    session: AsyncSession, order: Row, items: Sequence[Mapping[str, Any]], locale: str
) -> ReturnRequest:
    """By the policy's first return method: the withdrawal function asks for nothing more
    than name, contract and contact (Article 11a(2)); the merchant may offer others."""
    _, policy = await current_policy(session)
    return ReturnRequest(
        order_id=order["id"],
        items=[
            ReturnItemIn(
                line_item_id=item["line_item_id"],
                quantity=item["quantity"],
                reason="withdrawal",
                resolution="refund",
                unsealed=item["unsealed"],
            )
            for item in items
        ],
        return_method=next(iter(policy.methods_by_code)),
        locale=locale,
    )


def _consumer(order: Row) -> Caller:
    """The consumer, as a portal session would act for them: this one order only."""
    return Caller(
        kind="portal",
        actor=str(order["customer_email"]),
        scopes=PORTAL_SCOPES,
        order_id=order["id"],
        customer_id=order["customer_id"],
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
