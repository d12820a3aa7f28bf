"""A small, cheap HTTP/1.1 load generator on asyncio streams (keep-alive, no parsing
beyond status line, headers and Content-Length). httpx costs several times more CPU per
request, and on a 2-core machine the load generator shares the cores with the server.

Two drivers:
- closed loop: `concurrency` connections each send the next request as soon as the last
  answer arrived (measures saturated throughput);
- fixed rate: requests are *scheduled* at a constant rate and latency is measured from the
  scheduled time, so a slow server cannot hide its queueing (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

RequestFactory = Callable[[int], bytes]  # sequence number -> raw HTTP request bytes


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Runs a measurement with this process's cyclic garbage collector off.

    The load generator is the measuring instrument: a full collection here (it holds the
    ids of up to a million seeded returns) stops every request in flight for tens to
    hundreds of milliseconds, and fixed-rate latency would count that pause against the
    server. Reference counting still frees almost everything; the rest is collected after.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def http_request(
    method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                body += await self.reader.readexactly(size)
                await self.reader.readline()
            return status, body
        return status, await self.reader.readexactly(length) if length else b""

    def close(self) -> None:
        self.writer.close()


async def closed_loop(
    port: int, make: RequestFactory, *, concurrency: int, duration: float
) -> Result:
    with _no_gc_pauses():
        return await _closed_loop(port, make, concurrency=concurrency, duration=duration)


async def _closed_loop(
    port: int, make: RequestFactory, *, concurrency: int, duration: float
) -> Result:
    result = Result()
    counter = itertools.count()
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        conn = await Connection.open(port)
        try:
            while time.perf_counter() < deadline:
                raw = make(next(counter))
                started = time.perf_counter()
                try:
                    status, _ = await conn.send(raw)
                except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                    result.errors += 1
                    conn.close()
                    conn = await Connection.open(port)
                    continue
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    return result


async def fixed_rate(
    port: int, make: RequestFactory, *, rate: float, duration: float, connections: int = 64
) -> Result:
    """Sends `rate` requests/s for `duration` s; latency counts from the scheduled time."""
    with _no_gc_pauses():
        return await _fixed_rate(port, make, rate=rate, duration=duration, connections=connections)


async def _fixed_rate(
    port: int, make: RequestFactory, *, rate: float, duration: float, connections: int
) -> Result:
    result = Result()
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(port))
    total = int(rate * duration)
    begin = time.perf_counter() + 0.05

    async def one(seq: int) -> None:
        scheduled = begin + seq / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await pool.get()  # waiting for a free connection counts as latency
        try:
            status, _ = await conn.send(make(seq))
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.latencies.append(time.perf_counter() - scheduled)
            pool.put_nowait(conn)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            result.errors += 1
            conn.close()
            pool.put_nowait(await Connection.open(port))

    await asyncio.gather(*(one(seq) for seq in range(total)))
    result.elapsed = time.perf_counter() - begin
    while not pool.empty():
        pool.get_nowait().close()
    return result
