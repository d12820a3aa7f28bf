"""Database plumbing: declarative base, portable column types, engine and the request session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Executable,
    MetaData,
    Select,
    Table,
    event,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

from returns_api.core.clock import as_utc, rfc3339
from returns_api.core.settings import Settings

# Stable constraint names keep Alembic diffs identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class (typed), for statements that skip the ORM."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL (timestamptz) and SQLite (naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def _json_dumps(value: Any) -> str:
    # A date-time inside a JSON column is written as the API writes one (UTC, `Z`), not as
    # orjson would (`+00:00`): it comes back out as text, in responses and event payloads.
    written = orjson.dumps(value, default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
    return written.decode()


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return rfc3339(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def make_engine(settings: Settings) -> AsyncEngine:
    # orjson for JSON columns: decisions, breakdowns and event payloads are written and read
    # on the hot paths, and the stdlib encoder showed in their profiles.
    json_options: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            echo=settings.database_echo,
            hide_parameters=True,
            **json_options,
        )
        _make_sqlite_transactional(engine)
        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.database_echo,
        # Statement parameters carry secrets (webhook secrets, stored responses): never log them.
        hide_parameters=True,
        pool_size=settings.database_pool_size,
        # No overflow: an overflow connection is closed when it comes back to a full pool,
        # so under a steady load above the pool size the pool kept opening and closing
        # connections (40 a second at 32 concurrent GETs), each one a new server process,
        # its codec set-up and its statements prepared again. Requests wait for one instead.
        max_overflow=0,
        # No pre-ping: it is a round trip on every checkout. A connection the server dropped
        # fails its first statement instead, which asyncpg reports and the pool discards.
        pool_recycle=1800,
        **json_options,
    )


def _make_sqlite_transactional(engine: AsyncEngine) -> None:
    """Real transactions on SQLite: the driver's implicit BEGIN is replaced by BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes can fail at once with "database is
    locked" when another writer got there first; taking the write lock at BEGIN makes
    concurrent writers wait (busy_timeout) instead, so the embedded mode never loses a
    request to lock upgrades.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return ReusingSessionmaker(engine, expire_on_commit=False, autoflush=False)


# Closed sessions kept for reuse per sessionmaker: more than the requests one process has in
# flight at once on the hot paths; beyond it a session is simply dropped.
_KEEP_SESSIONS = 128


class ReusedSession(AsyncSession):
    """An `AsyncSession` that goes back to its sessionmaker's free list when its
    ``async with`` block ends, closed and clean, to be handed out again.

    Why: every new `AsyncSession` leaves about 40 objects in reference cycles (the Session
    with its event dispatch, identity map and weak dictionaries), which only the cyclic
    garbage collector can free. Under load, sessions in flight at a young collection are
    promoted, and the full collections that then clear them took 20 to 80 ms: at a fixed 900
    GET/s the p99 was 33 to 270 ms with the collector on and 7 ms with it off. A reused session
    leaves no cycles (measured: 40 → 0 objects per request). SQLAlchemy documents a closed
    session as reusable; `info` (this module's per-request marks) is cleared here.

    Only the ``async with`` exit returns a session, and only once; a close that fails or is
    cancelled keeps it out of the list.
    """

    _free: list[ReusedSession] | None = None
    _idle: bool = False

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await super().__aexit__(type_, value, traceback)
        free = self._free
        if free is not None and not self._idle and len(free) < _KEEP_SESSIONS:
            self.info.clear()
            self._idle = True
            free.append(self)


class ReusingSessionmaker(async_sessionmaker[AsyncSession]):
    """`async_sessionmaker` that hands out closed `ReusedSession` objects before new ones."""

    def __init__(self, engine: AsyncEngine, **kw: Any) -> None:
        super().__init__(engine, class_=ReusedSession, **kw)
        self._free: list[ReusedSession] = []

    def __call__(self, **local_kw: Any) -> AsyncSession:
        if local_kw:  # a session configured differently is not one of the interchangeable
            return super().__call__(**local_kw)
        if self._free:
            session = self._free.pop()
            session._idle = False
            return session
        made = super().__call__()
        assert isinstance(made, ReusedSession)
        made._free = self._free
        return made


