"""What a demo-data run is asked for (`DemoConfig`), what it yields (`DemoChunk`, rows of
every table), and the ids it makes: deterministic ones, so that the same seed gives the
same rows."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from returns_api.returns.domain import Return
from returns_api.returns.store import rows_of


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

    def add_return(self, ret: Return, feedback: dict[str, Any] | None) -> None:
        """`ret` as the store would write it (the same mapper). Its pending events are
        dropped, not written to the outbox: demo data must not wake webhook subscribers."""
        ret.pending_events.clear()
        rows = rows_of(ret)
        self.returns.append(rows.returns)
        self.return_items.extend(rows.items)
        self.return_changes.extend(rows.changes)
        self.refunds.extend(rows.refunds)
        if feedback is not None:
            self.return_feedback.append(feedback)

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
    """A UUIDv7 for `moment` (RFC 9562 layout) with seeded random bits: ids that sort by
    time as real ones do, and that the same seed makes again."""
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64)
    value |= (0b10 << 62) | rng.getrandbits(62)
    return uuid.UUID(int=value)
