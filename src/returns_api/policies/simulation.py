"""Dry runs and backtests: judging returns with a policy without writing anything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.policies.document import PolicyDocument
from returns_api.policies.engine import Decision, evaluate
from returns_api.policies.facts import facts_from_json
from returns_api.policies.repository import DecisionHistoryRepository
from returns_api.policies.schemas import (
    ActionCounts,
    BacktestIn,
    BacktestOut,
    ChangedDecision,
    EvaluateIn,
    EvaluateOut,
)
from returns_api.policies.service import current_policy
from returns_api.returns import views
from returns_api.returns.judging import judge_request
from returns_api.returns.service import load_visible

AUTO_APPROVED = frozenset({"approve", "approve_keep_item"})


async def evaluate_candidate(
    session: AsyncSession, caller: Caller, body: EvaluateIn, *, transit_buffer_days: int
) -> EvaluateOut:
    version: int | None
    if body.policy is not None:
        version, policy = None, body.policy
    else:
        version, policy = await current_policy(session)
    if body.request is not None:
        problems, decision = await judge_request(
            session,
            caller,
            body.request,
            transit_buffer_days=transit_buffer_days,
            policy=(version or 0, policy),
        )
        return EvaluateOut(
            policy_version=version,
            eligible=not problems,
            problems=[p.model_dump(exclude_none=True) for p in problems],
            decision=views.decision_out(decision) if decision else None,
        )
    assert body.return_id is not None
    row = await load_visible(session, caller, body.return_id)
    replayed = _replay(row["decision"], policy, version or 0)
    return EvaluateOut(
        policy_version=version,
        eligible=True,
        problems=[],
        decision=views.decision_out(
            {**replayed.to_dict(), "facts": row["decision"].get("facts", {})}
        ),
    )


def _replay(stored: Mapping[str, Any], policy: PolicyDocument, version: int) -> Decision:
    return evaluate(
        policy.rule_set, facts_from_json(stored.get("facts", {})), policy_version=version
    )


async def backtest(session: AsyncSession, body: BacktestIn) -> BacktestOut:
    then, candidate = ActionCounts(), ActionCounts()
    refunds_then: dict[str, int] = {}
    refunds_candidate: dict[str, int] = {}
    total = changed = 0
    first: list[ChangedDecision] = []
    history = DecisionHistoryRepository(session)
    async for row in history.decisions(body.created_after, body.created_before):
        total += 1
        before = str(row["decision"]["action"])
        after = _replay(row["decision"], body.policy, 0)
        _count(then, before)
        _count(candidate, after.action)
        amount, currency = int(row["refundable_amount"]), str(row["currency"])
        if before in AUTO_APPROVED:
            refunds_then[currency] = refunds_then.get(currency, 0) + amount
        if after.action in AUTO_APPROVED:
            refunds_candidate[currency] = refunds_candidate.get(currency, 0) + amount
        if after.action != before:
            changed += 1
            if len(first) < body.max_changes:
                first.append(
                    ChangedDecision(
                        return_id=row["id"],
                        rma_number=row["rma_number"],
                        then=before,  # type: ignore[arg-type]
                        candidate=after.action,
                        candidate_rule=after.matched_rule_id,
                    )
                )
    return BacktestOut(
        returns=total,
        changed=changed,
        actions_then=then,
        actions_candidate=candidate,
        auto_approval_rate_then_bps=_rate(then, total),
        auto_approval_rate_candidate_bps=_rate(candidate, total),
        auto_approved_refunds_then=refunds_then,
        auto_approved_refunds_candidate=refunds_candidate,
        first_changes=first,
    )


def _count(counts: ActionCounts, action: str) -> None:
    setattr(counts, action, getattr(counts, action) + 1)


def _rate(counts: ActionCounts, total: int) -> int:
    return (counts.approve + counts.approve_keep_item) * 10_000 // total if total else 0
