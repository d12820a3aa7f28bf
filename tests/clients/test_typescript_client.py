"""The typed TypeScript journey (clients/typescript/src/journey.ts) runs against the service.

scripts/test.sh type-checks it first (`npm ci`, openapi-typescript, `tsc --noEmit`); this
test compiles it and runs it with Node against the real server, so the types are proven to
describe what the service actually answers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from returns_api.auth.scopes import ALL_SCOPES
from tests.conftest import IN_CI
from tests.live_server import LiveServer

pytestmark = [pytest.mark.generated_client, pytest.mark.slow]

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "typescript"
RUN = """
const { walkJourney } = await import(process.argv[1]);
const done = await walkJourney(process.env.BASE_URL, process.env.API_KEY);
console.log(`journey through the TypeScript types: ${done.status}`);
"""


def test_typed_typescript_journey_runs_against_the_service(tmp_path: Path) -> None:
    tsc = PACKAGE / "node_modules" / ".bin" / "tsc"
    generated = PACKAGE / "src" / "generated" / "schema.d.ts"
    node = shutil.which("node")
    if node is None or not tsc.exists() or not generated.exists():
        message = "run `npm ci && npm run check` in clients/typescript (scripts/test.sh does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(f"TypeScript journey SKIPPED: {message}")
    build = PACKAGE / "build"
    subprocess.run([str(tsc), "--noEmit", "false", "--outDir", str(build)], cwd=PACKAGE, check=True)
    with LiveServer(tmp_path / "server") as server:
        env = {
            **os.environ,
            "BASE_URL": server.url,
            "API_KEY": server.api_key(*ALL_SCOPES, name="typescript"),
        }
        done = subprocess.run(
            [node, "--input-type=module", "-e", RUN, str(build / "journey.js")],
            cwd=PACKAGE,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{server.log()}"
    assert "journey through the TypeScript types: completed" in done.stdout
