"""The carriers this deployment has, built from the settings: the built-in one always,
EasyPost once it has a key. `label_carrier` names the one that buys labels."""

from __future__ import annotations

from returns_api.core.settings import Settings
from returns_api.shipping.carrier import Carrier


def carriers_of(settings: Settings) -> dict[str, Carrier]:
    from returns_api.shipping.builtin import BuiltInCarrier

    found: dict[str, Carrier] = {"builtin": BuiltInCarrier()}
    if settings.easypost_api_key is not None:
        # Imported only when configured: the SDK is not loaded by deployments without it.
        from returns_api.shipping.easypost_carrier import EasyPostCarrier

        secret = settings.easypost_webhook_secret
        found["easypost"] = EasyPostCarrier(
            settings.easypost_api_key.get_secret_value(),
            webhook_secret=secret.get_secret_value() if secret is not None else None,
            api_base=settings.easypost_api_base,
        )
    return found


def label_carrier(settings: Settings, carriers: dict[str, Carrier]) -> Carrier:
    return carriers[settings.label_carrier]
