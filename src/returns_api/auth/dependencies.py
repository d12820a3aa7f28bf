"""Who is calling: the security dependency every protected route declares with its scopes."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPBearer, SecurityScopes
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth import service
from returns_api.auth.caller import Caller
from returns_api.auth.scopes import effective_scopes
from returns_api.core.clock import utcnow
from returns_api.core.customer_language import speak_to_customer
from returns_api.core.errors import Forbidden, Unauthorized
from returns_api.core.messages import Message
from returns_api.core.routing import after_commit, session_of
from returns_api.portal.return_links import RETURN_LINK_PREFIX, RETURN_LINK_SCOPES, ReturnLinks
from returns_api.portal.tokens import PORTAL_SCOPES, TOKEN_PREFIX, PortalTokens
from returns_api.returns.repository import ReturnRepository


class BearerAuth(HTTPBearer):
    """The `bearerAuth` security scheme, which also resolves the caller.

    One dependency per protected route instead of three (scheme, session, resolver): FastAPI
    resolves dependencies for every request, and on a GET that was a fifth of its CPU time.
    The request's session comes from `UnitOfWorkRoute`, which every protected router uses.
    """

    async def __call__(  # type: ignore[override]  # resolves a Caller, not the credentials
        self, request: Request, security_scopes: SecurityScopes
    ) -> Caller:
        """Resolves the bearer credential, then checks it holds one of the route's scopes."""
        token = bearer_token(request)
        if token is None:
            raise Unauthorized("Send an API key as `Authorization: Bearer rk_…`.")
        caller = await _resolve(request, session_of(request), token)
        if security_scopes.scopes and not caller.scopes.intersection(security_scopes.scopes):
            raise Forbidden(
                f"This operation needs one of the scopes: {', '.join(security_scopes.scopes)}."
            )
        return caller


def bearer_token(request: Request) -> str | None:
    """The credential of an ``Authorization: Bearer …`` header (scheme in any case, spaces
    around the credential ignored, as FastAPI's `HTTPBearer` reads it); None otherwise."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    return token if scheme.lower() == "bearer" and token else None


bearer = BearerAuth(
    auto_error=False,
    scheme_name="bearerAuth",
    description=(
        "A merchant API key (`rk_…`, made with `returns-api api-keys create`), a portal "
        "token (`pt_…`, from `POST /v1/portal/sessions`) or a return link's token (`rl_…`, "
        "from a customer e-mail: reads that one return)."
    ),
)


async def principal_of(request: Request, session: AsyncSession) -> str | None:
    """The principal of a valid bearer credential, or None (no side effects)."""
    token = bearer_token(request)
    if token is None:
        return None
    try:
        return (await _resolve(request, session, token, mark_used=False)).principal
    except Unauthorized:
        return None


async def _resolve(
    request: Request, session: AsyncSession, token: str, *, mark_used: bool = True
) -> Caller:
    if token.startswith(RETURN_LINK_PREFIX):
        return await _return_link_caller(request, session, token)
    if token.startswith(TOKEN_PREFIX):
        portal_tokens: PortalTokens = request.app.state.portal_tokens
        claims = portal_tokens.verify(token)
        speak_to_customer(request, claims.locale if claims is not None else None)
        if claims is None:
            raise Unauthorized(Message("portal.token_invalid"))
        return Caller(
            kind="portal",
            actor=claims.email,
            scopes=PORTAL_SCOPES,
            order_id=claims.order_id,
            customer_id=claims.customer_id,
        )
    key = await service.find_active_key(
        session, token, cache_seconds=request.app.state.settings.api_key_cache_seconds
    )
    if key is None:
        raise Unauthorized("The API key is invalid or has been revoked.")
    if mark_used and key.last_used_is_stale:
        sessionmaker = request.app.state.sessionmaker
        after_commit(request, lambda: service.mark_used(sessionmaker, key.id))
    return Caller(
        kind="api_key", actor=key.name, scopes=effective_scopes(key.scopes), key_id=key.id
    )


async def _return_link_caller(request: Request, session: AsyncSession, token: str) -> Caller:
    """A return link from a mail: good while its return is open and some days after."""
    links: ReturnLinks = request.app.state.return_links
    claims = links.verify(token)
    ended = None if claims is None else await ReturnRepository(session).get(claims.return_id)
    speak_to_customer(request, None if ended is None else ended["locale"])
    if (
        claims is None
        or ended is None
        or not links.still_open(ended["status"], ended["updated_at"], utcnow())
    ):
        raise Unauthorized("The return link is invalid or has expired.")
    return Caller(
        kind="return_link",
        actor="customer (return link)",
        scopes=RETURN_LINK_SCOPES,
        order_id=claims.order_id,
        return_id=claims.return_id,
    )


def require(*scopes: str) -> Any:
    """``caller: Caller = require("returns:manage")`` — any one of the scopes suffices."""
    return Security(bearer, scopes=list(scopes))


async def authenticate_if_present(request: Request) -> Caller | None:
    """For public routes that show more to an authenticated caller: None when anonymous
    (no bearer credential, as before: another scheme is anonymous too), 401 when a bearer
    credential is sent but is not valid."""
    if bearer_token(request) is None:
        return None
    return await bearer(request, SecurityScopes())
