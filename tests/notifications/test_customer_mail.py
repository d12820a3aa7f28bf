"""Customer e-mail from the outbox (issue 22 §1, §2), end to end: a real SMTP server in the
process (aiosmtpd) reads what arrived. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from returns_api.core.settings import Settings
from tests.conftest import make_settings
from tests.notifications.conftest import PUBLIC_URL, mail_worker
from tests.notifications.helpers import (
    EMAIL,
    expect,
    html_of,
    label_worker,
    merchant,
    new_return,
    notifications,
    return_link,
    text_of,
)
from tests.notifications.smtp_server import SmtpServer


async def test_every_step_mails_the_customer_once_in_their_language(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api, locale="de-DE")
    path = f"/v1/returns/{ret['id']}"
    expect(await api.post(f"{path}/approve"))
    assert await label_worker(app).run_once() == 1  # return.label_created
    expect(await api.post(f"{path}/tracking-events", {"status": "in_transit"}))  # no mail
    body = {"items": [{"line_item_id": "li_a", "received_quantity": 2}]}
    expect(await api.post(f"{path}/receive", body))
    refund = {"amount": 1234, "external_reference": "re_77"}
    expect(await api.post(f"{path}/refunds", refund), 201)

    assert await mail_worker(app).run_once() == 5
    mails = smtp_server.accepted
    subjects = [m["Subject"] for m in mails]
    assert subjects == [
        f"Wir haben Ihre Rücksendeanfrage {ret['rma_number']} erhalten",
        f"Ihre Rücksendung {ret['rma_number']} ist genehmigt",
        f"Ihr Rücksendeetikett für {ret['rma_number']} ist bereit",
        f"Wir haben Ihr Paket zur Rücksendung {ret['rma_number']} erhalten",
        f"Wir haben 12,34\u00a0€ für die Rücksendung {ret['rma_number']} erstattet",
    ]
    for mail in mails:
        assert mail["To"] == EMAIL
        assert mail["X-Envelope-To"] == EMAIL
        assert mail["Reply-To"] == "help@shop.example"
        assert mail["Auto-Submitted"] == "auto-generated"
        assert return_link(mail)[0] == ret["id"]
        assert "Freundliche Grüße" in text_of(mail)
        assert 'href="https://shop.example/portal/returns/' in html_of(mail)
    refund_mail = text_of(mails[-1])
    assert "12,34\u00a0€" in refund_mail
    assert "Referenz: re_77" in refund_mail
    label_mail = text_of(mails[2])
    assert f"Rücksendeetikett auf der Seite Ihrer Rücksendung: {PUBLIC_URL}/portal/returns/" in (
        label_mail
    )

    logged = await notifications(api, return_id=ret["id"])
    assert len(logged) == 5
    assert {n["status"] for n in logged} == {"sent"}
    assert sorted(n["message_id"] for n in logged) == sorted(m["Message-ID"].strip() for m in mails)
    assert len({m["Message-ID"].strip() for m in mails}) == 5
    assert [n["event_type"] for n in reversed(logged)] == [
        "return.created",
        "return.approved",
        "return.label_created",
        "return.received",
        "return.refunded",
    ]
    assert all(n["attempt_log"][0]["outcome"] == "sent" for n in logged)
    assert await mail_worker(app).run_once() == 0  # nothing sent twice


async def test_amounts_are_formatted_for_the_locale_and_currency(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api, "ord_ie", locale="en-IE", method="own")
    path = f"/v1/returns/{ret['id']}"
    expect(await api.post(f"{path}/approve"))
    expect(await api.post(f"{path}/tracking-events", {"status": "in_transit"}))
    body = {"items": [{"line_item_id": "li_a", "received_quantity": 2}]}
    expect(await api.post(f"{path}/receive", body))
    expect(await api.post(f"{path}/refunds", {"amount": 1234}), 201)
    await mail_worker(app).run_once()
    *_, refunded = smtp_server.accepted
    assert refunded["Subject"] == f"We refunded €12.34 for return {ret['rma_number']}"
    assert "€12.34 to your original payment method" in text_of(refunded)
    received = smtp_server.accepted[-2]
    assert "the refund due is €40.00" in text_of(received)


async def test_a_rejection_gives_the_reason_in_the_customers_language(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    ret = await new_return(api, "ord_fr", locale="fr-FR")
    note = {"note": "Article porté et lavé."}
    expect(await api.post(f"/v1/returns/{ret['id']}/reject", note))
    await mail_worker(app).run_once()
    received, rejected = smtp_server.accepted
    assert received["Subject"].startswith("Nous avons reçu votre demande de retour")
    assert rejected["Subject"] == f"Nous ne pouvons pas accepter votre retour {ret['rma_number']}"
    assert "Motif : Article porté et lavé." in text_of(rejected)


async def test_a_locale_without_templates_falls_back_to_its_language_then_english(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    await new_return(api, "ord_nl", locale="nl-BE")
    await new_return(api, "ord_ja", locale="ja-JP", currency="JPY")
    await mail_worker(app).run_once()
    dutch, english = smtp_server.accepted
    assert dutch["Subject"].startswith("We hebben uw retouraanvraag")
    assert english["Subject"].startswith("We received your return request")
    assert "Expected refund: ￥4,000" in text_of(english)  # yen have no minor unit


async def test_a_failing_smtp_server_never_blocks_the_return_and_is_retried_visibly(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    smtp_server.inbox.refuse_next = 2
    ret = await new_return(api)  # the change itself does not wait for the mail
    worker = mail_worker(app)
    assert await worker.run_once() == 1
    [logged] = await notifications(api)
    assert logged["status"] == "pending"
    assert logged["attempts"] == 1
    assert logged["last_error"].startswith("smtp: ")
    assert "451" in logged["last_error"]
    assert logged["attempt_log"][0]["outcome"] == "failed"
    await worker.run_once()
    await worker.run_once()
    [logged] = await notifications(api, status="sent")
    assert [a["outcome"] for a in logged["attempt_log"]] == ["failed", "failed", "sent"]
    # Every attempt carried the same Message-ID; the customer got one mail.
    assert {m["Message-ID"].strip() for m in smtp_server.inbox.seen} == {logged["message_id"]}
    assert len(smtp_server.accepted) == 1
    assert expect(await api.get(f"/v1/returns/{ret['id']}"))["status"] == "pending_review"


async def test_a_mail_that_keeps_failing_ends_failed_and_can_be_resent(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    api = await merchant(app, client)
    smtp_server.inbox.refuse_next = 2
    await new_return(api)
    worker = mail_worker(app, max_attempts=2)
    await worker.run_once()
    await worker.run_once()
    assert await worker.run_once() == 0  # given up
    [failed] = await notifications(api, status="failed")
    assert failed["attempts"] == 2
    assert await notifications(api, status="pending") == []

    resent = expect(await api.post(f"/v1/notifications/{failed['id']}/resend"))
    assert resent["status"] == "pending"
    assert resent["attempts"] == 0
    assert len(resent["attempt_log"]) == 2  # the history stays
    assert await worker.run_once() == 1
    [mail] = smtp_server.accepted
    assert mail["Message-ID"].strip() == failed["message_id"]
    # A sent mail can be resent too (the customer says it never came): the same Message-ID.
    expect(await api.post(f"/v1/notifications/{failed['id']}/resend"))
    await worker.run_once()
    assert [m["Message-ID"].strip() for m in smtp_server.accepted] == [failed["message_id"]] * 2


async def test_a_broken_template_never_blocks_the_return_and_is_retried_once_fixed(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer, templates_dir: Path
) -> None:
    api = await merchant(app, client)
    (templates_dir / "de").mkdir()
    broken = templates_dir / "de" / "return.created.txt"
    broken.write_text("{% block subject %}Hallo {{ customer.name }}{% endblock %}")
    ret = await new_return(api)
    assert ret["status"] == "pending_review"
    worker = mail_worker(app)
    await worker.run_once()
    [logged] = await notifications(api)
    assert logged["status"] == "pending"
    assert logged["last_error"].startswith("template: UndefinedError")
    assert smtp_server.inbox.seen == []
    broken.write_text("{% block subject %}Eingang {{ rma_number }}{% endblock %}Danke.")
    await worker.run_once()
    [mail] = smtp_server.accepted
    assert mail["Subject"] == f"Eingang {ret['rma_number']}"
    assert text_of(mail) == "Danke.\n"


async def test_a_template_reaching_outside_its_variables_is_refused_by_the_sandbox(
    app: FastAPI, client: httpx.AsyncClient, smtp_server: SmtpServer, templates_dir: Path
) -> None:
    api = await merchant(app, client)
    (templates_dir / "en").mkdir()
    (templates_dir / "en" / "return.created.txt").write_text(
        "{% block subject %}x{% endblock %}"
        "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ money.__globals__ }}"
    )
    ret = await new_return(api, "ord_en", locale="en-GB")
    await mail_worker(app).run_once()
    [logged] = await notifications(api)
    assert logged["last_error"].startswith("template: SecurityError")
    assert smtp_server.inbox.seen == []
    preview = await api.post(
        "/v1/notifications/preview", {"return_id": ret["id"], "event_type": "return.created"}
    )
    assert preview.status_code == 422
    problem = preview.json()
    assert problem["type"] == "urn:returns-api:problem:template-error"
    assert "SecurityError" in problem["detail"]
    assert "__subclasses__" not in str(problem.get("errors")) or "unsafe" in problem["detail"]


@pytest.fixture
def mail_off_settings(database_url: str, smtp_server: SmtpServer) -> Settings:
    return make_settings(database_url)


async def test_nothing_is_queued_or_sent_when_notifications_are_off(
    database_url: str, smtp_server: SmtpServer
) -> None:
    from asgi_lifespan import LifespanManager

    from returns_api.app import create_app
    from tests.conftest import empty_all_tables

    off = create_app(make_settings(database_url, smtp_port=smtp_server.port))
    async with LifespanManager(off):
        await empty_all_tables(off.state.engine)
        transport = httpx.ASGITransport(app=off)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = await merchant(off, client)
            ret = await new_return(api)
            expect(await api.post(f"/v1/returns/{ret['id']}/reject", {"note": "no"}))
            assert await notifications(api) == []
            assert await mail_worker(off).run_once() == 0
            assert smtp_server.inbox.seen == []
