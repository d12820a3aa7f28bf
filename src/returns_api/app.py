"""The application factory: ``create_app(settings)`` wires routers, middleware and the DB."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CollectorRegistry

from returns_api import __version__
from returns_api.analytics.router import router as analytics_router
from returns_api.auth.dependencies import principal_of
from returns_api.auth.router import router as auth_router
from returns_api.catalog.router import router as catalog_router
from returns_api.console.pages import install_console
from returns_api.contract.docs_ui import install_docs
from returns_api.contract.document import openapi_for
from returns_api.core.db import make_engine, make_sessionmaker
from returns_api.core.errors import install_error_handlers
from returns_api.core.heap import freeze_startup_heap
from returns_api.core.logging import configure_logging
from returns_api.core.middleware import BodyLimitMiddleware, Metrics, RequestContextMiddleware
from returns_api.core.settings import Settings
from returns_api.exports.router import router as exports_router
from returns_api.feedback.router import router as feedback_router
from returns_api.health.router import router as health_router
from returns_api.notifications.composer import Composer
from returns_api.notifications.router import router as notifications_router
from returns_api.orders.router import router as orders_router
from returns_api.policies.router import router as policies_router
from returns_api.portal.pages import install_portal
from returns_api.portal.ratelimit import SlidingWindowLimiter
from returns_api.portal.return_links import return_links_of
from returns_api.portal.router import router as portal_router
from returns_api.portal.tokens import PortalTokens
from returns_api.returns.exchange_router import router as exchange_router
from returns_api.returns.router import router as returns_router
from returns_api.settlement.movements_router import router as movements_router
from returns_api.settlement.payment_webhooks import router as payment_webhooks_router
from returns_api.settlement.registry import executors_of
from returns_api.settlement.router import router as settlement_router
from returns_api.shipping.registry import carriers_of
from returns_api.shipping.router import router as shipping_router
from returns_api.store_credit.router import router as store_credit_router
from returns_api.webhooks.catalog import register_webhooks
from returns_api.webhooks.router import router as webhooks_router
from returns_api.withdrawals.router import router as withdrawals_router
from returns_api.worker import Background

# FastAPI's native OpenTelemetry, off unless RETURNS_OPENTELEMETRY asks for it.
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

DESCRIPTION = """\
Returns back-end for online shops: return requests checked against the merchant's policy,
RMA tracking, inspection, refunds and webhooks. Errors are RFC 9457 problem details.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        stop = asyncio.Event()
        background_task = None
        if settings.run_dispatcher_in_process:
            # Embedded mode: a worker's jobs inside the API process (turn off when running
            # `returns-api worker` processes instead).
            background = Background(
                app.state.sessionmaker, settings, app.state.metrics.registry, app.state.carriers
            )
            background_task = asyncio.create_task(background.run(stop))
        if settings.gc_freeze_after_startup:
            freeze_startup_heap()
        try:
            yield
        finally:
            stop.set()
            if background_task is not None:
                await background_task
                await background.aclose()
            await engine.dispose()

    app = FastAPI(
        title="returns-api",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # served by install_docs, from local assets
        redoc_url=None,
        telemetry=None if settings.opentelemetry else _NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.metrics = Metrics(CollectorRegistry(auto_describe=True))
    app.state.portal_tokens = PortalTokens(
        settings.portal_token_secret.get_secret_value(), settings.portal_token_ttl_seconds
    )
    app.state.return_links = return_links_of(settings)
    app.state.composer = Composer.from_settings(settings)
    app.state.portal_limiter = SlidingWindowLimiter(settings.portal_rate_limit_per_minute)
    # The withdrawal function is public like portal sessions, and limited the same way.
    app.state.withdrawal_limiter = SlidingWindowLimiter(settings.portal_rate_limit_per_minute)
    app.state.resolve_principal = principal_of
    app.state.carriers = carriers_of(settings)
    app.state.executors = executors_of(settings)
    install_error_handlers(app)
    for router in (
        health_router,
        auth_router,
        orders_router,
        catalog_router,
        exports_router,  # before returns_router: /v1/returns/export is not a return id
        returns_router,
        exchange_router,
        shipping_router,
        settlement_router,
        movements_router,
        payment_webhooks_router,
        feedback_router,
        policies_router,
        webhooks_router,
        notifications_router,
        portal_router,
        withdrawals_router,
        analytics_router,
        store_credit_router,
    ):
        # The routes themselves, not `include_router`: FastAPI keeps an included router as
        # a nested matcher, so a request was matched twice through every router before its
        # own (8 % of a GET's CPU). Each router carries its prefix, tags and route class, so
        # the routes are complete as they are; the OpenAPI drift test shows nothing changed.
        # One thing include_router would give that these routes lack: `app.dependency_
        # overrides` does not reach them (nothing here uses it; tests use real dependencies).
        app.router.routes.extend(router.routes)
    register_webhooks(app.webhooks)
    app.openapi = openapi_for(app)  # type: ignore[method-assign]
    install_docs(app)
    install_portal(app, settings)
    install_console(app, settings)
    # Added last = outermost: the request id exists before anything else can fail.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    return app
