"""The notification worker: sends the mails the outbox queued, at least once.

A pending notification with `next_attempt_at` due is the job (written in its event's
transaction). The worker claims due ones under a lease (`core.leases`: SKIP LOCKED shares
them out between workers), renders the template, hands the mail to the SMTP server, and
records the attempt: `sent` once the server accepted it, else the next attempt (back-off),
or `failed` after the last one. A template error is a failed attempt like an SMTP error:
retried (the merchant may fix the template meanwhile) and shown in the log; neither ever
touches the return.

At least once, not exactly once: a worker that dies after the server accepted a mail and
before `sent` is recorded leaves it to be claimed again when the lease ends, and the mail is
sent again, with the same `Message-ID` (SMTP offers no way to ask a server what it already
accepted).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.clock import utcnow
from returns_api.core.ids import new_id
from returns_api.core.jobs import JobConfig, PollingJob
from returns_api.core.settings import Settings
from returns_api.notifications.catalogue import message_id
from returns_api.notifications.composer import Composer
from returns_api.notifications.mailer import SendFailed, SmtpConfig, build_message, send
from returns_api.notifications.repository import NotificationRepository
from returns_api.notifications.templates import TemplateFailure

log = structlog.get_logger(__name__)


class NotificationWorker(PollingJob):
    name = "notification_worker"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        composer: Composer,
        smtp: SmtpConfig,
        config: JobConfig,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(config)
        self.sessionmaker = sessionmaker
        self.composer = composer
        self.smtp = smtp
        self.clock = clock
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"[:64]

    @classmethod
    def from_settings(
        cls, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
    ) -> NotificationWorker:
        return cls(
            sessionmaker,
            Composer.from_settings(settings),
            SmtpConfig.from_settings(settings),
            JobConfig.from_settings(settings, "notification"),
        )

    async def run_once(self) -> int:
        """Claim the due notifications and send each; how many were claimed."""
        now = self.clock()
        lease = now + timedelta(seconds=self.config.lease_seconds)
        async with self.sessionmaker() as session, session.begin():
            claimed = await NotificationRepository(session).claim_due(
                now, lease, self.config.batch_size
            )
        # Oldest first (ids are time-ordered): one worker tells a return's steps in order.
        for row in sorted(claimed, key=lambda row: row["id"]):
            try:
                await self.deliver(row["id"])
            except Exception as exc:  # one mail's bug must not stop the others
                log.error("notification_work_failed", notification_id=str(row["id"]), exc_info=exc)
        return len(claimed)

    async def deliver(self, notification_id: uuid.UUID) -> None:
        async with self.sessionmaker() as session:
            work = await NotificationRepository(session).work(notification_id)
        if work is None or work["status"] != "pending":
            return
        await self._extend_lease(notification_id)  # a batch is claimed at once, sent in turn
        # The first attempt's Message-ID is kept: the same on every repeat, whatever the
        # sender's address becomes meanwhile.
        mid = work["message_id"] or message_id(
            work["event_id"], work["recipient"], self.smtp.mail_from
        )
        started = time.monotonic()
        error: str | None = None
        try:
            mail = self.composer.compose(
                work["event_type"], work["locale"], work["event_data"]["object"]
            )
            await send(self.smtp, build_message(self.smtp, work["recipient"], mid, mail))
        except TemplateFailure as exc:
            error = f"template: {exc}"[:500]
        except SendFailed as exc:
            error = f"smtp: {exc}"
        except Exception as exc:  # a bug in the variables: retried like an outage, logged
            log.error("notification_error", notification_id=str(notification_id), exc_info=exc)
            error = f"error: {type(exc).__name__}"
        latency_ms = int((time.monotonic() - started) * 1000)
        await self._record(work["id"], int(work["attempts"]) + 1, mid, error, latency_ms)

    async def _extend_lease(self, notification_id: uuid.UUID) -> None:
        until = self.clock() + timedelta(seconds=self.config.lease_seconds)
        async with self.sessionmaker() as session, session.begin():
            await NotificationRepository(session).update(
                notification_id, {"next_attempt_at": until}
            )

    async def _record(
        self,
        notification_id: uuid.UUID,
        attempt: int,
        mid: str,
        error: str | None,
        latency_ms: int,
    ) -> None:
        now = self.clock()
        values: dict[str, object] = {
            "attempts": attempt,
            "message_id": mid,
            "last_error": error,
            "updated_at": now,
        }
        if error is None:
            values.update(status="sent", sent_at=now, next_attempt_at=None)
        else:
            retry_at = self.config.retry_at(now, attempt)
            values.update(
                status="pending" if retry_at is not None else "failed", next_attempt_at=retry_at
            )
        async with self.sessionmaker() as session, session.begin():
            repo = NotificationRepository(session)
            await repo.add_attempt(
                {
                    "id": new_id(),
                    "notification_id": notification_id,
                    "attempted_at": now,
                    "outcome": "sent" if error is None else "failed",
                    "error": error,
                    "latency_ms": latency_ms,
                    "worker": self.worker_id,
                }
            )
            await repo.update(notification_id, values)
        if error is None:
            log.info("notification_sent", notification_id=str(notification_id), attempt=attempt)
        else:
            log.warning(
                "notification_attempt_failed",
                notification_id=str(notification_id),
                attempt=attempt,
                error=error,
                gives_up=values["status"] == "failed",
            )
