"""Benchmark: the complaint conversation through Rasa's REST channel.

Starts the real stack on a fresh, seeded SQLite database, runs N complete complaint
conversations (8 turns each), and prints turn latency p50/p95 and each process's resident
memory. Figures, not pass/fail.

    .venv/bin/python bench/complaint_conversation.py [--conversations 200] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from crm_backend import migrate
from crm_backend.db import make_engine
from crm_backend.demo_data import seed_database
from crm_backend.devstack import Stack, StackConfig

TURNS = [
    "hi",
    "I want to make a complaint",
    "The blender I bought last week leaks from the bottom of the jug",
    '/inform{"complaint_category":"product_quality"}',
    "/deny",
    "9123 4567",
    "yes",
    "no thanks",
]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB (from /proc)."""
    total_kib = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kib += int(
                next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
            )
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
        pids.extend(int(child) for child in children)
    return total_kib / 1024


async def conversation(client: httpx.AsyncClient, url: str, latencies: list[float]) -> bool:
    sender = f"bench-{uuid.uuid4().hex}"
    filed = False
    for text in TURNS:
        started = time.perf_counter()
        response = await client.post(url, json={"sender": sender, "message": text})
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
        filed = filed or any("CMP-" in (m.get("text") or "") for m in response.json())
    return filed


async def drive(url: str, conversations: int, concurrency: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as client:

        async def one() -> bool:
            async with semaphore:
                return await conversation(client, url, latencies)

        started = time.perf_counter()
        results = await asyncio.gather(*(one() for _ in range(conversations)))
        elapsed = time.perf_counter() - started
    return latencies, sum(results), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        database_url = f"sqlite:///{tmp}/bench.sqlite3"
        migrate.upgrade(database_url)
        seed_database(make_engine(database_url), customers=500, orders=5000, complaints=50)
        config = StackConfig(
            var_dir=Path(tmp),
            database_url=database_url,
            backend_port=18100,
            actions_port=18155,
            rasa_port=18105,
        )
        with Stack(config) as stack:
            pids = stack.pids()
            idle = {name: rss_mib(pid) for name, pid in pids.items()}
            url = f"{config.rasa_url}/webhooks/rest/webhook"
            asyncio.run(drive(url, 5, 1))  # warm-up, not measured
            latencies, filed, elapsed = asyncio.run(
                drive(url, args.conversations, args.concurrency)
            )
            loaded = {name: rss_mib(pid) for name, pid in pids.items()}

    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(
        f"complaint conversation over REST: {args.conversations} conversations"
        f" x {len(TURNS)} turns, "
        f"concurrency {args.concurrency}"
    )
    print(f"  complaints filed      {filed}/{args.conversations}")
    print(
        f"  turn latency          p50 {statistics.median(ms):.1f} ms   p95 {p95:.1f} ms   "
        f"max {ms[-1]:.1f} ms"
    )
    print(f"  throughput            {len(ms) / elapsed:.1f} turns/s ({elapsed:.1f} s)")
    print("  resident memory (MiB) idle -> after run")
    for name in pids:
        print(f"    {name:<8} {idle[name]:8.1f} -> {loaded[name]:8.1f}")


if __name__ == "__main__":
    main()
