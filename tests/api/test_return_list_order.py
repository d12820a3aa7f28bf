"""The order of `GET /v1/returns` (`sort`): newest first by default, oldest first for a review
queue, each page after page through its cursor, with the filters applied."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.test_foundation import assert_problem
from tests.factories import Api, line


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


async def _made(api: Api, count: int) -> list[str]:
    """`count` returns, in the order they were made (a fresh install sends each to review)."""
    await api.put_order(lines=[line("li_1", quantity=20)])
    made = []
    for _ in range(count):
        response = await api.create_return()
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    return made


async def _every_page(api: Api, **params: Any) -> tuple[list[str], int]:
    seen: list[str] = []
    pages, cursor = 0, None
    while True:
        response = await api.get("/v1/returns", **params | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [r["id"] for r in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


async def test_newest_first_is_the_default_and_sort_minus_created_at_says_the_same(
    api: Api,
) -> None:
    made = await _made(api, 7)
    assert await _every_page(api, limit=3) == (made[::-1], 3)
    assert await _every_page(api, limit=3, sort="-created_at") == (made[::-1], 3)


async def test_sort_created_at_lists_oldest_first_across_pages(api: Api) -> None:
    made = await _made(api, 7)
    assert await _every_page(api, limit=3, sort="created_at") == (made, 3)
    one_page = (await api.get("/v1/returns", sort="created_at", limit=100)).json()
    assert [r["id"] for r in one_page["data"]] == made
    assert one_page["next_cursor"] is None


async def test_oldest_first_keeps_the_filters_and_takes_returns_made_between_pages(
    api: Api,
) -> None:
    made = await _made(api, 6)
    for cancelled in made[1::2]:
        response = await api.post(f"/v1/returns/{cancelled}/cancel")
        assert response.status_code == 200, response.text
    first = await api.get("/v1/returns", sort="created_at", status="pending_review", limit=2)
    page = first.json()
    assert [r["id"] for r in page["data"]] == made[0:4:2]
    newer = (await api.create_return()).json()["id"]  # a newcomer joins the end of the queue
    rest = await api.get(
        "/v1/returns",
        sort="created_at",
        status="pending_review",
        limit=2,
        cursor=page["next_cursor"],
    )
    assert [r["id"] for r in rest.json()["data"]] == [made[4], newer]


async def test_an_unknown_sort_is_a_422_naming_it(api: Api) -> None:
    for sort in ("created", "+created_at", "id", "-id", ""):
        body = assert_problem(await api.get("/v1/returns", sort=sort), 422)
        assert [e["location"] for e in body["errors"]] == ["query.sort"], sort


async def test_a_cursor_continues_only_the_sort_it_came_from(api: Api) -> None:
    await _made(api, 3)
    for given, other in (("created_at", "-created_at"), ("-created_at", "created_at")):
        first = (await api.get("/v1/returns", sort=given, limit=1)).json()
        body = assert_problem(
            await api.get("/v1/returns", sort=other, limit=1, cursor=first["next_cursor"]), 422
        )
        assert [e["location"] for e in body["errors"]] == ["query.cursor"], given
        assert "sort" in str(body["detail"])
        again = await api.get("/v1/returns", sort=given, limit=1, cursor=first["next_cursor"])
        assert again.status_code == 200, again.text
