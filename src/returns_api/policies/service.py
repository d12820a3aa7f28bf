"""Reading the policy. Versions are immutable, so a parsed document is cached per version."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import rfc3339, utcnow
from returns_api.core.errors import Conflict, NotFound, PreconditionFailed
from returns_api.core.http import etag, refused_if_match
from returns_api.policies.document import PolicyDocument
from returns_api.policies.repository import PolicyRepository
from returns_api.policies.rules import STORED
from returns_api.policies.schemas import (
    PolicyVersionOut,
    PolicyVersionPage,
    PolicyVersionSummary,
    PublicPolicy,
)
from returns_api.webhooks.events import record_event

# A fresh install has no stored version yet: it runs on the default document as version 1.
DEFAULT_VERSION = 1
DEFAULT_POLICY = PolicyDocument()
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # "created" time shown for the built-in default

# Keyed by (version, created_at) so that a database rebuilt from scratch (tests, restores)
# can never be answered with another database's document of the same number.
_parsed: dict[tuple[int, datetime], PolicyDocument] = {}


async def current_policy(session: AsyncSession) -> tuple[int, PolicyDocument]:
    return await policy_from_latest(session, await PolicyRepository(session).latest())


async def policy_from_latest(
    session: AsyncSession, latest: tuple[int, datetime] | None
) -> tuple[int, PolicyDocument]:
    """The current policy from an already-read (version, created_at) of the newest version:
    a parsed document is cached, so this costs no query once a version has been seen."""
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
        raise PolicyVersionNotFound(f"Policy version {version} does not exist.")
    created_at, raw = row
    key = (version, created_at)
    if key not in _parsed:
        _parsed[key] = PolicyDocument.model_validate(raw, context=STORED)
    return _parsed[key]


class PolicyVersionNotFound(NotFound):
    """No such policy version."""

    slug = "policy-version-not-found"


class PolicyChangedConcurrently(Conflict):
    """Another policy change was saved at the same moment; retry."""

    slug = "policy-changed-concurrently"


class StalePolicy(PreconditionFailed):
    """`If-Match` names a policy version that is no longer the current one."""

    slug = "stale-policy-version"


async def read_version(session: AsyncSession, version: int) -> PolicyVersionOut:
    meta = await PolicyRepository(session).meta(version)
    if meta is None and version != DEFAULT_VERSION:
        raise PolicyVersionNotFound(f"Policy version {version} does not exist.")
    document = await policy_version(session, version)
    created_by, created_at = meta if meta is not None else ("returns-api", _EPOCH)
    return PolicyVersionOut(
        version=version, created_by=created_by, created_at=created_at, document=document
    )


async def read_current(session: AsyncSession) -> PolicyVersionOut:
    version, _ = await current_policy(session)
    return await read_version(session, version)


def public_view(current: PolicyVersionOut, *, include_rules: bool) -> PublicPolicy:
    doc = current.document
    return PublicPolicy(
        version=current.version,
        window_days=doc.window_days,
        category_windows=dict(doc.category_windows),
        non_returnable_tags=list(doc.non_returnable_tags),
        restocking_fee_bps=doc.restocking_fee_bps,
        return_shipping_fee=doc.return_shipping_fee,
        store_credit_bonus_bps=doc.store_credit_bonus_bps,
        allowed_resolutions=list(doc.allowed_resolutions),
        ship_within_days=doc.ship_within_days,
        return_methods=list(doc.return_methods),
        reasons=list(doc.reasons),
        rules=list(doc.rules) if include_rules else None,
        default_action=doc.default_action if include_rules else None,
        history_window_days=doc.history_window_days if include_rules else None,
    )


async def put_policy(
    session: AsyncSession, caller: Caller, document: PolicyDocument, if_match: str | None
) -> PolicyVersionOut:
    """A new, immutable version; `If-Match` guards against overwriting an unseen change."""
    repo = PolicyRepository(session)
    latest = await repo.latest()
    current = latest[0] if latest is not None else DEFAULT_VERSION
    changed = f"The policy is now at version {current} (ETag {etag(current)})."
    refused = refused_if_match(if_match, current, changed)
    if refused is not None:
        raise StalePolicy(refused)
    # A fresh install runs on the default document as version 1, never stored; the first
    # change stores it, so version 1 stays readable, then the new version after it.
    now = utcnow()
    if latest is None:
        await repo.insert(
            DEFAULT_VERSION, DEFAULT_POLICY.model_dump(mode="json"), "returns-api", _EPOCH
        )
    try:
        await repo.insert(current + 1, document.model_dump(mode="json"), caller.actor, now)
    except IntegrityError as exc:
        raise PolicyChangedConcurrently("Another policy change was saved first; retry.") from exc
    await record_event(
        session,
        "policy.updated",
        {
            "object": {
                "version": current + 1,
                "created_by": caller.actor,
                "created_at": rfc3339(now),
            }
        },
    )
    return PolicyVersionOut(
        version=current + 1, created_by=caller.actor, created_at=now, document=document
    )


async def list_versions(session: AsyncSession, before: int | None, limit: int) -> PolicyVersionPage:
    rows = await PolicyRepository(session).list_versions(before, limit + 1)
    data = [PolicyVersionSummary(version=v, created_by=by, created_at=at) for v, by, at in rows]
    if not data and before is None:
        data = [PolicyVersionSummary(version=1, created_by="returns-api", created_at=_EPOCH)]
    page, more = data[:limit], len(data) > limit
    return PolicyVersionPage(data=page, next_cursor=str(page[-1].version) if more else None)
