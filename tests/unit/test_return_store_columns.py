"""The mapper reads and writes every column: the aggregate's fields are the tables' columns."""

from __future__ import annotations

from dataclasses import fields

from returns_api.returns.domain import Return
from returns_api.returns.parts import Change, Item, Refund
from returns_api.returns.repository import changes, items, refunds, returns

CHILDREN = {"items", "refunds", "timeline", "pending_events"}


def test_a_return_has_exactly_the_columns_of_its_table() -> None:
    names = {f.name for f in fields(Return)} - CHILDREN
    assert names == {column.name for column in returns.c}


def test_items_refunds_and_changes_have_exactly_the_columns_of_theirs() -> None:
    for model, table in ((Item, items), (Refund, refunds), (Change, changes)):
        names = {f.name for f in fields(model)}
        assert names == {column.name for column in table.c} - {"return_id"}, table.name
