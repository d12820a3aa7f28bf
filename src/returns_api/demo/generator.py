"""Synthetic orders and returns for trying analytics and for benchmarks. Pure: no I/O.

Deterministic: the same seed, order count, end date and policy give the same rows (ids
included — they are UUIDv7 made from the row's own timestamp and the seeded generator, so
they sort by time as real ones do).

What it models, roughly like a mid-size fashion-and-lifestyle shop:

- a catalogue of products in six categories, each with its own price range, return
  propensity and reasons (shoes come back for size, electronics for defects, home goods
  arrive damaged), and a few "problem" products whose description oversells them;
- orders spread over the months before `end`, 1 to 3 lines, some discounted, VAT on top;
- returns a few days to weeks after delivery, judged like a simple policy would (cheap
  size and mind changes approved at once, very cheap items kept, the rest reviewed), then
  walked through their lifecycle with realistic delays — approved, shipped (or not, and
  expired), received and inspected, refunded, completed — as far as `end` allows;
- timeline entries for every change, refunds, and a rating for some of them.

Decisions are simulated, not judged by the stored policy (their facts are stored, so a
backtest can replay them). No outbox events are written: demo data must not wake webhooks.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from returns_api.policies.document import PolicyDocument
from returns_api.returns import breakdown
from returns_api.returns.parts import NEW_ITEM_STATE
from returns_api.returns.service import instructions_for

_RMA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ACTOR_STAFF = "back-office"
ACTOR_WAREHOUSE = "warehouse"
CARRIERS = ("DHL", "UPS", "DPD", "GLS", "PostNL")


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    products: tuple[str, ...]
    price_range: tuple[int, int]  # minor units
    sizes: tuple[str, ...]
    return_probability: float  # per line sold
    reasons: dict[str, int]  # relative weights


CATEGORIES = (
    Category(
        "tops",
        ("Linen shirt", "Basic tee", "Merino jumper", "Hoodie", "Oxford shirt", "Polo"),
        (1500, 6500),
        ("S", "M", "L", "XL"),
        0.20,
        {
            "size_fit": 48,
            "changed_mind": 16,
            "poor_quality": 12,
            "not_as_described": 9,
            "damaged": 4,
            "wrong_item": 4,
            "defective": 2,
            "late_delivery": 5,
        },
    ),
    Category(
        "dresses",
        ("Wrap dress", "Maxi dress", "Shirt dress", "Slip dress"),
        (3500, 12000),
        ("XS", "S", "M", "L"),
        0.32,
        {
            "size_fit": 52,
            "changed_mind": 18,
            "not_as_described": 12,
            "poor_quality": 9,
            "damaged": 3,
            "wrong_item": 3,
            "late_delivery": 3,
        },
    ),
    Category(
        "shoes",
        ("Running shoe", "Leather boot", "Canvas sneaker", "Sandal"),
        (4000, 16000),
        ("38", "39", "40", "41", "42", "43", "44"),
        0.27,
        {
            "size_fit": 62,
            "changed_mind": 12,
            "poor_quality": 8,
            "defective": 5,
            "damaged": 4,
            "wrong_item": 4,
            "not_as_described": 5,
        },
    ),
    Category(
        "electronics",
        ("Wireless earbuds", "Phone charger", "Smart bulb", "Bluetooth speaker", "Power bank"),
        (1500, 25000),
        (),
        0.07,
        {
            "defective": 38,
            "damaged": 18,
            "changed_mind": 18,
            "not_as_described": 14,
            "wrong_item": 6,
            "late_delivery": 6,
        },
    ),
    Category(
        "home",
        ("Ceramic mug", "Table lamp", "Linen cushion", "Glass vase", "Throw blanket"),
        (900, 9000),
        (),
        0.06,
        {
            "damaged": 42,
            "not_as_described": 18,
            "changed_mind": 18,
            "poor_quality": 12,
            "wrong_item": 6,
            "late_delivery": 4,
        },
    ),
    Category(
        "beauty",
        ("Face serum", "Hand cream", "Perfume", "Lip balm"),
        (600, 7000),
        (),
        0.04,
        {
            "changed_mind": 40,
            "damaged": 25,
            "not_as_described": 15,
            "defective": 10,
            "wrong_item": 10,
        },
    ),
)


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    title: str
    category: Category
    price: int
    quality: float  # multiplies the category's return probability
    oversold: bool  # its description promises more than it is: "not as described" spikes
    variants: tuple[tuple[str, str], ...]  # (variant id, sku)


@dataclass(frozen=True, slots=True)
class DemoConfig:
    orders: int
    end: datetime  # aware; nothing happens after it
    seed: int = 1
    months: int = 6
    currency: str = "EUR"
    chunk_orders: int = 1000


@dataclass(slots=True)
class DemoChunk:
    """Rows of every table for a run of consecutive orders, in insertion (FK) order."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    order_lines: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    return_items: list[dict[str, Any]] = field(default_factory=list)
    return_changes: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    return_feedback: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return [
            ("orders", self.orders),
            ("order_lines", self.order_lines),
            ("returns", self.returns),
            ("return_items", self.return_items),
            ("return_changes", self.return_changes),
            ("refunds", self.refunds),
            ("return_feedback", self.return_feedback),
        ]


