"""Who a request acts for, as services see it: plain data, no web framework."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: a merchant API key, or a customer holding a portal token or
    a return link (from a mail: one return, read only)."""

    kind: Literal["api_key", "portal", "return_link"]
    actor: str  # what timelines show: the key's name, or the customer's e-mail
    scopes: frozenset[str]
    key_id: uuid.UUID | None = None
    order_id: str | None = None  # portal callers may only touch this order
    customer_id: str | None = None
    return_id: uuid.UUID | None = None  # return links may only read this return

    @property
    def is_customer(self) -> bool:
        return self.kind != "api_key"

    def may_see_order(self, order_id: str) -> bool:
        """A portal token sees its order; a return link no order, only its return."""
        return not self.is_customer or (self.return_id is None and order_id == self.order_id)

    def may_see_return(self, return_id: uuid.UUID, order_id: str) -> bool:
        """A portal token sees its order's returns; a return link its own return."""
        if not self.is_customer:
            return True
        if self.return_id is not None:
            return return_id == self.return_id
        return order_id == self.order_id

    @property
    def principal(self) -> str:
        """A stable id for what the caller owns (idempotency keys are scoped to it)."""
        if self.kind == "return_link":
            return f"link:{self.return_id}"
        return f"key:{self.key_id}" if self.kind == "api_key" else f"portal:{self.order_id}"
