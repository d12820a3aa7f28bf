"""Idempotency-Key for POSTs (RELIABILITY.md; draft-ietf-httpapi-idempotency-key-header).

A key is claimed in its own short transaction before the request runs, and its stored
response is written in the *same* transaction as the change it describes: the change and
the record of it commit together or not at all. A process that dies mid-request leaves a
claim whose lease runs out, after which a retry runs the request again — safely, because
nothing of the first attempt was committed.

Keys are scoped to the authenticated caller (its API key, or the order of a portal token)
and checked only once the credential is known to be valid — a revoked key replays nothing.
They are fingerprinted by method, path and a SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from returns_api.core.clock import utcnow
from returns_api.core.errors import Conflict, ReturnsError, Unprocessable
from returns_api.core.http import IDEMPOTENCY_KEY_RE
from returns_api.core.idempotency_repository import MAX_KEY_LENGTH, IdempotencyKeyRepository

HEADER = "idempotency-key"
# A replayed answer says the language its texts are in, as the first one did.
_REPLAYED_HEADERS = ("content-type", "etag", "location", "content-language", "vary")
# Answers that describe the request rather than its outcome are not kept, so a corrected
# retry with the same key is judged afresh (auth, conflicts, validation, throttling).
_NOT_STORED = frozenset({401, 403, 409, 412, 422, 428, 429})
# Writes of a missing or expired key's row lost to concurrent requests before the key is
# reported in flight.
_CLAIM_ATTEMPTS = 3


class KeyInFlight(Conflict):
    """A request with this `Idempotency-Key` is still running; retry later."""

    slug = "idempotency-key-in-flight"


class KeyReused(Unprocessable):
    """This `Idempotency-Key` was used for a different request; use a new key."""

    slug = "idempotency-key-reused"


class InvalidKey(ReturnsError):
    """The `Idempotency-Key` is not 1 to 255 printable ASCII characters (spaces only inside)."""

    status, slug, title = 400, "invalid-idempotency-key", "Bad Request"


@dataclass(slots=True)
class Claim:
    principal: str
    key: str
    replay: Response | None = None


def storable(status: int) -> bool:
    return status < 500 and status not in _NOT_STORED


async def claim(
    request: Request,
    sessionmaker: async_sessionmaker[AsyncSession],
    ttl: timedelta,
    principal: str,
    lease: timedelta = timedelta(seconds=30),
) -> Claim | None:
    """Claim the request's key for an authenticated `principal`, or return the stored answer
    to replay. None when no key was sent."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if IDEMPOTENCY_KEY_RE.fullmatch(key) is None:
        raise InvalidKey(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, "
            "with spaces only inside (not first or last)."
        )
    principal = hashlib.sha256(principal.encode()).hexdigest()
    body = await request.body()
    fingerprint = hashlib.sha256(
        b"\n".join([request.method.encode(), request.url.path.encode(), body])
    ).hexdigest()
    now = utcnow()
    row = {
        "principal": principal,
        "key": key,
        "fingerprint": fingerprint,
        "state": "in_flight",
        "locked_until": now + lease,
        "created_at": now,
        "expires_at": now + ttl,
    }
    async with sessionmaker() as session:
        # A row that is missing (deleted by a request whose answer is not kept) or expired
        # can be written by several racers at once; whoever loses looks at the key again
        # and finds the winner's row (in flight, or done). Each look is its own short
        # transaction; after a few lost races the key is plainly busy.
        for _ in range(_CLAIM_ATTEMPTS):
            try:
                async with session.begin():
                    await IdempotencyKeyRepository(session).add(row)
                return Claim(principal, key)
            except IntegrityError:
                pass
            async with session.begin():
                claimed = await _existing(session, row, now)
            if claimed is not None:
                return claimed
    raise KeyInFlight("A request with this Idempotency-Key is still being processed.")


async def _existing(session: AsyncSession, row: dict[str, Any], now: datetime) -> Claim | None:
    """The key's row decides: replay it, refuse, or take it over. None when the row went
    away before it could be read: the caller tries to write it again."""
    repo = IdempotencyKeyRepository(session)
    found = await repo.get(row["principal"], row["key"])
    if found is None:
        return None
    claim_ = Claim(row["principal"], row["key"])
    if found.expires_at <= now:
        # Forgotten: the key is free again. Replaced in place, only if it is still expired,
        # so of several racers exactly one takes it; the others read the new row again.
        return claim_ if await repo.replace_expired(row, now) else None
    if found.fingerprint != row["fingerprint"]:
        raise KeyReused("This Idempotency-Key was used for a different request; use a new key.")
    if found.state == "done":
        headers = dict(found.response_headers or {})
        headers["idempotent-replayed"] = "true"
        claim_.replay = Response(
            content=found.response_body, status_code=found.response_status or 200, headers=headers
        )
        return claim_
    if found.locked_until > now:
        raise KeyInFlight("A request with this Idempotency-Key is still being processed.")
    # The first attempt's process died mid-request (nothing of it committed): take over.
    if not await repo.take_over(row["principal"], row["key"], now, row["locked_until"]):
        raise KeyInFlight("A request with this Idempotency-Key is still being processed.")
    return claim_


async def record(session: AsyncSession, claim_: Claim, response: Response) -> None:
    """Store the answer, in whatever transaction ``session`` is in."""
    headers = {name: value for name, value in response.headers.items() if name in _REPLAYED_HEADERS}
    await IdempotencyKeyRepository(session).store_response(
        claim_.principal, claim_.key, response.status_code, headers, bytes(response.body)
    )


async def release(sessionmaker: async_sessionmaker[AsyncSession], claim_: Claim) -> None:
    """Forget a claim whose request stored nothing, so the key can be used again."""
    async with sessionmaker() as session, session.begin():
        await IdempotencyKeyRepository(session).delete(claim_.principal, claim_.key)
