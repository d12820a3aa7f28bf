"""The payment executors this deployment has, built from the settings: Stripe once it has a
key. The refund worker runs only when `refund_executor` names one of them."""

from __future__ import annotations

from returns_api.core.settings import Settings
from returns_api.settlement.executor import PaymentExecutor


def executors_of(settings: Settings) -> dict[str, PaymentExecutor]:
    found: dict[str, PaymentExecutor] = {}
    if settings.stripe_api_key is not None:
        # Imported only when configured: the SDK is not loaded by deployments without it.
        from returns_api.settlement.stripe_executor import StripeExecutor

        secret = settings.stripe_webhook_secret
        found["stripe"] = StripeExecutor(
            settings.stripe_api_key.get_secret_value(),
            webhook_secret=secret.get_secret_value() if secret is not None else None,
            api_base=settings.stripe_api_base,
        )
    return found
