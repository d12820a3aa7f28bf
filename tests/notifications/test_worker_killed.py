"""Two `returns-api worker` processes on PostgreSQL, SIGKILLed while the SMTP server holds
its answer to mails it already has: after two new workers take over (leases), every mail
has arrived, and any mail that arrived twice carries the same Message-ID."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from returns_api.core.settings import Settings
from tests.api.test_webhook_reliability import kill, start_worker, wait_for
from tests.notifications.conftest import MAIL_FROM, PUBLIC_URL
from tests.notifications.helpers import expect, merchant, new_return, notifications
from tests.notifications.smtp_server import SmtpServer

RETURNS = 6


async def test_killing_workers_while_sending_loses_no_mail_and_repeats_keep_the_message_id(
    app: FastAPI,
    client: httpx.AsyncClient,
    backend: str,
    settings: Settings,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    if backend != "postgresql":
        pytest.skip("several worker processes need PostgreSQL (SKIP LOCKED, leases)")
    api = await merchant(app, client)
    for n in range(RETURNS):
        ret = await new_return(api, f"ord_k{n}", method="own")
        expect(await api.post(f"/v1/returns/{ret['id']}/reject", {"note": "no"}))
    queued = await notifications(api, limit=100)
    assert len(queued) == 2 * RETURNS
    release = smtp_server.inbox.hold()
    env = {
        "RETURNS_NOTIFICATIONS_ENABLED": "true",
        "RETURNS_SMTP_HOST": "127.0.0.1",
        "RETURNS_SMTP_PORT": str(smtp_server.port),
        "RETURNS_SMTP_TLS": "none",
        "RETURNS_MAIL_FROM": MAIL_FROM,
        "RETURNS_PUBLIC_URL": PUBLIC_URL,
        "RETURNS_NOTIFICATION_LEASE_SECONDS": "2",
        "RETURNS_NOTIFICATION_POLL_SECONDS": "0.05",
        "RETURNS_NOTIFICATION_RETRY_BASE_SECONDS": "0.1",
        "RETURNS_EXPIRY_SWEEP_SECONDS": "0",
    }

    async def both_sending() -> bool:
        return len(smtp_server.inbox.seen) >= 2

    first = [start_worker(settings, tmp_path / f"first{n}.log", **env) for n in range(2)]
    try:
        await wait_for(both_sending, 30, "the workers to send", *first)
    finally:
        for worker in first:
            kill(worker)  # SIGKILL: each dies waiting for the server's 250
    release.set()  # the server now accepts what it had: the killed workers never know

    async def all_sent() -> bool:
        logged = await notifications(api, limit=100)
        return all(n["status"] == "sent" for n in logged)

    second = [start_worker(settings, tmp_path / f"second{n}.log", **env) for n in range(2)]
    try:
        await wait_for(all_sent, 60, "every mail to be sent", *second)
    finally:
        for worker in second:
            kill(worker)

    logged = await notifications(api, limit=100)
    expected = {n["message_id"] for n in logged}
    assert len(expected) == 2 * RETURNS  # one Message-ID per event and recipient
    arrived = Counter(m["Message-ID"].strip() for m in smtp_server.accepted)
    assert set(arrived) == expected  # none lost, none made up
    repeated = {mid for mid, count in arrived.items() if count > 1}
    assert repeated, "the held mails were accepted, then sent again by the new workers"
    for mid in repeated:  # a repeat is the same message: same id, same recipient, same subject
        copies = [m for m in smtp_server.accepted if m["Message-ID"].strip() == mid]
        assert len({(m["To"], m["Subject"]) for m in copies}) == 1
