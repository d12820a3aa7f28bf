"""Synthetic orders and returns for trying analytics and for benchmarks. Pure: no I/O.

Deterministic: the same seed, order count, end date and policy give the same rows (ids
included — they are UUIDv7 made from the row's own timestamp and the seeded generator, so
they sort by time as real ones do).

This module makes the orders and decides what comes back: orders spread over the months
before `end`, busier towards the end and in the evening, 1 to 3 lines of the catalogue
(`demo.catalogue`), some discounted, VAT on top; lines come back by their category's
propensity and their product's quality, a few days to weeks after delivery, for reasons
their category (and an oversold description) makes likely. What happens to a return next
is `demo.lifecycle`'s, through the return aggregate itself.

No outbox events are written: demo data must not wake webhooks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from returns_api.demo.catalogue import Product, make_catalogue
from returns_api.demo.config import DemoChunk, DemoConfig, demo_order_id
from returns_api.demo.lifecycle import Lifecycle, Shop, Wish
from returns_api.policies.document import PolicyDocument

_RMA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def generate(
    config: DemoConfig, policy_version: int, policy: PolicyDocument
) -> Iterator[DemoChunk]:
    """Chunks of `config.chunk_orders` orders with their returns."""
    yield from _Generator(config, policy_version, policy).chunks()


class _Generator:
    def __init__(self, config: DemoConfig, policy_version: int, policy: PolicyDocument) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.policy = policy
        self.shop = Shop(self.rng, policy_version, policy, config.end)
        self.reasons = {r.code for r in policy.reasons}
        self.catalogue = make_catalogue(self.rng)
        self.customers = max(1, config.orders // 3)  # repeat buyers (and serial returners)
        self.start = config.end - timedelta(days=30 * config.months)
        self.rma_numbers: set[str] = set()

    def chunks(self) -> Iterator[DemoChunk]:
        chunk = DemoChunk()
        for number in range(1, self.config.orders + 1):
            self._order(chunk, number)
            if number % self.config.chunk_orders == 0:
                yield chunk
                chunk = DemoChunk()
        if chunk.orders:
            yield chunk

    # --- orders ----------------------------------------------------------------------------

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

    # --- what comes back -------------------------------------------------------------------

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
        wishes = [self._wish(line) for line in returned]
        life = Lifecycle(self.shop, order, lines, wishes, requested, self._rma_number())
        chunk.add_return(*life.run())

    def _wish(self, line: dict[str, Any]) -> Wish:
        """What the customer asks for one line: mostly all its units, mostly money back."""
        reason = self._reason_for(line["_product"])
        roll = self.rng.random()
        resolution = "refund" if roll < 0.75 else ("store_credit" if roll < 0.95 else "exchange")
        quantity = line["quantity"] if self.rng.random() < 0.8 else 1
        return Wish(line=line, quantity=quantity, reason=reason, resolution=resolution)

    def _reason_for(self, product: Product) -> str:
        weights = dict(product.category.reasons)
        if product.oversold:
            weights["not_as_described"] = weights.get("not_as_described", 0) * 4 + 20
        codes = [code for code in weights if code in self.reasons]
        return self.rng.choices(codes, weights=[weights[c] for c in codes])[0]

    def _rma_number(self) -> str:
        while True:
            number = "R-" + "".join(self.rng.choice(_RMA_ALPHABET) for _ in range(8))
            if number not in self.rma_numbers:
                self.rma_numbers.add(number)
                return number
