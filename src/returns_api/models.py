"""Imports every table so ``Base.metadata`` is complete (Alembic autogenerate, tests)."""

from returns_api.auth.models import ApiKey
from returns_api.catalog.models import Variant
from returns_api.core.db import Base
from returns_api.core.idempotency_repository import IdempotencyKey
from returns_api.feedback.models import ReturnFeedback
from returns_api.notifications.models import Notification, NotificationAttempt
from returns_api.orders.models import Order, OrderLine
from returns_api.policies.models import PolicyVersion
from returns_api.returns.models import Refund, Return, ReturnChange, ReturnItem
from returns_api.shipping.models import Shipment, ShipmentLabel
from returns_api.store_credit.models import StoreCreditBalance, StoreCreditEntry
from returns_api.webhooks.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from returns_api.withdrawals.models import Withdrawal

__all__ = [
    "ApiKey",
    "Base",
    "Event",
    "IdempotencyKey",
    "Notification",
    "NotificationAttempt",
    "Order",
    "OrderLine",
    "PolicyVersion",
    "Refund",
    "Return",
    "ReturnChange",
    "ReturnFeedback",
    "ReturnItem",
    "Shipment",
    "ShipmentLabel",
    "StoreCreditBalance",
    "StoreCreditEntry",
    "Variant",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Withdrawal",
]
