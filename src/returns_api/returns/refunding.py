"""Refunds of a return (DESIGN §5): the part of the aggregate (`domain.Return` takes it in)
that records them, and what one refund may take: which method it pays by and how much.

Pure: what each method pays back (`difference.ExchangeDifference.refundable_by_method`) and
what each has refunded already come in.

A refund is carried out by an executor (`settlement`): the `record` one only records what
the platform already did (succeeded at once, as before there were executors); others leave
it `pending` (`return.refund_requested`) until it is confirmed (`return.refunded`) or fails
(`return.refund_failed`, its amount left to refund again). A pending refund counts against
what is left from the start, so two refunds can never both take the same money.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from returns_api.core.errors import FieldError
from returns_api.returns.difference import ExchangeDifference
from returns_api.returns.exceptions import (
    IllegalTransition,
    NothingToRefund,
    RefundNotFound,
    RefundNotPending,
    RefundPending,
    RefundTooLarge,
)
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
    refunds_pending: int
    first_refunded_at: datetime | None
    version: int

    def refund(
        self,
        act: Act,
        *,
        amount: int | None,
        method: str | None,
        external_reference: str | None,
        note: str | None,
        executor: str = "record",
        settled: bool = True,
        payment_reference: str | None = None,
    ) -> Refund:
        """A refund: by default all that is left of the default method. Never more than
        what is left of that method's share (`refundable_by_method`). A return called off
        refunds only what was paid for its exchange. `settled`: carried out already (the
        `record` executor, store credit); else pending until `settle_refund`."""
        self.check_refundable()
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
            status="succeeded" if settled else "pending",
            executor=executor,
            settled_at=act.at if settled else None,
            payment_reference=payment_reference,
            # A provider's refund is the refund worker's job from now on.
            next_attempt_at=act.at if payment_reference is not None and not settled else None,
        )

        def apply() -> None:
            self.refunds.append(refund)
            self._set(refunded_amount=self.refunded_amount + amount)
            if settled:
                self._set(first_refunded_at=self.first_refunded_at or act.at)
            else:
                self._set(refunds_pending=self.refunds_pending + amount)

        self._change(
            act,
            "refunded" if settled else "refund_requested",
            note=note,
            data={
                "refund_id": str(refund.id),
                "amount": amount,
                "method": method,
                "executor": executor,
            },
            event="return.refunded" if settled else "return.refund_requested",
            apply=apply,
        )
        return refund

    def check_refundable(self) -> None:
        """Refunds follow receipt (or approval, for keep-the-item returns); a return called
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

    def settle_refund(
        self,
        act: Act,
        refund_id: uuid.UUID,
        *,
        succeeded: bool,
        external_reference: str | None,
        reason: str | None,
    ) -> bool:
        """The executor's answer for a pending refund: `return.refunded`, or
        `return.refund_failed` (its amount is left to refund again). The same answer again
        changes nothing (False); the other answer to a settled refund is a 409."""
        refund = self.refund_of(refund_id)
        target = "succeeded" if succeeded else "failed"
        if refund.status == target:
            return False
        if refund.status != "pending":
            raise RefundNotPending(
                f"The refund is {refund.status} already; it cannot become {target}.",
            )

        def apply() -> None:
            refund.status = target
            refund.settled_at = act.at
            refund.next_attempt_at = None
            refund.external_reference = external_reference or refund.external_reference
            refund.failure_reason = None if succeeded else reason
            self._set(refunds_pending=self.refunds_pending - refund.amount)
            if succeeded:
                self._set(first_refunded_at=self.first_refunded_at or act.at)
            else:
                self._set(refunded_amount=self.refunded_amount - refund.amount)

        data: dict[str, object] = {"refund_id": str(refund.id), "amount": refund.amount}
        data["method"] = refund.method
        if not succeeded:
            data["reason"] = reason
        self._change(
            act,
            "refunded" if succeeded else "refund_failed",
            note=reason if not succeeded else None,
            data=data,
            event="return.refunded" if succeeded else "return.refund_failed",
            apply=apply,
        )
        return True

    def record_refund_attempt(
        self,
        act: Act,
        refund_id: uuid.UUID,
        *,
        provider_reference: str | None,
        error: str | None,
        retry_at: datetime | None,
    ) -> None:
        """The refund worker's bookkeeping for a refund still pending at the provider (or
        not sent: `error`): when to look again. No event: nothing settled."""
        refund = self.refund_of(refund_id)
        if refund.status != "pending":
            return
        refund.attempts += 1
        refund.external_reference = provider_reference or refund.external_reference
        refund.last_error = error[:2000] if error else None
        refund.next_attempt_at = retry_at
        self._set(version=self.version + 1, updated_at=act.at)

    def refund_of(self, refund_id: uuid.UUID) -> Refund:
        found = next((r for r in self.refunds if r.id == refund_id), None)
        if found is None:
            raise RefundNotFound(f"Refund {refund_id} does not exist.")
        return found

    def _refuse_closing_while_pending(self) -> None:
        if self.refunds_pending:
            raise RefundPending(
                f"{self.refunds_pending} is being refunded: wait until the refund is "
                "confirmed or fails (`return.refunded`, `return.refund_failed`)."
            )

    def refunded_by(self, method: str) -> int:
        """What refunds by `method` take: pending ones too, failed ones not."""
        return sum(
            refund.amount
            for refund in self.refunds
            if refund.method == method and refund.status in ("pending", "succeeded")
        )


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
