"""The difference of an exchange: the part of the return aggregate (`domain.Return` takes it
in, through `replacement.ReplacementOrder`) that collects what the customer owes when the
new items cost more than the returned ones are worth, and falls back when it is not paid.

Pure, like the rest of the aggregate. Once the return is approved and owes something
(`refund_breakdown.exchange.amount_due`), payment is requested with a deadline
(`return.exchange_payment_requested`); the platform collects it and reports each payment,
named by its external reference (the same reference again changes nothing). Unpaid by the
deadline, the exchanged items take the policy's fallback resolution and are valued again
(`return.exchange_payment_expired`; an instant exchange is one no more). What was paid and
is no longer owed (fewer units accepted, a fallback, a return called off) is refunded
through the `exchange` method.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from returns_api.core.clock import rfc3339
from returns_api.core.errors import FieldError
from returns_api.returns.exceptions import (
    ExchangeAmountTooLarge,
    ExchangePaymentMismatch,
    ExchangePaymentOutstanding,
    IllegalTransition,
    NothingOwed,
)
from returns_api.returns.parts import Act, Change, Item, Payment
from returns_api.returns.status import RELEASED, ReturnStatus

S = ReturnStatus
# Where a payment can be asked for and made: approved, until the return is closed.
_PAYABLE: Final = frozenset({S.APPROVED, S.IN_TRANSIT, S.RECEIVED})
PAID: Final = "exchange_paid"  # the timeline kind of a payment


class ExchangeDifference:
    """What `Return` does about an exchange's difference; the fields are the return's."""

    __slots__ = ()

    status: ReturnStatus
    currency: str
    items: list[Item]
    timeline: list[Change]
    new_payments: list[Payment]
    refund_breakdown: dict[str, Any]
    exchange_paid: int
    exchange_payment_due_at: datetime | None
    exchange_order_requested_at: datetime | None
    keep_item: bool

    @property
    def amount_due(self) -> int:
        """What the exchange costs more than the returned items' credit (0: nothing)."""
        balance = self.refund_breakdown.get("exchange") or {}
        return int(balance.get("amount_due", 0))

    @property
    def outstanding(self) -> int:
        """What is still to be paid of `amount_due`: nothing once the new items went out
        against a hold (an inspection that lowers the credit is charged to the hold)."""
        if self._keeps_payment():
            return 0
        return max(0, self.amount_due - self.exchange_paid)

    def refundable_by_method(self) -> dict[str, int]:
        """What each method pays back: the breakdown's split, except that an exchange for
        catalog variants pays back only its `refund_due` (the rest of its credit buys the
        new items), and whatever the customer paid that is no longer owed. Once the return
        is called off, only that payment."""
        if self.status in RELEASED:
            return {"exchange": self.exchange_paid} if self.exchange_paid else {}
        return self.paid_back_by_method()

    def paid_back_by_method(self) -> dict[str, int]:
        """`refundable_by_method` of the return as valued, whatever its status: what
        `amounts.refundable` adds up."""
        by_method = dict(self.refund_breakdown.get("by_method", {}))
        balance = self.refund_breakdown.get("exchange")
        overpaid = 0 if self._keeps_payment() else max(0, self.exchange_paid - self.amount_due)
        overpaid += self._hold_refund()
        if balance is not None:
            by_method["exchange"] = int(balance["refund_due"]) + overpaid
        elif overpaid:
            by_method["exchange"] = by_method.get("exchange", 0) + overpaid
        return {method: amount for method, amount in by_method.items() if amount > 0}

    def record_exchange_payment(
        self,
        act: Act,
        *,
        amount: int,
        external_reference: str,
        provider: str | None = None,
        note: str | None,
        ship_to: dict[str, Any] | None,
    ) -> None:
        """The platform collected `amount` of what the exchange costs more. The same
        `external_reference` again is the same payment: nothing changes. Paid in full after
        the parcel was received: the replacement order is requested now."""
        for entry in self.timeline:
            if entry.kind == PAID and (entry.data or {}).get("external_reference") == (
                external_reference
            ):
                if (entry.data or {}).get("amount") == amount:
                    return
                raise ExchangePaymentMismatch(
                    f"Payment {external_reference!r} was recorded for "
                    f"{(entry.data or {}).get('amount')}, not {amount}."
                )
        if self.status not in _PAYABLE:
            raise IllegalTransition(
                f"A return that is {self.status.value} takes no exchange payments.",
                current_status=self.status.value,
            )
        if self.outstanding == 0 or self.exchange_payment_due_at is None:
            raise NothingOwed("Nothing is owed for this return's exchange.")
        if amount > self.outstanding:
            raise ExchangeAmountTooLarge(
                f"At most {self.outstanding} is owed; {amount} was paid.",
                errors=[
                    FieldError(
                        location="body.amount", message=f"must be at most {self.outstanding}"
                    )
                ],
            )
        paid = self.exchange_paid + amount
        payment = self._payment(act, "exchange_difference", amount, provider, external_reference)

        def apply() -> None:
            self.new_payments.append(payment)
            self._refresh_refundable(
                exchange_paid=paid,
                exchange_payment_due_at=self.exchange_payment_due_at
                if paid < self.amount_due
                else None,
            )

        self._change(
            act,
            PAID,
            note=note,
            data={
                "amount": amount,
                "external_reference": external_reference,
                "provider": provider,
                "outstanding": self.amount_due - paid,
            },
            apply=apply,
        )
        self._start_instant_exchange(act, ship_to)
        self._request_replacement_if_due(act, ship_to, before_receipt=self.keep_item)

    def fall_back(self, act: Act, *, resolution: str, valuation: Any, days: int) -> None:
        """Unpaid past the deadline: the exchanged items become `resolution` (their variants
        and reservations let go) and are valued again."""
        due = self.exchange_payment_due_at
        if due is None or act.at < due or self.outstanding == 0:
            raise NothingOwed("This return's exchange is not overdue.")
        if self.exchange_order_requested_at is not None:
            raise NothingOwed("The replacement was ordered: the exchange stands.")
        exchanged = [item for item in self.items if item.exchange_variant_id is not None]

        def apply() -> None:
            for item in exchanged:
                item.resolution = resolution
                item.exchange_variant_id = item.exchange_unit_price = None
                item.exchange_tax = item.exchange_like_for_like = None
            self._value(valuation)
            # No exchange is left to pay for, or to ship at once.
            self._set(
                exchange_payment_due_at=None, instant_exchange=False, exchange_hold_due_at=None
            )

        self._change(
            act,
            "exchange_payment_expired",
            note=f"The exchange was not paid within {days} days: {resolution} instead.",
            data={
                "resolution": resolution,
                "amount_due": self.amount_due,
                "paid": self.exchange_paid,
                "due_at": rfc3339(due),
                "variants": [item.exchange_variant_id for item in exchanged],
            },
            event="return.exchange_payment_expired",
            apply=apply,
        )

    def _request_payment_if_due(self, act: Act, days: int) -> None:
        """Approved (or valued again) and owing more than was paid: ask for it, once, with a
        deadline `days` away."""
        if self.status not in _PAYABLE or self.exchange_payment_due_at is not None:
            return
        if self._keeps_payment():  # shipped against a hold: the hold covers what is left
            return
        outstanding = self.outstanding
        if outstanding == 0:
            return
        due_at = act.at + timedelta(days=days)
        self._change(
            act,
            "exchange_payment_requested",
            note=None,
            data={
                "amount_due": self.amount_due,
                "outstanding": outstanding,
                "due_at": rfc3339(due_at),
            },
            event="return.exchange_payment_requested",
            apply=lambda: self._set(exchange_payment_due_at=due_at),
        )

    def _payment(
        self, act: Act, kind: str, amount: int, provider: str | None, reference: str | None
    ) -> Payment:
        """A payment in, as the money movements report lists it beside the refunds."""
        return Payment(
            id=act.new_id(),
            kind=kind,
            provider=provider,
            reference=reference,
            amount=amount,
            currency=self.currency,
            note=None,
            actor=act.actor,
            created_at=act.at,
        )

    def _refresh_refundable(self, **values: Any) -> None:
        """Set `values`, then what `amounts.refundable` adds up to (payments, a hold charged
        and the valuation all move it)."""
        self._set(**values)
        self._set(refundable_amount=sum(self.paid_back_by_method().values()))

    def _refuse_closing_while_owed(self) -> None:
        if self.outstanding and self.exchange_order_requested_at is None:
            raise ExchangePaymentOutstanding(
                f"{self.outstanding} is still owed for the exchange: record the payment "
                "(`POST /v1/returns/{id}/exchange/payments`) or wait for its deadline."
            )

    # What the other parts of the aggregate (`replacement`, `instant`) and `domain.Return`
    # itself answer.
    def _request_replacement_if_due(
        self, act: Act, ship_to: dict[str, Any] | None, *, before_receipt: bool = False
    ) -> None:
        raise NotImplementedError

    def _start_instant_exchange(self, act: Act, ship_to: dict[str, Any] | None) -> None:
        raise NotImplementedError

    def _hold_refund(self) -> int:
        raise NotImplementedError

    def _keeps_payment(self) -> bool:
        raise NotImplementedError

    def _value(self, valuation: Any) -> None:
        raise NotImplementedError

    def _change(
        self,
        act: Act,
        kind: str,
        *,
        to: ReturnStatus | None = None,
        note: str | None,
        data: dict[str, Any] | None = None,
        event: str | None = None,
        apply: Any = None,
    ) -> None:
        raise NotImplementedError

    def _set(self, **values: Any) -> None:
        raise NotImplementedError
