"""Every setting of the service, read once from the environment (prefix ``RETURNS_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from returns_api.core.locale import Locale
from returns_api.portal.branding import LogoUrl, PortalTexts, PrimaryColour, logo_type

DEV_PORTAL_SECRET = "dev-only-portal-secret-change-me"


class Settings(BaseSettings):
    """Built once at start-up and passed in (`create_app(settings)`), never read ad hoc."""

    model_config = SettingsConfigDict(env_prefix="RETURNS_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./returns.db"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_echo: bool = False
    migrate_on_start: bool = True

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # gc.freeze() once started (core/heap.py): no full-heap collection pauses per request.
    # Off in the tests, which build many apps in one process.
    gc_freeze_after_startup: bool = True
    log_json: bool = True
    # FastAPI's native OpenTelemetry spans, metrics and exception logs, reported to the
    # global providers an OpenTelemetry SDK (e.g. `opentelemetry-instrument`) configures.
    # Off by default: left on, FastAPI looks for those providers on every request.
    opentelemetry: bool = False

    portal_token_secret: SecretStr = SecretStr(DEV_PORTAL_SECRET)
    portal_token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    portal_rate_limit_per_minute: int = Field(default=10, ge=1)
    # The customer portal's pages at /portal (portal/pages.py) and their branding (README).
    portal_enabled: bool = True
    portal_shop_name: str = Field(default="Returns", min_length=1, max_length=100)
    portal_logo_url: LogoUrl = None
    portal_logo_file: Path | None = None
    portal_primary_colour: PrimaryColour = "#1d4ed8"
    portal_texts: PortalTexts = Field(default_factory=dict)
    # The merchant console's pages at /console (console/pages.py): off unless turned on.
    console_enabled: bool = False
    return_transit_buffer_days: int = Field(default=7, ge=0, le=60)
    # The customer's language of an order synced without `locale` (a BCP 47 tag).
    default_locale: Locale = "en"
    idempotency_ttl_hours: int = Field(default=48, ge=24)
    # How long a process trusts an API-key lookup. A key revoked through this process stops
    # working at once; through another process (or the CLI), within this many seconds.
    api_key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # How long a claimed key answers 409 "in flight" before a retry may take it over (the
    # first attempt's process died). Longer than any request can take.
    idempotency_lease_seconds: float = Field(default=30.0, ge=1, le=600)

    webhooks_allow_private_urls: bool = False
    webhooks_timeout_seconds: float = Field(default=10.0, gt=0, le=30)
    webhooks_retry_schedule_seconds: list[float] = Field(
        default_factory=lambda: [
            5.0,
            300.0,
            1800.0,
            7200.0,
            18000.0,
            36000.0,
            50400.0,
            72000.0,
            86400.0,
        ],
        min_length=1,
        description="Delays after the 1st, 2nd, … failed attempt (≈ 3 days in all).",
    )
    webhooks_disable_after_hours: float = Field(default=120.0, gt=0)
    webhooks_secret_rotation_grace_hours: float = Field(default=24.0, ge=0)
    run_dispatcher_in_process: bool = True
    dispatcher_batch_size: int = Field(default=200, ge=1, le=5000)
    dispatcher_concurrency: int = Field(default=64, ge=1, le=1024)
    dispatcher_poll_seconds: float = Field(default=0.25, gt=0, le=60)
    dispatcher_lease_seconds: float = Field(default=60.0, ge=1)
    expiry_sweep_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often each dispatcher expires approved returns not shipped in "
        "time; 0 turns the sweep off.",
    )

    refund_executor: Literal["record", "platform", "stripe"] = Field(
        default="record",
        description="`record`: a refund records what the platform already did (succeeded at "
        "once); `platform`: it is pending until the platform confirms it; `stripe`: the "
        "refund worker refunds the order's Stripe payments.",
    )
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = None  # a test server; Stripe's own by default
    refund_max_attempts: int = Field(default=8, ge=1, le=50)
    refund_retry_base_seconds: float = Field(default=30.0, ge=0)
    refund_retry_max_seconds: float = Field(default=3600.0, ge=0)
    refund_recheck_seconds: float = Field(
        default=3600.0, gt=0, description="Look again at a refund still pending at Stripe."
    )
    refund_lease_seconds: float = Field(default=120.0, ge=1)
    refund_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # Return labels (shipping/): who buys them, and how the label worker retries.
    label_carrier: Literal["builtin", "easypost"] = Field(
        default="builtin",
        description="`builtin`: the service draws the label itself (offline); `easypost`: "
        "bought through EasyPost (needs RETURNS_EASYPOST_API_KEY).",
    )
    easypost_api_key: SecretStr | None = None
    easypost_webhook_secret: SecretStr | None = None
    easypost_api_base: str | None = None  # a test server; EasyPost's own by default
    label_max_attempts: int = Field(default=8, ge=1, le=50)
    label_retry_base_seconds: float = Field(
        default=30.0, ge=0, description="Back-off after the 1st failure; doubles each time."
    )
    label_retry_max_seconds: float = Field(default=3600.0, ge=0)
    # Longer than a carrier call can take (EasyPost: two calls of up to 60 s each).
    label_lease_seconds: float = Field(default=300.0, ge=1)
    label_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    # Customer e-mail (notifications/): off by default; the worker sends what the outbox asks.
    notifications_enabled: bool = False
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="`starttls` (port 587), `tls` (implicit TLS, port 465) or `none` "
        "(a relay on the same host or a test server only).",
    )
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    mail_from: str = "returns@example.com"
    mail_reply_to: str | None = None
    public_url: str = "http://127.0.0.1:8000"  # the base of links in mails
    templates_dir: str | None = None  # a merchant's templates, before the shipped ones
    # Links in mails work while the return is open and this many days after it ended.
    return_link_days_after_end: int = Field(default=30, ge=1, le=365)
    notification_max_attempts: int = Field(default=8, ge=1, le=50)
    notification_retry_base_seconds: float = Field(default=60.0, ge=0)
    notification_retry_max_seconds: float = Field(default=3600.0, ge=0)
    notification_lease_seconds: float = Field(default=120.0, ge=1)
    notification_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "production":
            return self
        secret = self.portal_token_secret.get_secret_value()
        if secret == DEV_PORTAL_SECRET or len(secret) < 32:
            raise ValueError(
                "RETURNS_PORTAL_TOKEN_SECRET must be set to a random value of at least "
                "32 characters when RETURNS_ENV=production"
            )
        if self.webhooks_allow_private_urls:
            raise ValueError("RETURNS_WEBHOOKS_ALLOW_PRIVATE_URLS must be false in production")
        return self

    @model_validator(mode="after")
    def _carrier_configured(self) -> Settings:
        if self.label_carrier == "easypost" and self.easypost_api_key is None:
            raise ValueError("RETURNS_LABEL_CARRIER=easypost needs RETURNS_EASYPOST_API_KEY")
        if self.refund_executor == "stripe" and self.stripe_api_key is None:
            raise ValueError("RETURNS_REFUND_EXECUTOR=stripe needs RETURNS_STRIPE_API_KEY")
        return self

    @model_validator(mode="after")
    def _portal_logo(self) -> Settings:
        if self.portal_logo_file is not None:
            logo_type(self.portal_logo_file)  # a type we can name
            if not self.portal_logo_file.is_file():
                raise ValueError(f"RETURNS_PORTAL_LOGO_FILE: no file at {self.portal_logo_file}")
            if self.portal_logo_url is not None:
                raise ValueError(
                    "set one of RETURNS_PORTAL_LOGO_FILE and RETURNS_PORTAL_LOGO_URL, not both"
                )
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def smtp_configured(self) -> bool:
        """`RETURNS_SMTP_HOST` was set (even to `localhost`): a mail server is meant to be
        used. Acknowledgements of withdrawals are a legal duty, queued then even while
        customer e-mail (`notifications_enabled`) is off."""
        return "smtp_host" in self.model_fields_set

    @property
    def mail_worker_runs(self) -> bool:
        """Whether the notification worker sends mail: customer e-mail on, or SMTP set up
        for the acknowledgements alone."""
        return self.notifications_enabled or self.smtp_configured


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with (a dependency, so routes never read the env)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
