from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from returns_api.core.locale import Locale
from returns_api.notifications.catalogue import CUSTOMER_EVENTS, DUTY_EVENTS

NotificationStatus = TypeAliasType("NotificationStatus", Literal["pending", "sent", "failed"])
NotificationAttemptOutcome = TypeAliasType("NotificationAttemptOutcome", Literal["sent", "failed"])
if TYPE_CHECKING:
    CustomerEventType = str
    MailEventType = str
else:  # named enums in the document, spelt out by the catalogue
    CustomerEventType = TypeAliasType("CustomerEventType", Literal[CUSTOMER_EVENTS])
    MailEventType = TypeAliasType("MailEventType", Literal[CUSTOMER_EVENTS + DUTY_EVENTS])


class NotificationAttemptOut(BaseModel):
    attempted_at: datetime
    outcome: NotificationAttemptOutcome
    error: str | None = Field(description="Why it failed: `template: …`, `smtp: …`.")
    latency_ms: int


class NotificationOut(BaseModel):
    """One e-mail to the customer about one event."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: MailEventType = Field(
        description="The event the mail is about; `withdrawal.received` is the "
        "acknowledgement of a withdrawal (sent even while customer e-mail is off)."
    )
    return_id: uuid.UUID
    recipient: str
    locale: str = Field(description="The return's locale: the template's language.")
    status: NotificationStatus = Field(
        description="`pending`: to be sent (or being sent, or waiting to retry); `sent`: the "
        "SMTP server accepted it; `failed`: every attempt failed — resend it by hand."
    )
    attempts: int
    message_id: str | None = Field(
        description="The mail's `Message-ID`, the same on every attempt (set at the first)."
    )
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime
    attempt_log: list[NotificationAttemptOut] = Field(description="Every attempt, oldest first.")


class NotificationPage(BaseModel):
    data: list[NotificationOut]
    next_cursor: str | None


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_id: uuid.UUID
    event_type: CustomerEventType
    locale: Locale | None = Field(
        default=None, description="The template's language; the return's own by default."
    )


class PreviewOut(BaseModel):
    """The mail as it would be sent now, for the return as it is now."""

    event_type: CustomerEventType
    locale: str
    subject: str
    text: str
    html: str