class Prepared:
    """A Core statement built once at import, for the hot paths (DESIGN §10).

    On PostgreSQL it is compiled once per set of parameter names and run with asyncpg
    directly on the session's own connection, inside the session's transaction: no
    per-execution compile-cache lookup, execution context or result proxy. That work was
    about 60 % of the client-side cost of each statement in the profile of
    `GET /v1/returns/{id}` (210 µs per statement through SQLAlchemy, 75 µs through asyncpg).
    Bind and result type processing (JSON, UTC datetimes) are SQLAlchemy's own, taken from
    the compiled statement; asyncpg errors are raised as SQLAlchemy's exceptions, so callers
    handle `IntegrityError` and friends the same way on either path. On SQLite, and for any
    statement the fast path cannot take (expanding ``IN`` parameters, a parameter not
    supplied), the statement runs through SQLAlchemy as usual.
    """

    __slots__ = ("_checked", "_compiled", "driver_statement", "statement")

    def __init__(self, statement: Executable, *, on_driver: Executable | None = None) -> None:
        """`on_driver`: the same query spelled for PostgreSQL, when the portable spelling
        cannot be prepared (``= ANY($1)`` for an expanding ``IN``)."""
        self.statement = statement
        self.driver_statement = statement if on_driver is None else on_driver
        self._compiled: dict[tuple[str, ...], _DriverStatement | None] = {}
        self._checked: set[tuple[str, ...]] = set()

    def check(self, keys: tuple[str, ...]) -> None:
        """Refuses parameters the statement does not use: a misspelt name would otherwise be
        dropped without a word (by either path), and its bind left at its default. Checked
        once per set of names, on every backend alike."""
        if keys in self._checked:
            return
        element = cast(ClauseElement, self.statement)
        used = cast(SQLCompiler, element.compile(column_keys=list(keys))).binds
        unknown = sorted(set(keys) - set(used))
        if unknown:
            raise ValueError(f"parameters the statement does not use: {', '.join(unknown)}")
        self._checked.add(keys)

    def for_driver(self, dialect: Dialect, keys: tuple[str, ...]) -> _DriverStatement | None:
        try:
            return self._compiled[keys]
        except KeyError:
            compiled = self._compiled[keys] = _DriverStatement.compile(self, dialect, keys)
            return compiled


class _DriverStatement:
    """SQL for asyncpg (``$1``…), the parameter names in order, and type processing."""

    __slots__ = ("constants", "names", "processors", "reads_only", "results", "returns_rows", "sql")

    def __init__(
        self,
        sql: str,
        names: tuple[str, ...],
        constants: dict[str, Any],
        processors: tuple[Callable[[Any], Any] | None, ...],
        results: tuple[tuple[str, Callable[[Any], Any]], ...],
        returns_rows: bool,
        reads_only: bool,
    ) -> None:
        self.sql = sql
        self.names = names
        self.constants = constants  # parameters built into the statement (a LIMIT)
        self.processors = processors if any(processors) else ()
        self.results = results
        self.returns_rows = returns_rows
        self.reads_only = reads_only  # a plain SELECT: no writes, no row locks

    @classmethod
    def compile(
        cls, prepared: Prepared, dialect: Dialect, keys: tuple[str, ...]
    ) -> _DriverStatement | None:
        statement = prepared.driver_statement
        element = cast(ClauseElement, statement)
        compiled = cast(SQLCompiler, element.compile(dialect=dialect, column_keys=list(keys)))
        names = tuple(compiled.positiontup or ())
        binds = {name: compiled.binds[name] for name in names}
        constants = {n: b.effective_value for n, b in binds.items() if n not in keys}
        if any(b.expanding or b.literal_execute for b in binds.values()) or any(
            binds[n].required for n in constants
        ):
            return None  # rendered per execution, or a parameter the caller must supply
        results: list[tuple[str, Callable[[Any], Any]]] = []
        if isinstance(statement, (Select, UpdateBase)):
            columns = (
                statement.selected_columns
                if isinstance(statement, Select)
                else statement.exported_columns
            )
            for key, column in columns.items():
                process = column.type.result_processor(dialect, None)
                if process is not None:
                    results.append((str(key), process))
        return cls(
            compiled.string,
            names,
            constants,
            tuple(binds[n].type.bind_processor(dialect) for n in names),
            tuple(results),
            bool(compiled.returning) or isinstance(statement, Select),
            # (`_for_update_arg`: SQLAlchemy keeps FOR UPDATE/SHARE there, and nowhere public)
            isinstance(statement, Select) and getattr(statement, "_for_update_arg", 0) is None,
        )

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        constants = self.constants
        values = [params[name] if name not in constants else constants[name] for name in self.names]
        for i, process in enumerate(self.processors):
            if process is not None:
                values[i] = process(values[i])
        return values


