"""One signed delivery attempt over HTTP: to the address that was checked (SSRF), never
following redirects, never reading the receiver's body, bounded in time as a whole."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from returns_api.core.clock import utcnow
from returns_api.webhooks import retry, signing, ssrf
from returns_api.webhooks.events import envelope

USER_AGENT = "returns-api-webhooks/1"


@dataclass(frozen=True, slots=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    latency_ms: int
    retry_after: timedelta | None = None


def payload_bytes(work: Mapping[Any, Any]) -> bytes:
    """The exact bytes signed and sent; the same on every retry."""
    body = envelope(
        work["event_id"], work["event_type"], work["event_created_at"], work["event_data"]
    )
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class Sender:
    """The HTTP clients of one dispatcher and the way an attempt is made with them."""

    def __init__(
        self, *, timeout_seconds: float, concurrency: int, allow_private_urls: bool
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.allow_private_urls = allow_private_urls
        # Keep-alive only for plain http: pinned https connections must not be shared
        # between host names that happen to resolve to one address (SNI/certificate).
        timeout = httpx.Timeout(timeout_seconds)
        # As many kept-alive connections as sends in flight: httpx keeps 20 by default, and
        # with more concurrent sends each extra one paid a new TCP connection.
        self._http = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._https = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._https.aclose()

    async def attempt(self, work: Mapping[Any, Any]) -> AttemptResult:
        """One signed POST to the address that was checked; the receiver's body is never
        read or stored."""
        started = time.perf_counter()
        now = utcnow()
        try:
            target = await ssrf.resolve_public(work["url"], allow_private=self.allow_private_urls)
            url, extra_headers, extensions = ssrf.pinned_request_url(target)
            body = payload_bytes(work)
            headers = {
                **signing.sign_headers(
                    msg_id=str(work["event_id"]),
                    body=body,
                    secrets=_signing_secrets(work, now),
                    timestamp=now,
                ),
                **extra_headers,
                "content-type": "application/json",
                "user-agent": USER_AGENT,
            }
            client = self._https if target.target.scheme == "https" else self._http
            request = client.build_request(
                "POST", url, content=body, headers=headers, extensions=extensions
            )
            # httpx's timeout bounds each read; this bounds the whole attempt, so a receiver
            # trickling its answer cannot hold a batch (and its leases) for ever.
            async with asyncio.timeout(self.timeout_seconds):
                response = await client.send(request, stream=True)
                await response.aclose()
        except ssrf.UnsafeURL as exc:
            return AttemptResult(None, f"refused: {exc}", _ms(started))
        except (httpx.TimeoutException, TimeoutError):
            return AttemptResult(None, "timeout", _ms(started))
        except httpx.HTTPError as exc:
            return AttemptResult(None, f"{type(exc).__name__}: {exc}"[:300], _ms(started))
        retry_after = None
        if response.status_code in (429, 503):
            retry_after = retry.parse_retry_after(response.headers.get("retry-after"), now=now)
        return AttemptResult(response.status_code, None, _ms(started), retry_after)


def _signing_secrets(work: Mapping[Any, Any], now: datetime) -> list[str]:
    secrets = [work["secret"]]
    expires = work["previous_secret_expires_at"]
    if work["previous_secret"] and expires is not None and expires > now:
        secrets.append(work["previous_secret"])
    return secrets


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
