"""The acknowledgement of a withdrawal (issue #25 §3; Directive 2011/83/EU, Article 11a(3)):
one e-mail in a real SMTP server (aiosmtpd, in the test process) to the statement's address,
in the order's language, with the statement's content, the date and time it was received,
and the statement as a PDF; logged on the return. Sent although customer e-mail is off
(`RETURNS_NOTIFICATIONS_ENABLED` unset): SMTP is configured, and it is a legal duty."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import UTC
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from babel.dates import format_datetime
from fastapi import FastAPI

from returns_api.app import create_app
from returns_api.core.jobs import JobConfig
from returns_api.core.settings import Settings
from returns_api.notifications.mailer import SmtpConfig
from returns_api.notifications.worker import NotificationWorker
from tests.conftest import make_settings
from tests.factories import Api
from tests.notifications.smtp_server import SmtpServer
from tests.withdrawal.helpers import REJECT_ALL, eu_policy, merchant, parse, put_order
from tests.withdrawal.test_withdrawal_function import STATEMENT, confirm, statement

TIMES = "\u00d7"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def smtp_settings(database_url: str, smtp_server: SmtpServer, **overrides: Any) -> Settings:
    """SMTP configured, customer e-mail left off (its default)."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_server.port,
        "smtp_tls": "none",
        "smtp_timeout_seconds": 5,
        "mail_from": "Returns <returns@shop.example>",
        "public_url": "https://shop.example",
        "portal_rate_limit_per_minute": 100,  # 20 racers from one test address
        **overrides,
    }
    return make_settings(database_url, **values)


@pytest.fixture
def settings(database_url: str, smtp_server: SmtpServer) -> Settings:
    return smtp_settings(database_url, smtp_server)


async def shop(app: FastAPI, client: httpx.AsyncClient, locale: str) -> Api:
    api = await merchant(app, client)
    await eu_policy(api, rules=[REJECT_ALL])
    await put_order(api, number="W-1", delivered_days_ago=10, locale=locale)
    return api


