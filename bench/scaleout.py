"""Scale-out crash test: 2 API processes + 2 dispatchers on one PostgreSQL, one of each
killed with SIGKILL mid-run.

    python -m bench.scaleout [--duration 15] [--kill-after 5] [--concurrency 16]

A client creates returns on both API processes, each logical request with its own
Idempotency-Key; when a process dies under it (connection error) the client retries the
same request, same key, on the other process — the retry discipline a real client has.
Afterwards it prints: requests, 5xx answers, duplicate returns (returns in the database
beyond one per logical request), committed events vs events delivered to the receiver
(lost), and deliveries that arrived twice (all with the same webhook-id, by construction).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import time

import asyncpg
import httpx

from bench.__main__ import CLI, POLICY, _api_env, _api_key, _database, _free_port, serve

ORDERS = 2000


async def main(args: argparse.Namespace) -> None:
    async with _database(orders=ORDERS) as (dsn, url):
        env = {
            **_api_env(url),
            "RETURNS_DISPATCHER_LEASE_SECONDS": "3",
            "RETURNS_IDEMPOTENCY_LEASE_SECONDS": "3",
            "RETURNS_DISPATCHER_POLL_SECONDS": "0.05",
            "FLOOR_DSN": dsn,
        }
        key = _api_key(env)
        hook_port, api_a, api_b = _free_port(), _free_port(), _free_port()
        with (
            serve("bench.floor:app", hook_port, env),
            serve("returns_api.app:create_app", api_a, env, factory=True) as proc_a,
            serve("returns_api.app:create_app", api_b, env, factory=True),
        ):
            await _run(args, key, dsn, env, hook_port, (api_a, api_b), proc_a)


async def _run(
    args: argparse.Namespace,
    key: str,
    dsn: str,
    env: dict[str, str],
    hook_port: int,
    ports: tuple[int, int],
    proc_a: subprocess.Popen[bytes],
) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=auth, timeout=30) as client:
        base = f"http://127.0.0.1:{ports[1]}"
        assert (await client.put(f"{base}/v1/policy", json=POLICY)).status_code == 201
        hook = await client.post(
            f"{base}/v1/webhook-endpoints", json={"url": f"http://127.0.0.1:{hook_port}/hook"}
        )
        assert hook.status_code == 201, hook.text
    workers = [subprocess.Popen([CLI, "worker"], env={**os.environ, **env}) for _ in range(2)]
    try:
        stats = {
            "requests": 0,
            "logical": 0,
            "succeeded": 0,
            "retries": 0,
            "5xx_alive": 0,
            "5xx_killed": 0,
            "conn_errors": 0,
            "by_killed": 0,
            "by_survivor": 0,
        }
        created: set[str] = set()
        killed = asyncio.Event()
        deadline = time.monotonic() + args.duration
        rng = random.Random(3)

        async def client_loop(n: int) -> None:
            async with httpx.AsyncClient(headers=auth, timeout=30) as client:
                seq = 0
                while time.monotonic() < deadline:
                    seq += 1
                    body = {
                        "order_id": f"ord_{rng.randrange(ORDERS)}",
                        "return_method": "mail",
                        "items": [
                            {
                                "line_item_id": f"li_{1 + rng.randrange(4)}",
                                "quantity": 1,
                                "reason": "size_fit",
                            }
                        ],
                    }
                    headers = {"Idempotency-Key": f"c{n}-{seq}"}
                    stats["logical"] += 1
                    port = ports[seq % 2] if not killed.is_set() else ports[1]
                    for attempt in range(40):
                        stats["requests"] += 1
                        try:
                            r = await client.post(
                                f"http://127.0.0.1:{port}/v1/returns", json=body, headers=headers
                            )
                        except httpx.TransportError:
                            stats["conn_errors"] += 1
                            stats["retries"] += 1
                            port = ports[1]
                            continue
                        if r.status_code >= 500:
                            stats[
                                "5xx_killed"
                                if port == ports[0] and killed.is_set()
                                else "5xx_alive"
                            ] += 1
                        if r.status_code in (409, 500, 502, 503) and attempt < 39:
                            stats["retries"] += 1  # in flight elsewhere, or failed: retry
                            await asyncio.sleep(0.25)
                            port = ports[1]
                            continue
                        if r.status_code == 201:
                            stats["succeeded"] += 1
                            stats["by_killed" if port == ports[0] else "by_survivor"] += 1
                            created.add(r.json()["id"])
                        break

        async def killer() -> None:
            await asyncio.sleep(args.kill_after)
            proc_a.send_signal(signal.SIGKILL)
            workers[0].send_signal(signal.SIGKILL)
            killed.set()

        await asyncio.gather(killer(), *(client_loop(n) for n in range(args.concurrency)))
        # Let the surviving dispatcher finish (the killed one's leases expire after 3 s).
        conn = await asyncpg.connect(dsn)
        try:
            wait_until = time.monotonic() + 90
            while time.monotonic() < wait_until:
                pending = await conn.fetchval(
                    "SELECT count(*) FROM events e WHERE NOT e.routed OR EXISTS (SELECT 1 FROM "
                    "webhook_deliveries d WHERE d.event_id = e.id AND d.status <> 'succeeded')"
                )
                if pending == 0:
                    break
                await asyncio.sleep(0.2)
            events = {str(r["id"]) for r in await conn.fetch("SELECT id FROM events")}
            returns = await conn.fetchval("SELECT count(*) FROM returns")
        finally:
            await conn.close()
    finally:  # never leave a dispatcher behind, whatever happened above
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
    async with httpx.AsyncClient() as client:
        received = (await client.get(f"http://127.0.0.1:{hook_port}/hook/stats")).json()["ids"]
    distinct = set(received)
    print(
        f"\n### Scale-out: 2 API + 2 dispatcher processes, one of each SIGKILLed at "
        f"{args.kill_after:.1f} s of {args.duration:.1f} s\n"
    )
    print("| measure | count |\n|---|---|")
    for label, value in [
        ("logical create requests (each with its own Idempotency-Key)", stats["logical"]),
        ("HTTP attempts", stats["requests"]),
        ("retries (connection errors / 409 in flight / 5xx)", stats["retries"]),
        ("answered 201 by the API process that was killed (before it died)", stats["by_killed"]),
        ("answered 201 by the surviving API process", stats["by_survivor"]),
        ("connection errors from the killed API process", stats["conn_errors"]),
        ("5xx from the surviving process", stats["5xx_alive"]),
        ("logical requests answered 201 (first answer or replay)", stats["succeeded"]),
        ("distinct return ids in those answers", len(created)),
        ("returns in the database", returns),
        (
            "duplicate returns (in the database, beyond one per logical request)",
            returns - len(created),
        ),
        ("events committed", len(events)),
        ("events delivered (distinct webhook-id)", len(distinct & events)),
        ("lost events (committed, never delivered)", len(events - distinct)),
        ("deliveries received twice (same webhook-id)", len(received) - len(distinct)),
    ]:
        print(f"| {label} | {value:,} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--kill-after", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    asyncio.run(main(parser.parse_args()))
