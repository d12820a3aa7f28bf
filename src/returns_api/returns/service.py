"""Returns: quote, create (judged in the same transaction), read and list.

A candidate return is judged by ``judging``; status changes after birth live in
``transitions``. Services never commit: the request's unit of work does (core.routing).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.cursors import decode_id_cursor, encode_id_cursor
from returns_api.core.driver import Row
from returns_api.core.errors import FieldError
from returns_api.core.ids import new_id, new_rma_number
from returns_api.core.locale import preferred_locale
from returns_api.core.messages import SOURCE_LOCALE, Message, catalogue_locale, speaking
from returns_api.orders.repository import OrderRepository
from returns_api.policies.document import PolicyDocument
from returns_api.policies.reason_names import reason_name
from returns_api.returns import judging, views
from returns_api.returns.assessment import Assessment
from returns_api.returns.domain import Return
from returns_api.returns.exceptions import NotReturnable, ReturnNotFound
from returns_api.returns.filters import ReturnFilters
from returns_api.returns.parts import Act
from returns_api.returns.quote_schemas import FeesOut, QuoteLine, QuoteOut
from returns_api.returns.repository import ReturnRepository
from returns_api.returns.return_options import return_address, return_options, shipment_plan
from returns_api.returns.schemas import (
    CustomerDecision,
    DecisionOut,
    RefundBreakdownOut,
    ReturnOut,
    ReturnPage,
    ReturnRequest,
)
from returns_api.returns.status import ReturnStatus
from returns_api.returns.store import ReturnStore
from returns_api.webhooks.events import event_row

# The policy's action decides the status a return is born with (DESIGN §3).
STATUS_OF_ACTION = {
    "approve": ReturnStatus.APPROVED,
    "approve_keep_item": ReturnStatus.APPROVED,
    "review": ReturnStatus.PENDING_REVIEW,
    "reject": ReturnStatus.REJECTED,
}


def instructions_for(
    policy: PolicyDocument,
    method_code: str,
    rma_number: str,
    *,
    keep_item: bool,
    label_url: str | None = None,
    country: str | None = None,
) -> dict[str, Any]:
    """How the customer sends the return back (or that they keep it), and where: the
    warehouse the policy picks for the order's `country`."""
    if keep_item:
        return {
            "method": "keep_item",
            "label": "Keep the item",
            "text": "No need to send anything back: keep the item. Your refund is on its way.",
            "rma_number": rma_number,
            "label_url": None,
            "keep_item": True,
        }
    method = policy.methods_by_code[method_code]
    address = return_address(policy, country)
    return {
        "method": method.code,
        "label": method.label,
        "text": method.instructions,
        "rma_number": rma_number,
        "label_url": label_url,
        "keep_item": False,
        "return_address": address.model_dump(mode="json") if address is not None else None,
    }


_RMA_ATTEMPTS = 5


async def create_return(
    session: AsyncSession,
    caller: Caller,
    request: ReturnRequest,
    *,
    transit_buffer_days: int,
    accept_language: str | None = None,
) -> ReturnOut:
    request = _with_browser_locale(caller, request, accept_language)
    ctx = await judging.load_context(session, caller, request, transit_buffer_days, lock=True)
    problems = ctx.assessment.all_problems
    if problems:
        raise NotReturnable(_summary(problems), errors=problems, locale=request.locale)

    decision = await judging.decide(session, ctx, transit_buffer_days)
    ctx = judging.granted(ctx, decision)
    problems = ctx.assessment.all_problems
    if problems:  # the rules did not grant what the request asks of its exchange
        raise NotReturnable(_summary(problems), errors=problems, locale=request.locale)
    status = STATUS_OF_ACTION[str(decision["action"])]
    keep_item = decision["action"] == "approve_keep_item"
    act = Act(actor=caller.actor, at=ctx.now, new_id=new_id)
    items = judging.new_items(ctx)
    value = judging.requested(ctx)
    store = ReturnStore(session)
    # Only an instant exchange may order its replacement at birth.
    orders = OrderRepository(session)
    ship_to = await orders.ship_to(ctx.order["id"]) if request.instant_exchange else None
    for _ in range(_RMA_ATTEMPTS):
        rma_number = new_rma_number()
        ret = Return.create(
            act,
            order=ctx.order,
            request=request,
            rma_number=rma_number,
            items=items,
            decision=decision,
            status=status,
            keep_item=keep_item,
            instructions=instructions_for(
                ctx.policy,
                request.return_method,
                rma_number,
                keep_item=keep_item,
                country=ctx.order["country"],
            ),
            valuation=value,
            note=decision_note(decision),
            terms=ctx.policy.exchanges,
            ship_to=ship_to,
            shipment=shipment_plan(ctx.policy, request.return_method, ctx.order["country"]),
        )
        # Shown from what is written: no read-back round trip on the hot path.
        result = views.return_out(ret)
        if await store.add(ret, event_rows(ret, result)):
            return shown_to(caller, result)
    # 1e12 numbers: five clashes in a row means something else is wrong
    raise RuntimeError(f"no free RMA number in {_RMA_ATTEMPTS} attempts")


