"""Feedback: the customer who owns a return rates it once."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import utcnow
from returns_api.core.ids import new_id
from returns_api.feedback.exceptions import FeedbackAlreadyGiven, FeedbackIsForCustomers
from returns_api.feedback.repository import FeedbackRepository
from returns_api.feedback.schemas import FeedbackIn, FeedbackOut
from returns_api.returns.service import load_visible


async def leave_feedback(
    session: AsyncSession, caller: Caller, return_id: uuid.UUID, body: FeedbackIn
) -> FeedbackOut:
    if not caller.is_customer:
        raise FeedbackIsForCustomers(
            "Feedback is left by the customer, with a portal token for the order."
        )
    await load_visible(session, caller, return_id)  # another order's return: 404
    repo = FeedbackRepository(session)
    already = FeedbackAlreadyGiven(f"Feedback on return {return_id} was already given.")
    if await repo.exists_for(return_id):
        raise already
    now = utcnow()
    values = {
        "id": new_id(),
        "return_id": return_id,
        "rating": body.rating,
        "comment": body.comment,
        "actor": caller.actor,
        "created_at": now,
    }
    if not await repo.insert(values):
        raise already
    return FeedbackOut(
        return_id=return_id, rating=body.rating, comment=body.comment, created_at=now
    )
