from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import authenticate_if_present, require
from returns_api.core.customer_language import language_headers, request_preferences
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.http import (
    IdempotencyKeyHeader,
    IfMatchHeader,
    LocaleQuery,
    TextsLanguageHeader,
    etag,
    in_language,
    versioned,
)
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.core.settings import SettingsDep
from returns_api.orders.exceptions import OrderNotFound
from returns_api.policies import service, simulation
from returns_api.policies.document import PolicyDocument
from returns_api.policies.reason_names import reason_list
from returns_api.policies.schemas import (
    BacktestIn,
    BacktestOut,
    EvaluateIn,
    EvaluateOut,
    PolicyVersionOut,
    PolicyVersionPage,
    PublicPolicy,
    ReasonList,
)
from returns_api.returns.exceptions import ReturnNotFound

router = APIRouter(prefix="/v1", tags=["Policy"], route_class=UnitOfWorkRoute)
_AUTH = (Unauthorized, Forbidden)
# A version number: the column is a 32-bit integer (a larger one would reach the database).
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/policy",
    operation_id="getPolicy",
    response_model=PublicPolicy,
    response_model_exclude_none=True,
    responses={**problems(*_AUTH), **versioned(200)},
    # Public; a credential is only needed (and then checked) for `include=rules`.
    openapi_extra={"security": [{}, {"bearerAuth": []}]},
)
async def get_policy(
    response: Response,
    session: SessionDep,
    include: Annotated[
        Literal["rules"] | None, Query(description="`rules` needs policy:manage")
    ] = None,
    caller: Annotated[Caller | None, Depends(authenticate_if_present)] = None,
) -> PublicPolicy:
    """The return policy customers see (public); with `include=rules`, also its rules."""
    if include == "rules":
        if caller is None:
            raise Unauthorized("`include=rules` needs an API key with the policy:manage scope.")
        if "policy:manage" not in caller.scopes:
            raise Forbidden("`include=rules` needs the policy:manage scope.")
    current = await service.read_current(session)
    response.headers["ETag"] = etag(current.version)
    return service.public_view(current, include_rules=include == "rules")


@router.put(
    "/policy",
    operation_id="updatePolicy",
    response_model=PolicyVersionOut,
    status_code=201,
    responses={
        **problems(*_AUTH, service.PolicyChangedConcurrently, service.StalePolicy, 422),
        **versioned(201),
    },
)
async def update_policy(
    body: PolicyDocument,
    response: Response,
    session: SessionDep,
    if_match: IfMatchHeader = None,
    caller: Caller = require("policy:manage"),
) -> PolicyVersionOut:
    """Publish a new policy version (versions are immutable; returns keep theirs)."""
    created = await service.put_policy(session, caller, body, if_match)
    response.headers["ETag"] = etag(created.version)
    return created


@router.get(
    "/policy/versions",
    operation_id="listPolicyVersions",
    response_model=PolicyVersionPage,
    responses=problems(*_AUTH),
)
async def list_policy_versions(
    session: SessionDep,
    cursor: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    caller: Caller = require("policy:manage"),
) -> PolicyVersionPage:
    """List policy versions, newest first."""
    return await service.list_versions(session, cursor, limit)


@router.get(
    "/policy/versions/{version}",
    operation_id="getPolicyVersion",
    response_model=PolicyVersionOut,
    responses=problems(*_AUTH, service.PolicyVersionNotFound),
)
async def get_policy_version(
    version: Version,
    session: SessionDep,
    caller: Caller = require("policy:manage"),
) -> PolicyVersionOut:
    """Read one policy version, rules included."""
    return await service.read_version(session, version)


@router.get(
    "/return-reasons",
    operation_id="listReturnReasons",
    response_model=ReasonList,
    responses={**problems(422), **in_language(200)},
)
async def list_return_reasons(
    request: Request,
    response: Response,
    session: SessionDep,
    locale: LocaleQuery = None,
    accept_language: TextsLanguageHeader = None,
) -> ReasonList:
    """The reasons a customer can pick (public), named in their language.

    Each keeps its stable `code`, its `label` and its `labels` per language; `name` is the one
    to show: in the language of `locale`, else of `Accept-Language`, else of
    `RETURNS_DEFAULT_LOCALE`, falling back to `label`. No credential is needed.
    """
    current = await service.read_current(session)
    reasons = reason_list(current.version, current.document.reasons, request_preferences(request))
    response.headers.update(language_headers(reasons.locale))
    return reasons


@router.post(
    "/policy/evaluate",
    operation_id="evaluatePolicy",
    response_model=EvaluateOut,
    responses=problems(*_AUTH, ReturnNotFound, OrderNotFound, 422),
)
async def evaluate_policy(
    body: EvaluateIn,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("policy:manage"),
) -> EvaluateOut:
    """Dry-run a return (hypothetical or existing) against the policy or a candidate."""
    return await simulation.evaluate_candidate(
        session, caller, body, transit_buffer_days=settings.return_transit_buffer_days
    )


@router.post(
    "/policy/backtest",
    operation_id="backtestPolicy",
    response_model=BacktestOut,
    responses=problems(*_AUTH, 422),
)
async def backtest_policy(
    body: BacktestIn,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("policy:manage"),
) -> BacktestOut:
    """Replay past returns, on the facts they had, through a candidate policy."""
    return await simulation.backtest(session, body)
