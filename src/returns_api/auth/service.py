"""API keys: create (shown once), list, revoke, and authenticate a presented key."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.auth.keys import display_prefix, generate_key, hash_key
from returns_api.auth.models import ApiKey
from returns_api.auth.repository import ApiKeyRepository
from returns_api.auth.scopes import ALL_SCOPES
from returns_api.core.clock import as_utc, utcnow
from returns_api.core.errors import NotFound, Unprocessable
from returns_api.core.ids import new_id

# last_used_at is advisory; writing it on every request would put a write on every read.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CreatedKey:
    record: ApiKey
    key: str  # the only time the plaintext exists


async def create_api_key(session: AsyncSession, name: str, scopes: Iterable[str]) -> CreatedKey:
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in ALL_SCOPES]
    if unknown:
        raise Unprocessable(f"Unknown scopes: {', '.join(unknown)}. Known: {', '.join(ALL_SCOPES)}")
    if not wanted:
        raise Unprocessable("An API key needs at least one scope.")
    if not name.strip():
        raise Unprocessable("An API key needs a name.")
    key = generate_key()
    record = ApiKey(
        id=new_id(),
        name=name.strip(),
        prefix=display_prefix(key),
        key_hash=hash_key(key),
        scopes=wanted,
        created_at=utcnow(),
        last_used_at=None,
        revoked_at=None,
    )
    await ApiKeyRepository(session).add(record)
    return CreatedKey(record=record, key=key)


async def list_api_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return await ApiKeyRepository(session).list_all()


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    _recent.clear()  # this process forgets every looked-up key: revocation is immediate here
    record = await ApiKeyRepository(session).get(key_id)
    if record is None:
        raise NotFound(f"API key {key_id} does not exist.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        await session.flush()
    return record


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    id: uuid.UUID
    name: str
    scopes: frozenset[str]
    last_used_is_stale: bool


@dataclass(slots=True)
class _Lookup:
    id: uuid.UUID
    name: str
    scopes: frozenset[str]
    last_used_at: datetime | None
    expires: float  # time.monotonic()


# Live keys looked up recently, by hash: the lookup was a round trip on every request. Only
# live keys are kept (an unknown or revoked secret always asks the database), and the map is
# bounded, so random bearer tokens cannot grow it.
_recent: dict[str, _Lookup] = {}
_RECENT_MAX = 10_000


async def find_active_key(
    session: AsyncSession, presented: str, *, cache_seconds: float = 0.0
) -> KeyIdentity | None:
    """The live key matching a presented secret; a lookup younger than `cache_seconds`
    is reused. The identity says whether `last_used_at` is due for a refresh, and marks it
    refreshed in the cached copy, so one process schedules that write once a minute."""
    key_hash = hash_key(presented)
    now_mono = time.monotonic()
    lookup = _recent.get(key_hash)
    if lookup is None or lookup.expires <= now_mono:
        row = await ApiKeyRepository(session).find_for_auth(key_hash)
        if row is None or row["revoked_at"] is not None:
            _recent.pop(key_hash, None)
            return None
        lookup = _Lookup(
            id=row["id"],
            name=row["name"],
            scopes=frozenset(row["scopes"]),
            last_used_at=None if row["last_used_at"] is None else as_utc(row["last_used_at"]),
            expires=now_mono + cache_seconds,
        )
        if cache_seconds > 0:
            if len(_recent) >= _RECENT_MAX:
                _recent.clear()
            _recent[key_hash] = lookup
    now = utcnow()
    stale = lookup.last_used_at is None or now - lookup.last_used_at > LAST_USED_RESOLUTION
    if stale:
        lookup.last_used_at = now
    return KeyIdentity(
        id=lookup.id, name=lookup.name, scopes=lookup.scopes, last_used_is_stale=stale
    )


async def mark_used(sessionmaker: async_sessionmaker[AsyncSession], key_id: uuid.UUID) -> None:
    """Record last use in its own short transaction: the request's transaction never holds
    the key's row lock, so concurrent requests with one key never queue behind each other."""
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        await ApiKeyRepository(session).touch(key_id, now, older_than=now - LAST_USED_RESOLUTION)
