"""Portable SQL for the aggregates: durations in whole seconds and nearest-rank percentiles.

Both run unchanged on SQLite (≥ 3.25, for window functions) and PostgreSQL, so every
figure is computed by the database and is the same on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, CompoundSelect, Select, case, func, select
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


def nearest_rank(count: ColumnElement[int], percent: int) -> ColumnElement[int]:
    """The 1-based rank of the `percent`-th percentile among `count` values: ceil(p·n/100).

    Integer arithmetic only, so both databases pick the same row (the median of an even
    number of values is the lower middle one: no interpolation, always a real value).
    """
    return (count * percent + 99) // 100


def percentiles(
    values: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]],
    percents: tuple[int, ...] = (50, 90, 100),
) -> Select[*tuple[Any, ...]]:
    """Per group, the count and the nearest-rank percentiles of a `(group, value)` query.

    `values` must select exactly two columns named ``grp`` and ``value``. The ranking is
    done with ROW_NUMBER() over each group, so no value leaves the database.
    """
    source = values.subquery("percentile_values")
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
