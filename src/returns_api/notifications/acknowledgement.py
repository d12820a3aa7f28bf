"""The acknowledgement of a withdrawal (Directive 2011/83/EU, Article 11a(3)): an e-mail on
a durable medium, without undue delay, with the statement's content and the date and time it
was received, and the statement as a PDF.

It rides on the notification outbox: `withdrawal.received` queues one notification to the
address the consumer gave in the statement, in the order's language, in the transaction
that confirms the withdrawal (so exactly one per withdrawal, however often it is
confirmed), and the notification worker sends, retries and logs it like any customer mail.
Unlike those, it is a legal duty: it is queued whenever the service can send mail
(`Settings.mail_worker_runs`), even while customer e-mail is off.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from babel.dates import format_datetime

from returns_api.core.ids import new_id
from returns_api.notifications.money import babel_locale
from returns_api.notifications.templates import Attachment
from returns_api.withdrawals.pdf import statement_pdf
from returns_api.withdrawals.schemas import WithdrawalOut

ACKNOWLEDGEMENT: Final = "withdrawal.received"


def is_acknowledgement(event: Mapping[str, Any]) -> bool:
    """A `withdrawal.received` event that carries its return and the statement's address."""
    if event["type"] != ACKNOWLEDGEMENT or event.get("return_id") is None:
        return False
    shown = event["data"].get("object")
    statement = shown.get("statement") if isinstance(shown, dict) else None
    return isinstance(statement, dict) and bool(statement.get("email"))


def acknowledgement_row(event: Mapping[str, Any]) -> dict[str, Any]:
    """The notification of a `withdrawal.received` outbox row (`webhooks.events.event_row`):
    to the statement's e-mail (the address the consumer gave, Article 11a(2)), in the
    order's language."""
    shown = event["data"]["object"]
    now = event["created_at"]
    return {
        "id": new_id(),
        "event_id": event["id"],
        "event_type": ACKNOWLEDGEMENT,
        "return_id": event["return_id"],
        "recipient": str(shown["statement"]["email"]).strip(),
        "locale": shown.get("locale") or "en",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def received_text(moment: datetime, locale: str) -> str:
    """`6. Dezember 2026, 19:52:03 UTC`: the date and time in the customer's language, with
    its time zone named (the server records UTC and says so)."""
    return str(format_datetime(moment, "long", tzinfo=UTC, locale=babel_locale(locale)))


def acknowledgement_variables(
    shown: Mapping[str, Any], *, locale: str, portal_url: str
) -> dict[str, Any]:
    """What the template sees: the statement as recorded (the event's `data.object`)."""
    withdrawal = WithdrawalOut.model_validate(shown)
    statement = withdrawal.statement
    assert withdrawal.received_at is not None  # the event is written by the confirmation
    return {
        "event_type": ACKNOWLEDGEMENT,
        "locale": locale,
        "withdrawal_id": str(withdrawal.id),
        "statement_text": statement.text,
        "consumer_name": statement.consumer_name,
        "email": statement.email,
        "order_number": statement.order_number,
        "whole_order": statement.whole_order,
        "items": [
            {"title": item.title, "sku": item.sku, "quantity": item.quantity}
            for item in statement.items
        ],
        "submitted_at": received_text(statement.submitted_at, locale),
        "received_at": received_text(withdrawal.received_at, locale),
        "portal_url": portal_url,
    }


def statement_attachment(shown: Mapping[str, Any]) -> Attachment:
    """The statement and its receipt as a PDF, built in-process from the event's copy."""
    withdrawal = WithdrawalOut.model_validate(shown)
    return Attachment(
        filename=f"withdrawal-{withdrawal.id}.pdf",
        content_type="application/pdf",
        data=statement_pdf(withdrawal),
    )
