"""Reading the policy. Versions are immutable, so a parsed document is cached per version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.errors import NotFound
from returns_api.policies.document import PolicyDocument
from returns_api.policies.repository import PolicyRepository

# A fresh install has no stored version yet: it runs on the default document as version 1.
DEFAULT_VERSION = 1
DEFAULT_POLICY = PolicyDocument()

# Keyed by (version, created_at) so that a database rebuilt from scratch (tests, restores)
# can never be answered with another database's document of the same number.
_parsed: dict[tuple[int, datetime], PolicyDocument] = {}


async def current_policy(session: AsyncSession) -> tuple[int, PolicyDocument]:
    latest = await PolicyRepository(session).latest()
    if latest is None:
        return DEFAULT_VERSION, DEFAULT_POLICY
    version, created_at = latest
    cached = _parsed.get((version, created_at))
    if cached is not None:
        return version, cached
    return version, await policy_version(session, version)


async def policy_version(session: AsyncSession, version: int) -> PolicyDocument:
    row = await PolicyRepository(session).get(version)
    if row is None:
        if version == DEFAULT_VERSION:
            return DEFAULT_POLICY
        raise NotFound(f"Policy version {version} does not exist.")
    created_at, raw = row
    key = (version, created_at)
    if key not in _parsed:
        _parsed[key] = PolicyDocument.model_validate(raw)
    return _parsed[key]
