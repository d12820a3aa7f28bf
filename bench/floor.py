"""The raw floor: the least a Python service on this stack can do for a create and a get.

Starlette + asyncpg, no validation framework, no ORM: parse a JSON body like a return
request and INSERT one row; GET one row by primary key. Benchmarks quote their results as
ratios to this app measured in the same run (absolute numbers drift between runs).
Also answers POST /hook with 204 (a webhook receiver for the dispatch case).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DSN = os.environ.get("FLOOR_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(DSN, min_size=5, max_size=10)
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS floor_returns "
            "(id uuid PRIMARY KEY, order_id text, body text, created_at timestamptz)"
        )
    app.state.pool = pool
    yield
    await pool.close()


async def create(request: Request) -> Response:
    payload = json.loads(await request.body())
    row_id = uuid.uuid4()
    async with request.app.state.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO floor_returns (id, order_id, body, created_at) VALUES ($1, $2, $3, $4)",
            row_id,
            payload["order_id"],
            json.dumps(payload),
            datetime.now(UTC),
        )
    return JSONResponse({"id": str(row_id), "order_id": payload["order_id"]}, status_code=201)


async def get(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, order_id, body, created_at FROM floor_returns WHERE id = $1",
            uuid.UUID(request.path_params["row_id"]),
        )
    if row is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(
        {
            "id": str(row["id"]),
            "order_id": row["order_id"],
            "body": json.loads(row["body"]),
            "created_at": row["created_at"].isoformat(),
        }
    )


_received: list[str] = []


async def hook(request: Request) -> Response:
    await request.body()
    _received.append(request.headers.get("webhook-id", ""))
    return Response(status_code=204)


async def hook_stats(request: Request) -> Response:
    """What the receiver saw: every webhook-id, in arrival order (scale-out script)."""
    return JSONResponse({"received": len(_received), "ids": _received})


app = Starlette(
    routes=[
        Route("/floor", create, methods=["POST"]),
        Route("/floor/{row_id}", get, methods=["GET"]),
        Route("/hook", hook, methods=["POST"]),
        Route("/hook/stats", hook_stats, methods=["GET"]),
    ],
    lifespan=lifespan,
)
