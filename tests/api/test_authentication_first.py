"""Nothing is told before authentication: every protected operation answers a request
without a valid credential with 401, and one whose credential lacks the scope with 403,
whatever else is wrong with it — a body that is not JSON or not UTF-8, an id that is not an
id. Walked over every operation of the document, so a new route cannot slip out of it."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.openapi import render_openapi
from tests.api.test_foundation import assert_problem
from tests.conftest import bearer, new_api_key

UNAUTHORIZED = "urn:returns-api:problem:unauthorized"
FORBIDDEN = "urn:returns-api:problem:forbidden"
# Not JSON (FastAPI: 422 json_invalid), not UTF-8 (400), JSON of the wrong shape (422).
BAD_BODIES = [b'{"order_id": ', b'{"note": "\xc3("}', b"[1, 2]"]


def _protected_operations() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(method, path, security) of every operation that requires a credential."""
    document = json.loads(render_openapi())
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            security = operation.get("security")
            if security and {} not in security:  # `{}`: anonymous callers are served too
                found.append((method.upper(), path, security))
    return found


PROTECTED = _protected_operations()


def _url(path: str) -> str:
    # Path parameters of any kind get a value that is not valid for any of them.
    return re.sub(r"\{[^}]+\}", "nope", path)


def test_the_walk_covers_the_api() -> None:
    assert len(PROTECTED) >= 35, PROTECTED
    assert ("POST", "/v1/returns", [{"bearerAuth": ["returns:write"]}]) in PROTECTED


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p, _ in PROTECTED], ids=[f"{m} {p}" for m, p, _ in PROTECTED]
)
async def test_without_a_credential_every_protected_operation_is_401_whatever_the_request(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    for credential in ({}, bearer("rk_not_a_key"), bearer("pt_not.a.token")):
        for body in BAD_BODIES:
            response = await client.request(
                method,
                _url(path),
                content=body,
                headers={**credential, "Content-Type": "application/json"},
            )
            problem = assert_problem(response, 401)
            assert problem["type"] == UNAUTHORIZED, (body, problem)
            assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p, security in PROTECTED if {"bearerAuth": ["analytics:read"]} not in security],
    ids=[f"{m} {p}" for m, p, s in PROTECTED if {"bearerAuth": ["analytics:read"]} not in s],
)
async def test_a_credential_without_the_scope_is_403_whatever_the_request(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str
) -> None:
    if path == "/v1/me":
        pytest.skip("any valid credential may ask who it is")
    key = await new_api_key(app, "analytics:read", name="reports-only")
    for body in BAD_BODIES:
        response = await client.request(
            method,
            _url(path),
            content=body,
            headers={**bearer(key), "Content-Type": "application/json"},
        )
        problem = assert_problem(response, 403)
        assert problem["type"] == FORBIDDEN, (body, problem)


async def test_with_the_right_credential_a_bad_body_is_still_what_it_was(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    key = await new_api_key(app, "returns:write", name="storefront")
    headers = {**bearer(key), "Content-Type": "application/json"}
    not_json = await client.post("/v1/returns", content=BAD_BODIES[0], headers=headers)
    assert assert_problem(not_json, 422)["type"] == "urn:returns-api:problem:validation-error"
    not_utf8 = await client.post("/v1/returns", content=BAD_BODIES[1], headers=headers)
    assert assert_problem(not_utf8, 400)["type"] == "about:blank"
    wrong_shape = await client.post("/v1/returns", content=BAD_BODIES[2], headers=headers)
    assert assert_problem(wrong_shape, 422)["type"] == "urn:returns-api:problem:validation-error"
