"""Settings refuse what would be unsafe in production, and read RETURNS_* variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from returns_api.core.settings import Settings


def test_production_refuses_the_default_portal_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURNS_ENV", "production")
    with pytest.raises(ValidationError, match="RETURNS_PORTAL_TOKEN_SECRET"):
        Settings()


def test_production_refuses_private_webhook_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURNS_ENV", "production")
    monkeypatch.setenv("RETURNS_PORTAL_TOKEN_SECRET", "x" * 40)
    monkeypatch.setenv("RETURNS_WEBHOOKS_ALLOW_PRIVATE_URLS", "true")
    with pytest.raises(ValidationError, match="ALLOW_PRIVATE_URLS"):
        Settings()


def test_production_with_a_real_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURNS_ENV", "production")
    monkeypatch.setenv("RETURNS_PORTAL_TOKEN_SECRET", "s" * 40)
    monkeypatch.setenv("RETURNS_DATABASE_URL", "postgresql+asyncpg://db/returns")
    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://db/returns"
    assert not settings.is_sqlite


def test_defaults_are_the_embedded_sqlite_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RETURNS_ENV", "RETURNS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./returns.db"
    assert settings.migrate_on_start is True
    assert settings.webhooks_allow_private_urls is False
