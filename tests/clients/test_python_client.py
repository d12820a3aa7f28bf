"""A Python client generated from the committed document walks the return journey.

openapi-python-client generates it into a temporary folder, pip installs it there (offline:
no build isolation), mypy checks the journey against its types, and the journey runs
against the real service (uvicorn on 127.0.0.1, fresh SQLite, no dispatcher)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from returns_api.auth.scopes import ALL_SCOPES
from tests.live_server import BIN, LiveServer

pytestmark = [pytest.mark.generated_client, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi" / "openapi.json"
JOURNEY = Path(__file__).with_name("python_journey.py")
# No post-generation hooks: formatting the generated code needs ruff on PATH, and adds nothing.
GENERATOR_CONFIG = "post_hooks: []\npackage_name_override: returns_api_client\n"


def run(*command: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_generated_python_client_walks_the_return_journey(tmp_path: Path) -> None:
    config = tmp_path / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    generated, site = tmp_path / "client", tmp_path / "site"
    run(
        BIN / "openapi-python-client",
        "generate",
        "--path",
        DOCUMENT,
        "--output-path",
        generated,
        "--meta",
        "setup",
        "--config",
        config,
    )
    run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--target",
        site,
        generated,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "MYPYPATH": str(site)}
    run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--config-file",
        os.devnull,
        JOURNEY,
        env=env,
    )
    with LiveServer(tmp_path / "server") as server:
        key = server.api_key(*ALL_SCOPES, name="generated-client")
        out = run(sys.executable, JOURNEY, server.url, key, env=env)
    assert "journey through the generated client: ok" in out
