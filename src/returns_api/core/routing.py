"""The unit of work of a request: one session, committed once, after the response is built.

Routers that touch the database use ``APIRouter(route_class=UnitOfWorkRoute)``. The route
opens the session, runs the endpoint *and* serialises its response, then commits — so a
failed commit is an error response, never a 200 for data that was not saved — and, for a
POST with an ``Idempotency-Key``, stores the response in that same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import solve_dependencies
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException
from starlette.responses import Response

from returns_api.core import driver, idempotency
from returns_api.core.errors import (
    FieldError,
    RequestInvalid,
    ReturnsError,
    render_returns_error,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
_READS = frozenset({"GET", "HEAD"})
_READS_ONLY = "__returns_api_reads_only__"


def reads_only(endpoint: F) -> F:
    """Marks an endpoint that only reads although it is not a GET (a quote, a lookup): its
    unit of work runs prepared SELECTs without BEGIN/COMMIT, as GETs do (`driver.read_only`)."""
    setattr(endpoint, _READS_ONLY, True)
    return endpoint


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = _dependencies_before_body_errors(super().get_route_handler(), self.dependant)
        methods = self.methods or set()
        only_reads = bool(methods) and methods <= _READS
        only_reads = only_reads or getattr(self.endpoint, _READS_ONLY, False)

        async def handle(request: Request) -> Response:
            sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
            claim = None
            if request.method == "POST" and idempotency.HEADER in request.headers:
                claim = await _claim_for_caller(request, sessionmaker)
                if claim is not None and claim.replay is not None:
                    return claim.replay
            request.state.after_commit = []
            try:
                async with sessionmaker() as session:
                    request.state.session = session
                    if only_reads:
                        driver.read_only(session)
                    try:
                        response = await _refusing_unstorable_text(endpoint(request))
                    except ReturnsError as exc:
                        await session.rollback()
                        if claim is not None:
                            await _settle_error(request, sessionmaker, claim, exc)
                        raise
                    except BaseException:
                        await session.rollback()
                        if claim is not None:
                            await idempotency.release(sessionmaker, claim)
                        raise
                    if claim is not None:
                        await idempotency.record(session, claim, response)
                    try:
                        await _refusing_unstorable_text(driver.commit(session))
                    except ReturnsError:
                        await session.rollback()
                        if claim is not None:
                            await idempotency.release(sessionmaker, claim)
                        raise
            finally:
                # The session goes back to the sessionmaker's free list for another request:
                # nothing may reach it through this request any more.
                request.state.session = None

            for task in request.state.after_commit:
                await _run_quietly(task)
            return response

        return handle


def _dependencies_before_body_errors(
    handler: Callable[[Request], Coroutine[Any, Any, Response]], dependant: Dependant
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """Authentication comes before anything is said about the request.

    FastAPI solves a route's dependencies (the credential and its scopes among them) before
    it validates parameters and body, but it decodes a JSON body before either: a body that
    is not JSON, or not UTF-8, was answered 422 or 400 to a caller with no credential at
    all. When decoding fails, the route's dependencies are solved first, so a caller who
    may not call the route gets its 401 or 403; one who may gets the decoding error. Only
    that failure pays for it: a request whose body decodes is not touched.
    """
    dependencies_only = Dependant(
        dependencies=dependant.dependencies, call=dependant.call, path=dependant.path
    )

    async def handle(request: Request) -> Response:
        try:
            return await handler(request)
        except (RequestValidationError, HTTPException) as exc:
            if not _body_not_decoded(exc):
                raise
            await solve_dependencies(
                request=request,
                dependant=dependencies_only,
                async_exit_stack=request.scope["fastapi_inner_astack"],
                embed_body_fields=False,
            )
            raise

    return handle


def _body_not_decoded(exc: RequestValidationError | HTTPException) -> bool:
    """The two errors FastAPI raises while it decodes a body, before any dependency."""
    if isinstance(exc, HTTPException):  # "There was an error parsing the body"
        return exc.status_code == 400
    return any(error.get("type") == "json_invalid" for error in exc.errors())


# PostgreSQL text cannot hold U+0000: "invalid byte sequence for encoding UTF8: 0x00" when
# it comes as text, "unsupported Unicode escape sequence" when it comes inside JSON.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


class UnstorableText(RequestInvalid):
    """Text contains the NUL character (U+0000), which cannot be stored."""


async def _refusing_unstorable_text(work: Awaitable[T]) -> T:
    """Run `work`; text the database cannot store is the client's mistake (422), not a 500."""
    try:
        return await work
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) not in _UNSTORABLE_TEXT:
            raise
        raise UnstorableText(
            "Text may not contain the NUL character (U+0000).",
            errors=[
                FieldError(location="request", message="text contains U+0000", type="value_error")
            ],
        ) from exc


async def _claim_for_caller(
    request: Request, sessionmaker: async_sessionmaker[AsyncSession]
) -> idempotency.Claim | None:
    """Claim the Idempotency-Key for a caller whose credential is valid (checked in a short
    read of its own); an invalid one claims nothing and gets its 401 from the route."""
    resolve_principal: Callable[[Request, AsyncSession], Awaitable[str | None]]
    resolve_principal = request.app.state.resolve_principal
    async with sessionmaker() as session:
        principal = await resolve_principal(request, session)
    if principal is None:
        return None
    settings = request.app.state.settings
    return await idempotency.claim(
        request,
        sessionmaker,
        timedelta(hours=settings.idempotency_ttl_hours),
        principal,
        timedelta(seconds=settings.idempotency_lease_seconds),
    )


async def _run_quietly(task: Callable[[], Awaitable[None]]) -> None:
    """After-commit work is bookkeeping: its failure must not turn a success into an error."""
    try:
        await task()
    except Exception as exc:
        log.warning("after_commit_failed", exc_info=exc)


def after_commit(request: Request, task: Callable[[], Awaitable[None]]) -> None:
    """Run `task` once the request's transaction has committed (never if it rolls back)."""
    request.state.after_commit.append(task)


async def _settle_error(
    request: Request,
    sessionmaker: async_sessionmaker[AsyncSession],
    claim: idempotency.Claim,
    exc: ReturnsError,
) -> None:
    if not idempotency.storable(exc.status):
        await idempotency.release(sessionmaker, claim)
        return
    async with sessionmaker() as session, session.begin():
        await idempotency.record(session, claim, render_returns_error(request, exc))


def session_of(request: Request) -> AsyncSession:
    """The request's session, opened by ``UnitOfWorkRoute``. Services never commit it."""
    session: AsyncSession = request.state.session
    return session


async def get_session(request: Request) -> AsyncSession:
    """`session_of` as a dependency; `async` on purpose: FastAPI runs plain `def`
    dependencies in a thread pool."""
    return session_of(request)


SessionDep = Annotated[AsyncSession, Depends(get_session)]
