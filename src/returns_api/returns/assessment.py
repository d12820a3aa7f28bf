"""Judging a candidate return against the order and the policy: pure, no I/O.

Hard terms come first (DESIGN §4): unknown line, reason or method; resolution not
allowed; not shipped; window passed; final sale or a non-returnable tag; more units than
are still returnable. Each problem names the item field it is about. Then the facts the
policy rules look at are gathered for the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from returns_api.core.driver import Row
from returns_api.core.errors import FieldError
from returns_api.core.messages import Message
from returns_api.policies.document import ExchangeTerms, PolicyDocument
from returns_api.policies.engine import FactValue, ItemFacts, ReturnFacts
from returns_api.returns import eligibility, line_terms
from returns_api.returns.parts import Exchange
from returns_api.returns.refund_math import line_share
from returns_api.returns.schemas import ReturnItemIn, ReturnRequest
from returns_api.statutory import eu
from returns_api.statutory.terms import LegalBasis


@dataclass(slots=True)
class LineAssessment:
    index: int
    item: ReturnItemIn
    line: Row | None
    returnable_quantity: int
    deadline: datetime | None
    problems: list[FieldError] = field(default_factory=list)
    exchange: Exchange | None = None
    legal_basis: LegalBasis = "commercial_policy"
    withdrawal_deadline: datetime | None = None  # under the statutory right, when it covers
    # What the commercial policy alone would refuse (the problems, when it is the basis).
    commercial_problems: list[FieldError] = field(default_factory=list)


@dataclass(slots=True)
class Assessment:
    lines: list[LineAssessment]
    problems: list[FieldError]  # about the request as a whole
    instant_exchange: bool = False  # asked for (and, so far, not refused)

    @property
    def legal_basis(self) -> LegalBasis:
        """A statutory withdrawal when the statutory right covers every item; else the
        commercial policy, for every item (a request mixing both is judged by the policy)."""
        known = [line for line in self.lines if line.line is not None]
        statutory = bool(known) and all(
            line.legal_basis == "statutory_withdrawal" for line in known
        )
        return "statutory_withdrawal" if statutory else "commercial_policy"

    @property
    def all_problems(self) -> list[FieldError]:
        return self.problems + [p for line in self.lines for p in line.problems]


def assess(
    request: ReturnRequest,
    order: Row,
    lines_by_id: Mapping[str, Row],
    held: Mapping[str, int],
    policy: PolicyDocument,
    now: datetime,
    transit_buffer_days: int,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> Assessment:
    """`variants`: the catalog rows of the variants the request's exchanges name."""
    delivery = eligibility.effective_delivery(
        order["delivered_at"], order["fulfilled_at"], transit_buffer_days
    )
    problems: list[FieldError] = []
    if request.return_method not in policy.methods_by_code:
        problems.append(
            _problem(
                "body.return_method",
                "unknown_return_method",
                Message(
                    "return.unknown_return_method",
                    method=request.return_method,
                    offered=", ".join(policy.methods_by_code),
                ),
            )
        )
    problems += _instant_problems(request, policy)
    lines = [
        _assess_line(
            i, item, order, lines_by_id.get(item.line_item_id), held, policy, now, delivery
        )
        for i, item in enumerate(request.items)
    ]
    first_index: dict[str, int] = {}
    asked: dict[str, int] = {}  # units of each variant the items before ask for
    for line in lines:
        line_id = line.item.line_item_id
        if line_id in first_index:
            line.problems.append(
                _problem(
                    f"body.items.{line.index}.line_item_id",
                    "duplicate_line",
                    Message(
                        "item.duplicate_line", line_id=line_id, first_index=first_index[line_id]
                    ),
                )
            )
        first_index.setdefault(line_id, line.index)
        variant_id = line.item.exchange_variant_id
        if line.line is not None and variant_id is not None:
            line.exchange = _exchange(
                line, (variants or {}), asked.get(variant_id, 0), order["currency"], policy
            )
            asked[variant_id] = asked.get(variant_id, 0) + line.item.quantity
    line_terms.one_legal_basis(lines)
    return Assessment(lines=lines, problems=problems, instant_exchange=request.instant_exchange)


