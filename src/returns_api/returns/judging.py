"""Judging a candidate return: its context (the order, its lines, what live returns hold of
each, the policy), the hard checks, the policy's decision, and the items the return would
have with what they are worth. Quote, create and the policy's dry runs share it; nothing
here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.catalog.repository import VariantRepository
from returns_api.core.clock import utcnow
from returns_api.core.driver import Row
from returns_api.core.errors import FieldError
from returns_api.core.ids import new_id
from returns_api.core.messages import Message
from returns_api.orders.exceptions import OrderNotFound
from returns_api.orders.repository import OrderRepository
from returns_api.policies.document import PolicyDocument
from returns_api.policies.engine import FactValue, evaluate
from returns_api.policies.facts import facts_to_json
from returns_api.policies.service import policy_from_latest
from returns_api.returns import breakdown, valuation
from returns_api.returns.assessment import Assessment, assess, gather_facts, within_terms
from returns_api.returns.domain import Valuation
from returns_api.returns.parts import Item
from returns_api.returns.repository import Held, ReturnRepository
from returns_api.returns.schemas import ReturnRequest


@dataclass(slots=True)
class Context:
    """Everything a candidate return is judged with, loaded in a handful of queries."""

    order: Row
    lines: Sequence[Row]
    held: dict[str, Held]  # what the live returns hold of each line (all older than a new one)
    policy_version: int
    policy: PolicyDocument
    assessment: Assessment
    now: datetime
    return_method: str  # its fee, when set, is the return-shipping fee
    # The order's shipping its live returns refund already (only looked up when every
    # item's reason is the merchant's fault: no shipping is refunded otherwise).
    shipping_taken: int = 0


async def load_context(
    session: AsyncSession,
    caller: Caller,
    request: ReturnRequest,
    transit_buffer_days: int,
    *,
    lock: bool,
    policy: tuple[int, PolicyDocument] | None = None,
) -> Context:
    if not caller.may_see_order(request.order_id):
        raise OrderNotFound(Message("order.not_found", order_id=request.order_id))
    # One round trip. Locking the order row serialises returns of one order: two requests
    # racing for its last unit cannot both see it as returnable.
    rows = await OrderRepository(session).return_context(request.order_id, lock=lock)
    if rows is None:
        raise OrderNotFound(Message("order.not_found", order_id=request.order_id))
    version, document = policy or await policy_from_latest(session, rows.policy_version)
    wanted = {item.exchange_variant_id for item in request.items if item.exchange_variant_id}
    variants = await VariantRepository(session).many(sorted(wanted), lock=lock) if wanted else {}
    now = utcnow()
    lines_by_id = {line["id"]: line for line in rows.lines}
    assessment = assess(
        request,
        rows.order,
        lines_by_id,
        {line_id: held.units for line_id, held in rows.held.items()},
        document,
        now,
        transit_buffer_days,
        variants,
    )
    reasons = document.reasons_by_code
    merchant_fault = all(
        item.reason in reasons and reasons[item.reason].merchant_fault for item in request.items
    )
    # A statutory withdrawal refunds the delivery whatever the reason (Article 13(1)).
    refunds_shipping = merchant_fault or assessment.legal_basis == "statutory_withdrawal"
    shipping_taken = (
        await ReturnRepository(session).shipping_taken(request.order_id) if refunds_shipping else 0
    )
    return Context(
        rows.order,
        rows.lines,
        rows.held,
        version,
        document,
        assessment,
        now,
        request.return_method,
        shipping_taken,
    )


async def decide(session: AsyncSession, ctx: Context, transit_buffer_days: int) -> dict[str, Any]:
    """The policy's decision with its trace and the facts it was taken on (all stored)."""
    history = await _customer_history(session, ctx)
    facts = gather_facts(
        ctx.assessment, ctx.order, ctx.lines, ctx.policy, ctx.now, transit_buffer_days, history
    )
    decision = evaluate(ctx.policy.rule_set, facts, policy_version=ctx.policy_version)
    judged: dict[str, Any] = {
        **decision.to_dict(),
        "facts": facts_to_json(facts),
        "legal_basis": ctx.assessment.legal_basis,
    }
    if judged["legal_basis"] == "statutory_withdrawal" and judged["action"] == "reject":
        judged = _statutory_review(judged)
    grant = _exchange_grant(ctx, judged)
    return judged | {"exchange_grant": grant} if grant else judged


def _statutory_review(judged: dict[str, Any]) -> dict[str, Any]:
    """No rule may refuse a statutory withdrawal (Directive 2011/83/EU, Article 9(1): no
    reason needed): what a rule would have rejected goes to a person, and the trace says
    why."""
    override = {
        "from_action": "reject",
        "to_action": "review",
        "reason": "a statutory withdrawal cannot be rejected by a rule (Directive 2011/83/EU, "
        "Article 9(1)); a person reviews it instead",
    }
    return judged | {
        "action": "review",
        "statutory_override": override,
        "trace": [*judged["trace"], {"statutory_override": override}],
    }


