"""An id that is not a UUID names nothing, exactly like a UUID that names nothing: the same
404 with the resource's own problem type, for every operation with a UUID in its path. A
concrete path beside an id (`/v1/returns/quote`) is not read as an id."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.auth.scopes import ALL_SCOPES
from returns_api.openapi import render_openapi
from tests.api.test_foundation import assert_problem
from tests.conftest import bearer, new_api_key
from tests.factories import order_body


def _operations_with_uuid_ids() -> list[tuple[str, str, Any]]:
    """(method, path, an example body or None) of every operation with a UUID path id."""
    document = json.loads(render_openapi())
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            ids = [
                p
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p["schema"].get("format") == "uuid"
            ]
            if not ids:
                continue
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            body = None
            if content is not None:
                example = next(iter(content["examples"].values()))
                if "$ref" in example:
                    example = document["components"]["examples"][example["$ref"].split("/")[-1]]
                body = example["value"]
            found.append((method.upper(), path, body))
    return found


OPERATIONS = _operations_with_uuid_ids()
MALFORMED = ["nope", "0193a4f2-5b7e-7c1d-9e2f-3a4b5c6d7e8", "0193a4f2-5b7e-7c1d-9e2f-3a4b5c6d7e8fa"]


def test_the_walk_covers_every_resource_with_uuid_ids() -> None:
    paths = {path for _, path, _ in OPERATIONS}
    assert "/v1/returns/{return_id}" in paths
    assert "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry" in paths
    assert "/v1/events/{event_id}" in paths
    assert len(OPERATIONS) >= 18


async def _credential(app: FastAPI, client: httpx.AsyncClient, path: str) -> dict[str, str]:
    if path.endswith("/feedback"):  # customers rate their returns; a merchant key is a 403
        body = order_body(number="1001", email="ada@example.com")
        key = await new_api_key(app, "orders:write")
        stored = await client.put("/v1/orders/ord_1", json=body, headers=bearer(key))
        assert stored.status_code == 201, stored.text
        session = await client.post(
            "/v1/portal/sessions", json={"order_number": "1001", "email": "ada@example.com"}
        )
        assert session.status_code == 201, session.text
        return bearer(session.json()["token"])
    return bearer(await new_api_key(app, *ALL_SCOPES))


@pytest.mark.parametrize(
    ("method", "path", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
async def test_a_malformed_id_is_the_same_404_as_an_unknown_one(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    headers = await _credential(app, client, path)
    unknown = await client.request(
        method, re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path), json=body, headers=headers
    )
    expected = assert_problem(unknown, 404)["type"]
    assert str(expected).endswith("-not-found"), expected
    for malformed in MALFORMED:
        response = await client.request(
            method, re.sub(r"\{[^}]+\}", malformed, path), json=body, headers=headers
        )
        problem = assert_problem(response, 404)
        assert problem["type"] == expected, (malformed, problem)
        assert problem["detail"], problem


async def test_each_id_of_a_path_is_judged_as_its_own_resource(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers = bearer(await new_api_key(app, "webhooks:manage"))
    created = await client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://127.0.0.1:9/hooks", "event_types": ["return.created"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()["id"]
    retry = await client.post(
        f"/v1/webhook-endpoints/{endpoint}/deliveries/nope/retry", headers=headers
    )
    assert assert_problem(retry, 404)["type"] == "urn:returns-api:problem:delivery-not-found"
    wrong_endpoint = await client.post(
        f"/v1/webhook-endpoints/nope/deliveries/{uuid.uuid4()}/retry", headers=headers
    )
    assert (
        assert_problem(wrong_endpoint, 404)["type"]
        == "urn:returns-api:problem:webhook-endpoint-not-found"
    )


@pytest.mark.parametrize(("name", "allowed"), [("quote", "POST"), ("export", "GET")])
async def test_the_resources_beside_a_return_id_are_not_read_as_ids(
    app: FastAPI, client: httpx.AsyncClient, name: str, allowed: str
) -> None:
    headers = bearer(await new_api_key(app, *ALL_SCOPES))
    other = "GET" if allowed == "POST" else "POST"
    refused = await client.request(other, f"/v1/returns/{name}", headers=headers)
    assert_problem(refused, 405)
    assert refused.headers["allow"] == allowed
