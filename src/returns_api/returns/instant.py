"""Instant exchanges: the part of the return aggregate (`domain.Return` takes it in) that
ships the new items before the old ones are back, against a hold on the customer's card.

Pure, like the rest of the aggregate. When the policy allows it and the customer asks for it,
an exchange is *instant*: at approval (once what it costs more is paid) the replacement order
is requested at once, and the return records a **hold**: the value at risk (what the returned
items' credit pays of the new ones) and a deadline for the parcel to be on its way. The
platform holds that amount on the customer's card. Then:

- the parcel is not in transit by the deadline (the worker's sweep), or the returned items
  are refused at inspection: `return.exchange_hold_capture_requested`, once, with the amount
  to charge (at inspection: the value of the units not accepted);
- every returned unit is accepted: `return.exchange_hold_release_requested`;
- the platform reports what it did (`captured`, with the amount, or `released`).

A return whose replacement was requested is never called off, rejected or expired: its units
would become returnable again while the customer already has the new items.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, Literal

from returns_api.core.clock import rfc3339
from returns_api.core.errors import FieldError
from returns_api.returns.exceptions import ExchangeAmountTooLarge, HoldNotPending
from returns_api.returns.parts import Act, ExchangeDeadlines
from returns_api.returns.replacement import ReplacementOrder
from returns_api.returns.status import ReturnStatus

S = ReturnStatus
HoldOutcome = Literal["captured", "released"]
# What the platform may report, by the hold's status.
_REPORTABLE: Final[dict[str, frozenset[str]]] = {
    "capture_requested": frozenset({"captured", "released"}),
    "release_requested": frozenset({"released"}),
}


class InstantExchange(ReplacementOrder):
    """What `Return` does about an instant exchange's hold; the fields are the return's."""

    __slots__ = ()

    instant_exchange: bool
    keep_item: bool
    exchange_hold_amount: int | None
    exchange_hold_due_at: datetime | None
    exchange_hold_status: str | None
    exchange_hold_capture_amount: int | None
    exchange_hold_captured: int | None
    exchange_hold_reference: str | None

    def request_hold_capture(self, act: Act) -> None:
        """The parcel was not in transit by the hold's deadline: charge the hold."""
        due = self.exchange_hold_due_at
        if self.exchange_hold_status != "held" or self.status is not S.APPROVED:
            raise HoldNotPending("The hold is not waiting for the parcel.")
        if due is None or act.at < due:
            raise HoldNotPending("The hold's deadline has not passed.")
        self._ask_capture(act, int(self.exchange_hold_amount or 0), reason="not_shipped")

    def report_hold(
        self,
        act: Act,
        *,
        outcome: HoldOutcome,
        amount: int | None,
        external_reference: str | None,
        provider: str | None = None,
        note: str | None,
    ) -> None:
        """The platform charged (`captured`, by default the amount asked) or let go of the
        hold. Reporting the outcome already recorded changes nothing."""
        status = self.exchange_hold_status
        if status == outcome:
            return
        if outcome not in _REPORTABLE.get(status or "", frozenset()):
            raise HoldNotPending(
                f"The hold is {status or 'absent'}: it cannot be reported {outcome}."
            )
        captured = None
        if outcome == "captured":
            asked = int(self.exchange_hold_capture_amount or 0)
            if amount is not None and amount > asked:
                raise ExchangeAmountTooLarge(
                    f"{asked} was asked to be charged; {amount} was reported.",
                    errors=[FieldError(location="body.amount", message=f"must be at most {asked}")],
                )
            captured = asked if amount is None else amount

        def apply() -> None:
            if captured:
                self.new_payments.append(
                    self._payment(act, "hold_capture", captured, provider, external_reference)
                )
            self._set(
                exchange_hold_status=outcome,
                exchange_hold_captured=captured,
                exchange_hold_reference=external_reference,
            )
            self._refresh_refundable()

        self._change(
            act,
            f"exchange_hold_{outcome}",
            note=note,
            data={
                "amount": captured,
                "external_reference": external_reference,
                "provider": provider,
            },
            apply=apply,
        )

    def _hold_refund(self) -> int:
        """What was charged of the hold and is no longer at risk once the parcel came back
        (its units accepted after all): paid back through the `exchange` method."""
        inspected = self.refund_breakdown.get("basis") == "accepted"
        if self.exchange_hold_captured is None or not inspected:
            return 0
        return max(0, self.exchange_hold_captured - self._at_risk())

    def _keeps_payment(self) -> bool:
        """An instant exchange's new items went out before inspection: what was paid for
        them stays paid whatever is accepted, and nothing more is asked (the hold covers
        the rest)."""
        return self.exchange_hold_status is not None

    def _exchange_at_approval(
        self, act: Act, terms: ExchangeDeadlines, ship_to: dict[str, Any] | None
    ) -> None:
        """Approved: ask for what the exchange costs more; an instant one's parcel is due
        on its way within the hold's deadline, and it goes ahead if nothing is owed."""
        self._request_payment_if_due(act, terms.payment_deadline_days)
        if self.keep_item:  # no parcel to wait for, nothing to hold: it ships once paid
            self._request_replacement_if_due(act, ship_to, before_receipt=True)
        elif self.instant_exchange:
            self._set(exchange_hold_due_at=act.at + timedelta(days=terms.hold_deadline_days))
            self._start_instant_exchange(act, ship_to)

    def _start_instant_exchange(self, act: Act, ship_to: dict[str, Any] | None) -> None:
        """At approval, or at the payment that completes it: once nothing is owed, request
        the replacement before the parcel is back, and record the hold."""
        if not self.instant_exchange or self.exchange_hold_status is not None:
            return
        if self.outstanding > 0 or self.status is not S.APPROVED or self.keep_item:
            return
        self._request_replacement_if_due(act, ship_to, before_receipt=True)
        if self.exchange_order_requested_at is None:
            return
        amount, due_at = self._credit_applied(), self.exchange_hold_due_at
        assert due_at is not None  # set at approval
        self._change(
            act,
            "exchange_hold_placed",
            note=None,
            data={"amount": amount, "due_at": rfc3339(due_at)},
            apply=lambda: self._set(
                exchange_hold_amount=amount,
                exchange_hold_due_at=due_at,
                exchange_hold_status="held",
            ),
        )

    def _settle_hold_at_receipt(self, act: Act) -> None:
        """After the inspection: charge what the refused units leave at risk, else let go."""
        if self.exchange_hold_status != "held":
            return
        at_risk = self._at_risk()
        if at_risk > 0:
            self._ask_capture(act, at_risk, reason="not_accepted")
            return
        self._change(
            act,
            "exchange_hold_release_requested",
            note=None,
            event="return.exchange_hold_release_requested",
            apply=lambda: self._set(exchange_hold_status="release_requested"),
        )

    def _ask_capture(self, act: Act, amount: int, *, reason: str) -> None:
        self._change(
            act,
            "exchange_hold_capture_requested",
            note=None,
            data={"amount": amount, "reason": reason},
            event="return.exchange_hold_capture_requested",
            apply=lambda: self._set(
                exchange_hold_status="capture_requested", exchange_hold_capture_amount=amount
            ),
        )

    def _credit_applied(self) -> int:
        """What the exchanged items' credit pays of the new ones, by the current breakdown."""
        balance = self.refund_breakdown.get("exchange")
        if balance is None:
            return 0
        return min(int(balance["credit"]), int(balance["new_value"]))

    def _at_risk(self) -> int:
        """What of the hold the accepted units do not cover (after the inspection)."""
        return max(0, int(self.exchange_hold_amount or 0) - self._credit_applied())
