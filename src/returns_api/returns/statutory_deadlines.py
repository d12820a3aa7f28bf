"""A statutory withdrawal's deadlines as changes of the return aggregate (`domain.Return`
takes this in). Pure, like the rest of the aggregate.

Directive 2011/83/EU: the refund is due 14 days after the withdrawal (Article 13(1)), and may
wait until the goods are back or the consumer shows they were sent (13(3)); the consumer
sends the goods back within 14 days (14(1)). Neither deadline changes the return's status:
an overdue refund is announced once (`return.refund_overdue`), goods not sent back in time
are flagged for the merchant, never expired (the right was exercised; the contract ended).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from returns_api.returns.parts import Act
from returns_api.returns.status import ReturnStatus
from returns_api.statutory import eu


class StatutoryDeadlines:
    __slots__ = ()

    legal_basis: str
    refund_due_by: datetime | None
    refund_overdue_at: datetime | None
    send_back_overdue_at: datetime | None
    created_at: datetime

    def flag_refund_overdue(self, act: Act) -> bool:
        """Once: the refund was not made by `refund_due_by`. False when not (or no longer)
        due: not a withdrawal, not yet past the date, or flagged already."""
        due = self.refund_due_by
        if self.legal_basis != "statutory_withdrawal" or due is None or act.at <= due:
            return False
        if self.refund_overdue_at is not None:
            return False
        self._change(
            act,
            "refund_overdue",
            note=f"Not refunded by {due.date().isoformat()}: 14 days from the withdrawal "
            "(Directive 2011/83/EU, Article 13(1)).",
            data={"refund_due_by": due.isoformat()},
            event="return.refund_overdue",
            apply=lambda: self._set(refund_overdue_at=act.at),
        )
        return True

    def flag_send_back_overdue(self, act: Act) -> bool:
        """Once: the goods were not on their way within 14 days of the withdrawal. The
        return stays as it is (never expired): the merchant decides what to do."""
        if self.legal_basis != "statutory_withdrawal" or self.send_back_overdue_at is not None:
            return False
        by = eu.days_after(self.created_at, eu.SEND_BACK_DAYS)
        if act.at <= by:
            return False
        self._change(
            act,
            "send_back_overdue",
            note=f"Goods not sent back by {by.date().isoformat()}: 14 days from the withdrawal "
            "(Article 14(1)). Flagged, not expired.",
            data={"send_back_by": by.isoformat()},
            apply=lambda: self._set(send_back_overdue_at=act.at),
        )
        return True

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
