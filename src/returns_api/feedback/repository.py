"""Queries of return feedback (Core statements)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.feedback.models import ReturnFeedback


class FeedbackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exists_for(self, return_id: uuid.UUID) -> bool:
        stmt = select(exists().where(ReturnFeedback.return_id == return_id))
        return bool((await self.session.execute(stmt)).scalar_one())

    async def insert(self, values: Mapping[str, Any]) -> bool:
        """False when the return already has feedback (a racing second submission lost).

        The savepoint keeps the request's transaction usable after the unique-key violation
        (PostgreSQL aborts the whole transaction on an error otherwise).
        """
        try:
            async with self.session.begin_nested():
                await self.session.execute(insert(ReturnFeedback).values(**values))
        except IntegrityError:
            return False
        return True
