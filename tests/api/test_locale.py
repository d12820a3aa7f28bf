"""The customer's language (`locale`, a BCP 47 tag): on the order as synced, or the service's
default (`RETURNS_DEFAULT_LOCALE`); on a return, its order's unless the request names another;
refused with a 422 naming the field when malformed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from returns_api.core.settings import Settings
from tests.api.test_returns_rules import errors_of
from tests.conftest import bearer, make_settings, new_api_key
from tests.factories import Api, order_body

# Not `en`: an order without a locale shows the setting, not a value written somewhere else.
DEFAULT = "nl-NL"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, default_locale="nl-nl")


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


async def put_order(api: Api, order_id: str = "ord_1", **fields: Any) -> httpx.Response:
    body = {**order_body(), **fields}
    return await api.client.put(f"/v1/orders/{order_id}", json=body, headers=api.headers)


def test_the_default_locale_is_en_and_must_be_a_language_tag() -> None:
    assert Settings().default_locale == "en"
    assert Settings(default_locale="de-de").default_locale == "de-DE"
    with pytest.raises(ValidationError):
        Settings(default_locale="de_DE")


async def test_an_order_synced_without_locale_has_the_default(api: Api) -> None:
    created = await put_order(api)
    assert created.status_code == 201, created.text
    assert created.json()["locale"] == DEFAULT
    assert (await api.get("/v1/orders/ord_1")).json()["locale"] == DEFAULT


async def test_an_order_keeps_its_locale_in_canonical_case(api: Api) -> None:
    created = await put_order(api, locale="de-de")
    assert created.json()["locale"] == "de-DE"
    assert (await api.get("/v1/orders/ord_1")).json()["locale"] == "de-DE"
    # A re-sync replaces the order: a locale left out is the default again.
    resynced = await put_order(api, order_number=created.json()["order_number"])
    assert resynced.status_code == 200, resynced.text
    assert resynced.json()["locale"] == DEFAULT


@pytest.mark.parametrize("locale", ["de_DE", "german", "de-", "", "x-klingon", 42, "e" * 36])
async def test_a_malformed_order_locale_is_422_naming_it(api: Api, locale: Any) -> None:
    errors = errors_of(await put_order(api, locale=locale))
    assert set(errors) == {"body.locale"}
    assert (await api.get("/v1/orders/ord_1")).status_code == 404


ITEMS = [{"line_item_id": "li_1", "quantity": 1, "reason": "size_fit"}]


async def test_a_return_speaks_its_orders_language_and_its_event_says_so(
    app: FastAPI, api: Api
) -> None:
    assert (await put_order(api, locale="de-DE")).status_code == 201
    created = await api.create_return()
    assert created.status_code == 201, created.text
    assert created.json()["locale"] == "de-DE"
    read = await api.get(f"/v1/returns/{created.json()['id']}")
    assert read.json()["locale"] == "de-DE"

    events_key = bearer(await new_api_key(app, "webhooks:manage"))
    events = await api.client.get(
        "/v1/events", params={"return_id": created.json()["id"]}, headers=events_key
    )
    [event] = events.json()["data"]
    assert event["data"]["object"]["locale"] == "de-DE"


async def test_a_return_of_an_order_synced_without_locale_has_the_default(api: Api) -> None:
    await put_order(api)
    assert (await api.create_return()).json()["locale"] == DEFAULT


async def test_a_locale_named_in_the_request_wins_over_the_orders(api: Api) -> None:
    await put_order(api, locale="de-DE")
    created = await api.create_return(locale="fr-fr")
    assert created.status_code == 201, created.text
    assert created.json()["locale"] == "fr-FR"
    assert (await api.get(f"/v1/returns/{created.json()['id']}")).json()["locale"] == "fr-FR"
    # The order keeps its own; the next return speaks it again.
    assert (await api.get("/v1/orders/ord_1")).json()["locale"] == "de-DE"
    assert (await api.create_return()).json()["locale"] == "de-DE"


@pytest.mark.parametrize("locale", ["fr_FR", "french", "fr-", None, 7, "fr-FR-" + "x" * 40])
async def test_a_malformed_return_locale_is_422_naming_it_and_writes_nothing(
    api: Api, locale: Any
) -> None:
    await put_order(api, locale="de-DE")
    body = {"order_id": "ord_1", "items": ITEMS, "locale": locale}
    response = await api.post("/v1/returns", body)
    if locale is None:  # null is the same as leaving it out
        assert response.json()["locale"] == "de-DE"
        return
    assert set(errors_of(response)) == {"body.locale"}
    assert (await api.get("/v1/returns")).json()["data"] == []


# --- Accept-Language: a customer's browser, for a portal token only ---------------------------


async def portal_token(api: Api, locale: str = "de-DE") -> dict[str, str]:
    order = await put_order(api, locale=locale)
    session = await api.client.post(
        "/v1/portal/sessions",
        json={"order_number": order.json()["order_number"], "email": "ada@example.com"},
    )
    assert session.status_code == 201, session.text
    return bearer(session.json()["token"])


async def create_return(
    api: Api, credential: dict[str, str], accept_language: str | None = None, **fields: Any
) -> dict[str, Any]:
    headers = dict(credential)
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    body = {"order_id": "ord_1", "items": ITEMS, **fields}
    response = await api.client.post("/v1/returns", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [
        ("fr-ch, fr;q=0.9, en;q=0.8, *;q=0.5", "fr-CH"),
        ("en;q=0.3, it-it;q=0.8", "it-IT"),
        ("*, fr_FR, french-FR;q=0.9, nl-NL;q=0", "de-DE"),  # nothing usable: the order's
        ("", "de-DE"),
        (None, "de-DE"),
    ],
)
async def test_a_portal_return_speaks_the_browsers_preferred_language(
    api: Api, accept_language: str | None, locale: str
) -> None:
    portal = await portal_token(api)
    created = await create_return(api, portal, accept_language)
    assert created["locale"] == locale
    read = await api.client.get(f"/v1/returns/{created['id']}", headers=portal)
    assert read.json()["locale"] == locale
    assert (await api.get(f"/v1/returns/{created['id']}")).json()["locale"] == locale


async def test_a_locale_in_the_body_wins_over_the_browsers(api: Api) -> None:
    portal = await portal_token(api)
    created = await create_return(api, portal, "fr-FR", locale="ru-ru")
    assert created["locale"] == "ru-RU"


async def test_a_merchant_keys_accept_language_is_not_the_customers(api: Api) -> None:
    """A back-office agent's browser or a platform's HTTP library says nothing of the
    customer's language: the order's counts, or the body's."""
    await put_order(api, locale="de-DE")
    assert (await create_return(api, api.headers, "fr-FR"))["locale"] == "de-DE"
    assert (await create_return(api, api.headers, "fr-FR", locale="nl-NL"))["locale"] == "nl-NL"
