"""Queries of the policy versions, and of the decisions past returns were given (which a
backtest replays)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.db import table_of
from returns_api.core.driver import Prepared, fetch_one
from returns_api.policies.models import PolicyVersion
from returns_api.returns.models import Return

# Returns read per page by a backtest.
BACKTEST_BATCH = 1000
_versions = table_of(PolicyVersion)
_LATEST = Prepared(
    select(_versions.c.version, _versions.c.created_at)
    .order_by(_versions.c.version.desc())
    .limit(1)
)


class PolicyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self) -> tuple[int, datetime] | None:
        """(version, created_at) of the newest version, without its document (every create)."""
        row = await fetch_one(self.session, _LATEST)
        return None if row is None else (row["version"], row["created_at"])

    async def get(self, version: int) -> Row[datetime, dict[str, Any]] | None:
        stmt = select(PolicyVersion.created_at, PolicyVersion.document).where(
            PolicyVersion.version == version
        )
        return (await self.session.execute(stmt)).one_or_none()

    async def insert(
        self, version: int, document: dict[str, Any], created_by: str, created_at: datetime
    ) -> None:
        await self.session.execute(
            insert(PolicyVersion).values(
                version=version, document=document, created_by=created_by, created_at=created_at
            )
        )

    async def list_versions(
        self, before: int | None, limit: int
    ) -> Sequence[Row[int, str, datetime]]:
        stmt = (
            select(PolicyVersion.version, PolicyVersion.created_by, PolicyVersion.created_at)
            .order_by(PolicyVersion.version.desc())
            .limit(limit)
        )
        if before is not None:
            stmt = stmt.where(PolicyVersion.version < before)
        return (await self.session.execute(stmt)).all()

    async def meta(self, version: int) -> Row[str, datetime] | None:
        stmt = select(PolicyVersion.created_by, PolicyVersion.created_at).where(
            PolicyVersion.version == version
        )
        return (await self.session.execute(stmt)).one_or_none()


class DecisionHistoryRepository:
    """The decisions stored on returns, read only: what a backtest replays."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def decisions(
        self, created_after: datetime | None, created_before: datetime | None
    ) -> AsyncIterator[RowMapping]:
        """(id, rma_number, currency, decision, refundable_amount) of the returns requested
        in the range, by id. Read in keyset pages of BACKTEST_BATCH rows: memory stays flat
        however many returns are replayed."""
        columns = (
            Return.id,
            Return.rma_number,
            Return.currency,
            Return.decision,
            Return.refundable_amount,
        )
        after: uuid.UUID | None = None
        while True:
            stmt = select(*columns).order_by(Return.id).limit(BACKTEST_BATCH)
            if after is not None:
                stmt = stmt.where(Return.id > after)
            if created_after is not None:
                stmt = stmt.where(Return.created_at >= created_after)
            if created_before is not None:
                stmt = stmt.where(Return.created_at < created_before)
            rows = (await self.session.execute(stmt)).mappings().all()
            for row in rows:
                yield row
            if len(rows) < BACKTEST_BATCH:
                return
            after = rows[-1]["id"]
