"""The README's quick start and walk-through, run as written against a served instance.

The shell blocks are read out of README.md, so what a reader pastes is what is tested. Each
run gets a fresh database; it runs with today's clock and again with the clock of the
server, the shell and the webhook receiver moved 400 days ahead (libfaketime, preloaded into
those processes only), which proves that nothing in them depends on today's date.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import libfaketime
import pytest

from returns_api.auth.scopes import ALL_SCOPES
from returns_api.cli import admin_key_command
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.live_server import LiveServer, free_port

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
WALK_THROUGH_SCOPES = ("orders:write", "returns:read", "returns:write", "returns:manage")
WEBHOOK_SCOPES = ("webhooks:manage",)
SEED = "import sys; from tests.fuzz.run import seed; seed(*sys.argv[1:])"


def bash_block(after_heading: str) -> str:
    """The first ```bash block that follows the heading (or text) `after_heading`."""
    rest = README[README.index(after_heading) :]
    match = re.search(r"```bash\n(.*?)```", rest, re.DOTALL)
    assert match is not None, f"no bash block after {after_heading!r}"
    return match.group(1)


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the README block should contain {old!r} once"
    return text.replace(old, new)


def clock_env(offset: str | None) -> dict[str, str]:
    """Environment that moves a process's wall clock by `offset` (e.g. "+400d"). The
    monotonic clock is left alone: asyncio and uvicorn time out on it."""
    if offset is None:
        return {}
    _, env = libfaketime.get_reload_information()
    library_path = os.pathsep.join(
        part for part in (env["LD_LIBRARY_PATH"], os.environ.get("LD_LIBRARY_PATH")) if part
    )
    return {
        **env,
        "LD_LIBRARY_PATH": library_path,
        "FAKETIME": offset,
        "DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh database for one served instance."""
    if request.param == "sqlite":
        yield {"RETURNS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'readme.db'}"}
        return
    name, url = create_postgres_database("returns_readme")
    try:
        yield {"RETURNS_DATABASE_URL": url}
    finally:
        drop_postgres_database(name)


def test_the_quick_start_key_command_is_the_one_serve_prints() -> None:
    """One truth: the command in the README is what `serve` prints for a .venv install."""
    assert admin_key_command(Path(".venv/bin/returns-api")) in bash_block(
        "how to make an API key. In a second terminal:"
    )


def test_clock_offset_moves_the_wall_clock_of_a_child_process() -> None:
    """The mechanism the dated runs rely on: without it they would prove nothing."""
    now = "import time; print(int(time.time()))"
    moved = subprocess.run(
        [sys.executable, "-c", now],
        env={**os.environ, **clock_env("+400d")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(moved.stdout) - time.time() > 399 * 86400


def faked(clock: dict[str, str], command: str) -> str:
    """`command` run with the clock moved (`env …` in front), or as it is."""
    if not clock:
        return command
    return "env " + " ".join(f"{name}='{value}'" for name, value in clock.items()) + f" {command}"


def fake_date(tmp_path: Path, clock: dict[str, str]) -> Path:
    """A directory with a `date` that tells the moved time (first on PATH)."""
    directory = tmp_path / "bin"
    directory.mkdir(exist_ok=True)
    script = directory / "date"
    real = subprocess.run(["which", "date"], capture_output=True, text=True, check=True)
    script.write_text(f'#!/bin/sh\nexec {faked(clock, real.stdout.strip())} "$@"\n')
    script.chmod(0o755)
    return directory


def _run(script: str, env: dict[str, str], output: Path) -> subprocess.Popen[bytes]:
    with output.open("wb") as out:
        return subprocess.Popen(
            ["bash", "-c", f"set -euo pipefail\n{script}"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the receiver it starts is killed with its group
        )


def _wait_for(path: Path, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("offset", [None, "+400d"], ids=["today", "a-year-ahead"])
def test_the_walk_through_gives_the_outcomes_the_readme_states(
    tmp_path: Path, database_env: dict[str, str], offset: str | None
) -> None:
    clock = clock_env(offset)
    server_env = {
        **database_env,
        **clock,
        "RETURNS_WEBHOOKS_ALLOW_PRIVATE_URLS": "true",
        "RETURNS_RUN_DISPATCHER_IN_PROCESS": "true",
        "RETURNS_DISPATCHER_POLL_SECONDS": "0.05",
    }
    walk_through = bash_block("## Walk-through")
    webhooks = bash_block("## Receiving webhooks")
    with LiveServer(tmp_path / "server", server_env) as server:
        key = server.api_key(*WALK_THROUGH_SCOPES, *WEBHOOK_SCOPES, name="readme")
        walk_through = replace_once(walk_through, "API=http://127.0.0.1:8000", f"API={server.url}")
        port = str(free_port())
        webhooks = replace_once(webhooks, "127.0.0.1:9000", f"127.0.0.1:{port}")
        webhooks = replace_once(webhooks, "--port 9000", f"--port {port}")
        webhooks = replace_once(webhooks, ".venv/bin/python", faked(clock, sys.executable))
        # The walk-through's first lines (API, AUTH, helpers), the receiver, then the
        # walk-through itself: the receiver sees every event it causes.
        preamble = walk_through[: walk_through.index("# 1.")]
        script = f"cd {ROOT}\n{preamble}\n{webhooks}\n{walk_through}"
        output = tmp_path / "walk-through.out"
        # Only what reads the clock runs with it moved: `date` and the receiver (it checks the
        # signatures' timestamps). A whole shell under libfaketime shares one semaphore among
        # every process it forks, and lost it now and then ("sem_open failed").
        path = f"{fake_date(tmp_path, clock)}{os.pathsep}{os.environ['PATH']}"
        shell = _run(script, {**os.environ, "PATH": path, "KEY": key}, output)
        try:
            assert shell.wait(timeout=120) == 0, output.read_text()
            delivered = _wait_for(output, "verified return.completed", timeout=30)
        finally:
            os.killpg(shell.pid, signal.SIGTERM)
        printed = output.read_text()
        assert delivered, f"{printed}\nserver log:\n{server.log()}"
        assert "refused" not in printed
        created_at = _check_outcomes(server.url, key, printed)
        # With the clock moved, the service really dated the return a year from now.
        this_year = time.strftime("%Y", time.gmtime())
        assert (created_at[:4] > this_year) == (offset is not None)


def _check_outcomes(url: str, key: str, printed: str) -> str:
    """What the README says each step gives, read from the README's own comments; returns
    the return's `created_at`."""
    refundable = int(re.search(r"amounts\.refundable is now (\d+)", README)[1])  # type: ignore[index]
    remaining = int(re.search(r"# the remaining (\d+)", README)[1])  # type: ignore[index]
    assert '"eligible":true' in printed.replace(" ", "")
    headers = {"Authorization": f"Bearer {key}"}
    listed = httpx.get(f"{url}/v1/returns", params={"order_id": "ord_1001"}, headers=headers)
    (summary,) = listed.json()["data"]
    ret: dict[str, Any] = httpx.get(f"{url}/v1/returns/{summary['id']}", headers=headers).json()
    assert ret["status"] == "completed"
    assert ret["amounts"] == {
        "refundable": refundable,
        "refunded": refundable,
        "pending": 0,
        "remaining": 0,
    }
    assert [refund["amount"] for refund in ret["refunds"]] == [refundable - remaining, remaining]
    statuses = [change["to_status"] for change in ret["timeline"] if change.get("to_status")]
    assert statuses[0] == "pending_review"
    assert statuses[-1] == "completed"
    for step in ("completed", str(refundable)):
        assert step in printed
    # Every event of the return reached the receiver, verified under the same clock.
    assert set(re.findall(r"verified (return\.\w+) ", printed)) >= {
        "return.created",
        "return.approved",
        "return.in_transit",
        "return.received",
        "return.refunded",
        "return.completed",
    }
    return str(ret["created_at"])


@pytest.mark.slow
def test_the_fuzz_seed_works_with_the_clock_a_year_ahead(tmp_path: Path) -> None:
    """The fuzz gate's seeder sends the document's examples; their dates must not expire."""
    clock = clock_env("+400d")
    with LiveServer(tmp_path, {**clock, "RETURNS_WEBHOOKS_ALLOW_PRIVATE_URLS": "true"}) as server:
        key = server.api_key(*ALL_SCOPES, name="fuzz")
        seeded = subprocess.run(
            [sys.executable, "-c", SEED, server.url, key],
            cwd=ROOT,
            env={**os.environ, **clock},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr
        listed = httpx.get(
            f"{server.url}/v1/returns", headers={"Authorization": f"Bearer {key}"}
        ).json()
        assert len(listed["data"]) == 5
        # The server's clock really was ahead: the returns are dated a year from now.
        created = listed["data"][0]["created_at"]
        assert created[:4] > time.strftime("%Y", time.gmtime())


def test_every_problem_type_the_integration_guide_names_is_one_the_api_sends() -> None:
    """INTEGRATING.md once named `rate-limited` for a 429 the service sends as
    `portal-throttled`: each type it names must be in the served document."""
    guide = (ROOT / "docs" / "INTEGRATING.md").read_text(encoding="utf-8")
    common = guide[guide.index("Common types:") :].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z][a-z-]+)`", common))
    named |= set(re.findall(r"\*\*\d{3}\*\* \(?`([a-z][a-z-]+)`", guide))
    document = (ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")
    sent = set(re.findall(r"urn:returns-api:problem:([a-z-]+)", document))
    assert len(named) > 10
    assert named - sent == set()