def _instant_problems(request: ReturnRequest, policy: PolicyDocument) -> list[FieldError]:
    """An instant exchange needs an exchanged item and a policy that offers it."""
    if not request.instant_exchange:
        return []
    if not any(item.exchange_variant_id is not None for item in request.items):
        refusal = ("not_an_exchange", Message("return.not_an_exchange"))
    elif not policy.exchange_ceiling.instant:
        refusal = ("instant_not_offered", Message("return.instant_not_offered"))
    else:
        return []
    return [_problem("body.instant_exchange", *refusal)]


def within_terms(
    assessment: Assessment, terms: ExchangeTerms, by_item: Mapping[str, ExchangeTerms]
) -> Assessment:
    """The assessment under the exchange terms the rules granted (`assess` checked against
    the most they may grant): an instant exchange (`terms`, the return's) or another product
    (`by_item`, else `terms`) they did not grant is refused as `assess` would refuse it."""
    problems = list(assessment.problems)
    if assessment.instant_exchange and not terms.instant:
        problems.append(
            _problem(
                "body.instant_exchange",
                "instant_not_offered",
                Message("return.instant_not_granted"),
            )
        )
    lines = []
    for line in assessment.lines:
        swap = line.exchange
        allowed = by_item.get(line.item.line_item_id, terms).any_product
        if swap is not None and not swap.same_product and not allowed:
            where = f"body.items.{line.index}.exchange_variant_id"
            refusal = _problem(
                where,
                "other_product",
                Message("item.other_product_not_granted", variant_id=swap.variant_id),
            )
            line = replace(line, problems=[*line.problems, refusal])
        lines.append(line)
    return Assessment(lines, problems, assessment.instant_exchange)


def _exchange(
    assessed: LineAssessment,
    variants: Mapping[str, Mapping[str, Any]],
    asked_before: int,
    currency: str,
    policy: PolicyDocument,
) -> Exchange | None:
    """The variant an item is exchanged for, priced from the catalog in the order's
    currency; None with a problem on the item when it cannot be had. In stock means: the
    synced quantity, less what open exchanges reserve (`reserved`) and what this request's
    items before this one ask for."""
    item, line = assessed.item, assessed.line
    assert line is not None
    assert item.exchange_variant_id is not None
    where = f"body.items.{assessed.index}.exchange_variant_id"
    variant = variants.get(item.exchange_variant_id)
    refusal: tuple[str, Message] | None = None
    if variant is None or not variant["active"]:
        refusal = (
            "unknown_variant",
            Message("item.unknown_variant", variant_id=item.exchange_variant_id),
        )
    elif variant["product_id"] != line["product_id"] and not policy.exchange_ceiling.any_product:
        refusal = ("other_product", Message("item.other_product", variant_id=variant["id"]))
    elif currency not in variant["prices"]:
        refusal = (
            "no_price",
            Message("item.no_price", variant_id=variant["id"], currency=currency),
        )
    elif (available := _available(variant) - asked_before) < item.quantity:
        refusal = (
            "out_of_stock",
            Message(
                "item.out_of_stock",
                variant_id=variant["id"],
                available=max(0, available),
                requested=item.quantity,
            ),
        )
    if refusal is not None:
        assessed.problems.append(_problem(where, *refusal))
        return None
    assert variant is not None
    price = variant["prices"][currency]
    return Exchange(
        variant_id=variant["id"],
        unit_price=int(price["unit_price"]),
        tax=int(price["tax"]),
        like_for_like=variant["product_id"] == line["product_id"]
        and int(price["unit_price"]) == int(line["unit_price"]),
        same_product=variant["product_id"] == line["product_id"],
    )