def _with_browser_locale(
    caller: Caller, request: ReturnRequest, accept_language: str | None
) -> ReturnRequest:
    """A customer's browser says which language they read (`Accept-Language`): the request
    names it when its body names none. Not for API keys, whose requests come from the shop's
    systems and staff: their languages are not the customer's."""
    if not caller.is_customer or request.locale is not None:
        return request
    preferred = preferred_locale(accept_language)
    return request if preferred is None else request.model_copy(update={"locale": preferred})


def event_rows(ret: Return, result: ReturnOut) -> list[dict[str, Any]]:
    """The outbox rows of the events a change raised: each carries the return as the API
    shows it (to the merchant), the status it came from, and a per-return sequence (its
    version) to order events by."""
    shown = result.model_dump(mode="json")
    return [
        event_row(
            pending.type,
            {"object": shown, "previous_status": pending.previous_status, **(pending.data or {})},
            return_id=ret.id,
            sequence=ret.version,
        )
        for pending in ret.pending_events
    ]


async def save_and_show(store: ReturnStore, ret: Return) -> ReturnOut:
    """Save a changed return with its events, in the caller's transaction; the return as
    the API shows it to the merchant."""
    result = views.return_out(ret)
    await store.save(ret, event_rows(ret, result))
    return result


def decision_note(decision: Mapping[str, Any]) -> str:
    rule = decision.get("matched_rule_name") or decision.get("matched_rule_id")
    how = f"rule {rule!r}" if rule else "the policy's default action"
    return f"{decision['action']} by {how} (policy v{decision['policy_version']})"


def _summary(problems: Sequence[FieldError]) -> Message:
    first = problems[0].said or problems[0].message
    if len(problems) > 1:
        return Message("return.not_returnable_more", first=first, more=len(problems) - 1)
    return Message("return.not_returnable", first=first)


