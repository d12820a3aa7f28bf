"""What one refund of a return may take: which method it pays by and how much (DESIGN §5).

Pure: the breakdown's split by method and what each method has refunded already come in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from returns_api.core.errors import FieldError
from returns_api.returns.exceptions import NothingToRefund, RefundTooLarge


def allot(
    by_method: Mapping[str, int],
    refunded_by: Callable[[str], int],
    *,
    amount: int | None,
    method: str | None,
) -> tuple[str, int]:
    """(method, amount) of the next refund: by default all that is left of the default
    method; never more than what is left of that method's share of the breakdown."""
    method = method or default_method(by_method)
    remaining = by_method.get(method, 0) - refunded_by(method)
    if remaining <= 0:
        raise NothingToRefund(f"Nothing is left to refund by {method}.")
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise RefundTooLarge(
            f"At most {remaining} can still be refunded by {method}; {amount} was asked.",
            errors=[FieldError(location="body.amount", message=f"must be at most {remaining}")],
        )
    return method, amount


def default_method(by_method: Mapping[str, int]) -> str:
    """The only method, else the original payment, else the first (buckets come in
    resolution order: cash first)."""
    if len(by_method) == 1:
        return next(iter(by_method))
    return "original_payment" if "original_payment" in by_method else next(iter(by_method), "")
