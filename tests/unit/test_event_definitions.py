"""Event types are defined once (`webhooks.definitions`); everything else follows from it."""

from __future__ import annotations

import pytest

from returns_api.webhooks.definitions import EVENT_TYPES, EVENTS, payload_model
from returns_api.webhooks.events import event_row


def test_an_event_type_that_is_not_defined_is_never_written_to_the_outbox() -> None:
    with pytest.raises(ValueError, match=r"return\.teleported"):
        event_row("return.teleported", {})


def test_each_event_types_envelope_accepts_only_its_own_types() -> None:
    for event_type in EVENT_TYPES:
        model = payload_model(event_type)
        others = [t for t in EVENT_TYPES if payload_model(t) is not model]
        annotation = model.model_fields["type"].annotation
        allowed = getattr(annotation, "__value__", annotation).__args__
        assert event_type in allowed
        assert not set(others) & set(allowed)


def test_every_event_type_says_when_it_happens() -> None:
    assert all(event.when.strip() for event in EVENTS.values())
