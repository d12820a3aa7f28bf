"""Every query of the store-credit ledger: Core statements, built once.

A balance changes only by one guarded UPDATE of its row (`balance >= :amount` for a spend),
never by reading it and writing a new value: on PostgreSQL concurrent changes queue on the
row's lock and each re-checks the guard against the committed balance (READ COMMITTED
re-evaluates the WHERE on the newest row version); on SQLite writers are serialised by
`BEGIN IMMEDIATE` (core/db.py). Inserts that must happen once use ON CONFLICT DO NOTHING,
which keeps the caller's transaction usable where a unique violation would abort it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Uuid, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.db import UTCDateTime, table_of
from returns_api.core.driver import Prepared, Row, fetch_all, fetch_one, run
from returns_api.store_credit.models import StoreCreditBalance, StoreCreditEntry

entries = table_of(StoreCreditEntry)
balances = table_of(StoreCreditBalance)

# Bind names differ from column names: an UPDATE reserves a column's name for its new value.
_OF_BALANCE = (
    balances.c.customer_key == bindparam("owner"),
    balances.c.currency == bindparam("in_currency"),
)
_CHANGED = {
    "version": balances.c.version + 1,
    "updated_at": bindparam("now", type_=UTCDateTime),
}

_INSERT_CREDIT = Prepared(
    sqlite.insert(entries).on_conflict_do_nothing(index_elements=[entries.c.refund_id]),
    on_driver=postgresql.insert(entries).on_conflict_do_nothing(
        index_elements=[entries.c.refund_id]
    ),
)
_SPEND_KEY = [entries.c.customer_key, entries.c.external_reference]
_INSERT_SPEND = Prepared(
    sqlite.insert(entries).on_conflict_do_nothing(index_elements=_SPEND_KEY),
    on_driver=postgresql.insert(entries).on_conflict_do_nothing(index_elements=_SPEND_KEY),
)
_OPEN_BALANCE = Prepared(
    sqlite.insert(balances).on_conflict_do_nothing(),
    on_driver=postgresql.insert(balances).on_conflict_do_nothing(),
)
_ADD = Prepared(
    update(balances)
    .where(*_OF_BALANCE)
    .values(balance=balances.c.balance + bindparam("amount"), **_CHANGED)
    .returning(balances.c.currency, balances.c.balance, balances.c.updated_at)
)
# The guard is the whole point: a spend that would overdraw updates no row.
_DEBIT = Prepared(
    update(balances)
    .where(*_OF_BALANCE, balances.c.balance >= bindparam("amount"))
    .values(balance=balances.c.balance - bindparam("amount"), **_CHANGED)
    .returning(balances.c.currency, balances.c.balance, balances.c.updated_at)
)
_BALANCE = Prepared(
    select(balances.c.currency, balances.c.balance, balances.c.updated_at).where(*_OF_BALANCE)
)
_BALANCES = Prepared(
    select(balances.c.currency, balances.c.balance, balances.c.updated_at)
    .where(balances.c.customer_key == bindparam("owner"))
    .order_by(balances.c.currency)
)
_SPEND_BY_REFERENCE = Prepared(
    select(entries).where(
        entries.c.customer_key == bindparam("owner"),
        entries.c.external_reference == bindparam("reference"),
    )
)
_PAGE = select(entries).order_by(entries.c.id.desc()).limit(bindparam("limit", type_=Integer))
_FIRST_PAGE = Prepared(_PAGE.where(entries.c.customer_key == bindparam("owner")))
_NEXT_PAGE = Prepared(
    _PAGE.where(
        entries.c.customer_key == bindparam("owner"),
        entries.c.id < bindparam("before", type_=Uuid),
    )
)


class StoreCreditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_credit(self, values: Mapping[str, Any]) -> bool:
        """False when this refund credited already (its entry exists, or is being written by
        a transaction that commits first: PostgreSQL waits for it)."""
        return await run(self.session, _INSERT_CREDIT, values) == 1

    async def insert_spend(self, values: Mapping[str, Any]) -> bool:
        """False when the customer has a spend with this external reference already."""
        return await run(self.session, _INSERT_SPEND, values) == 1

    async def open_balance(self, owner: str, currency: str, now: datetime) -> None:
        """The balance row at zero unless it exists (racing first credits are safe)."""
        values = {
            "customer_key": owner,
            "currency": currency,
            "balance": 0,
            "version": 0,
            "updated_at": now,
        }
        await run(self.session, _OPEN_BALANCE, values)

    async def add(self, owner: str, currency: str, amount: int, now: datetime) -> Row:
        params = {"owner": owner, "in_currency": currency, "amount": amount, "now": now}
        row = await fetch_one(self.session, _ADD, params)
        assert row is not None, "open_balance first"
        return row

    async def debit(self, owner: str, currency: str, amount: int, now: datetime) -> Row | None:
        """The balance after taking `amount`; None, with nothing changed, when it is short."""
        params = {"owner": owner, "in_currency": currency, "amount": amount, "now": now}
        return await fetch_one(self.session, _DEBIT, params)

    async def balance(self, owner: str, currency: str) -> Row | None:
        return await fetch_one(self.session, _BALANCE, {"owner": owner, "in_currency": currency})

    async def balances(self, owner: str) -> Sequence[Row]:
        return await fetch_all(self.session, _BALANCES, {"owner": owner})

    async def spend_by_reference(self, owner: str, reference: str) -> Row | None:
        params = {"owner": owner, "reference": reference}
        return await fetch_one(self.session, _SPEND_BY_REFERENCE, params)

    async def page(self, owner: str, before: uuid.UUID | None, limit: int) -> Sequence[Row]:
        """The ledger newest first, older than `before` when given."""
        if before is None:
            return await fetch_all(self.session, _FIRST_PAGE, {"owner": owner, "limit": limit})
        params = {"owner": owner, "before": before, "limit": limit}
        return await fetch_all(self.session, _NEXT_PAGE, params)
