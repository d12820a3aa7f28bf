"""The idempotency keys' table and every query on it (the protocol is `core.idempotency`).

Every write is conditional where racers meet: the insert fails on the primary key, and a
takeover only happens while the row is still expired (or its lease still run out), so of
several concurrent requests exactly one gets the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    LargeBinary,
    String,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from returns_api.core.db import Base, UTCDateTime

MAX_KEY_LENGTH = 255


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def _of(principal: str, key: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return IdempotencyKey.principal == principal, IdempotencyKey.key == key


class IdempotencyKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Mapping[str, Any]) -> None:
        """Raises IntegrityError when the key already has a row."""
        await self.session.execute(insert(IdempotencyKey).values(**row))

    async def get(self, principal: str, key: str) -> IdempotencyKey | None:
        found = await self.session.execute(select(IdempotencyKey).where(*_of(principal, key)))
        return found.scalars().one_or_none()

    async def replace_expired(self, row: Mapping[str, Any], now: datetime) -> bool:
        """Write `row` over the key's row if that is still expired; whether it was."""
        replaced = await self.session.execute(
            update(IdempotencyKey)
            .where(*_of(row["principal"], row["key"]), IdempotencyKey.expires_at <= now)
            .values(
                fingerprint=row["fingerprint"],
                state=row["state"],
                response_status=None,
                response_headers=None,
                response_body=None,
                locked_until=row["locked_until"],
                created_at=row["created_at"],
                expires_at=row["expires_at"],
            )
        )
        return replaced.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def take_over(
        self, principal: str, key: str, now: datetime, locked_until: datetime
    ) -> bool:
        """Extend the lease if it has run out; whether it had."""
        taken = await self.session.execute(
            update(IdempotencyKey)
            .where(*_of(principal, key), IdempotencyKey.locked_until <= now)
            .values(locked_until=locked_until)
        )
        return taken.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def store_response(
        self, principal: str, key: str, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        await self.session.execute(
            update(IdempotencyKey)
            .where(*_of(principal, key))
            .values(
                state="done", response_status=status, response_headers=headers, response_body=body
            )
        )

    async def delete(self, principal: str, key: str) -> None:
        await self.session.execute(delete(IdempotencyKey).where(*_of(principal, key)))
