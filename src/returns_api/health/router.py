from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from returns_api.core.db import database_answers
from returns_api.core.errors import ServiceUnavailable, problems

router = APIRouter(tags=["Operations"])


class HealthStatus(BaseModel):
    status: str = "ok"


@router.get("/healthz", operation_id="getHealth", response_model=HealthStatus)
async def healthz() -> HealthStatus:
    """Liveness: the process is up and serving."""
    return HealthStatus()


@router.get(
    "/readyz",
    operation_id="getReadiness",
    response_model=HealthStatus,
    responses=problems(ServiceUnavailable),
)
async def readyz(request: Request) -> HealthStatus:
    """Readiness: the database answers, so this process can take traffic."""
    if not await database_answers(request.app.state.engine):
        raise ServiceUnavailable("The database does not answer.")
    return HealthStatus()


@router.get(
    "/metrics",
    operation_id="getMetrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests by route, method and status, and latency histograms."""
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
