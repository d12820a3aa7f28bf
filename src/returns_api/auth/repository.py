from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.models import ApiKey
from returns_api.core.db import table_of
from returns_api.core.driver import Prepared, Row, fetch_one

_keys = table_of(ApiKey)
# Runs on every authenticated request: built once, executed as Core.
_FIND_FOR_AUTH = Prepared(
    select(
        _keys.c.id, _keys.c.name, _keys.c.scopes, _keys.c.revoked_at, _keys.c.last_used_at
    ).where(_keys.c.key_hash == bindparam("key_hash"))
)


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> None:
        self.session.add(key)
        await self.session.flush()

    async def find_for_auth(self, key_hash: str) -> Row | None:
        """The columns authentication needs, without building an ORM object (every request)."""
        return await fetch_one(self.session, _FIND_FOR_AUTH, {"key_hash": key_hash})

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
