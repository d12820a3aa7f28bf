"""Portable SQL for the aggregates: durations in whole seconds, nearest-rank percentiles,
the smallest and largest UUID, a pro-rata share of an amount.

Both are computed by the database, with the same results on SQLite (≥ 3.25, for window
functions) and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Float,
    Select,
    Uuid,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[int]):
    """Whole seconds from `earlier` to `later` (rounded), as an integer.

    SQLite keeps our UTC datetimes as naive text, so the difference is taken with
    ``julianday``; PostgreSQL subtracts timestamptz values and extracts the epoch.
    """

    type = BigInteger()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400.0) AS INTEGER)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    # The casts type bound parameters (e.g. "now"), which asyncpg cannot infer in `$1 - col`.
    return (
        f"CAST(ROUND(EXTRACT(EPOCH FROM (CAST({later} AS TIMESTAMP WITH TIME ZONE) - "
        f"CAST({earlier} AS TIMESTAMP WITH TIME ZONE)))) AS BIGINT)"
    )


class prorated(FunctionElement[int]):
    """``amount * part // whole``, floored, for non-negative integers: `part`'s share of
    `amount` when `whole` is shared out.

    The product of two amounts overflows a bigint long before the share does (two of
    3 x 10^9 already). PostgreSQL multiplies and divides in numeric, exactly. SQLite has no
    wider integer: past 2^63 its product turns into a float, which keeps the share to
    within one minor unit (the share is never more than `amount`, at most a few 10^12).
    """

    type = BigInteger()
    name = "prorated"
    inherit_cache = True


@compiles(prorated, "sqlite")
def _prorated_sqlite(element: prorated, compiler: SQLCompiler, **kw: Any) -> str:
    amount, part, whole = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(({amount} * {part}) / {whole} AS INTEGER)"


@compiles(prorated, "postgresql")
def _prorated_postgresql(element: prorated, compiler: SQLCompiler, **kw: Any) -> str:
    amount, part, whole = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(div(CAST({amount} AS NUMERIC) * {part}, {whole}) AS BIGINT)"


class uuid_min(FunctionElement[uuid.UUID]):
    """The smallest UUID of a column (an aggregate).

    PostgreSQL has no min(uuid): its canonical text form, compared bytewise (COLLATE "C"),
    sorts like the UUIDs themselves. SQLite stores them as hex text already.
    """

    type = Uuid()
    name = "uuid_min"
    inherit_cache = True


class uuid_max(FunctionElement[uuid.UUID]):
    """The largest UUID of a column (an aggregate); see `uuid_min`."""

    type = Uuid()
    name = "uuid_max"
    inherit_cache = True


@compiles(uuid_min)
@compiles(uuid_max)
def _uuid_extreme(element: uuid_min | uuid_max, compiler: SQLCompiler, **kw: Any) -> str:
    aggregate = "min" if isinstance(element, uuid_min) else "max"
    return f"{aggregate}({compiler.process(element.clauses, **kw)})"


@compiles(uuid_min, "postgresql")
@compiles(uuid_max, "postgresql")
def _uuid_extreme_postgresql(element: uuid_min | uuid_max, compiler: SQLCompiler, **kw: Any) -> str:
    aggregate = "min" if isinstance(element, uuid_min) else "max"
    column = compiler.process(element.clauses, **kw)
    return f'CAST({aggregate}(CAST({column} AS TEXT) COLLATE "C") AS UUID)'


def nearest_rank(count: ColumnElement[int], percent: int) -> ColumnElement[int]:
    """The 1-based rank of the `percent`-th percentile among `count` values: ceil(p·n/100).

    Integer arithmetic only, so both databases pick the same row (the median of an even
    number of values is the lower middle one: no interpolation, always a real value).
    """
    return (count * percent + 99) // 100


def percentiles(
    values: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]],
    dialect: str,
    percents: tuple[int, ...] = (50, 90, 100),
) -> Select[*tuple[Any, ...]]:
    """Per group, the count and the nearest-rank percentiles of a `(group, value)` query.

    `values` must select exactly two columns named ``grp`` and ``value``. No value leaves
    the database. PostgreSQL uses `percentile_disc` (one sort per group, in C: 6x faster
    than ranking every row); elsewhere each group is ranked with ROW_NUMBER().
    """
    source = values.subquery("percentile_values")
    if dialect == "postgresql":
        # percentile_disc(f) is the value at rank max(1, ceil(f * n)), computed in float8.
        # For f = p / 100 that is nearest_rank(n, p): when p * n / 100 is a whole number k,
        # the error of f * n is under half a unit in the last place of k (0.5 and 1 are
        # exact; 0.9 is off by 2.5e-17, a fifth of the relative spacing), so it rounds to k
        # exactly; otherwise k is at least 1/100 away. (Checked for every n up to 20 million
        # and p in 50, 90, 100.)
        ranked_values = [
            func.percentile_disc(literal(percent / 100, Float))
            .within_group(source.c.value)
            .label(f"p{percent}")
            for percent in percents
        ]
        return select(source.c.grp, func.count(), *ranked_values).group_by(source.c.grp)
    ranked = select(
        source.c.grp,
        source.c.value,
        func.row_number().over(partition_by=source.c.grp, order_by=source.c.value).label("rank"),
        func.count().over(partition_by=source.c.grp).label("n"),
    ).subquery("ranked")
    columns: list[ColumnElement[Any]] = [ranked.c.grp, ranked.c.n]
    for percent in percents:
        pick = case((ranked.c.rank == nearest_rank(ranked.c.n, percent), ranked.c.value))
        columns.append(func.max(pick).label(f"p{percent}"))
    return select(*columns).group_by(ranked.c.grp, ranked.c.n)


def basis_points(part: int, whole: int) -> int:
    """part / whole in basis points (floor); 0 when there is nothing to divide by."""
    return part * 10_000 // whole if whole else 0