async def withdraw(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the statement as made, the withdrawal as confirmed)."""
    pending = (await statement(client)).json()
    confirmed = await confirm(client, pending)
    assert confirmed.status_code == 200, confirmed.text
    return pending, dict(confirmed.json())


async def send_all(app: FastAPI) -> int:
    worker = NotificationWorker(
        app.state.sessionmaker,
        app.state.composer,
        SmtpConfig.from_settings(app.state.settings),
        JobConfig(retry_base_seconds=0),
    )
    sent = 0
    while claimed := await worker.run_once():
        sent += claimed
    return sent


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def pdfs_of(message: EmailMessage) -> list[bytes]:
    return [
        part.get_content()
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]


def received_in(locale: str, withdrawal: dict[str, Any]) -> str:
    return str(format_datetime(parse(withdrawal["received_at"]), "long", tzinfo=UTC, locale=locale))


async def test_one_acknowledgement_with_content_time_and_pdf(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await shop(app, client, "en-GB")
    pending, withdrawal = await withdraw(client)
    assert (await confirm(client, pending)).status_code == 200  # confirming twice: one mail
    assert await send_all(app) == 1
    assert len(smtp_server.accepted) == 1
    mail = smtp_server.accepted[0]
    assert mail["X-Envelope-To"] == STATEMENT["email"]
    assert mail.get_content_type() == "multipart/mixed"
    assert mail["Subject"] == "We received your withdrawal from order W-1"
    text = text_of(mail)
    assert withdrawal["statement"]["text"] in text  # the statement's content, as received
    for item in withdrawal["statement"]["items"]:
        assert f"{item['quantity']} {TIMES} {item['title']}" in text
    received = received_in("en_GB", withdrawal)
    assert f"Received: {received}" in text
    assert received.endswith("UTC")  # the time zone is stated
    assert withdrawal["id"] in text
    [pdf] = pdfs_of(mail)
    assert pdf.startswith(b"%PDF")

    # Logged on the return, with its attempt.
    listed = await api.get("/v1/notifications", return_id=withdrawal["return_id"])
    assert listed.status_code == 200, listed.text
    [logged] = [n for n in listed.json()["data"] if n["event_type"] == "withdrawal.received"]
    assert logged["status"] == "sent"
    assert logged["recipient"] == STATEMENT["email"]
    assert logged["locale"] == "en-GB"
    assert [a["outcome"] for a in logged["attempt_log"]] == ["sent"]
    assert await send_all(app) == 0  # nothing left to send
    assert len(smtp_server.accepted) == 1


async def test_german_order_gets_a_german_acknowledgement(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    await shop(app, client, "de-DE")
    _, withdrawal = await withdraw(client)
    await send_all(app)
    [mail] = smtp_server.accepted
    assert mail["Subject"] == "Wir haben Ihren Widerruf zur Bestellung W-1 erhalten"
    text = text_of(mail)
    received = received_in("de_DE", withdrawal)
    assert f"Eingegangen: {received}" in text
    assert received.endswith("UTC")
    assert "T" not in received.split(",")[0]  # Babel's German date, not ISO 8601
    assert "Eine Kopie Ihrer Erklärung ist als PDF beigefügt." in text
    assert pdfs_of(mail)[0].startswith(b"%PDF")


async def test_a_refused_mail_is_retried_and_logged(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await shop(app, client, "fr-FR")
    _, withdrawal = await withdraw(client)
    smtp_server.inbox.refuse_next = 1
    await send_all(app)
    assert len(smtp_server.accepted) == 1
    listed = await api.get("/v1/notifications", return_id=withdrawal["return_id"])
    [logged] = [n for n in listed.json()["data"] if n["event_type"] == "withdrawal.received"]
    assert [a["outcome"] for a in logged["attempt_log"]] == ["failed", "sent"]
    assert logged["attempt_log"][0]["error"].startswith("smtp:")
    assert "rétractation" in smtp_server.accepted[0]["Subject"]


async def test_the_acknowledgement_can_be_resent_while_customer_mail_is_off(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await shop(app, client, "ru-RU")
    _, withdrawal = await withdraw(client)
    await send_all(app)
    listed = await api.get("/v1/notifications", return_id=withdrawal["return_id"])
    [logged] = listed.json()["data"]
    resent = await api.client.post(f"/v1/notifications/{logged['id']}/resend", headers=api.headers)
    assert resent.status_code == 200, resent.text
    await send_all(app)
    first, second = smtp_server.accepted
    assert first["Message-ID"] == second["Message-ID"]
    assert "Получено:" in text_of(second)


async def test_twenty_concurrent_confirmations_send_one_acknowledgement(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    await shop(app, client, "nl-NL")
    pending = (await statement(client)).json()
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                    base_url="http://testserver",
                )
            )
            for _ in range(20)
        ]
        answers = await asyncio.gather(*(confirm(c, pending) for c in clients))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await send_all(app) == 1
    assert len(smtp_server.accepted) == 1
    assert "herroeping" in smtp_server.accepted[0]["Subject"]


async def test_without_smtp_nothing_is_queued(database_url: str, app: FastAPI) -> None:
    """Neither customer e-mail nor SMTP configured: the service cannot send it, so it queues
    nothing (subscribe to `withdrawal.received` instead, docs/withdrawal.md). `app` only
    empties the tables."""
    bare = create_app(make_settings(database_url, portal_rate_limit_per_minute=100))
    async with LifespanManager(bare):
        transport = httpx.ASGITransport(app=bare)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = await shop(bare, client, "en-GB")
            _, withdrawal = await withdraw(client)
            listed = await api.get("/v1/notifications", return_id=withdrawal["return_id"])
    assert listed.status_code == 200
    assert listed.json()["data"] == []
