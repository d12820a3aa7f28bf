"""A stand-in for api.stripe.com on 127.0.0.1, for the SDK to talk real HTTP to.

It answers `POST /v1/refunds` and `GET /v1/refunds` as Stripe's API reference documents them,
with Refund objects shaped like the one Stripe's OpenAPI fixtures hold (tests/fixtures/stripe,
see the README there), checks the secret key, and keeps idempotency keys as Stripe does: the
same key with the same parameters answers the first response again, with other parameters it
is an `idempotency_error`. It can be told to fail the next calls, or to lose the next answer.
"""

from __future__ import annotations

import contextlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.settlement.stripe_objects import error_body, masked_key, refund_object

Answer = tuple[int, dict[str, Any], dict[str, str]]  # status, body, extra headers


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]  # form body or query string, as sent (`metadata[key]` flat)
    headers: dict[str, str]  # names in lower case


@dataclass
class _PaymentIntent:
    amount: int
    currency: str  # lowercase, as Stripe writes it
    charge: str


class StripeServer:
    """`url` is the base address to give the SDK (`base_addresses={"api": url}`): without
    /v1, as Stripe's `https://api.stripe.com`. `page_size_cap` lowers Stripe's largest page
    (100), so that pagination shows with a few refunds."""

    def __init__(self, api_key: str, *, page_size_cap: int = 100) -> None:
        self.api_key = api_key
        self.page_size_cap = page_size_cap
        self.status_on_create = "succeeded"  # what a card refund usually is at once
        self.requests: list[RecordedRequest] = []
        self.created: list[dict[str, Any]] = []  # every refund a create made, in order
        self._payment_intents: dict[str, _PaymentIntent] = {}
        self._idempotent: dict[str, tuple[list[tuple[str, str]], Answer]] = {}
        self._failures: list[int] = []
        self._lose_next = False
        self._hold_next = False
        self.released = threading.Event()  # set: a held answer goes out
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> StripeServer:
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

    def add_payment_intent(self, reference: str, *, amount: int, currency: str) -> None:
        """A succeeded payment intent that refunds can be made against."""
        with self._lock:
            charge = f"ch_{next(self._ids):024d}"
            self._payment_intents[reference] = _PaymentIntent(amount, currency.lower(), charge)

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next `n` authorised calls with `status` and Stripe's error body, before
        the endpoint runs: no refund is made and no idempotent result is kept."""
        with self._lock:
            self._failures.extend([status] * n)

    def lose_next_answer(self) -> None:
        """Make the next create's refund (and keep its result under the idempotency key, as
        Stripe would have), then answer 500: the caller never learns it exists."""
        with self._lock:
            self._lose_next = True

    def hold_next_answer(self) -> threading.Event:
        """Make the next create's refund, then keep its answer until the returned event is
        set (a worker can be killed meanwhile: the refund exists, its answer reaches no one)."""
        with self._lock:
            self._hold_next = True
            self.released.clear()
        return self.released

    def settle(self, refund_id: str, status: str, failure_reason: str | None = None) -> Any:
        """Set a refund's status, as Stripe does later for a pending one; its new JSON."""
        with self._lock:
            refund = next(r for r in self.created if r["id"] == refund_id)
            refund["status"] = status
            refund["failure_reason"] = failure_reason
            return json.loads(json.dumps(refund))

    def answer(self, request: RecordedRequest) -> Answer:
        """Stripe's order: authentication, then the endpoint."""
        with self._lock:
            self.requests.append(request)
            if not self._authorised(request.headers.get("authorization", "")):
                return 401, error_body(401, _auth_message(request.headers)), {}
            if self._failures:
                status = self._failures.pop(0)
                return status, error_body(status), {}
            path = urlsplit(request.path).path
            if path == "/v1/refunds" and request.method == "POST":
                return self._create_idempotently(request)
            if path == "/v1/refunds" and request.method == "GET":
                return self._list(request.params)
            message = f"Unrecognized request URL ({request.method}: {path})."
            return 404, error_body(404, message), {}

    def _create_idempotently(self, request: RecordedRequest) -> Answer:
        key = request.headers.get("idempotency-key")
        params = sorted(request.params.items())
        if key is not None and key in self._idempotent:
            first_params, first = self._idempotent[key]
            if first_params != params:
                message = (
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request."
                )
                return 400, error_body(400, message, error_type="idempotency_error"), {}
            status, body, headers = first
            return status, body, {**headers, "Idempotent-Replayed": "true"}
        answer = self._create(request.params)
        # Stripe keeps what an endpoint that ran answered; a refusal (4xx) here stands for
        # one of its parameter checks, which keep nothing.
        if key is not None and answer[0] == 200:
            self._idempotent[key] = (params, answer)
        if answer[0] == 200 and self._lose_next:
            self._lose_next = False
            return 500, error_body(500), {}
        if answer[0] == 200 and self._hold_next:
            self._hold_next = False
            return answer[0], answer[1], {**answer[2], _HELD: "1"}
        return answer

    def _create(self, params: dict[str, str]) -> Answer:
        reference = params.get("payment_intent")
        intent = self._payment_intents.get(reference or "")
        if intent is None:
            message = f"No such payment_intent: '{reference}'"
            return 400, error_body(400, message, code="resource_missing"), {}
        refunded = sum(
            r["amount"]
            for r in self.created
            if r["payment_intent"] == reference and r["status"] not in ("failed", "canceled")
        )
        left = intent.amount - refunded
        if left <= 0:
            message = f"Charge {intent.charge} has already been refunded."
            return 400, error_body(400, message, code="charge_already_refunded"), {}
        amount = int(params.get("amount", left))
        if amount > left:
            message = (
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
            )
            return 400, error_body(400, message, code="amount_too_large"), {}
        metadata = {
            name[len("metadata[") : -1]: value
            for name, value in params.items()
            if name.startswith("metadata[") and name.endswith("]")
        }
        refund = refund_object(
            number=next(self._ids),
            amount=amount,
            currency=intent.currency,
            payment_intent=reference or "",
            charge=intent.charge,
            status=self.status_on_create,
            metadata=metadata,
        )
        self.created.append(refund)
        return 200, json.loads(json.dumps(refund)), {}

    def _list(self, params: dict[str, str]) -> Answer:
        limit = int(params.get("limit", 10))
        if not 1 <= limit <= 100:
            message = "Invalid integer: limit must be between 1 and 100"
            return 400, error_body(400, message, code="parameter_invalid_integer"), {}
        refunds = [
            r
            for r in reversed(self.created)  # newest first, as Stripe lists
            if "payment_intent" not in params or r["payment_intent"] == params["payment_intent"]
        ]
        after = params.get("starting_after")
        if after is not None:
            position = next((i for i, r in enumerate(refunds) if r["id"] == after), None)
            if position is None:
                message = f"No such refund: '{after}'"
                return 400, error_body(400, message, code="resource_missing"), {}
            refunds = refunds[position + 1 :]
        page = refunds[: min(limit, self.page_size_cap)]
        body = {
            "object": "list",
            "data": json.loads(json.dumps(page)),
            "has_more": len(refunds) > len(page),
            "url": "/v1/refunds",
        }
        return 200, body, {}

    def _authorised(self, header: str) -> bool:
        scheme, _, key = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(key, self.api_key)


def _auth_message(headers: dict[str, str]) -> str:
    key = headers.get("authorization", "").partition(" ")[2]
    if not key:
        return "You did not provide an API key."
    return f"Invalid API Key provided: {masked_key(key)}"


_HELD = "x-test-held"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: StripeServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else urlsplit(self.path).query
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            params=dict(parse_qsl(raw, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        status, body, headers = self.server.fake.answer(request)
        if headers.pop(_HELD, None):  # outside the lock: other requests go on meanwhile
            self.server.fake.released.wait(timeout=60)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-Id", f"req_{len(self.server.fake.requests):014d}")
        if "idempotency-key" in request.headers:
            self.send_header("Idempotency-Key", request.headers["idempotency-key"])
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the requests are in `StripeServer.requests`."""
