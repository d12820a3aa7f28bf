"""Pure ASGI middleware: request id, access log, Prometheus metrics, request body limit.

Written against raw ASGI rather than ``BaseHTTPMiddleware`` so they add no task or
stream copying on the hot path.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from returns_api.core.errors import problem_response

log = structlog.get_logger("returns_api.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class Metrics:
    """The service's Prometheus instruments, on a registry owned by one app."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "returns_http_requests_total",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "returns_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["route", "method"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class RequestContextMiddleware:
    """Request id (from ``X-Request-ID`` or new), echoed back; access log and metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # Bound once, when Starlette builds the middleware stack (after create_app has
        # configured logging): the module's lazy logger would look structlog's configuration
        # up again on every request. A later `structlog.configure` does not reach it.
        self.log = log.bind()
        # One child per label set, as Prometheus' own `labels()` would return, without its
        # per-call lookup (a lock, a tuple and a dict get for every request).
        self._counted: dict[tuple[str, str, int], Callable[[], None]] = {}
        self._timed: dict[tuple[str, str], Callable[[float], None]] = {}

    def _record(self, template: str, method: str, status: int, elapsed: float) -> None:
        count = self._counted.get((template, method, status))
        if count is None:
            count = self.metrics.requests.labels(template, method, str(status)).inc
            self._counted[(template, method, status)] = count
        time_it = self._timed.get((template, method))
        if time_it is None:
            time_it = self.metrics.latency.labels(template, method).observe
            self._timed[(template, method)] = time_it
        count()
        time_it(elapsed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else None
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status_code = 500
        started = False
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status_code, started
            if message["type"] == "http.response.start":
                started = True
                status_code = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answered here rather than by Starlette's outermost error middleware, so the
            # 500 carries the request id and is logged with it. Never any internals.
            self.log.error("unhandled_exception", path=scope["path"], exc_info=exc)
            if started:
                raise
            response = problem_response(
                Request(scope),
                status=500,
                title="Internal Server Error",
                detail="Something went wrong on our side; quote the request id when reporting it.",
            )
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - began
            # The path template without convertors (`/v1/returns/{return_id}`, not
            # `{return_id:uuid}`): the OpenAPI path, as FastAPI's own telemetry names it.
            route = scope.get("route")
            template = getattr(route, "path_format", None) or "unmatched"
            method = scope["method"]
            self._record(template, method, status_code, elapsed)
            self.log.info(
                "request",
                method=method,
                path=scope["path"],
                route=template,
                status=status_code,
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")


class BodyLimitMiddleware:
    """Refuses request bodies above the limit with a 413 problem, by header or while streaming.

    A declared ``Content-Length`` over the limit is answered at once; a streamed body is
    counted as it arrives and cut off with an ``HTTPException`` (the one error type FastAPI
    lets through its body parser), which the problem handler renders.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"The request body is larger than {self.max_bytes} bytes."
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(
                Request(scope), status=413, title="Content Too Large", detail=detail
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(status_code=413, detail=detail)
            return message

        await self.app(scope, limited_receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None