class ChildRows:
    """A child table's rows read inside its parent's row: ``ARRAY(SELECT ROW(…) …)``.

    PostgreSQL only. asyncpg decodes an anonymous record with the type of each field, so one
    statement brings a parent with its children, typed as if each table had been read on its
    own (the column result processors are applied here): a round trip saved per child table.
    On this machine a round trip costs more client CPU than anything a GET does with it.
    """

    __slots__ = ("_processors", "column", "names", "table")

    def __init__(
        self, table: Table, *, where: ColumnElement[bool], order_by: ColumnElement[Any]
    ) -> None:
        self.table = table
        self.names = tuple(column.name for column in table.c)
        rows = select(tuple_(*table.c)).where(where).order_by(order_by)
        self.column = func.array(rows.scalar_subquery())
        self._processors: tuple[Callable[[Any], Any] | None, ...] | None = None

    def rows(self, records: Sequence[Sequence[Any]] | None, dialect: Dialect) -> list[Row]:
        processors = self._processors
        if processors is None:
            processors = self._processors = tuple(
                column.type.result_processor(dialect, None) for column in self.table.c
            )
        rows: list[Row] = []
        for record in records or ():
            rows.append(
                {
                    name: value if process is None or value is None else process(value)
                    for name, value, process in zip(self.names, record, processors, strict=True)
                }
            )
        return rows


Statement = Executable | Prepared
# A result row as the hot paths see it: SQLAlchemy's RowMapping, or a dict from the driver.
Row = Mapping[Any, Any]


_DRIVER = "returns_api.driver"
_READ_ONLY = "returns_api.read_only"


def read_only(session: AsyncSession) -> None:
    """Marks a request's session as one that only reads (GET): its prepared SELECTs then run
    without BEGIN/COMMIT, two round trips fewer per request.

    Under READ COMMITTED (PostgreSQL's default, and ours) every statement takes its own
    snapshot, inside a transaction or not, so the reads see exactly what they would have.
    Anything else the session runs (a write, a locking SELECT, a statement through
    SQLAlchemy) still opens the transaction first, as usual.
    """
    session.info[_READ_ONLY] = True


async def commit(session: AsyncSession) -> None:
    """Commit a unit of work, or skip the commit when there is provably nothing to commit.

    A `read_only` session whose statements all ran on the driver holds no server-side
    transaction (no BEGIN was sent) and, with no pending ORM changes, nothing SQLAlchemy
    would flush: its commit is a no-op that still walks SQLAlchemy's transaction machinery,
    about 15 % of a GET's CPU in process (A/B pairs). Closing the session then releases the
    connection. Anything else (a write, a locking read, an ORM statement, SQLite) commits.
    """
    if not (session.new or session.dirty or session.deleted):
        transaction = session.sync_session.get_transaction()
        if transaction is None:
            return
        found = session.info.get(_DRIVER)
        driver = found[1] if found is not None and found[0] is transaction else None
        if driver is not None and driver._transaction is None:
            return
    await session.commit()


async def _driver(session: AsyncSession) -> tuple[Any, Dialect] | None:
    """The asyncpg adapter under the session and the dialect; None on SQLite.

    The connection is remembered for the session's current transaction (the lookup through
    `AsyncSession.connection()` costs a greenlet switch per statement).
    """
    transaction = session.sync_session.get_transaction()
    found = session.info.get(_DRIVER)
    if found is None or found[0] is not transaction or transaction is None:
        connection = await session.connection()
        adapted: Any = None
        if connection.dialect.driver == "asyncpg" and connection.sync_connection is not None:
            adapted = connection.sync_connection.connection.dbapi_connection
            if not hasattr(adapted, "_start_transaction") or not hasattr(adapted, "_transaction"):
                adapted = None  # the adapter changed shape: stay on SQLAlchemy's own path
        found = session.info[_DRIVER] = (
            session.sync_session.get_transaction(),
            adapted,
            connection.dialect,
        )
    if found[1] is None:
        return None
    return found[1], found[2]


