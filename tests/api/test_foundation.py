"""The service skeleton through HTTP: health, readiness, request ids, metrics, problems, auth."""

from __future__ import annotations

import asyncio
import functools
import gc

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from returns_api.app import create_app
from returns_api.auth.service import revoke_api_key
from tests.conftest import bearer, make_settings, new_api_key

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return dict(body)


async def test_healthz_and_readyz_answer_ok(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok"}


# aiosqlite's worker thread reports a failed open after the test's loop has closed.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize(
    "unreachable_url",
    [
        "sqlite+aiosqlite:////nonexistent-dir/for/returns.db",
        "postgresql+asyncpg://postgres@127.0.0.1:1/nothing",
    ],
)
async def test_readyz_is_503_problem_when_database_unreachable(unreachable_url: str) -> None:
    app = create_app(make_settings(unreachable_url))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
            body = assert_problem(await client.get("/readyz"), 503)
    assert body["detail"] == "The database does not answer."


async def test_a_started_app_freezes_its_startup_heap_only_when_asked(database_url: str) -> None:
    gc.unfreeze()
    try:
        async with LifespanManager(create_app(make_settings(database_url))):
            assert gc.get_freeze_count() == 0  # the tests' setting: off
        frozen = create_app(make_settings(database_url, gc_freeze_after_startup=True))
        async with LifespanManager(frozen):
            # everything alive after start-up (the imported modules, the app) is frozen
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


@functools.cache
def _global_spans() -> InMemorySpanExporter:
    """An OpenTelemetry SDK set up as `opentelemetry-instrument` would: global, once."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


async def test_fastapi_reports_requests_to_opentelemetry_only_when_asked(database_url: str) -> None:
    spans = _global_spans()
    for asked in (False, True):
        spans.clear()
        app = create_app(make_settings(database_url, opentelemetry=asked))
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client,
        ):
            assert (await client.get("/healthz")).status_code == 200
        routes = [span.attributes.get("http.route") for span in spans.get_finished_spans()]
        if asked:
            assert "/healthz" in routes, routes
        else:
            assert routes == []


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/no/such/route")
    text = (await client.get("/metrics")).text
    assert 'returns_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "returns_http_request_duration_seconds_bucket" in text


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404)


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.post("/healthz"), 405)


async def test_unexpected_error_is_500_problem_without_internals(app: FastAPI) -> None:
    async def explode() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/test-only/explode", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/test-only/explode")
    body = assert_problem(response, 500)
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "request id" in str(body["detail"])


async def test_oversized_body_is_413_problem(database_url: str) -> None:
    app = create_app(make_settings(database_url, max_body_bytes=1024))

    async def sink(payload: dict[str, str]) -> dict[str, str]:
        return payload

    app.add_api_route("/test-only/sink", sink, methods=["POST"])
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            small = await client.post("/test-only/sink", json={"a": "b"})
            declared = await client.post("/test-only/sink", json={"a": "x" * 2000})

            async def chunks():  # type: ignore[no-untyped-def]
                for _ in range(4):
                    yield b"x" * 600

            streamed = await client.post(
                "/test-only/sink", content=chunks(), headers={"content-type": "application/json"}
            )
    assert small.status_code == 200
    assert_problem(declared, 413)
    assert_problem(streamed, 413)


async def test_no_credentials_is_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/me")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/me", headers=bearer("rk_not-a-real-key"))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_basic_auth_scheme_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_problem(response, 401)


async def test_valid_key_authenticates(app: FastAPI, client: httpx.AsyncClient) -> None:
    key = await new_api_key(app, "returns:read", "orders:write", name="storefront")
    response = await client.get("/v1/me", headers=bearer(key))
    assert response.status_code == 200
    assert response.json() == {
        "kind": "api_key",
        "name": "storefront",
        "scopes": ["orders:write", "returns:read"],
        "order_id": None,
        "return_id": None,
    }


async def test_revoked_key_is_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    key = await new_api_key(app, "returns:read")
    assert (await client.get("/v1/me", headers=bearer(key))).status_code == 200
    async with app.state.sessionmaker() as session, session.begin():
        from returns_api.auth.keys import hash_key
        from returns_api.auth.repository import ApiKeyRepository

        row = await ApiKeyRepository(session).find_for_auth(hash_key(key))
        assert row is not None
        await revoke_api_key(session, row["id"])
    assert_problem(await client.get("/v1/me", headers=bearer(key)), 401)


async def _revoke_behind_the_service(app: FastAPI, key: str) -> None:
    """Revoke as another process would (the CLI, a second API process): straight in the
    database, so this process's key cache is not told."""
    from sqlalchemy import update

    from returns_api.auth.keys import hash_key
    from returns_api.auth.models import ApiKey
    from returns_api.core.clock import utcnow

    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(ApiKey).where(ApiKey.key_hash == hash_key(key)).values(revoked_at=utcnow())
        )


def _app_with_key_cache(database_url: str, seconds: float) -> FastAPI:
    return create_app(make_settings(database_url, api_key_cache_seconds=seconds))


def _client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_looked_up_key_is_trusted_for_the_cache_time_unless_revoked_here(
    database_url: str,
) -> None:
    app = _app_with_key_cache(database_url, 60)
    async with LifespanManager(app), _client_of(app) as client:
        key = await new_api_key(app, "returns:read")
        assert (await client.get("/v1/me", headers=bearer(key))).status_code == 200
        await _revoke_behind_the_service(app, key)
        # the documented delay: another process's revocation is seen when the lookup expires
        assert (await client.get("/v1/me", headers=bearer(key))).status_code == 200
        # a revocation through this process is immediate
        async with app.state.sessionmaker() as session, session.begin():
            from returns_api.auth.keys import hash_key
            from returns_api.auth.repository import ApiKeyRepository

            other = await new_api_key(app, "returns:read")
            assert (await client.get("/v1/me", headers=bearer(other))).status_code == 200
            row = await ApiKeyRepository(session).find_for_auth(hash_key(other))
            assert row is not None
            await revoke_api_key(session, row["id"])
        assert_problem(await client.get("/v1/me", headers=bearer(other)), 401)


async def test_a_key_revoked_elsewhere_stops_working_when_the_cache_expires(
    database_url: str,
) -> None:
    app = _app_with_key_cache(database_url, 0.2)
    async with LifespanManager(app), _client_of(app) as client:
        key = await new_api_key(app, "returns:read")
        assert (await client.get("/v1/me", headers=bearer(key))).status_code == 200
        await _revoke_behind_the_service(app, key)
        await asyncio.sleep(0.3)
        assert_problem(await client.get("/v1/me", headers=bearer(key)), 401)


async def test_with_the_key_cache_off_a_revocation_elsewhere_is_immediate(
    database_url: str,
) -> None:
    app = _app_with_key_cache(database_url, 0)
    async with LifespanManager(app), _client_of(app) as client:
        key = await new_api_key(app, "returns:read")
        assert (await client.get("/v1/me", headers=bearer(key))).status_code == 200
        await _revoke_behind_the_service(app, key)
        assert_problem(await client.get("/v1/me", headers=bearer(key)), 401)
