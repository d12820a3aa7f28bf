"""One demo return, from its request to wherever it has got to at the run's `end`.

The return is the real aggregate (`returns.domain.Return`), changed only through its own
methods, so the status table, the refund limits and the milestones are the ones the API
enforces; the simulation only decides who does what and when: review within days, a parcel
shipped or left to expire, inspection, refunds, completion, sometimes a rating. Every
change's `Act` carries the simulated moment and makes UUIDv7 ids from it and the run's
seeded generator, so the same seed gives the same rows.

Decisions are simulated, not judged by the stored policy; their facts are stored, so a
backtest can replay them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from returns_api.demo.config import uuid7_at
from returns_api.policies.document import PolicyDocument
from returns_api.returns import valuation
from returns_api.returns.domain import Return, Valuation
from returns_api.returns.expiry import SWEEPER, expire_unshipped
from returns_api.returns.inspection import Inspection
from returns_api.returns.parts import Act, Ask, Item
from returns_api.returns.service import STATUS_OF_ACTION, decision_note, instructions_for
from returns_api.returns.status import ReturnStatus

# Demo customers read English (the orders' column default).
DEMO_LOCALE = "en"

S = ReturnStatus
ACTOR_STAFF = "back-office"
ACTOR_WAREHOUSE = "warehouse"
CARRIERS = ("DHL", "UPS", "DPD", "GLS", "PostNL")
_COMMENTS = {
    1: "Very disappointing.",
    2: "It took far too long.",
    3: "Fine, but slow.",
    4: "Easy enough.",
    5: "Quick and painless, thank you!",
}


@dataclass(frozen=True, slots=True)
class Shop:
    """What every return of a run is judged, valued and timed with."""

    rng: random.Random
    policy_version: int
    policy: PolicyDocument
    end: datetime


@dataclass(frozen=True, slots=True)
class Wish:
    """One order line the customer sends back: how many units, why, and for what."""

    line: dict[str, Any]
    quantity: int
    reason: str
    resolution: str


class Lifecycle:
    """Walks one return through the aggregate; `run` gives it with its rating, if any."""

    def __init__(
        self,
        shop: Shop,
        order: dict[str, Any],
        lines: Sequence[dict[str, Any]],
        wishes: Sequence[Wish],
        requested: datetime,
        rma_number: str,
    ) -> None:
        self.shop, self.rng, self.order = shop, shop.rng, order
        self.requested = requested
        self.rma_number = rma_number
        self.line_quantities = {line["id"]: int(line["quantity"]) for line in lines}
        self.items = [self._item(position, wish) for position, wish in enumerate(wishes)]
        self.method = "mail" if self.rng.random() < 0.85 else "drop_off"
        self.feedback: dict[str, Any] | None = None

    # --- what the return is worth: the service's own valuations ---------------------------

    def _requested(self) -> Valuation:
        # A demo order has at most one return: no other return holds units of its lines.
        return valuation.requested(
            currency=self.order["currency"],
            policy=self.shop.policy,
            return_method=self.method,
            shipping_paid=int(self.order["shipping_paid"]),
            line_quantities=self.line_quantities,
            held={},
        )

    def _accepted(self, ret: Return) -> Valuation:
        return valuation.accepted(
            currency=self.order["currency"],
            policy=self.shop.policy,
            return_method=ret.return_method,
            shipping_paid=int(self.order["shipping_paid"]),
            line_quantities=self.line_quantities,
            others={},
        )

    # --- time and who ----------------------------------------------------------------------

    def _act(self, at: datetime, actor: str) -> Act:
        return Act(actor=actor, at=at, new_id=lambda: uuid7_at(at, self.rng))

    def _at(self, after: datetime, low_hours: float, high_hours: float) -> datetime | None:
        """A moment `low` to `high` hours after `after`, or None when it would be after `end`."""
        seconds = self.rng.randint(int(low_hours * 3600), int(high_hours * 3600))
        moment = after + timedelta(seconds=max(1, seconds))
        return moment if moment <= self.shop.end else None

    # --- the lifecycle ---------------------------------------------------------------------

    def run(self) -> tuple[Return, dict[str, Any] | None]:
        action = self._decide()
        keep_item = action == "approve_keep_item"
        decision = self._decision(action)
        ret = Return.create(
            self._act(self.requested, self.order["customer_email"]),
            order=self.order,
            request=Ask(self.method, locale=DEMO_LOCALE),
            rma_number=self.rma_number,
            terms=self.shop.policy.exchanges,
            items=self.items,
            decision=decision,
            status=STATUS_OF_ACTION[action],
            keep_item=keep_item,
            instructions=instructions_for(
                self.shop.policy, self.method, self.rma_number, keep_item=keep_item
            ),
            valuation=self._requested(),
            note=decision_note(decision),
        )
        approved = self.requested if ret.status is S.APPROVED else None
        if ret.status is S.PENDING_REVIEW:
            approved = self._review(ret)
        if approved is not None:
            self._after_approval(ret, approved)
        return ret, self.feedback

    def _review(self, ret: Return) -> datetime | None:
        """A person looks at it within a few days; when approved, the moment."""
        decided = self._at(self.requested, 1, 60)
        if decided is None:
            return None
        roll = self.rng.random()
        if roll < 0.03:
            ret.cancel(self._act(decided, self.order["customer_email"]), note=None)
        elif roll < 0.17:
            ret.reject(self._act(decided, ACTOR_STAFF), note="Outside our terms.")
        else:
            instructions = instructions_for(
                self.shop.policy, self.method, self.rma_number, keep_item=False
            )
            act = self._act(decided, ACTOR_STAFF)
            ret.approve(
                act,
                keep_item=False,
                instructions=instructions,
                note=None,
                terms=self.shop.policy.exchanges,
            )
            return decided
        return None

    def _after_approval(self, ret: Return, approved: datetime) -> None:
        rng = self.rng
        if ret.keep_item:
            refunded = self._refund(ret, approved, low_hours=0.2, high_hours=30)
            if refunded is not None:
                self._complete(ret, refunded)
            return
        roll = rng.random()
        if roll < 0.04:
            cancelled = self._at(approved, 2, 72)
            if cancelled is not None:
                ret.cancel(self._act(cancelled, self.order["customer_email"]), note=None)
            return
        if roll < 0.09:  # never shipped: the expiry sweep comes a few minutes after the deadline
            days = self.shop.policy.ship_within_days
            swept = approved + timedelta(days=days, minutes=rng.randint(1, 5))
            if swept <= self.shop.end:
                expire_unshipped(ret, self._act(swept, SWEEPER), ship_within_days=days)
            return
        shipped = self._at(approved, 4, 24 * 6)
        if shipped is None:
            return
        carrier = rng.choice(CARRIERS)
        ret.record_tracking(
            self._act(shipped, carrier),
            event="in_transit",
            tracking_number=f"{carrier[:2].upper()}{rng.randrange(10**11, 10**12)}",
            carrier=carrier,
            occurred_at=shipped,
            note=None,
        )
        received = self._at(shipped, 36, 24 * 6)
        if received is None:
            return
        ret.receive(
            self._act(received, ACTOR_WAREHOUSE),
            self._inspections(),
            valuation=self._accepted(ret),
            note=None,
            terms=self.shop.policy.exchanges,
        )
        refunded = self._refund(ret, received, low_hours=1, high_hours=24 * 4)
        if refunded is not None:
            self._complete(ret, refunded)

    def _inspections(self) -> list[Inspection]:
        """Most parcels are fine; some come back used (nothing accepted) or with something
        else in them. Damaged and defective items are graded so, and liquidated."""
        found = []
        for item in self.items:
            roll = self.rng.random()
            condition: str | None = "as_new"
            if roll < 0.90:
                accepted = item.quantity
                if item.reason in ("damaged", "defective"):
                    condition = item.reason
            elif roll < 0.97:
                accepted, condition = 0, "used"
            else:
                accepted, condition = 0, None
            found.append(
                Inspection(
                    item_id=item.id,
                    received_quantity=item.quantity,
                    accepted_quantity=accepted,
                    condition=condition,
                    disposition="restock" if condition == "as_new" else "liquidate",
                    wrong_item=roll >= 0.97,
                )
            )
        return found

    def _refund(
        self, ret: Return, after: datetime, *, low_hours: float, high_hours: float
    ) -> datetime | None:
        """Refund what is owed, a refund per method; when the last one was made (`after`
        when nothing is owed), or None when `end` comes first."""
        owed = sorted(m for m, amount in ret.refund_breakdown["by_method"].items() if amount > 0)
        if not owed:
            return after
        at = self._at(after, low_hours, high_hours)
        if at is None or at + timedelta(seconds=len(owed) - 1) > self.shop.end:
            return None
        for offset, method in enumerate(owed):
            moment = at + timedelta(seconds=offset)
            ret.refund(
                self._act(moment, ACTOR_STAFF),
                amount=None,  # all that is left of the method's share
                method=method,
                external_reference=f"re_{self.rng.getrandbits(64):016x}",
                note=None,
            )
        return at + timedelta(seconds=len(owed) - 1)

    def _complete(self, ret: Return, after: datetime) -> None:
        done = self._at(after, 0.1, 30)
        if done is None:
            return
        ret.complete(self._act(done, ACTOR_STAFF), note=None)
        if self.rng.random() < 0.35:
            # Customers who waited longer rate lower.
            waited = (done - self.requested).total_seconds() / 86_400
            mood = 5 if waited < 6 else (4 if waited < 10 else (3 if waited < 15 else 2))
            rating = max(1, min(5, mood + self.rng.choice((-1, 0, 0, 0, 1))))
            self._rate(ret, done, rating)

    def _rate(self, ret: Return, after: datetime, rating: int) -> None:
        at = self._at(after, 1, 24 * 5)
        if at is None:
            return
        self.feedback = {
            "id": uuid7_at(at, self.rng),
            "return_id": ret.id,
            "rating": rating,
            "comment": _COMMENTS[rating] if self.rng.random() < 0.6 else None,
            "actor": self.order["customer_email"],
            "created_at": at,
        }

    # --- the request and its simulated decision --------------------------------------------

    def _item(self, position: int, wish: Wish) -> Item:
        return Item.of_line(
            uuid7_at(self.requested, self.rng),
            self.order,
            wish.line,
            position=position,
            quantity=wish.quantity,
            reason=wish.reason,
            merchant_fault=self.shop.policy.reasons_by_code[wish.reason].merchant_fault,
            comment=None,
            resolution=wish.resolution,
        )

    def _value(self) -> int:
        return sum(item.unit_price * item.quantity for item in self.items)

    def _decide(self) -> str:
        """Like a simple policy: cheap items kept, cheap size and mind changes approved at
        once, a very few refused, the rest reviewed."""
        value = self._value()
        if value < 1200 and self.rng.random() < 0.9:
            return "approve_keep_item"
        if value <= 6000 and {item.reason for item in self.items} <= {"size_fit", "changed_mind"}:
            return "approve"
        if self.rng.random() < 0.02:
            return "reject"
        return "review"

    def _decision(self, action: str) -> dict[str, Any]:
        auto = action != "review"
        return {
            "action": action,
            "policy_version": self.shop.policy_version,
            "matched_rule_id": "demo-auto" if auto else None,
            "matched_rule_name": "Demo: clear cases decided at once" if auto else None,
            "deciding_item_key": self.items[0].line_item_id,
            "trace": [],
            "facts": self._facts(),
        }

    def _facts(self) -> dict[str, Any]:
        delivered = self.order["delivered_at"]
        return {
            "return": {
                "return_value": self._value(),
                "days_since_delivery": max(0, (self.requested - delivered).days),
            },
            "items": [
                {
                    "key": item.line_item_id,
                    "values": {
                        "item_unit_price": item.unit_price,
                        "item_value": item.unit_price * item.quantity,
                        "item_quantity": item.quantity,
                        "reason": item.reason,
                        "reason_is_merchant_fault": item.merchant_fault,
                        "resolution": item.resolution,
                        "item_tags": [],
                    },
                }
                for item in self.items
            ],
        }
