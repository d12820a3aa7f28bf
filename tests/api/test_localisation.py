"""Localised reasons and messages (#22 §3): reason names per language, the quote in the
customer's language, and a portal customer's problem `detail`s in theirs, while `type`s,
`title`s and codes stay stable and merchant keys keep English.

The language is negotiated, most wanted first: the `locale` query parameter, the body's
`locale`, `Accept-Language`, the order's `locale`, then `RETURNS_DEFAULT_LOCALE`; from a
region to its bare language (`de-AT` → `de`) and to another region of it (`de-AT` → `de-DE`).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.test_returns_rules import assert_problem, errors_of
from tests.conftest import bearer
from tests.factories import Api, line, order_body

SIZE_FIT = {
    "en": "Size or fit is wrong",
    "de": "Größe oder Passform stimmt nicht",
    "fr": "Taille ou coupe inadaptée",
    "nl": "Maat of pasvorm klopt niet",
    "ru": "Не подошёл размер или фасон",  # noqa: RUF001  (Cyrillic, on purpose)
}
FINAL_SALE = {
    "en": "line 'li_fs' was a final sale and cannot be returned",
    "de": "Position 'li_fs' wurde als Endverkauf gekauft und kann nicht zurückgegeben werden",
    "fr": "la ligne 'li_fs' était une vente finale et ne peut pas être retournée",
    "nl": "regel 'li_fs' was een eindverkoop en kan niet worden geretourneerd",
    "ru": "позиция 'li_fs' продана без права возврата",
}
NOT_ACCEPTED = {
    "en": "This return cannot be accepted: ",
    "de": "Diese Rücksendung kann nicht angenommen werden: ",
    "fr": "Ce retour ne peut pas être accepté\u00a0: ",
    "nl": "Deze retour kan niet worden geaccepteerd: ",
    "ru": "Этот возврат не может быть принят: ",
}
NOT_RETURNABLE = "urn:returns-api:problem:not-returnable"


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


async def put_order(
    api: Api, order_id: str = "ord_1", *, delivered_days_ago: int = 3, **fields: Any
) -> dict[str, Any]:
    lines = [line("li_1", quantity=2), line("li_fs", final_sale=True)]
    body = {**order_body(lines=lines, delivered_days_ago=delivered_days_ago), **fields}
    response = await api.client.put(f"/v1/orders/{order_id}", json=body, headers=api.headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def assert_in_language(response: httpx.Response, language: str | None) -> None:
    assert response.headers.get("content-language") == language
    assert "accept-language" in response.headers.get("vary", "").lower()


# --- GET /v1/return-reasons ------------------------------------------------------------------


async def reasons(client: httpx.AsyncClient, **kw: Any) -> httpx.Response:
    response = await client.get("/v1/return-reasons", **kw)
    assert response.status_code == 200, response.text
    return response


async def test_reasons_keep_code_and_label_and_gain_a_name_in_the_default_language(
    client: httpx.AsyncClient,
) -> None:
    response = await reasons(client)
    body = response.json()
    assert body["locale"] == "en"
    assert_in_language(response, "en")
    size_fit = next(r for r in body["data"] if r["code"] == "size_fit")
    assert size_fit["label"] == SIZE_FIT["en"]
    assert size_fit["name"] == SIZE_FIT["en"]
    assert size_fit["merchant_fault"] is False
    # The default policy names every reason in every language messages ship in.
    for reason in body["data"]:
        assert set(reason["labels"]) == {"en", "de", "fr", "nl", "ru"}, reason


@pytest.mark.parametrize(
    ("params", "accept_language", "language"),
    [
        ({"locale": "de-AT"}, None, "de"),  # a region falls back to its language
        ({"locale": "nl-BE"}, None, "nl"),
        ({}, "fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ({}, "ja, ru;q=0.5", "ru"),  # no Japanese: the next language asked for
        ({}, "ja", "en"),  # nothing asked for is there: the default
        ({"locale": "ru-RU"}, "de-DE", "ru"),  # the parameter wins over the header
        ({}, "*, de_DE, german;q=0.9, fr;q=0", "en"),  # nothing usable
    ],
)
async def test_reasons_are_named_in_the_language_asked_for(
    client: httpx.AsyncClient,
    params: dict[str, str],
    accept_language: str | None,
    language: str,
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = await reasons(client, params=params, headers=headers)
    assert response.json()["locale"] == language
    assert_in_language(response, language)
    names = {r["code"]: r["name"] for r in response.json()["data"]}
    assert names["size_fit"] == SIZE_FIT[language]
    labels = {r["code"]: r["label"] for r in response.json()["data"]}
    assert labels["size_fit"] == SIZE_FIT["en"]  # `label` means what it meant


@pytest.mark.parametrize("locale", ["german", "de_DE", "de-", "x-klingon", "e" * 36])
async def test_a_malformed_locale_parameter_is_422_naming_it(
    client: httpx.AsyncClient, locale: str
) -> None:
    errors = errors_of(await client.get("/v1/return-reasons", params={"locale": locale}))
    assert set(errors) == {"query.locale"}


async def policy_api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    from tests.conftest import new_api_key

    return Api(client, await new_api_key(app, "policy:manage", name="merchant"))


MERCHANT_REASONS = [
    {
        "code": "too_small",
        "label": "Too small",
        "labels": {"de-de": "Zu klein", "FR": "Trop petit", "pt-br": "Pequeno demais"},
    },
    {"code": "changed_mind", "label": "Changed my mind", "labels": {"de-DE": "Meinung geändert"}},
    {"code": "other", "label": "Something else"},
]


async def test_merchant_labels_are_kept_in_canonical_case_and_negotiated(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    merchant = await policy_api(app, client)
    put = await client.put(
        "/v1/policy", json={"reasons": MERCHANT_REASONS}, headers=merchant.headers
    )
    assert put.status_code == 201, put.text
    stored = (await client.get("/v1/policy")).json()["reasons"]
    assert stored[0]["labels"] == {
        "de-DE": "Zu klein",
        "fr": "Trop petit",
        "pt-BR": "Pequeno demais",
    }

    # de-AT: no `de-AT`, no `de`: another region's German. A reason without labels: `label`.
    austrian = await reasons(client, headers={"Accept-Language": "de-AT"})
    assert austrian.json()["locale"] == "de-DE"
    assert_in_language(austrian, "de-DE")
    names = [r["name"] for r in austrian.json()["data"]]
    assert names == ["Zu klein", "Meinung geändert", "Something else"]

    # pt-PT: Brazilian Portuguese is still Portuguese; the others fall back to their label.
    portuguese = await reasons(client, params={"locale": "pt-PT"})
    assert portuguese.json()["locale"] == "pt-BR"
    names = [r["name"] for r in portuguese.json()["data"]]
    assert names == ["Pequeno demais", "Changed my mind", "Something else"]

    # Nothing in Russian: every name is its label, and no language is claimed.
    russian = await reasons(client, params={"locale": "ru"})
    assert russian.json()["locale"] is None
    assert_in_language(russian, None)
    assert [r["name"] for r in russian.json()["data"]] == [r["label"] for r in MERCHANT_REASONS]


@pytest.mark.parametrize(
    ("labels", "location"),
    [
        ({"de-de": "Zu klein", "de-DE": "Zu eng"}, "body.reasons.0.labels"),
        ({"german": "Zu klein"}, "body.reasons.0.labels.german.[key]"),
        ({"de-DE": ""}, "body.reasons.0.labels.de-DE"),
        ({"de-DE": 7}, "body.reasons.0.labels.de-DE"),
    ],
)
async def test_bad_reason_labels_are_422_naming_the_field_and_write_nothing(
    app: FastAPI, client: httpx.AsyncClient, labels: dict[str, Any], location: str
) -> None:
    merchant = await policy_api(app, client)
    reason = {"code": "too_small", "label": "Too small", "labels": labels}
    put = await client.put("/v1/policy", json={"reasons": [reason]}, headers=merchant.headers)
    errors = errors_of(put)
    assert set(errors) == {location}, errors
    if location.endswith(".labels"):
        assert "'de-DE' is named twice" in errors[location]["message"]
    assert (await client.get("/v1/policy")).json()["version"] == 1


# --- POST /v1/returns/quote ------------------------------------------------------------------

QUOTE = {
    "order_id": "ord_1",
    "items": [
        {"line_item_id": "li_1", "quantity": 1, "reason": "size_fit"},
        {"line_item_id": "li_fs", "quantity": 1, "reason": "size_fit"},
    ],
}


async def quote(
    api: Api, headers: dict[str, str], *, params: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    response = await api.client.post(
        "/v1/returns/quote", json={**QUOTE, **body}, params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def test_a_quote_speaks_the_orders_language_for_a_merchant_key(api: Api) -> None:
    await put_order(api, locale="de-DE")
    response = await quote(api, api.headers)
    body = response.json()
    assert body["locale"] == "de"
    assert_in_language(response, "de")
    ok, final_sale = body["lines"]
    assert ok["reason"] == "size_fit"
    assert ok["reason_name"] == SIZE_FIT["de"]
    assert final_sale["problems"] == [FINAL_SALE["de"]]
    assert body["eligible"] is False


@pytest.mark.parametrize(
    ("params", "body_locale", "accept_language", "language"),
    [
        ({"locale": "fr-BE"}, "nl-NL", "ru", "fr"),  # the parameter first
        ({}, "nl-NL", "ru", "nl"),  # then the body's locale
        ({}, None, "ru-RU, fr;q=0.5", "ru"),  # then Accept-Language
        ({}, None, "ja", "de"),  # then the order's
        ({}, "pt-BR", None, "de"),  # nothing there in Portuguese: the order's
    ],
)
async def test_a_quote_is_in_the_first_language_there_are_texts_in(
    api: Api,
    params: dict[str, str],
    body_locale: str | None,
    accept_language: str | None,
    language: str,
) -> None:
    await put_order(api, locale="de-DE")
    headers = dict(api.headers)
    if accept_language:
        headers["Accept-Language"] = accept_language
    fields = {"locale": body_locale} if body_locale else {}
    response = await quote(api, headers, params=params, **fields)
    assert response.json()["locale"] == language
    assert_in_language(response, language)
    assert response.json()["lines"][1]["problems"] == [FINAL_SALE[language]]
    assert response.json()["lines"][0]["reason_name"] == SIZE_FIT[language]


async def test_an_order_without_locale_quotes_in_the_default_language(api: Api) -> None:
    await put_order(api)
    response = await quote(api, api.headers)
    assert response.json()["locale"] == "en"
    assert response.json()["lines"][1]["problems"] == [FINAL_SALE["en"]]


async def portal(api: Api, order_locale: str = "de-DE") -> dict[str, str]:
    order = await put_order(api, locale=order_locale)
    session = await api.client.post(
        "/v1/portal/sessions",
        json={"order_number": order["order_number"], "email": "ada@example.com"},
    )
    assert session.status_code == 201, session.text
    return bearer(session.json()["token"])


async def test_a_portal_quote_tells_the_decision_in_the_customers_language(api: Api) -> None:
    token = await portal(api, "ru-RU")
    body = {"items": QUOTE["items"][:1]}
    response = await quote(api, token, **body)
    assert response.json()["locale"] == "ru"
    decision = response.json()["decision"]
    assert decision["audience"] == "customer"
    assert decision["action"] == "review"
    assert (
        decision["message"]
        == "Магазин рассмотрит вашу заявку; мы сообщим вам, когда решение будет принято."
    )
    french = await quote(api, {**token, "Accept-Language": "fr-FR"}, **body)
    assert french.json()["decision"]["message"].startswith("La boutique va examiner")


async def test_a_window_that_closed_is_dated_as_the_customers_language_writes_dates(
    api: Api,
) -> None:
    await put_order(api, locale="de-DE", delivered_days_ago=400)
    # The deadline is 30 days after delivery: whatever today is, Babel writes it.
    from datetime import UTC, datetime, timedelta

    from babel.dates import format_date

    deadline = (datetime.now(UTC) - timedelta(days=400) + timedelta(days=30)).date()
    response = await quote(api, api.headers, items=QUOTE["items"][:1])
    [problem] = response.json()["lines"][0]["problems"]
    german = format_date(deadline, format="long", locale="de")
    assert problem == f"die Rückgabefrist für Position 'li_1' ist am {german} abgelaufen"
    english = await quote(api, api.headers, params={"locale": "en-GB"}, items=QUOTE["items"][:1])
    british = format_date(deadline, format="long", locale="en_GB")
    assert english.json()["lines"][0]["problems"] == [
        f"the return window for line 'li_1' closed on {british}"
    ]


# --- Problems told to a portal customer ------------------------------------------------------

CREATE = {"order_id": "ord_1", "items": QUOTE["items"]}


@pytest.mark.parametrize(
    ("accept_language", "params", "language"),
    [
        (None, {}, "de"),  # the order's language, carried by the token
        ("fr-CH, fr;q=0.9", {}, "fr"),
        ("nl-BE", {}, "nl"),
        ("fr", {"locale": "ru"}, "ru"),
        ("ja", {}, "de"),
    ],
)
async def test_a_portal_customer_reads_why_a_return_is_refused_in_their_language(
    api: Api, accept_language: str | None, params: dict[str, str], language: str
) -> None:
    token = await portal(api, "de-DE")
    headers = {**token, **({"Accept-Language": accept_language} if accept_language else {})}
    response = await api.client.post("/v1/returns", json=CREATE, params=params, headers=headers)
    body = assert_problem(response, 422)
    # What clients branch on stays as it is.
    assert body["type"] == NOT_RETURNABLE
    assert body["title"] == "Unprocessable Content"
    errors = {e["location"]: e for e in body["errors"]}
    assert errors["body.items.1"]["type"] == "final_sale"
    # What people read is in their language.
    assert errors["body.items.1"]["message"] == FINAL_SALE[language]
    assert body["detail"] == f"{NOT_ACCEPTED[language]}{FINAL_SALE[language]}."
    assert_in_language(response, language)
    assert (await api.get("/v1/returns")).json()["data"] == []


async def test_a_locale_in_the_body_tells_the_refusal_in_that_language(api: Api) -> None:
    token = await portal(api, "de-DE")
    body = {**CREATE, "locale": "nl-NL"}
    response = await api.client.post(
        "/v1/returns", json=body, headers={**token, "Accept-Language": "fr"}
    )
    assert assert_problem(response, 422)["errors"][0]["message"] == FINAL_SALE["nl"]


async def test_a_merchant_key_reads_problems_in_english_whatever_it_sends(api: Api) -> None:
    await put_order(api, locale="de-DE")
    response = await api.client.post(
        "/v1/returns",
        json={**CREATE, "locale": "fr-FR"},
        params={"locale": "ru"},
        headers={**api.headers, "Accept-Language": "nl"},
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["message"] == FINAL_SALE["en"]
    assert body["detail"] == f"{NOT_ACCEPTED['en']}{FINAL_SALE['en']}."
    assert "content-language" not in response.headers


async def test_several_problems_are_counted_in_the_customers_language(api: Api) -> None:
    token = await portal(api, "fr-FR")
    items = [*QUOTE["items"], {"line_item_id": "li_9", "quantity": 1, "reason": "size_fit"}]
    response = await api.client.post(
        "/v1/returns", json={"order_id": "ord_1", "items": items}, headers=token
    )
    body = assert_problem(response, 422)
    assert body["detail"] == (
        f"{NOT_ACCEPTED['fr']}{FINAL_SALE['fr']} (et 1 autre(s) problème(s))."
    )
    errors = {e["location"]: e["message"] for e in body["errors"]}
    assert errors["body.items.2.line_item_id"] == "la commande n'a pas de ligne 'li_9'"


async def test_a_portal_customer_reads_not_found_and_illegal_changes_in_their_language(
    api: Api,
) -> None:
    token = await portal(api, "de-DE")
    created = await api.client.post(
        "/v1/returns", json={**CREATE, "items": QUOTE["items"][:1]}, headers=token
    )
    assert created.status_code == 201, created.text
    return_id = created.json()["id"]
    assert (await api.post(f"/v1/returns/{return_id}/reject")).status_code == 200

    cancel = await api.client.post(f"/v1/returns/{return_id}/cancel", headers=token)
    body = assert_problem(cancel, 409)
    assert body["type"] == "urn:returns-api:problem:illegal-transition"
    assert body["current_status"] == "rejected"
    assert body["detail"] == (
        "Eine Rücksendung mit dem Status „abgelehnt“ kann nicht in den Status „storniert“ wechseln."
    )
    # The merchant reads the same refusal in English.
    merchant = await api.post(f"/v1/returns/{return_id}/cancel")
    assert assert_problem(merchant, 409)["detail"] == (
        "A return that is rejected cannot become cancelled."
    )

    other = "0193a4f2-5b7e-7c1d-9e2f-3a4b5c6d7e8f"
    missing = await api.client.get(
        f"/v1/returns/{other}", headers={**token, "Accept-Language": "nl"}
    )
    body = assert_problem(missing, 404)
    assert body["type"] == "urn:returns-api:problem:return-not-found"
    assert body["detail"] == f"Retour {other} bestaat niet."


async def test_portal_sign_in_problems_are_in_the_browsers_language(api: Api) -> None:
    await put_order(api, locale="de-DE")
    wrong = await api.client.post(
        "/v1/portal/sessions",
        json={"order_number": "nope", "email": "ada@example.com"},
        headers={"Accept-Language": "nl-NL"},
    )
    body = assert_problem(wrong, 404)
    assert body["type"] == "urn:returns-api:problem:portal-lookup-failed"
    assert body["detail"] == "Er is geen bestelling met dit bestelnummer en e-mailadres."
    assert_in_language(wrong, "nl")

    expired = await api.client.get(
        "/v1/returns", headers={"Authorization": "Bearer pt_forged", "Accept-Language": "fr"}
    )
    body = assert_problem(expired, 401)
    assert body["detail"] == "L'accès au portail de retour n'est pas valide ou a expiré."
    # An API key that is not valid is nobody's customer: English.
    bad_key = await api.client.get(
        "/v1/returns", headers={"Authorization": "Bearer rk_nope", "Accept-Language": "fr"}
    )
    assert "content-language" not in bad_key.headers


async def test_a_replayed_quote_names_the_language_it_was_first_told_in(api: Api) -> None:
    await put_order(api, locale="de-DE")
    headers = {**api.headers, "Idempotency-Key": "quote-in-german"}
    first = await quote(api, headers)
    again = await quote(api, headers)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert_in_language(again, "de")
