from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from returns_api.core.jobs import JobConfig
from returns_api.core.settings import Settings
from returns_api.notifications.mailer import SmtpConfig
from returns_api.notifications.worker import NotificationWorker
from tests.conftest import make_settings
from tests.notifications.smtp_server import SmtpServer

PUBLIC_URL = "https://shop.example"
MAIL_FROM = "Returns <returns@shop.example>"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def templates_dir(tmp_path: Path) -> Path:
    """A merchant's template directory, empty: the shipped templates apply until a test
    writes one."""
    directory = tmp_path / "templates"
    directory.mkdir()
    return directory


def mail_settings(database_url: str, smtp_server: SmtpServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "notifications_enabled": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_server.port,
        "smtp_tls": "none",
        "smtp_timeout_seconds": 5,
        "mail_from": MAIL_FROM,
        "mail_reply_to": "help@shop.example",
        "public_url": PUBLIC_URL,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@pytest.fixture
def settings(database_url: str, smtp_server: SmtpServer, templates_dir: Path) -> Settings:
    return mail_settings(database_url, smtp_server, templates_dir=str(templates_dir))


def mail_worker(app: FastAPI, max_attempts: int = 8) -> NotificationWorker:
    """The worker as `returns-api worker` runs it, retrying at once (no back-off wait)."""
    return NotificationWorker(
        app.state.sessionmaker,
        app.state.composer,
        SmtpConfig.from_settings(app.state.settings),
        JobConfig(retry_base_seconds=0, max_attempts=max_attempts),
    )
