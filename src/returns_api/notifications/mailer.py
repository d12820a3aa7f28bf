"""Sending one mail over SMTP (aiosmtplib): the message with its stable `Message-ID`, and
what the server's answer means."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

import aiosmtplib

from returns_api.core.settings import Settings
from returns_api.notifications.templates import RenderedMail


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 587
    username: str | None = None
    password: str | None = None
    tls: Literal["starttls", "tls", "none"] = "starttls"
    timeout_seconds: float = 30.0
    mail_from: str = "returns@example.com"
    reply_to: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
            tls=settings.smtp_tls,
            timeout_seconds=settings.smtp_timeout_seconds,
            mail_from=settings.mail_from,
            reply_to=settings.mail_reply_to,
        )


class SendFailed(Exception):
    """The server did not accept the mail (or could not be reached); worth another try."""


def build_message(
    config: SmtpConfig, recipient: str, message_id: str, mail: RenderedMail
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = recipient
    if config.reply_to:
        message["Reply-To"] = config.reply_to
    message["Subject"] = mail.subject
    message["Message-ID"] = message_id
    message["Date"] = formatdate(usegmt=True)
    # Automated mail: no out-of-office replies to it (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:  # the message becomes multipart/mixed
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


async def send(config: SmtpConfig, message: EmailMessage) -> None:
    """Returns once the server accepted the mail for its recipient; `SendFailed` otherwise.
    The error text never carries the password (aiosmtplib's errors name the server's reply)."""
    try:
        await aiosmtplib.send(
            message,
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.tls == "tls",
            start_tls=config.tls == "starttls",
            timeout=config.timeout_seconds,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}"[:500]) from exc
