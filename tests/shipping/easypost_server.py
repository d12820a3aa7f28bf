"""A stand-in for api.easypost.com on 127.0.0.1, for the SDK to talk real HTTP to.

It answers the calls the adapter makes with the responses EasyPost recorded for its own SDK's
tests (tests/fixtures/easypost, see the README there), checks the API key as EasyPost does,
remembers every request, and can be told to fail the next calls.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "easypost"

# Which recorded body answers which call: (method, path under /v2, name in `responses`, status).
_ROUTES = (
    ("POST", re.compile(r"/shipments"), "create", 201),
    ("POST", re.compile(r"/shipments/shp_\w+/buy"), "buy", 200),
    ("POST", re.compile(r"/shipments/shp_\w+/refund"), "refund", 200),
)


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def sign_webhook(body: bytes, secret: str) -> dict[str, str]:
    """The header EasyPost signs a webhook delivery with: HMAC-SHA256 of the raw body, keyed
    by the secret in Unicode NFKD form (as EasyPost's client libraries check it), in hex."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    digest = hmac.new(key, body, hashlib.sha256).hexdigest()
    return {"X-Hmac-Signature": f"hmac-sha256-hex={digest}"}


def _error(status: int) -> dict[str, Any]:
    """An error body for `status`. Only the 422 is recorded; the others are made up in the
    documented Error shape (code, message, errors), as the README says."""
    if status == 422:
        body: dict[str, Any] = load_fixture("error_422_parameter_required.json")
        return body
    made_up = {
        401: ("APIKEY.INVALID", "The API key is missing or not valid."),
        404: ("NOT_FOUND", "The requested resource could not be found."),
        429: ("RATE_LIMITED", "Too many requests."),
    }
    code, message = made_up.get(status, ("INTERNAL_SERVER_ERROR", "Something went wrong."))
    return {"error": {"code": code, "message": message, "errors": []}}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: Any  # the JSON the SDK sent, parsed; None without a body
    headers: dict[str, str]


class EasyPostServer:
    """`url` is the `api_base` to give the SDK: it ends in /v2, as the SDK's default does (the
    SDK appends `/shipments` and the like to it)."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        # Tests may replace a body (a variant of the recorded one) before the call.
        self.responses: dict[str, Any] = {
            "create": load_fixture("shipment_create.json"),
            "buy": load_fixture("shipment_buy.json"),
            "refund": load_fixture("shipment_refund.json"),
        }
        self._failures: list[tuple[int, str]] = []  # (status, path suffix it applies to)
        self._stall_seconds = 0.0
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        # A short poll: `shutdown()` waits for the loop to notice, once per test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v2"

    def __enter__(self) -> EasyPostServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, n: int, status: int = 500, *, path_suffix: str = "") -> None:
        """Answer the next `n` authorised calls (to paths ending in `path_suffix`, when given)
        with `status` and an EasyPost error body."""
        with self._lock:
            self._failures.extend([(status, path_suffix)] * n)

    def stall_next(self, seconds: float) -> None:
        """Wait this long before answering the next call (for client timeouts)."""
        with self._lock:
            self._stall_seconds = seconds

    def calls_to(self, path_suffix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    def answer(self, request: RecordedRequest) -> tuple[int, Any, float]:
        """Status, body and delay for one request, in EasyPost's order: authentication first."""
        with self._lock:
            self.requests.append(request)
            stall, self._stall_seconds = self._stall_seconds, 0.0
            if not self._authorised(request.headers.get("authorization", "")):
                return 401, _error(401), stall
            path = request.path.split("?", 1)[0].removeprefix("/v2")
            for queued, (status, suffix) in enumerate(self._failures):
                if path.endswith(suffix):
                    del self._failures[queued]
                    return status, _error(status), stall
            for method, pattern, name, status in _ROUTES:
                if request.method == method and pattern.fullmatch(path):
                    return status, self.responses[name], stall
            return 404, _error(404), stall

    def _authorised(self, header: str) -> bool:
        """The SDK (10.x) sends `Bearer <key>`; EasyPost also takes HTTP basic auth with the key
        as the user name, as its curl examples do."""
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            return hmac.compare_digest(credentials, self.api_key)
        if scheme.lower() == "basic":
            try:
                user = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
            except ValueError:
                return False
            return hmac.compare_digest(user, self.api_key)
        return False


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: EasyPostServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            body=json.loads(raw) if raw else None,
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        status, body, stall = self.server.fake.answer(request)
        if stall:
            threading.Event().wait(stall)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        # The client may have given up already (the timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the requests are in `EasyPostServer.requests`."""
