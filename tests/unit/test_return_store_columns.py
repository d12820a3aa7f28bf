"""The mapper reads and writes every column: the aggregate's fields are the tables' columns."""

from __future__ import annotations

from dataclasses import fields

from returns_api.returns.domain import Return
from returns_api.returns.parts import Change, Item, Payment, Refund
from returns_api.returns.repository import changes, items, refunds, returns, shipments
from returns_api.returns.shipments import Shipment
from returns_api.returns.store import rows_of
from returns_api.returns.tables import payments
from tests.unit.test_return_domain import act, received

CHILDREN = {"items", "refunds", "timeline", "shipments", "pending_events", "new_payments"}


def test_a_return_has_exactly_the_columns_of_its_table() -> None:
    names = {f.name for f in fields(Return)} - CHILDREN
    assert names == {column.name for column in returns.c}


def test_items_refunds_and_changes_have_exactly_the_columns_of_theirs() -> None:
    for model, table in (
        (Item, items),
        (Refund, refunds),
        (Change, changes),
        (Shipment, shipments),
        (Payment, payments),
    ):
        names = {f.name for f in fields(model)}
        assert names == {column.name for column in table.c} - {"return_id"}, table.name


def test_rows_of_a_return_are_whole_rows_of_its_tables_in_its_order() -> None:
    """What bulk writers batch: every column of every row, children keyed to the return."""
    ret = received()
    ret.refund(act(3), amount=None, method=None, external_reference=None, note=None)
    rows = rows_of(ret)
    assert set(rows.returns) == {column.name for column in returns.c}
    assert rows.returns["status"] == "received"  # enums as their stored text
    for table, found, children in (
        (items, rows.items, ret.items),
        (refunds, rows.refunds, ret.refunds),
        (changes, rows.changes, ret.timeline),
    ):
        assert [row["id"] for row in found] == [child.id for child in children], table.name
        for row in found:
            assert set(row) == {column.name for column in table.c}, table.name
            assert row["return_id"] == ret.id
    assert [row["kind"] for row in rows.changes] == ["created", "tracking", "received", "refunded"]
