"""The ``returns-api`` command: serve, migrate, api-keys, openapi."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.scopes import ALL_SCOPES
from returns_api.core import migrate as migrations
from returns_api.core.clock import rfc3339
from returns_api.core.db import make_engine, make_sessionmaker
from returns_api.core.errors import ReturnsError
from returns_api.core.settings import Settings

app = typer.Typer(help="returns-api: the returns back-end for online shops.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="api-keys")

T = TypeVar("T")


def admin_key_command(executable: Path | None = None) -> str:
    """The command that makes a key with every scope, naming this installation's
    `returns-api` (relative to the working directory when it lies below it), so that what
    `serve` prints can be pasted as it is; the README's quick start shows the same line."""
    command = executable or Path(sys.executable).parent / "returns-api"
    if command.is_absolute() and command.is_relative_to(Path.cwd()):
        command = command.relative_to(Path.cwd())
    return f"{command} api-keys create --name admin --scopes {','.join(ALL_SCOPES)}"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind [RETURNS_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind [RETURNS_PORT].")] = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
) -> None:
    """Serve the API (applies migrations first unless RETURNS_MIGRATE_ON_START=false)."""
    settings = Settings()
    if settings.migrate_on_start:
        migrations.upgrade(settings.database_url)
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(f"returns-api listening on http://{bind_host}:{bind_port} (docs at /docs)", err=True)
    typer.echo(f"Make an API key with: {admin_key_command()}", err=True)
    uvicorn.run(
        "returns_api.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        access_log=False,  # our middleware writes one structured line per request
        proxy_headers=True,
    )


@app.command()
def worker(
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on this port.")
    ] = None,
) -> None:
    """Run a webhook dispatcher (as many processes as you like, on PostgreSQL)."""
    from returns_api.worker import run_worker

    run_worker(Settings(), metrics_port=metrics_port)


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema to the latest migration."""
    migrations.upgrade(Settings().database_url, revision)
    typer.echo(f"database upgraded to {revision}", err=True)


@app.command()
def openapi(
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """Print the OpenAPI document the app serves."""
    from returns_api.openapi import render_openapi

    text = render_openapi()
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        typer.echo(text, nl=False)


def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = Settings()
    migrations.upgrade(settings.database_url)

    async def run() -> T:
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except ReturnsError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=2) from exc


@app.command("demo-data")
def demo_data(
    orders: Annotated[int, typer.Option(min=1, max=20_000_000, help="How many orders.")],
    seed: Annotated[int, typer.Option(help="The same seed (and --end) gives the same data.")] = 1,
    months: Annotated[int, typer.Option(min=1, max=36, help="Months of history.")] = 6,
    end: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Nothing happens after this day (UTC) [today]."),
    ] = None,
    currency: Annotated[str, typer.Option(help="The shop's currency.")] = "EUR",
) -> None:
    """Fill the database with realistic synthetic orders and returns (to try analytics)."""
    from returns_api.demo.config import DemoConfig
    from returns_api.demo.loader import load_demo_data

    now = datetime.now(UTC)
    last_day = (end or now).date()
    # The end of the last day, but never later than now: nothing written is in the future.
    until = min(datetime.combine(last_day, time(), tzinfo=UTC) + timedelta(days=1), now)
    config = DemoConfig(
        orders=orders,
        end=until,
        seed=seed,
        months=months,
        currency=currency,
    )
    settings = Settings()
    migrations.upgrade(settings.database_url)

    async def run() -> dict[str, int]:
        engine = make_engine(settings)
        try:
            return await load_demo_data(make_sessionmaker(engine), config)
        finally:
            await engine.dispose()

    try:
        counts = asyncio.run(run())
    except ReturnsError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=2) from exc
    for table, rows in counts.items():
        typer.echo(f"{table:16} {rows:>10,}")


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'storefront'.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated scopes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an API key; the key is printed once and never stored."""
    from returns_api.auth.service import create_api_key

    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    created = _with_session(lambda session: create_api_key(session, name, wanted))
    record = created.record
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": str(record.id),
                    "name": record.name,
                    "prefix": record.prefix,
                    "scopes": record.scopes,
                    "created_at": rfc3339(record.created_at),
                    "key": created.key,
                }
            )
        )
        return
    typer.echo(f"id:     {record.id}\nname:   {record.name}\nscopes: {','.join(record.scopes)}")
    typer.echo(f"key:    {created.key}\n(store it now: it is not shown again)")


@keys_app.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List API keys (never the keys themselves)."""
    from returns_api.auth.service import list_api_keys

    records = _with_session(list_api_keys)
    if as_json:
        rows = [
            {
                "id": str(r.id),
                "name": r.name,
                "prefix": r.prefix,
                "scopes": r.scopes,
                "created_at": rfc3339(r.created_at),
                "last_used_at": rfc3339(r.last_used_at) if r.last_used_at else None,
                "revoked_at": rfc3339(r.revoked_at) if r.revoked_at else None,
            }
            for r in records
        ]
        typer.echo(json.dumps(rows))
        return
    # A header row, and columns as wide as their widest cell (the last one is left ragged).
    table = [("ID", "PREFIX", "STATE", "LAST USED", "NAME", "SCOPES")]
    table += [
        (
            str(r.id),
            f"{r.prefix}…",
            "revoked" if r.revoked_at else "active",
            rfc3339(r.last_used_at) if r.last_used_at else "never",
            r.name,
            ",".join(r.scopes),
        )
        for r in records
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        typer.echo("  ".join([*cells, line[-1]]))


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[uuid.UUID, typer.Argument(help="The key's id.")]) -> None:
    """Revoke an API key: it stops working at once."""
    from returns_api.auth.service import revoke_api_key

    _with_session(lambda session: revoke_api_key(session, key_id))
    typer.echo(f"revoked {key_id}", err=True)
