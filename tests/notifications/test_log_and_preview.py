"""`GET /v1/notifications` (filters, pages), `POST …/resend`, `POST /v1/notifications/preview`
and who may call them (`returns:manage`)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tests.conftest import bearer, new_api_key
from tests.notifications.conftest import mail_worker
from tests.notifications.helpers import expect, merchant, new_return, notifications
from tests.notifications.smtp_server import SmtpServer

PREVIEW = "/v1/notifications/preview"


async def test_the_log_filters_by_return_and_status_and_pages_newest_first(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    first = await new_return(api, "ord_1")
    second = await new_return(api, "ord_2")
    expect(await api.post(f"/v1/returns/{second['id']}/reject", {"note": "no"}))
    assert [n["return_id"] for n in await notifications(api, return_id=first["id"])] == [
        first["id"]
    ]
    assert len(await notifications(api, return_id=second["id"])) == 2
    assert len(await notifications(api, status="pending")) == 3
    assert await notifications(api, status="sent") == []

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = expect(await api.get("/v1/notifications", **params))
        seen += [n["id"] for n in page["data"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert len(seen) == 3
    assert seen == sorted(seen, reverse=True)
    bad = await api.get("/v1/notifications", status="lost")
    assert bad.status_code == 422
    assert (await api.get("/v1/notifications", cursor="not-a-cursor")).status_code == 422


async def test_only_staff_read_the_log_resend_and_preview(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api)
    [logged] = await notifications(api)
    storefront = bearer(await new_api_key(app, "returns:read", "returns:write"))
    assert (await client.get("/v1/notifications", headers=storefront)).status_code == 403
    resend = f"/v1/notifications/{logged['id']}/resend"
    assert (await client.post(resend, headers=storefront)).status_code == 403
    body = {"return_id": ret["id"], "event_type": "return.created"}
    assert (await client.post(PREVIEW, json=body, headers=storefront)).status_code == 403
    assert (await client.get("/v1/notifications")).status_code == 401
    assert (await api.post(f"/v1/notifications/{uuid.uuid4()}/resend")).status_code == 404
    assert (await api.post("/v1/notifications/nope/resend")).status_code == 404


async def test_a_preview_renders_without_sending_in_any_locale(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api, locale="de-DE")
    body = {"return_id": ret["id"], "event_type": "return.approved"}
    german = expect(await api.post(PREVIEW, body))
    assert german["locale"] == "de-DE"
    assert german["subject"] == f"Ihre Rücksendung {ret['rma_number']} ist genehmigt"
    assert "#token=rl_" in german["text"]
    assert german["html"].startswith("<!DOCTYPE html>")
    russian = expect(await api.post(PREVIEW, {**body, "locale": "ru-RU"}))
    assert russian["subject"] == f"Ваш возврат {ret['rma_number']} одобрен"
    assert (await api.post(PREVIEW, {**body, "locale": "de_DE"})).status_code == 422
    unknown = await api.post(PREVIEW, {**body, "event_type": "return.cancelled"})
    assert unknown.status_code == 422
    missing = await api.post(PREVIEW, {**body, "return_id": str(uuid.uuid4())})
    assert missing.status_code == 404
    assert (await api.post(PREVIEW, {**body, "status": "x"})).status_code == 422
    await mail_worker(app).run_once()
    assert len(smtp_server.accepted) == 1  # the return's own mail; previews send nothing


async def test_html_parts_escape_what_the_customer_or_merchant_typed(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api, locale="en")
    note = {"note": "<script>alert(1)</script> & more"}
    expect(await api.post(f"/v1/returns/{ret['id']}/reject", note))
    preview = expect(
        await api.post(PREVIEW, {"return_id": ret["id"], "event_type": "return.rejected"})
    )
    assert "<script>" not in preview["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in preview["html"]
    assert "Reason: <script>alert(1)</script> & more" in preview["text"]  # plain text as is


async def test_resending_needs_notifications_on(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    await new_return(api)
    [logged] = await notifications(api)
    app.state.settings.notifications_enabled = False
    try:
        refused = await api.post(f"/v1/notifications/{logged['id']}/resend")
    finally:
        app.state.settings.notifications_enabled = True
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:returns-api:problem:notifications-disabled"
