"""Who a request acts for, as services see it: plain data, no web framework."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: a merchant API key, or a customer holding a portal token."""

    kind: Literal["api_key", "portal"]
    actor: str  # what timelines show: the key's name, or the customer's e-mail
    scopes: frozenset[str]
    key_id: uuid.UUID | None = None
    order_id: str | None = None  # portal callers may only touch this order
    customer_id: str | None = None

    @property
    def is_customer(self) -> bool:
        return self.kind == "portal"

    @property
    def principal(self) -> str:
        """A stable id for what the caller owns (idempotency keys are scoped to it)."""
        return f"key:{self.key_id}" if self.kind == "api_key" else f"portal:{self.order_id}"