async def _on_driver(
    session: AsyncSession, prepared: Prepared, params: Sequence[Mapping[str, Any]]
) -> tuple[Sequence[Row], int] | None:
    """Run `prepared` on the driver (see `Prepared`); None when it must go through SQLAlchemy."""
    found = await _driver(session)
    if found is None:
        return None
    adapted, dialect = found
    driver = adapted.driver_connection
    compiled = prepared.for_driver(dialect, tuple(params[0]) if params else ())
    if compiled is None:
        return None
    if adapted._transaction is None and not (compiled.reads_only and session.info.get(_READ_ONLY)):
        # SQLAlchemy's adapter opens the transaction lazily, at its first statement; one
        # sent to the driver directly must open it first, or it would run (and commit) alone.
        await adapted._start_transaction()
    many = [compiled.arguments(p) for p in params] if len(params) > 1 else None
    arguments = [] if many is not None else compiled.arguments(params[0] if params else {})
    try:
        if many is not None:
            await driver.executemany(compiled.sql, many)
            return [], len(many)
        if not compiled.returns_rows:
            status = await driver.execute(compiled.sql, *arguments)
            return [], int(status.rpartition(" ")[2] or 0)
        records = await driver.fetch(compiled.sql, *arguments)
    except Exception as error:
        raise _as_sqlalchemy_error(adapted, dialect, compiled.sql, error) from error
    rows = [dict(record) for record in records]
    for key, process in compiled.results:
        for row in rows:
            row[key] = process(row[key])
    return rows, len(rows)


def _as_sqlalchemy_error(
    adapted: Any, dialect: Dialect, sql: str, error: Exception
) -> BaseException:
    """What SQLAlchemy itself raises for a driver error: the adapter translates it to its
    DBAPI class (keeping ``sqlstate``), then it is wrapped as `IntegrityError` and friends."""
    dbapi_error: Any = dialect.loaded_dbapi.Error
    try:
        adapted._handle_exception(error)
    except dbapi_error as translated:
        wrapped = DBAPIError.instance(
            sql, None, translated, dbapi_error, hide_parameters=True, dialect=dialect
        )
        return cast(BaseException, wrapped)
    except Exception as other:
        return other
    return error  # pragma: no cover - _handle_exception always raises


async def fetch_all(
    session: AsyncSession, statement: Statement, params: Mapping[str, Any] | None = None
) -> Sequence[Row]:
    """Run a Core statement on the session's connection and transaction.

    Hot paths pass a `Prepared` statement (built once at import): on PostgreSQL it runs on
    the driver directly. Any other statement runs as Core, which at least skips the ORM's
    per-execution compile state.
    """
    if isinstance(statement, Prepared):
        statement.check(tuple(params or ()))
        done = await _on_driver(session, statement, [params] if params else [])
        if done is not None:
            return done[0]
        statement = statement.statement
    connection = await session.connection()
    rows: Sequence[Row] = (await connection.execute(statement, params or {})).mappings().all()
    return rows


async def fetch_one(
    session: AsyncSession, statement: Statement, params: Mapping[str, Any] | None = None
) -> Row | None:
    rows = await fetch_all(session, statement, params)
    return rows[0] if rows else None


async def run(
    session: AsyncSession,
    statement: Statement,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """Execute a Core write on the session's connection; returns the rows affected."""
    if isinstance(statement, Prepared):
        many = [] if params is None else [params] if isinstance(params, Mapping) else params
        for one in many[:1]:  # executemany rows share their keys
            statement.check(tuple(one))
        done = await _on_driver(session, statement, list(many))
        if done is not None:
            return done[1]
        statement = statement.statement
    connection = await session.connection()
    result = await connection.execute(statement, params)
    return int(result.rowcount)


READINESS_TIMEOUT_SECONDS = 2.0


async def database_answers(engine: AsyncEngine) -> bool:
    """True when a trivial query succeeds within a short timeout (readiness)."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the reason is logged by the caller
        return False
    return True
