from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from returns_api.core.timestamps import Timestamp
from returns_api.policies.document import PolicyDocument, ReturnReason
from returns_api.policies.resolutions import Resolution
from returns_api.policies.return_methods import ReturnMethod
from returns_api.policies.rules import Action, Rule
from returns_api.returns.schemas import DecisionOut, ReturnRequest


class PublicPolicy(BaseModel):
    """The terms a storefront shows customers ("the policy, easy to find")."""

    version: int
    window_days: int
    category_windows: dict[str, int]
    non_returnable_tags: list[str]
    restocking_fee_bps: int
    return_shipping_fee: int
    store_credit_bonus_bps: int
    allowed_resolutions: list[Resolution]
    ship_within_days: int
    return_methods: list[ReturnMethod]
    reasons: list[ReturnReason]
    rules: list[Rule] | None = Field(
        default=None, description="Only with `include=rules` and the `policy:manage` scope."
    )
    default_action: Action | None = None
    history_window_days: int | None = None


class PolicyVersionOut(BaseModel):
    version: int
    created_by: str
    created_at: datetime
    document: PolicyDocument


class PolicyVersionSummary(BaseModel):
    version: int
    created_by: str
    created_at: datetime


class PolicyVersionPage(BaseModel):
    data: list[PolicyVersionSummary]
    next_cursor: str | None


class LocalisedReason(ReturnReason):
    """A reason as a customer reads it: `name` is in their language, from `labels`, else
    `label`."""

    name: str = Field(
        description="The reason's name in the language asked for (`locale`, "
        "`Accept-Language`, else `RETURNS_DEFAULT_LOCALE`): the best entry of `labels`, else "
        "`label`.",
        examples=["Size or fit is wrong"],
    )


class ReasonList(BaseModel):
    policy_version: int
    locale: str | None = Field(
        description="The language the `name`s are in (also `Content-Language`): the tag of "
        "`labels` that suits the customer best; null when no reason has a name in any language "
        "asked for (each `name` is then its `label`).",
        examples=["de"],
    )
    data: list[LocalisedReason]


class EvaluateIn(BaseModel):
    """A dry run: a hypothetical return or an existing one, against the current policy or a
    candidate document. Nothing is written."""

    model_config = ConfigDict(extra="forbid")

    return_id: uuid.UUID | None = None
    request: ReturnRequest | None = None
    policy: PolicyDocument | None = Field(
        default=None, description="A candidate policy; the current one when omitted."
    )

    @model_validator(mode="after")
    def _one_subject(self) -> EvaluateIn:
        if (self.return_id is None) == (self.request is None):
            raise ValueError("give exactly one of return_id or request")
        return self


class EvaluateOut(BaseModel):
    policy_version: int | None = Field(description="Null when a candidate document was judged.")
    eligible: bool = Field(description="False when a hard term refuses the return.")
    problems: list[dict[str, Any]]
    decision: DecisionOut | None


class BacktestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: PolicyDocument
    created_after: Timestamp | None = None
    created_before: Timestamp | None = None
    max_changes: StrictInt = Field(default=20, ge=0, le=1000)


class ActionCounts(BaseModel):
    approve: int = 0
    approve_keep_item: int = 0
    review: int = 0
    reject: int = 0


class ChangedDecision(BaseModel):
    return_id: uuid.UUID
    rma_number: str
    then: Action
    candidate: Action
    candidate_rule: str | None


class BacktestOut(BaseModel):
    """Past returns judged again, on the facts they had, by a candidate policy."""

    returns: int
    changed: int
    actions_then: ActionCounts
    actions_candidate: ActionCounts
    auto_approval_rate_then_bps: int
    auto_approval_rate_candidate_bps: int
    auto_approved_refunds_then: dict[str, int] = Field(
        description="Per currency: refundable amount of returns approved without a person."
    )
    auto_approved_refunds_candidate: dict[str, int]
    first_changes: list[ChangedDecision]
