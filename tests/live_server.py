"""The real service in a child process: `returns-api serve` (uvicorn) on a free loopback port,
with a fresh SQLite database and no webhook dispatcher. For tests that talk to it over TCP
the way integrators do (generated clients, schemathesis)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

BIN = Path(sys.executable).parent  # the virtualenv running the tests has `returns-api`


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """`with LiveServer(tmp) as server:` — `server.url`, `server.api_key(*scopes)`."""

    def __init__(self, directory: Path, env: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "RETURNS_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'returns.db'}",
            "RETURNS_ENV": "test",
            "RETURNS_RUN_DISPATCHER_IN_PROCESS": "false",
            "RETURNS_LOG_LEVEL": "warning",
            "RETURNS_HOST": "127.0.0.1",
            **(env or {}),
        }
        self.log_path = directory / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LiveServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [str(BIN / "returns-api"), "serve", "--port", str(self.port)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready(timeout=60)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _wait_until_ready(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not get ready in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-5000:]

    def api_key(self, *scopes: str, name: str = "live-test") -> str:
        """A real key, made with the CLI against the server's database."""
        command = [str(BIN / "returns-api"), "api-keys", "create", "--name", name, "--json"]
        out = subprocess.run(
            [*command, "--scopes", ",".join(scopes)],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
            text=True,
        )
        return str(json.loads(out.stdout)["key"])
