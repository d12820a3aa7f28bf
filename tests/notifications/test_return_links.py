"""The link in a mail (`rl_…`): reads its one return, as the customer sees it, and nothing
else; writes nothing; dies some days after the return ended."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from returns_api.portal.return_links import ReturnLinkClaims, ReturnLinks
from tests.conftest import bearer
from tests.notifications.conftest import PUBLIC_URL, mail_worker
from tests.notifications.helpers import expect, merchant, new_return, return_link
from tests.notifications.smtp_server import SmtpServer


async def test_the_mails_link_reads_that_return_only_and_cannot_change_it(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api, "ord_l")
    other = expect(
        await api.create_return(
            "ord_l",
            [{"line_item_id": "li_b", "quantity": 1, "reason": "size_fit"}],
            return_method="own",
        ),
        201,
    )
    await mail_worker(app).run_once()
    mail = smtp_server.accepted[0]
    return_id, token = return_link(mail)
    assert return_id == ret["id"]
    assert f"{PUBLIC_URL}/portal/returns/{ret['id']}#token={token}" in mail.get_body().get_content()
    link = bearer(token)

    shown = expect(await client.get(f"/v1/returns/{ret['id']}", headers=link))
    assert shown["rma_number"] == ret["rma_number"]
    assert shown["decision"]["audience"] == "customer"  # never the merchant's rules
    me = expect(await client.get("/v1/me", headers=link))
    assert me["kind"] == "return_link"
    assert me["return_id"] == ret["id"]
    assert me["scopes"] == ["returns:read"]
    expect(await api.post(f"/v1/returns/{ret['id']}/approve"))
    slip = await client.get(f"/v1/returns/{ret['id']}/packing-slip", headers=link)
    assert slip.status_code == 200  # the documents the portal page shows

    # Anything else is a 404, even the same order's other return, the order, the list.
    assert (await client.get(f"/v1/returns/{other['id']}", headers=link)).status_code == 404
    assert (await client.get("/v1/orders/ord_l", headers=link)).status_code == 404
    assert expect(await client.get("/v1/returns", headers=link))["data"] == []
    assert (await client.get("/v1/variants", headers=link)).json()["data"] == []
    quote = {
        "order_id": "ord_l",
        "items": [{"line_item_id": "li_b", "quantity": 1, "reason": "size_fit"}],
    }
    assert (await client.post("/v1/returns/quote", json=quote, headers=link)).status_code == 404
    export = await client.get("/v1/returns/export", headers={**link, "Accept": "text/csv"})
    assert export.status_code == 200
    assert ret["rma_number"] not in export.text
    # Writes nothing: every change needs a scope a link does not carry.
    cancel = await client.post(f"/v1/returns/{ret['id']}/cancel", headers=link)
    assert cancel.status_code == 403
    assert (await client.get("/v1/notifications", headers=link)).status_code == 403


async def test_a_tampered_or_foreign_link_is_refused(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api, "ord_t")
    await mail_worker(app).run_once()
    _, token = return_link(smtp_server.accepted[0])
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await client.get(f"/v1/returns/{ret['id']}", headers=bearer(tampered))).status_code == (
        401
    )
    # Signed with another secret (another shop): refused.
    foreign = ReturnLinks("another-secret-entirely-0123456789", 30, PUBLIC_URL).issue(
        ReturnLinkClaims(return_id=uuid.UUID(ret["id"]), order_id="ord_t")
    )
    assert (await client.get(f"/v1/returns/{ret['id']}", headers=bearer(foreign))).status_code == (
        401
    )
    # A portal token's signature is no return link's, and the other way round.
    session = expect(
        await client.post(
            "/v1/portal/sessions", json={"order_number": "N-ord_t", "email": "anna@example.com"}
        ),
        201,
    )
    as_link = "rl_" + session["token"].removeprefix("pt_")
    assert (await client.get(f"/v1/returns/{ret['id']}", headers=bearer(as_link))).status_code == (
        401
    )
    as_portal = "pt_" + token.removeprefix("rl_")
    assert (
        await client.get(f"/v1/returns/{ret['id']}", headers=bearer(as_portal))
    ).status_code == (401)


def test_a_link_lives_while_the_return_is_open_and_some_days_after_it_ended() -> None:
    links = ReturnLinks("secret-" * 6, days_after_end=30, public_url=PUBLIC_URL)
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=200)
    assert links.still_open("approved", long_ago, now)  # open: whatever its age
    assert links.still_open("completed", now - timedelta(days=29), now)
    assert not links.still_open("completed", now - timedelta(days=31), now)
    assert not links.still_open("rejected", now - timedelta(days=31), now)


async def test_a_link_to_a_return_that_ended_long_ago_is_refused(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api, "ord_old")
    expect(await api.post(f"/v1/returns/{ret['id']}/reject", {"note": "no"}))
    links: ReturnLinks = app.state.return_links
    token = links.issue(ReturnLinkClaims(return_id=uuid.UUID(ret["id"]), order_id="ord_old"))
    assert (await client.get(f"/v1/returns/{ret['id']}", headers=bearer(token))).status_code == 200
    links.days_after_end = 0  # ended more than 0 days ago by now
    try:
        refused = await client.get(f"/v1/returns/{ret['id']}", headers=bearer(token))
    finally:
        links.days_after_end = 30
    assert refused.status_code == 401
