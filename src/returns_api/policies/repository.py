from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.policies.models import PolicyVersion


class PolicyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self) -> Row[int, datetime] | None:
        """(version, created_at) of the newest version, without its document."""
        stmt = (
            select(PolicyVersion.version, PolicyVersion.created_at)
            .order_by(PolicyVersion.version.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).one_or_none()

    async def get(self, version: int) -> Row[datetime, dict[str, Any]] | None:
        stmt = select(PolicyVersion.created_at, PolicyVersion.document).where(
            PolicyVersion.version == version
        )
        return (await self.session.execute(stmt)).one_or_none()
