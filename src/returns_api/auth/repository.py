from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.models import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> None:
        self.session.add(key)
        await self.session.flush()

    async def find_for_auth(
        self, key_hash: str
    ) -> Row[uuid.UUID, str, list[str], datetime | None, datetime | None] | None:
        """The columns authentication needs, without building an ORM object (every request)."""
        result = await self.session.execute(
            select(
                ApiKey.id, ApiKey.name, ApiKey.scopes, ApiKey.revoked_at, ApiKey.last_used_at
            ).where(ApiKey.key_hash == key_hash)
        )
        return result.one_or_none()

    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def list_all(self) -> Sequence[ApiKey]:
        result = await self.session.execute(select(ApiKey).order_by(ApiKey.created_at))
        return result.scalars().all()

    async def touch(self, key_id: uuid.UUID, when: datetime, *, older_than: datetime) -> None:
        await self.session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < older_than),
            )
            .values(last_used_at=when)
        )
