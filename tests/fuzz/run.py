"""Fuzz the API with schemathesis: every operation, every check, against a real server.

    python -m tests.fuzz.run                    # what CI runs: the seed in schemathesis.toml
    python -m tests.fuzz.run --seed 7           # another seed
    bash scripts/fuzz.sh --max-examples 300     # the same; any `st run` option can follow

The server is `returns-api serve` on a free loopback port with a fresh SQLite database; the
fuzzer holds a key with every scope (`ignored_auth` also tries without it). It tests the
committed document (openapi/openapi.json), which a test keeps equal to the served one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from returns_api.auth.scopes import ALL_SCOPES
from returns_api.contract.examples import EXAMPLES
from tests.live_server import BIN, LiveServer
from tests.recent import raise_with_problem, recent_order

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "tests" / "fuzz" / "schemathesis.toml"
DOCUMENT = ROOT / "openapi" / "openapi.json"
# A bound for CI: the configured run takes about a minute on two cores.
TIMEOUT_SECONDS = 600


def seed(url: str, key: str) -> None:
    """Data for the fuzzer to find: the order the document's examples name (so the examples
    phase gets past a 404), and returns in several states plus a webhook endpoint, whose ids
    the fuzzer picks up from list responses to reach past "not found". The example order's
    dates are moved to the present, so it is inside its return window on any day; a step
    that fails names the problem body."""
    example = recent_order(EXAMPLES["schemas"]["OrderUpsert"])
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as api:

        def call(method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
            return raise_with_problem(api.request(method, path, json=body))

        call("PUT", "/v1/orders/ord_1001", example)
        order = {**example, "order_number": "fuzz-1"}
        order["line_items"] = [{**line, "quantity": 1000} for line in order["line_items"]]
        call("PUT", "/v1/orders/ord_fuzz", order)
        request = {**EXAMPLES["schemas"]["ReturnRequest"], "order_id": "ord_fuzz"}
        steps: list[tuple[str, dict[str, Any]]] = [
            ("approve", {}),
            ("tracking-events", {"status": "in_transit"}),
            ("receive", {"items": [{"line_item_id": "li_1", "received_quantity": 2}]}),
            ("refunds", {"amount": 100}),
        ]
        for state in range(len(steps) + 1):  # pending_review, approved, … partly refunded
            path = f"/v1/returns/{call('POST', '/v1/returns', request).json()['id']}"
            for action, body in steps[:state]:
                call("POST", f"{path}/{action}", body)
        endpoint = call("POST", "/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks"})
        call("POST", f"/v1/webhook-endpoints/{endpoint.json()['id']}/test")


def _only_the_known_tool_crash(result: subprocess.CompletedProcess[str]) -> bool:
    """True when the run failed only because hypothesis's lambda-source inspection crashed
    inside CPython 3.11's `ast` (an intermittent tool bug): no API failure was reported."""
    return (
        result.returncode != 0
        and "AST constructor recursion depth mismatch" in result.stdout
        and "FAILURES" not in result.stdout
    )


def main(argv: list[str]) -> int:
    # Private URLs are allowed so that a webhook endpoint can exist; nothing is delivered to
    # it, as the dispatcher does not run in this server.
    env = {"RETURNS_WEBHOOKS_ALLOW_PRIVATE_URLS": "true"}
    with tempfile.TemporaryDirectory() as tmp, LiveServer(Path(tmp), env) as server:
        key = server.api_key(*ALL_SCOPES, name="fuzz")
        seed(server.url, key)
        command = [
            str(BIN / "st"),
            "--config-file",
            str(CONFIG),
            "run",
            str(DOCUMENT),
            "--url",
            server.url,
            "--checks",
            "all",
            *argv,
        ]
        for attempt in (1, 2):
            try:
                result = subprocess.run(
                    command,
                    cwd=ROOT,
                    env={**os.environ, "FUZZ_API_KEY": key},
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=TIMEOUT_SECONDS,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                print(f"schemathesis did not finish in {TIMEOUT_SECONDS} s", file=sys.stderr)  # noqa: T201
                return 1
            print(result.stdout)  # noqa: T201
            if attempt == 1 and _only_the_known_tool_crash(result):
                print(  # noqa: T201
                    "schemathesis hit the known hypothesis/CPython 3.11 AST crash (not a "
                    "finding about this API); running it once more",
                    file=sys.stderr,
                )
                continue
            break
        if result.returncode != 0:
            print(f"server log (tail):\n{server.log()}", file=sys.stderr)  # noqa: T201
        return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
