"""Mail templates and amounts, without a database: every shipped template renders in every
shipped language; Babel formats money; the sandbox refuses escapes; Message-IDs are stable."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import parse_decimal
from hypothesis import given
from hypothesis import strategies as st

from returns_api.notifications.catalogue import CUSTOMER_EVENTS, message_id
from returns_api.notifications.money import babel_locale, format_money
from returns_api.notifications.templates import MailTemplates, TemplateFailure
from returns_api.notifications.variables import template_variables

LANGUAGES = ("en", "de", "fr", "nl", "ru")
SHOWN: dict[str, Any] = {
    "id": "0193a4f2-0003-7c1d-9e2f-3a4b5c6d7e8f",
    "order_id": "ord_1",
    "rma_number": "R-1",
    "status": "rejected",
    "currency": "EUR",
    "locale": "de-DE",
    "keep_item": False,
    "instructions": {"text": "Pack it.", "label_url": None},
    "items": [
        {
            "title": "Shirt",
            "sku": "S",
            "quantity": 2,
            "unit_price": 1999,
            "reason": "size_fit",
            "resolution": "refund",
        }
    ],
    "amounts": {"refundable": 3998, "refunded": 1234, "remaining": 2764},
    "refunds": [{"amount": 1234, "method": "store_credit", "external_reference": "re_1"}],
    "timeline": [{"kind": "rejected", "to_status": "rejected", "note": "Worn."}],
    "shipments": [{"links": {"label": "/v1/returns/x/shipments/y/label", "qr_code": None}}],
    "exchange_fulfillment": {"tracking_number": "TRK1"},
}


def variables(event_type: str, locale: str) -> dict[str, Any]:
    return template_variables(
        event_type,
        SHOWN,
        locale=locale,
        portal_url="https://s/p#token=rl_x",
        public_url="https://s",
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event_type", CUSTOMER_EVENTS)
def test_every_shipped_template_renders_in_every_language(language: str, event_type: str) -> None:
    mail = MailTemplates().render(event_type, language, variables(event_type, language))
    assert mail.subject
    assert "\n" not in mail.subject
    assert "R-1" in mail.subject + mail.text
    assert "https://s/p#token=rl_x" in mail.text
    assert f'<html lang="{language}">' in mail.html


def test_babel_formats_each_locale_and_currency() -> None:
    assert format_money(1234, "EUR", "de-DE") == "12,34\u00a0€"
    assert format_money(1234, "EUR", "en-IE") == "€12.34"
    assert format_money(1234, "JPY", "ja-JP") == "￥1,234"
    assert format_money(1234, "EUR", "xx-YY") == "€12.34"  # unknown: English


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["de-DE", "en-IE", "fr-FR"]))
def test_formatting_never_changes_the_amount(minor: int, locale: str) -> None:
    shown = format_money(minor, "EUR", locale).replace("€", "").strip()
    assert parse_decimal(shown, locale=babel_locale(locale), strict=True) == Decimal(minor).scaleb(
        -2
    )


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ money.__globals__ }}",
        "{{ items.__class__.__subclasses__() }}",
        "{{ ret.items.__self__ }}",
    ],
)
def test_the_sandbox_refuses_templates_reaching_outside_their_variables(
    tmp_path: Path, escape: str
) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "return.created.txt").write_text(
        "{% block subject %}x{% endblock %}" + escape
    )
    with pytest.raises(TemplateFailure, match=r"SecurityError|UndefinedError"):
        MailTemplates(str(tmp_path)).render("return.created", "en", variables("x", "en"))


def test_a_message_id_depends_on_the_event_and_recipient_only() -> None:
    event = uuid.uuid4()
    one = message_id(event, "Ada@Example.com ", "Shop <returns@shop.example>")
    assert one == message_id(event, "ada@example.com", "Shop <returns@shop.example>")
    assert one.endswith("@shop.example>")
    assert one != message_id(event, "bob@example.com", "returns@shop.example")
    assert one != message_id(uuid.uuid4(), "ada@example.com", "returns@shop.example")
    assert len("Message-ID: " + one) <= 78  # not folded
