"""What the terms let be returned of one order line: the commercial policy's hard terms
(DESIGN §4) and the statutory right's (statutory/), each refusal naming the item field it
is about. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from returns_api.core.driver import Row
from returns_api.core.errors import FieldError
from returns_api.core.messages import Message
from returns_api.policies.document import PolicyDocument
from returns_api.returns import eligibility
from returns_api.returns.schemas import ReturnItemIn

if TYPE_CHECKING:
    from returns_api.returns.assessment import LineAssessment


def one_legal_basis(lines: Sequence[LineAssessment]) -> None:
    """A request mixing items the statutory right covers with items only the policy takes
    is judged by the policy, item by item; an item only the right covers is then refused
    with a hint to withdraw from it in a return of its own."""
    bases = {line.legal_basis for line in lines if line.line is not None}
    if len(bases) < 2:
        return
    for line in lines:
        if line.legal_basis != "statutory_withdrawal":
            continue
        line.legal_basis = "commercial_policy"
        line.problems = list(line.commercial_problems)
        if line.problems:
            last = line.problems[-1]
            reason = last.said or last.message
            line.problems[-1] = FieldError.saying(
                last.location, last.type or "", Message("item.withdraw_separately", reason=reason)
            )


def commercial_problems(
    where: str,
    item: ReturnItemIn,
    line: Row,
    held: Mapping[str, int],
    policy: PolicyDocument,
    now: datetime,
    deadline: datetime | None,
) -> tuple[int, list[FieldError]]:
    """The units the policy alone lets be returned, and what it refuses of the item."""
    returnable = eligibility.returnable_quantity(
        quantity=line["quantity"],
        held=held.get(line["id"], 0),
        final_sale=line["final_sale"],
        tags=list(line["tags"]),
        deadline=deadline,
        policy=policy,
        now=now,
    )
    problems = _reason_problems(where, item, policy)
    if item.resolution not in policy.allowed_resolutions:
        allowed = ", ".join(policy.allowed_resolutions)
        problems.append(_not_offered(where, item, allowed))
    blocked_by_terms = line_refusal(line, policy, deadline, now)
    if blocked_by_terms is not None:
        problems.append(_problem(where, blocked_by_terms[0], blocked_by_terms[1]))
    elif item.quantity > returnable:
        problems.append(_too_many(where, line, returnable, item.quantity))
    return returnable, problems


def statutory_problems(
    where: str, item: ReturnItemIn, line: Row, returnable: int, policy: PolicyDocument
) -> list[FieldError]:
    problems = _reason_problems(where, item, policy)
    if item.resolution != "refund" and item.resolution not in policy.allowed_resolutions:
        allowed = ", ".join(sorted({"refund", *policy.allowed_resolutions}))
        problems.append(_not_offered(where, item, allowed))
    if item.quantity > returnable:
        problems.append(_too_many(where, line, returnable, item.quantity))
    return problems


def _reason_problems(where: str, item: ReturnItemIn, policy: PolicyDocument) -> list[FieldError]:
    if item.reason in policy.reasons_by_code:
        return []
    known = ", ".join(policy.reasons_by_code)
    said = Message("item.unknown_reason", reason=item.reason, known=known)
    return [_problem(f"{where}.reason", said, "unknown_reason")]


def _not_offered(where: str, item: ReturnItemIn, allowed: str) -> FieldError:
    said = Message("item.resolution_not_allowed", resolution=item.resolution, allowed=allowed)
    return _problem(f"{where}.resolution", said, "resolution_not_allowed")


def _too_many(where: str, line: Row, returnable: int, asked: int) -> FieldError:
    said = Message(
        "item.quantity_not_returnable", line_id=line["id"], returnable=returnable, requested=asked
    )
    return _problem(f"{where}.quantity", said, "quantity_not_returnable")


def line_refusal(
    line: Row, policy: PolicyDocument, deadline: datetime | None, now: datetime
) -> tuple[Message, str] | None:
    """Why the policy's hard terms refuse the line, if they do: what to say, and its type."""
    line_id = line["id"]
    if deadline is None:
        return Message("item.not_shipped", line_id=line_id), "not_shipped"
    if line["final_sale"]:
        return Message("item.final_sale", line_id=line_id), "final_sale"
    blocked = sorted(set(line["tags"]).intersection(policy.non_returnable_tags))
    if blocked:
        return Message("item.non_returnable_tag", line_id=line_id, tag=blocked[0]), (
            "non_returnable_tag"
        )
    if now > deadline:
        return Message("item.window_closed", line_id=line_id, deadline=deadline.date()), (
            "window_closed"
        )
    return None


def _problem(location: str, said: Message, type_: str) -> FieldError:
    """A problem whose text comes from the catalogues (said again in a portal customer's
    language); `type_` stays stable."""
    return FieldError.saying(location, type_, said)
