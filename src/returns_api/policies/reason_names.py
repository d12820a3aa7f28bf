"""Return reasons in the customer's language: `labels` negotiated, `label` when none suits."""

from __future__ import annotations

from collections.abc import Sequence

from returns_api.core.locale import negotiate
from returns_api.policies.document import ReturnReason
from returns_api.policies.schemas import LocalisedReason, ReasonList


def reason_name(reason: ReturnReason, preferred: Sequence[str]) -> str:
    """The name of `reason` for a customer who reads `preferred` (most wanted first)."""
    tag = negotiate(preferred, reason.labels)
    return reason.labels[tag] if tag is not None else reason.label


def reason_list(
    policy_version: int, reasons: Sequence[ReturnReason], preferred: Sequence[str]
) -> ReasonList:
    """The reasons, each with its `name`. One language is chosen for the list (the labels'
    tag that suits best); a reason without a name in it falls back as `reason_name` does, so
    that a merchant who names some reasons in `de-DE` and others in `de` still shows German."""
    offered = list(dict.fromkeys(tag for reason in reasons for tag in reason.labels))
    chosen = negotiate(preferred, offered)
    wanted = [chosen, *preferred] if chosen is not None else list(preferred)
    return ReasonList(
        policy_version=policy_version,
        locale=chosen,
        data=[
            LocalisedReason(**reason.model_dump(), name=reason_name(reason, wanted))
            for reason in reasons
        ],
    )