def _assess_line(
    index: int,
    item: ReturnItemIn,
    order: Row,
    line: Row | None,
    held: Mapping[str, int],
    policy: PolicyDocument,
    now: datetime,
    delivery: datetime | None,
) -> LineAssessment:
    where = f"body.items.{index}"
    if line is None:
        return LineAssessment(
            index,
            item,
            None,
            0,
            None,
            [
                _problem(
                    f"{where}.line_item_id",
                    "unknown_line",
                    Message("item.unknown_line", line_id=item.line_item_id),
                )
            ],
        )
    deadline = eligibility.return_deadline(delivery, line["category"], policy)
    right = eu.line_right(
        policy.statutory,
        country=order["country"],
        buyer_is_consumer=bool(order.get("buyer_is_consumer", True)),
        informed=bool(order.get("consumer_informed_of_withdrawal", True)),
        delivered_at=order["delivered_at"],
        tags=line["tags"],
        unsealed=bool(item.unsealed),
    )
    commercial = line_terms.commercial_problems(where, item, line, held, policy, now, deadline)
    problems = commercial[1]
    if right is not None and right.covers(now):
        # The statutory right: no window, final sale or tag of the policy cuts it short, and
        # a refund is always on offer (Article 13); the request must still make sense.
        returnable = max(0, int(line["quantity"]) - held.get(line["id"], 0))
        shown = deadline if deadline and right.deadline and deadline > right.deadline else None
        return LineAssessment(
            index,
            item,
            line,
            returnable,
            shown or right.deadline or deadline,
            line_terms.statutory_problems(where, item, line, returnable, policy),
            legal_basis="statutory_withdrawal",
            withdrawal_deadline=right.deadline,
            commercial_problems=problems,
        )
    if right is not None and right.exception is not None and problems:
        excluded = right.exception
        problems = [
            *problems[:-1],
            _problem(
                where,
                "withdrawal_exception",
                Message(
                    "item.withdrawal_exception",
                    line_id=line["id"],
                    article=excluded.article,
                    covers=excluded.covers,
                    reason=problems[-1].said or problems[-1].message,
                ),
            ),
        ]
    return LineAssessment(
        index, item, line, commercial[0], deadline, problems, commercial_problems=problems
    )


def _available(variant: Mapping[str, Any]) -> int:
    return int(variant["available_quantity"]) - int(variant.get("reserved", 0))


def _problem(location: str, type_: str, said: Message) -> FieldError:
    """A problem with an item or the request: `type_` is stable, what it says is translated."""
    return FieldError.saying(location, type_, said)


def gather_facts(
    assessment: Assessment,
    order: Row,
    all_lines: Sequence[Row],
    policy: PolicyDocument,
    now: datetime,
    transit_buffer_days: int,
    customer_history: Mapping[str, FactValue] | None = None,
) -> ReturnFacts:
    """The facts the policy rules can test (policies.rules.FACTS), for this candidate."""
    items: list[ItemFacts] = []
    return_value = 0
    for line_assessment in assessment.lines:
        line, item = line_assessment.line, line_assessment.item
        if line is None:
            continue
        value = _paid_share(line, item.quantity)
        return_value += value
        reason = policy.reasons_by_code.get(item.reason)
        item_values: dict[str, FactValue] = {
            "item_unit_price": int(line["unit_price"]),
            "item_value": value,
            "item_quantity": item.quantity,
            "reason": item.reason,
            "reason_is_merchant_fault": bool(reason and reason.merchant_fault),
            "resolution": item.resolution,
            "item_tags": list(line["tags"]),
        }
        if line["category"] is not None:
            item_values["item_category"] = line["category"]
        if (swap := line_assessment.exchange) is not None:
            item_values["exchange_same_product"] = swap.same_product
            item_values["exchange_new_value"] = item.quantity * (swap.unit_price + swap.tax)
        items.append(ItemFacts(key=item.line_item_id, values=item_values))
    delivery = eligibility.effective_delivery(
        order["delivered_at"], order["fulfilled_at"], transit_buffer_days
    )
    return_values: dict[str, FactValue] = {
        "return_value": return_value,
        "order_total": order["shipping_paid"]
        + sum(_paid_share(line, line["quantity"]) for line in all_lines),
        "days_since_delivery": eligibility.days_since(delivery, now),
        "instant_exchange": assessment.instant_exchange,
        **(customer_history or {}),
    }
    if order["country"] is not None:
        return_values["order_country"] = order["country"]
    return ReturnFacts(values=return_values, items=items)


def _paid_share(line: Row, quantity: int) -> int:
    """What was paid for `quantity` units of the line (floor shares; for rule facts)."""
    q = int(line["quantity"])
    return (
        int(line["unit_price"]) * quantity
        - line_share(int(line["discount"]), q, quantity, unit_cap=int(line["unit_price"]))
        + line_share(int(line["tax"]), q, quantity)
    )