async def quote_return(
    session: AsyncSession,
    caller: Caller,
    request: ReturnRequest,
    *,
    transit_buffer_days: int,
    preferred: Sequence[str] = (),
    default_locale: str = SOURCE_LOCALE,
) -> QuoteOut:
    """What `create` would do, without writing anything; per-line problems instead of 422.
    The estimate follows the exchange terms the rules grant, once they decide. Its texts are
    in the first language of `preferred`, the order's and `default_locale` there are texts
    in."""
    ctx = await judging.load_context(session, caller, request, transit_buffer_days, lock=False)
    wanted = [*preferred, ctx.order["locale"], default_locale]
    tag = speaking(wanted)  # `de-AT`: German texts, Austrian dates
    locale = catalogue_locale([tag])
    decision: DecisionOut | CustomerDecision | None = None
    if not ctx.assessment.all_problems:
        judged = await judging.decide(session, ctx, transit_buffer_days)
        ctx = judging.granted(ctx, judged)
        if not ctx.assessment.all_problems:
            decision = (
                views.customer_decision(judged["action"], tag)
                if caller.is_customer
                else views.decision_out(judged, tag)
            )
    policy = ctx.policy
    eligible_lines = [la for la in ctx.assessment.lines if not la.problems and la.line]
    # The items the estimate values decide the fee waiver, as they do the estimate's.
    reasons = [la.item.reason for la in eligible_lines or ctx.assessment.lines]
    all_eligible = not ctx.assessment.all_problems
    estimate = None
    if eligible_lines:
        asked = Assessment(eligible_lines, [], ctx.assessment.instant_exchange)
        sub_ctx = replace(ctx, assessment=asked)
        estimate = RefundBreakdownOut.model_validate(
            judging.requested(sub_ctx)(judging.new_items(sub_ctx))
        )
    return QuoteOut(
        order_id=ctx.order["id"],
        currency=ctx.order["currency"],
        locale=locale,
        eligible=all_eligible,
        legal_basis=ctx.assessment.legal_basis,
        lines=[
            QuoteLine(
                line_item_id=la.item.line_item_id,
                requested_quantity=la.item.quantity,
                returnable_quantity=la.returnable_quantity,
                return_deadline=la.deadline,
                eligible=not la.problems,
                problems=[p.in_locale(tag).message for p in la.problems],
                reason=la.item.reason,
                reason_name=_reason_name(policy, la.item.reason, wanted),
                allowed_resolutions=list(policy.allowed_resolutions),
                return_methods=list(policy.methods_by_code),
                legal_basis=la.legal_basis,
                withdrawal_deadline=la.withdrawal_deadline
                if la.legal_basis == "statutory_withdrawal"
                else None,
            )
            for la in ctx.assessment.lines
        ],
        fees=FeesOut(
            restocking_fee_bps=policy.restocking_fee_bps,
            return_shipping_fee=policy.return_shipping_fee_for(request.return_method),
            store_credit_bonus_bps=policy.store_credit_bonus_bps,
        ),
        return_options=return_options(policy, reasons),
        return_address=return_address(policy, ctx.order["country"]),
        estimated_refund=estimate,
        decision=decision,
        exchange_terms=policy.exchanges if decision else None,
    )


def _reason_name(policy: PolicyDocument, code: str, wanted: Sequence[str]) -> str | None:
    reason = policy.reasons_by_code.get(code)
    return reason_name(reason, wanted) if reason is not None else None


async def load_visible(
    session: AsyncSession, caller: Caller, return_id: uuid.UUID, *, lock: bool = False
) -> Row:
    """The return, if this caller may see it; otherwise 404 (never 403: ids can't be probed)."""
    row = await ReturnRepository(session).get(return_id, lock=lock)
    if row is None or not visible(caller, row["order_id"], return_id):
        raise ReturnNotFound(Message("return.not_found", return_id=return_id))
    return row


def visible(caller: Caller, order_id: str, return_id: uuid.UUID) -> bool:
    """Whether `caller` may see this return of the order (a portal token: its own order's
    only; a return link: that one return)."""
    return caller.may_see_return(return_id, order_id)


async def get_return(session: AsyncSession, caller: Caller, return_id: uuid.UUID) -> ReturnOut:
    """The return, read whole; 404 if `caller` may not see it (never 403: ids can't be
    probed)."""
    ret = await ReturnStore(session).load(return_id)
    if ret is None or not visible(caller, ret.order_id, ret.id):
        raise ReturnNotFound(Message("return.not_found", return_id=return_id))
    return shown_to(caller, views.return_out(ret))


def shown_to(caller: Caller, result: ReturnOut) -> ReturnOut:
    """The return as `caller` may see it: a customer gets the customer-facing decision; the
    merchant (and every event, which webhooks deliver to the merchant) the full one."""
    return views.for_customer(result) if caller.is_customer else result


async def list_returns(
    session: AsyncSession,
    caller: Caller,
    filters: ReturnFilters,
    cursor: str | None,
    limit: int,
    *,
    oldest_first: bool = False,
) -> ReturnPage:
    """A page of the returns `caller` may see; the cursor continues in the same order."""
    if caller.return_id is not None:  # a return link reads its return, lists nothing
        return ReturnPage(data=[], next_cursor=None)
    if caller.is_customer:
        if filters.order_id not in (None, caller.order_id):
            return ReturnPage(data=[], next_cursor=None)
        filters = replace(filters, order_id=caller.order_id)
    after = decode_id_cursor(cursor, ascending=oldest_first) if cursor else None
    found = await ReturnStore(session).page(filters, after, limit + 1, oldest_first=oldest_first)
    page, more = found[:limit], len(found) > limit
    last = encode_id_cursor(page[-1].id, ascending=oldest_first) if more else None
    return views.page_out(page, last)
