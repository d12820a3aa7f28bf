"""What the terms let be returned of one order line: the commercial policy's hard terms
(DESIGN §4) and the statutory right's (statutory/), each refusal naming the item field it
is about. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from returns_api.core.driver import Row
from returns_api.core.errors import FieldError
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
            line.problems[-1] = line.problems[-1].model_copy(
                update={
                    "message": f"{line.problems[-1].message}; it can be withdrawn from under the "
                    "statutory right in a return of its own"
                },
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
        problems.append(
            _problem(
                f"{where}.resolution",
                f"resolution {item.resolution!r} is not offered; allowed: {allowed}",
                "resolution_not_allowed",
            )
        )
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
        problems.append(
            _problem(
                f"{where}.resolution",
                f"resolution {item.resolution!r} is not offered; allowed: {allowed}",
                "resolution_not_allowed",
            )
        )
    if item.quantity > returnable:
        problems.append(_too_many(where, line, returnable, item.quantity))
    return problems


def _reason_problems(where: str, item: ReturnItemIn, policy: PolicyDocument) -> list[FieldError]:
    if item.reason in policy.reasons_by_code:
        return []
    known = ", ".join(policy.reasons_by_code)
    return [
        _problem(
            f"{where}.reason", f"unknown reason {item.reason!r}; known: {known}", "unknown_reason"
        )
    ]


def _too_many(where: str, line: Row, returnable: int, asked: int) -> FieldError:
    return _problem(
        f"{where}.quantity",
        f"only {returnable} unit(s) of line {line['id']!r} can still be returned, "
        f"{asked} requested",
        "quantity_not_returnable",
    )


def line_refusal(
    line: Row, policy: PolicyDocument, deadline: datetime | None, now: datetime
) -> tuple[str, str] | None:
    line_id = line["id"]
    if deadline is None:
        return f"line {line_id!r} has not shipped yet; it can be returned once it has", (
            "not_shipped"
        )
    if line["final_sale"]:
        return f"line {line_id!r} was a final sale and cannot be returned", "final_sale"
    blocked = sorted(set(line["tags"]).intersection(policy.non_returnable_tags))
    if blocked:
        return f"line {line_id!r} is not returnable (tag {blocked[0]!r})", "non_returnable_tag"
    if now > deadline:
        return (
            f"the return window for line {line_id!r} closed on {deadline.date().isoformat()}",
            "window_closed",
        )
    return None


def _problem(location: str, message: str, type_: str) -> FieldError:
    return FieldError(location=location, message=message, type=type_)
