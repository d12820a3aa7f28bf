from __future__ import annotations

from fastapi import APIRouter, Request

from returns_api.core.customer_language import speak_to_customer
from returns_api.core.errors import problems
from returns_api.core.routing import SessionDep, UnitOfWorkRoute, reads_only
from returns_api.portal import service
from returns_api.portal.schemas import PortalSessionIn, PortalSessionOut

router = APIRouter(prefix="/v1/portal", tags=["Portal"], route_class=UnitOfWorkRoute)


@router.post(
    "/sessions",
    operation_id="createPortalSession",
    status_code=201,
    response_model=PortalSessionOut,
    responses=problems(service.PortalLookupFailed, service.PortalThrottled, 422),
)
@reads_only
async def create_portal_session(
    body: PortalSessionIn, request: Request, session: SessionDep
) -> PortalSessionOut:
    """Exchange an order number and e-mail for a short-lived token for that one order.

    For a customer in a browser, who never holds a merchant key. An unknown order and a wrong
    e-mail get the same 404; attempts are limited per client address and per order (429 with
    `Retry-After`).
    """
    speak_to_customer(request)  # its problems are a customer's to read, in their language
    client_ip = request.client.host if request.client else "unknown"
    service.throttle(request.app.state.portal_limiter, client_ip, body.order_number)
    return await service.open_session(session, body, request.app.state.portal_tokens)
