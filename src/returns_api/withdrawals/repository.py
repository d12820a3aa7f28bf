"""Every query about withdrawal statements."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.db import table_of
from returns_api.core.driver import Row, fetch_one, run
from returns_api.withdrawals.models import Withdrawal

withdrawals = table_of(Withdrawal)


class WithdrawalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, values: Mapping[str, Any]) -> None:
        await run(self.session, insert(withdrawals), dict(values))

    async def get(self, withdrawal_id: uuid.UUID, *, lock: bool = False) -> Row | None:
        """With `lock`, the row lock serialises confirmations of one statement (PostgreSQL);
        one that waited reads the row as the first left it."""
        statement = select(withdrawals).where(withdrawals.c.id == withdrawal_id)
        return await fetch_one(self.session, statement.with_for_update() if lock else statement)

    async def confirm(
        self, withdrawal_id: uuid.UUID, *, received_at: datetime, return_id: uuid.UUID
    ) -> bool:
        """Pending to confirmed, once: a confirmed statement is never written again."""
        changed = await run(
            self.session,
            update(withdrawals)
            .where(withdrawals.c.id == withdrawal_id, withdrawals.c.status == "pending")
            .values(status="confirmed", received_at=received_at, return_id=return_id),
        )
        return changed == 1
