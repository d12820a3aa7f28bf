"""Which events the customer hears about, and the `Message-ID` of each mail."""

from __future__ import annotations

import hashlib
import uuid
from typing import Final

# Each has a template per locale (templates/<lang>/<event type>.txt). The rest of the event
# catalogue (webhooks.definitions) is for the merchant's systems.
CUSTOMER_EVENTS: Final[tuple[str, ...]] = (
    "return.created",  # request received (or judged at once: approved, rejected)
    "return.approved",
    "return.rejected",
    "return.label_created",  # the label or drop-off code is ready
    "return.received",
    "return.refunded",
    "return.exchange_fulfilled",  # the replacement shipped
    "return.expired",
)

# Mails that are not about a return's step: the acknowledgement of a withdrawal
# (`notifications.acknowledgement`), sent even while customer e-mail is off.
DUTY_EVENTS: Final[tuple[str, ...]] = ("withdrawal.received",)


def message_id(event_id: uuid.UUID, recipient: str, mail_from: str) -> str:
    """The same for every attempt of one event to one recipient, so a mail sent twice (a
    crash after the server accepted it) is one message to threading and deduplication. The
    recipient is hashed: the header travels with the mail, the address need not twice."""
    who = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:12]
    domain = mail_from.rpartition("@")[2].strip(" >") or "returns-api.invalid"
    # Short enough that the header is not folded: some parsers keep a folded one's space.
    return f"<{event_id.hex}.{who}@{domain}>"