def demo_order_id(seed: int, number: int) -> str:
    return f"demo-{seed}-{number:07d}"


def uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 for `moment` (RFC 9562 layout) with seeded random bits."""
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64)
    value |= (0b10 << 62) | rng.getrandbits(62)
    return uuid.UUID(int=value)


def generate(
    config: DemoConfig, policy_version: int, policy: PolicyDocument
) -> Iterator[DemoChunk]:
    """Chunks of `config.chunk_orders` orders with their returns."""
    yield from _Generator(config, policy_version, policy).chunks()


class _Generator:
    def __init__(self, config: DemoConfig, policy_version: int, policy: PolicyDocument) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.policy_version = policy_version
        self.policy = policy
        self.fault = {r.code: r.merchant_fault for r in policy.reasons}
        self.reasons = [r.code for r in policy.reasons]
        self.catalogue = self._catalogue()
        self.customers = max(1, config.orders // 3)  # repeat buyers (and serial returners)
        self.start = config.end - timedelta(days=30 * config.months)
        self.rma_numbers: set[str] = set()

    # --- catalogue and orders ------------------------------------------------------------

    def _catalogue(self) -> list[Product]:
        rng, products = self.rng, []
        for category in CATEGORIES:
            for index, title in enumerate(category.products):
                low, high = category.price_range
                product_id = f"demo-{category.name}-{index + 1}"
                sizes = category.sizes or ("",)
                variants = tuple(
                    (
                        f"{product_id}-{size or 'one'}",
                        f"{category.name[:3].upper()}-{index + 1:02d}{'-' + size if size else ''}",
                    )
                    for size in sizes
                )
                products.append(
                    Product(
                        product_id=product_id,
                        title=title,
                        category=category,
                        price=rng.randrange(low, high, 100) - 1,  # x.99 prices
                        quality=rng.choice((0.6, 0.8, 1.0, 1.0, 1.0, 1.2, 1.5)),
                        oversold=rng.random() < 0.12,
                        variants=variants,
                    )
                )
        return products

    def chunks(self) -> Iterator[DemoChunk]:
        chunk = DemoChunk()
        for number in range(1, self.config.orders + 1):
            self._order(chunk, number)
            if number % self.config.chunk_orders == 0:
                yield chunk
                chunk = DemoChunk()
        if chunk.orders:
            yield chunk

    def _moment(self, number: int) -> datetime:
        """When order `number` is placed: in number order (a shop's rows arrive in time
        order, and the benchmark's physical layout should look like it), busier towards the
        end of the period (growth) and in the evening."""
        span = (self.config.end - self.start).total_seconds()
        fraction = ((number - 0.5) / self.config.orders) ** 0.85
        day = self.start + timedelta(seconds=int(span * fraction))
        hour = min(23, max(0, int(self.rng.gauss(19, 4))))
        moment = day.replace(
            hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60)
        )
        return min(moment, self.config.end - timedelta(hours=1))

    def _order(self, chunk: DemoChunk, number: int) -> None:
        rng, config = self.rng, self.config
        placed = self._moment(number)
        fulfilled = placed + timedelta(hours=rng.randint(6, 48))
        delivered = fulfilled + timedelta(hours=rng.randint(24, 120))
        customer = rng.randrange(self.customers)
        order_id = demo_order_id(config.seed, number)
        lines: list[dict[str, Any]] = []
        discount_rate = 10 if rng.random() < 0.2 else 0
        for position in range(rng.choice((1, 1, 1, 2, 2, 3))):
            product = rng.choice(self.catalogue)
            variant_id, sku = rng.choice(product.variants)
            quantity = 1 if rng.random() < 0.85 else 2
            gross = product.price * quantity
            discount = gross * discount_rate // 100
            lines.append(
                {
                    "order_id": order_id,
                    "id": f"li_{position + 1}",
                    "position": position,
                    "sku": sku,
                    "product_id": product.product_id,
                    "variant_id": variant_id,
                    "title": product.title,
                    "quantity": quantity,
                    "unit_price": product.price,
                    "discount": discount,
                    "tax": (gross - discount) * 19 // 100,
                    "tags": [product.category.name],
                    "category": product.category.name,
                    "final_sale": False,
                    "_product": product,
                }
            )
        shipping = 0 if sum(line["unit_price"] for line in lines) >= 5000 else 495
        order = {
            "id": order_id,
            "order_number": f"D{config.seed}-{number}",
            "customer_id": f"demo-{config.seed}-cus-{customer}",
            "customer_email": f"customer{customer}@example.com",
            "currency": config.currency,
            "country": rng.choice(("DE", "DE", "DE", "AT", "NL", "FR", "BE")),
            "placed_at": placed,
            "fulfilled_at": fulfilled if fulfilled <= config.end else None,
            "delivered_at": delivered if delivered <= config.end else None,
            "shipping_paid": shipping,
            "created_at": placed,
            "updated_at": min(delivered, config.end),
        }
        chunk.orders.append(order)
        chunk.order_lines.extend(
            {
                **{k: v for k, v in line.items() if k != "_product"},
                "placed_at": placed,
                "currency": config.currency,
            }
            for line in lines
        )
        if order["delivered_at"] is not None:
            self._maybe_return(chunk, order, lines)

    # --- returns -------------------------------------------------------------------------

    def reason_for(self, product: Product) -> str:
        weights = dict(product.category.reasons)
        if product.oversold:
            weights["not_as_described"] = weights.get("not_as_described", 0) * 4 + 20
        codes = [code for code in weights if code in self.fault]
        return self.rng.choices(codes, weights=[weights[c] for c in codes])[0]

    def _maybe_return(
        self, chunk: DemoChunk, order: dict[str, Any], lines: list[dict[str, Any]]
    ) -> None:
        rng = self.rng
        returned = [
            line
            for line in lines
            if rng.random()
            < line["_product"].category.return_probability * line["_product"].quality
        ]
        if not returned:
            return
        requested = order["delivered_at"] + timedelta(
            hours=rng.randint(6, 24 * min(self.policy.window_days, 28))
        )
        if requested > self.config.end:
            return
        whole_order = len(returned) == len(lines)
        _Lifecycle(self, chunk, order, returned, requested, whole_order).run()

    def rma_number(self) -> str:
        while True:
            number = "R-" + "".join(self.rng.choice(_RMA_ALPHABET) for _ in range(8))
            if number not in self.rma_numbers:
                self.rma_numbers.add(number)
                return number


class _Lifecycle:
    """One return, from its request to wherever it is at `end`."""

    def __init__(
        self,
        gen: _Generator,
        chunk: DemoChunk,
        order: dict[str, Any],
        lines: list[dict[str, Any]],
        requested: datetime,
        every_line: bool,
    ) -> None:
        self.gen, self.rng, self.chunk, self.order = gen, gen.rng, chunk, order
        self.every_line = every_line
        self.end = gen.config.end
        self.id = uuid7_at(requested, self.rng)
        self.requested = requested
        self.rma = gen.rma_number()
        self.items = [self._item(position, line) for position, line in enumerate(lines)]
        self.changes: list[dict[str, Any]] = []
        self.status = "pending_review"
        self.keep_item = False
        self.refunded = 0
        self.tracking: str | None = None
        self.carrier: str | None = None
        self.method = "mail" if self.rng.random() < 0.85 else "drop_off"

    def _item(self, position: int, line: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        reason = self.gen.reason_for(line["_product"])
        roll = rng.random()
        resolution = "refund" if roll < 0.75 else ("store_credit" if roll < 0.95 else "exchange")
        return {
            "id": uuid7_at(self.requested, rng),
            "return_id": self.id,
            "order_id": self.order["id"],
            "line_item_id": line["id"],
            "position": position,
            "sku": line["sku"],
            "title": line["title"],
            "line_quantity": line["quantity"],
            "unit_price": line["unit_price"],
            "line_discount": line["discount"],
            "line_tax": line["tax"],
            "quantity": line["quantity"] if rng.random() < 0.8 else 1,
            "reason": reason,
            "merchant_fault": self.gen.fault[reason],
            "comment": None,
            "resolution": resolution,
            **NEW_ITEM_STATE,
            "order_placed_at": self.order["placed_at"],
            "order_currency": self.order["currency"],
        }

    def _at(self, after: datetime, low_hours: float, high_hours: float) -> datetime | None:
        """A moment `low` to `high` hours after `after`, or None when it would be after `end`."""
        seconds = self.rng.randint(int(low_hours * 3600), int(high_hours * 3600))
        moment = after + timedelta(seconds=max(1, seconds))
        return moment if moment <= self.end else None

    def _change(
        self,
        at: datetime,
        kind: str,
        to_status: str | None,
        actor: str,
        *,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        before = self.status if self.changes else None
        self.status = to_status or self.status
        self.changes.append(
            {
                "id": uuid7_at(at, self.rng),
                "return_id": self.id,
                "kind": kind,
                "actor": actor,
                "from_status": before,
                "to_status": self.status,
                "note": note,
                "data": data,
                "created_at": at,
            }
        )

    def _value(self) -> int:
        return sum(i["unit_price"] * i["quantity"] for i in self.items)

    def _decide(self) -> str:
        value = self._value()
        reasons = {i["reason"] for i in self.items}
        if value < 1200 and self.rng.random() < 0.9:
            return "approve_keep_item"
        if value <= 6000 and reasons <= {"size_fit", "changed_mind"}:
            return "approve"
        if self.rng.random() < 0.02:
            return "reject"
        return "review"

    def run(self) -> None:
        gen = self.gen
        action = self._decide()
        customer = self.order["customer_email"]
        born = {"approve": "approved", "approve_keep_item": "approved", "reject": "rejected"}
        self.keep_item = action == "approve_keep_item"
        self._change(
            self.requested,
            "created",
            born.get(action, "pending_review"),
            customer,
            note=f"{action} by {'rule' if action != 'review' else 'the default action'} "
            f"(policy v{gen.policy_version})",
            data={"policy_version": gen.policy_version, "action": action},
        )
        money = self._breakdown("requested")
        approved_at = self.requested if self.status == "approved" else None
        if self.status == "pending_review":
            approved_at = self._review()
        if self.status == "approved" and approved_at is not None:
            money = self._after_approval(approved_at, money)
        self._write(action, money)

    def _review(self) -> datetime | None:
        decided = self._at(self.requested, 1, 60)
        if decided is None:
            return None
        roll = self.rng.random()
        if roll < 0.03:
            self._change(decided, "cancelled", "cancelled", self.order["customer_email"])
        elif roll < 0.17:
            self._change(decided, "rejected", "rejected", ACTOR_STAFF, note="Outside our terms.")
        else:
            self._change(decided, "approved", "approved", ACTOR_STAFF, data={"keep_item": False})
            return decided
        return None

    def _after_approval(self, approved: datetime, money: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        if self.keep_item:
            refunded = self._refund(approved, money, low_hours=0.2, high_hours=30)
            if refunded is not None:
                self._complete(refunded)
            return money
        roll = rng.random()
        if roll < 0.04:
            cancelled = self._at(approved, 2, 72)
            if cancelled is not None:
                self._change(cancelled, "cancelled", "cancelled", self.order["customer_email"])
            return money
        if roll < 0.09:  # never shipped
            deadline = approved + timedelta(days=self.gen.policy.ship_within_days)
            if deadline + timedelta(minutes=5) <= self.end:
                self._change(
                    deadline + timedelta(minutes=rng.randint(1, 5)),
                    "expired",
                    "expired",
                    "returns-api (expiry sweep)",
                    note=f"Not shipped within {self.gen.policy.ship_within_days} days of approval.",
                )
            return money
        shipped = self._at(approved, 4, 24 * 6)
        if shipped is None:
            return money
        self.carrier = rng.choice(CARRIERS)
        self.tracking = f"{self.carrier[:2].upper()}{rng.randrange(10**11, 10**12)}"
        for item in self.items:
            item["reception_status"] = "in_transit"
        self._change(
            shipped,
            "tracking",
            "in_transit",
            self.carrier,
            data={"event": "in_transit", "carrier": self.carrier, "tracking_number": self.tracking},
        )
        received = self._at(shipped, 36, 24 * 6)
        if received is None:
            return money
        self._inspect()
        money = self._breakdown("accepted")
        self._change(received, "received", "received", ACTOR_WAREHOUSE)
        refunded = self._refund(received, money, low_hours=1, high_hours=24 * 4)
        if refunded is not None:
            self._complete(refunded)
        return money

    def _inspect(self) -> None:
        rng = self.rng
        for item in self.items:
            roll = rng.random()
            quantity = item["quantity"]
            if roll < 0.90:
                received, accepted, reception, condition = quantity, quantity, "received", "as_new"
                if item["reason"] in ("damaged", "defective"):
                    condition = "damaged" if item["reason"] == "damaged" else "defective"
            elif roll < 0.97:
                received, accepted, reception, condition = quantity, 0, "received", "used"
            else:
                received, accepted, reception, condition = quantity, 0, "wrong_item", None
            item.update(
                reception_status=reception,
                received_quantity=received,
                acceptance_status="accepted" if accepted else "rejected",
                accepted_quantity=accepted,
                condition=condition,
                disposition="restock" if condition == "as_new" else "liquidate",
            )

    def _refund(
        self, after: datetime, money: dict[str, Any], *, low_hours: float, high_hours: float
    ) -> datetime | None:
        by_method: dict[str, int] = money["by_method"]
        if not by_method:
            return after  # nothing accepted: nothing to refund, the return can close
        at = self._at(after, low_hours, high_hours)
        if at is None:
            return None
        for offset, (method, amount) in enumerate(sorted(by_method.items())):
            moment = at + timedelta(seconds=offset)
            refund_id = uuid7_at(moment, self.rng)
            self.chunk.refunds.append(
                {
                    "id": refund_id,
                    "return_id": self.id,
                    "amount": amount,
                    "currency": self.order["currency"],
                    "method": method,
                    "external_reference": f"re_{refund_id.hex[:16]}",
                    "note": None,
                    "actor": ACTOR_STAFF,
                    "created_at": moment,
                }
            )
            self.refunded += amount
            self._change(
                moment,
                "refunded",
                None,
                ACTOR_STAFF,
                data={"refund_id": str(refund_id), "amount": amount, "method": method},
            )
        return at + timedelta(seconds=len(by_method))

    def _complete(self, after: datetime) -> None:
        done = self._at(after, 0.1, 30)
        if done is None:
            return
        self._change(done, "completed", "completed", ACTOR_STAFF)
        if self.rng.random() < 0.35:
            waited = (done - self.requested).total_seconds() / 86_400
            mood = 5 if waited < 6 else (4 if waited < 10 else (3 if waited < 15 else 2))
            rating = max(1, min(5, mood + self.rng.choice((-1, 0, 0, 0, 1))))
            self._feedback(done, rating)

    def _feedback(self, after: datetime, rating: int) -> None:
        at = self._at(after, 1, 24 * 5)
        if at is None:
            return
        comments = {
            1: "Very disappointing.",
            2: "It took far too long.",
            3: "Fine, but slow.",
            4: "Easy enough.",
            5: "Quick and painless, thank you!",
        }
        self.chunk.return_feedback.append(
            {
                "id": uuid7_at(at, self.rng),
                "return_id": self.id,
                "rating": rating,
                "comment": comments[rating] if self.rng.random() < 0.6 else None,
                "actor": self.order["customer_email"],
                "created_at": at,
            }
        )

    def _breakdown(self, basis: breakdown.Basis) -> dict[str, Any]:
        whole = self.every_line and all(
            item["quantity"] == item["line_quantity"] for item in self.items
        )
        return breakdown.compute_breakdown(
            self.items,
            basis=basis,
            currency=self.order["currency"],
            policy=self.gen.policy,
            shipping_paid=int(self.order["shipping_paid"]),
            taken={},
            whole_order_returned=whole,
        )

    def _facts(self) -> dict[str, Any]:
        delivered = self.order["delivered_at"]
        return {
            "return": {
                "return_value": self._value(),
                "days_since_delivery": max(0, (self.requested - delivered).days),
            },
            "items": [
                {
                    "key": item["line_item_id"],
                    "values": {
                        "item_unit_price": item["unit_price"],
                        "item_value": item["unit_price"] * item["quantity"],
                        "item_quantity": item["quantity"],
                        "reason": item["reason"],
                        "reason_is_merchant_fault": item["merchant_fault"],
                        "resolution": item["resolution"],
                        "item_tags": [],
                    },
                }
                for item in self.items
            ],
        }

    def _first(self, *kinds: str, to_status: str | None = None) -> datetime | None:
        """When the first timeline entry of one of `kinds` (to `to_status`) was made."""
        return next(
            (
                change["created_at"]
                for change in self.changes
                if change["kind"] in kinds and to_status in (None, change["to_status"])
            ),
            None,
        )

    def _write(self, action: str, money: dict[str, Any]) -> None:
        auto = action != "review"
        instructions = None
        if any(change["to_status"] == "approved" for change in self.changes):
            instructions = instructions_for(
                self.gen.policy, self.method, self.rma, keep_item=self.keep_item
            )
        self.chunk.returns.append(
            {
                "id": self.id,
                "rma_number": self.rma,
                "order_id": self.order["id"],
                "customer_id": self.order["customer_id"],
                "status": self.status,
                "currency": self.order["currency"],
                "return_method": self.method,
                "keep_item": self.keep_item,
                "instructions": instructions,
                "decision": {
                    "action": action,
                    "policy_version": self.gen.policy_version,
                    "matched_rule_id": "demo-auto" if auto else None,
                    "matched_rule_name": "Demo: clear cases decided at once" if auto else None,
                    "deciding_item_key": self.items[0]["line_item_id"],
                    "trace": [],
                    "facts": self._facts(),
                },
                "policy_version": self.gen.policy_version,
                "tracking_number": self.tracking,
                "carrier": self.carrier,
                "refund_breakdown": money,
                "refundable_amount": money["total"],
                "refunded_amount": self.refunded,
                "version": len(self.changes),
                "created_by": self.order["customer_email"],
                "created_at": self.requested,
                "updated_at": self.changes[-1]["created_at"],
                # The milestones the service keeps on the row, from this return's timeline.
                "auto_approved": self.changes[0]["to_status"] == "approved",
                "approved_at": self._first("created", "approved", to_status="approved"),
                "received_at": self._first("received"),
                "first_refunded_at": self._first("refunded"),
            }
        )
        self.chunk.return_items.extend(self.items)
        self.chunk.return_changes.extend(self.changes)