def granted(ctx: Context, decision: dict[str, Any]) -> Context:
    """`ctx` under the exchange terms `decision` was granted; what the request asks beyond
    them (an instant exchange; another product, item by item) becomes a problem, as in
    `assess`."""
    policy = ctx.policy.for_decision(decision)
    by_item = {
        key: ctx.policy.exchanges.granted(grant)
        for key, grant in _item_grants(ctx.policy, decision).items()
    }
    assessment = within_terms(ctx.assessment, policy.exchanges, by_item)
    return replace(ctx, policy=policy, assessment=assessment)


def _exchange_grant(ctx: Context, decision: dict[str, Any]) -> dict[str, Any] | None:
    """The return's exchange terms as the rules set them, stored on the decision: the
    deciding item's rule's grant, and an instant exchange only when the rule of every
    exchanged item allows it (one cheap item must not carry a dear one). Same product only
    is judged item by item, at creation (`granted`)."""
    grants = _item_grants(ctx.policy, decision)
    grant = dict(grants.get(decision["deciding_item_key"]) or {})
    grant.pop("same_product_only", None)
    exchanged = [la.item.line_item_id for la in ctx.assessment.lines if la.exchange]
    if exchanged:
        terms = ctx.policy.exchanges
        instant = all(terms.granted(grants.get(key)).instant for key in exchanged)
        if instant != terms.granted(grant).instant:
            grant["instant"] = instant
    return grant or None


def _item_grants(policy: PolicyDocument, decision: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """By item key: the exchange grant of the rule that matched it (none: absent)."""
    rules = {rule.id: rule for rule in policy.rules}
    found = {}
    for trace in decision.get("trace", []):
        rule = rules.get(trace.get("matched_rule_id") or "")
        if rule is not None and rule.exchange is not None and trace.get("item_key"):
            found[trace["item_key"]] = rule.exchange.model_dump(exclude_none=True)
    return found


async def _customer_history(session: AsyncSession, ctx: Context) -> dict[str, FactValue]:
    """The serial-returner facts; two indexed aggregates, skipped when no rule needs them."""
    customer_id = ctx.order["customer_id"]
    if customer_id is None or not ctx.policy.uses_customer_history:
        return {}
    since = ctx.now - timedelta(days=ctx.policy.history_window_days)
    count, value, units = await ReturnRepository(session).customer_history(customer_id, since)
    sold = await OrderRepository(session).units_sold_to(customer_id, since)
    return {
        "customer_returns_count": count,
        "customer_returned_value": value,
        "customer_return_rate_bps": min(10_000, units * 10_000 // sold) if sold else 0,
    }


async def judge_request(
    session: AsyncSession,
    caller: Caller,
    request: ReturnRequest,
    *,
    transit_buffer_days: int,
    policy: tuple[int, PolicyDocument] | None = None,
) -> tuple[list[FieldError], dict[str, Any] | None]:
    """Hard checks, then the decision a policy would take; writes nothing (dry runs)."""
    ctx = await load_context(
        session, caller, request, transit_buffer_days, lock=False, policy=policy
    )
    problems = ctx.assessment.all_problems
    if problems:
        return problems, None
    return [], await decide(session, ctx, transit_buffer_days)


def new_items(ctx: Context) -> list[Item]:
    """The items of a new return: what was paid for each line, copied, and nothing yet
    received or accepted."""
    found = []
    for position, line_assessment in enumerate(ctx.assessment.lines):
        line, item = line_assessment.line, line_assessment.item
        assert line is not None  # hard checks refused unknown lines
        found.append(
            Item.of_line(
                new_id(),
                ctx.order,
                line,
                position=position,
                quantity=item.quantity,
                reason=item.reason,
                merchant_fault=ctx.policy.reasons_by_code[item.reason].merchant_fault,
                comment=item.comment,
                resolution=item.resolution,
                exchange=line_assessment.exchange,
            )
        )
    return found


def requested(ctx: Context) -> Valuation:
    return valuation.requested(
        currency=ctx.order["currency"],
        policy=ctx.policy,
        return_method=ctx.return_method,
        shipping_paid=max(0, int(ctx.order["shipping_paid"]) - ctx.shipping_taken),
        line_quantities={line["id"]: int(line["quantity"]) for line in ctx.lines},
        held=ctx.held,
        statutory=breakdown.statutory_refund(
            ctx.assessment.legal_basis, ctx.policy, ctx.return_method, ctx.order
        ),
    )
