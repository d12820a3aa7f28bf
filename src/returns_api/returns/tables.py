"""The return aggregate's tables as Core `Table`s, and how a return's child rows are read
inside its own row on PostgreSQL (`ChildRows`): what the repository and the page query
build their statements from."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, and_, literal_column

from returns_api.core.db import table_of
from returns_api.core.driver import ChildRows
from returns_api.returns.models import Refund, Return, ReturnChange, ReturnItem, ReturnPayment
from returns_api.returns.status import RELEASED
from returns_api.shipping.models import Shipment

returns = table_of(Return)
items = table_of(ReturnItem)
changes = table_of(ReturnChange)
refunds = table_of(Refund)
shipments = table_of(Shipment)
payments = table_of(ReturnPayment)


def live(table: Table) -> ColumnElement[bool]:
    """Returns that still hold units of their order (not rejected, cancelled or expired).

    Spelled with literals, not an expanding NOT IN: the statement then compiles once and
    needs no per-execution parameter rendering.
    """
    return and_(*(table.c.status != literal_column(f"'{status}'") for status in sorted(RELEASED)))


# PostgreSQL: a return with its items, refunds, timeline and shipments in one statement.
ITEMS_OF_RETURN = ChildRows(
    items, where=items.c.return_id == returns.c.id, order_by=items.c.position
)
REFUNDS_OF_RETURN = ChildRows(
    refunds, where=refunds.c.return_id == returns.c.id, order_by=refunds.c.id
)
TIMELINE_OF_RETURN = ChildRows(
    changes, where=changes.c.return_id == returns.c.id, order_by=changes.c.id
)
SHIPMENTS_OF_RETURN = ChildRows(
    shipments, where=shipments.c.return_id == returns.c.id, order_by=shipments.c.position
)
