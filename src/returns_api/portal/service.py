"""Guest lookup: order number + e-mail → a short-lived token for that one order.

An unknown order and a wrong e-mail get the same answer, after the same work (one lookup,
one constant-time comparison), so the endpoint cannot be used to probe order numbers.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.clock import utcnow
from returns_api.core.errors import NotFound, TooManyRequests
from returns_api.core.messages import Message
from returns_api.orders.repository import OrderRepository
from returns_api.portal.ratelimit import SlidingWindowLimiter
from returns_api.portal.schemas import PortalSessionIn, PortalSessionOut
from returns_api.portal.tokens import PortalClaims, PortalTokens

_NO_SUCH_EMAIL = "\x00no-order\x00"


class PortalLookupFailed(NotFound):
    """No order matches this order number and e-mail address."""

    slug = "portal-lookup-failed"


class PortalThrottled(TooManyRequests):
    """Too many attempts from this address or for this order; wait `Retry-After` seconds."""

    slug = "portal-throttled"


def throttle(limiter: SlidingWindowLimiter, client_ip: str, order_number: str) -> None:
    waits = [
        wait
        for wait in (
            limiter.retry_after(f"ip:{client_ip}"),
            limiter.retry_after(f"order:{order_number.strip().lower()}"),
        )
        if wait is not None
    ]
    if waits:
        raise PortalThrottled(Message("portal.throttled"), retry_after=max(waits))


async def open_session(
    session: AsyncSession, body: PortalSessionIn, tokens: PortalTokens
) -> PortalSessionOut:
    order = await OrderRepository(session).find_by_number(body.order_number.strip())
    expected = order["customer_email"] if order is not None else _NO_SUCH_EMAIL
    matches = hmac.compare_digest(
        expected.strip().lower().encode(), body.email.strip().lower().encode()
    )
    if order is None or not matches:
        raise PortalLookupFailed(Message("portal.lookup_failed"))
    token = tokens.issue(
        PortalClaims(
            order_id=order["id"],
            customer_id=order["customer_id"],
            email=order["customer_email"],
            locale=order["locale"],
        )
    )
    return PortalSessionOut(
        token=token,
        expires_at=utcnow() + timedelta(seconds=tokens.ttl_seconds),
        order_id=order["id"],
    )
