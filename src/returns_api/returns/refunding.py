"""Refunds of a return (DESIGN §5): the part of the aggregate (`domain.Return` takes it in)
that records them, and what one refund may take: which method it pays by and how much.

Pure: what each method pays back (`difference.ExchangeDifference.refundable_by_method`) and
what each has refunded already come in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from returns_api.core.errors import FieldError
from returns_api.returns.difference import ExchangeDifference
from returns_api.returns.exceptions import IllegalTransition, NothingToRefund, RefundTooLarge
from returns_api.returns.parts import Act, Refund
from returns_api.returns.status import RELEASED, ReturnStatus

S = ReturnStatus


class Refunds(ExchangeDifference):
    """What `Return` does about refunds; the fields are the return's."""

    __slots__ = ()

    currency: str
    keep_item: bool
    refunds: list[Refund]
    refunded_amount: int
    first_refunded_at: datetime | None

    def refund(
        self,
        act: Act,
        *,
        amount: int | None,
        method: str | None,
        external_reference: str | None,
        note: str | None,
    ) -> Refund:
        """Record a refund: by default all that is left of the default method. Never more
        than what is left of that method's share (`refundable_by_method`). A return called
        off refunds only what was paid for its exchange."""
        paid_back = self.status in RELEASED and self.exchange_paid > 0
        if not (
            self.status is S.RECEIVED or (self.status is S.APPROVED and self.keep_item) or paid_back
        ):
            raise IllegalTransition(
                f"A return that is {self.status.value} cannot be refunded: refunds follow "
                "receipt (or approval, for keep-the-item returns).",
                current_status=self.status.value,
            )
        method, amount = allot(
            self.refundable_by_method(), self.refunded_by, amount=amount, method=method
        )
        refund = Refund(
            id=act.new_id(),
            amount=amount,
            currency=self.currency,
            method=method,
            external_reference=external_reference,
            note=note,
            actor=act.actor,
            created_at=act.at,
        )

        def apply() -> None:
            self.refunds.append(refund)
            self._set(
                refunded_amount=self.refunded_amount + amount,
                first_refunded_at=self.first_refunded_at or act.at,
            )

        self._change(
            act,
            "refunded",
            note=note,
            data={"refund_id": str(refund.id), "amount": amount, "method": method},
            event="return.refunded",
            apply=apply,
        )
        return refund

    def refunded_by(self, method: str) -> int:
        return sum(refund.amount for refund in self.refunds if refund.method == method)


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
