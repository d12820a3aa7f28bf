"""The CSV export streams: once its first byte is sent, its status (200) cannot change. So
whatever can be refused is refused before it (the filters, with the list's own schema),
and a failure after it ends the stream in a way a client can tell from a complete file,
and is logged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from fastapi import FastAPI

from returns_api.exports import service
from tests.api.test_foundation import assert_problem
from tests.conftest import bearer, new_api_key
from tests.factories import Api, line
from tests.live_server import free_port

VALIDATION_ERROR = "urn:returns-api:problem:validation-error"


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    staff = await Api.staff(app, client)
    await staff.put_order("ord_1", lines=[line("li_1", quantity=5)])
    for _ in range(3):
        assert (await staff.create_return("ord_1")).status_code == 201
    return staff


@pytest.mark.parametrize("parameter", ["reason", "order_id", "customer_id"])
async def test_a_nul_in_a_text_filter_is_the_same_422_for_the_list_and_the_export(
    api: Api, parameter: str
) -> None:
    for path in ("/v1/returns", "/v1/returns/export"):
        response = await api.client.get(
            path, params={parameter: "size\x00fit"}, headers={**api.headers, "Accept": "text/csv"}
        )
        problem = assert_problem(response, 422)
        assert problem["type"] == VALIDATION_ERROR
        assert [e["location"] for e in problem["errors"]] == [f"query.{parameter}"], problem  # type: ignore[union-attr]


async def test_a_nul_in_the_event_type_filter_is_a_422_naming_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    key = await new_api_key(app, "webhooks:manage")
    response = await client.get("/v1/events", params={"type": "return.\x00"}, headers=bearer(key))
    problem = assert_problem(response, 422)
    assert [e["location"] for e in problem["errors"]] == ["query.type"], problem  # type: ignore[union-attr]


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app (already started by the fixture) under uvicorn on 127.0.0.1, in this loop."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def _failing_after(monkeypatch: pytest.MonkeyPatch, good_pages: int) -> None:
    """Every page read after the first `good_pages` fails, as a lost database would."""
    real_page = service.read_page
    reads = 0

    async def page(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        if reads > good_pages:
            raise ConnectionResetError("the database went away")
        return await real_page(*args, **kwargs)

    monkeypatch.setattr(service, "read_page", page)
    monkeypatch.setattr(service, "PAGE_SIZE", 1)


async def test_a_failure_after_the_first_byte_cuts_the_stream_detectably_and_is_logged(
    app: FastAPI, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_after(monkeypatch, good_pages=1)
    received = bytearray()

    async def read_all(response: httpx.Response) -> None:
        async for chunk in response.aiter_raw():
            received.extend(chunk)

    capture = structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars])
    with capture as logs:
        async with (
            served(app) as url,
            httpx.AsyncClient(base_url=url) as http,
            http.stream("GET", "/v1/returns/export", headers=api.headers) as response,
        ):
            assert response.status_code == 200
            request_id = response.headers["x-request-id"]
            with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
                await read_all(response)
    # The header and the first page came; the truncation, not a clean end, says the rest
    # did not.
    assert received.count(b"\r\n") == 2, received
    [aborted] = [entry for entry in logs if entry["event"] == "export_aborted"]
    assert aborted["log_level"] == "error"
    assert aborted["request_id"] == request_id
    assert aborted["rows_sent"] == 1
    assert aborted["error"] == "ConnectionResetError: the database went away"


async def test_a_failure_before_the_first_byte_is_a_problem_not_a_cut_stream(
    app: FastAPI, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_after(monkeypatch, good_pages=0)
    async with served(app) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/v1/returns/export", headers=api.headers)
    problem = assert_problem(response, 500)
    assert problem["type"] == "about:blank"
    assert "database" not in response.text
