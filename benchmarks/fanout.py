"""Fan-out benchmark: 1,000 WebSocket subscribers on 2 workers, one Redis.

    python -m benchmarks.fanout                # hub, broadcaster and none in turn
    python -m benchmarks.fanout --quick        # few subscribers, short phases
    python -m benchmarks.fanout --backends hub --subscribers 200 --rate 50

One run starts a throwaway ``redis-server`` (or uses ``--redis URL``). For each
backend in turn, two uvicorn processes of one worker each serve
``benchmarks/apps/fanout_app.py`` on two ports, sharing that Redis: the same
as ``--workers 2``, with the subscribers split exactly in half. One asyncio
client process (the ``websockets`` library, on uvloop) plays the subscribers
and a second one the publisher, so that keeping the pace never competes with
reading. The client:

1. connects one subscriber to each worker and sends warm-up messages through,
   then reads each worker's resident memory (``VmRSS``);
2. connects the other subscribers, alternating between the workers, waits a
   second and reads the memory again: the growth divided by the number of
   subscribers is the **RSS per idle subscriber**;
3. ``steady``: publishes at ``--rate`` messages/s for ``--duration`` seconds
   through one ``/publish`` WebSocket on the first worker, every message to
   every subscriber; then waits (at most ``--drain`` s) for the last ones;
4. ``flood``: the same at ``--flood-rate``, more than a worker can deliver.

Each message carries its sequence number and the moment it was sent, so every
delivery gives a **publish-to-receive latency** (p50, p99) and is checked for
order. **Delivered/s** is the number of deliveries over the time from the first
publish to the last delivery. Gaps (messages a backend reports as lost) and
missing messages are counted too: a backend that delivers fewer, or out of
order, must not look fast. The ``none`` backend accepts subscribers and
delivers nothing: the cost of the idle WebSocket itself, without pub/sub.
With ``--rounds N`` every figure is the median of N runs, in rotated order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from . import report
from .server import HOST, cpu_seconds, redis_server, uvicorn
from .websocket_echo import run_client

APP = "benchmarks.apps.fanout_app:create_app"
BACKENDS = ["hub", "broadcaster", "none"]
PADDING = "x" * 64
CONNECT_BATCH = 50  # connections opened at once: stays far below the listen backlog


@dataclass
class Tally:
    """What the subscribers received of one phase's messages."""

    received: int = 0
    gaps: int = 0
    disorder: int = 0
    latencies: list[float] = field(default_factory=list)
    last_receive: float = 0.0


@dataclass
class Tallies:
    """Tallies by phase name, and the phase now running (charged with gaps)."""

    current: str = "warmup"
    by_phase: defaultdict[str, Tally] = field(
        default_factory=lambda: defaultdict(Tally)
    )


@dataclass
class Phase:
    """One phase's outcome, as reported."""

    name: str
    published: int
    expected: int
    received: int
    gaps: int
    disorder: int
    delivered_per_second: float
    p50_ms: float
    p99_ms: float
    published_per_second: float  # the pace the publisher kept
    server_cpu: float  # the workers' mean share of one core
    client_cpu: float  # this process's share of one core
    deliveries_per_cpu_second: float | None  # None: too little CPU time to tell


def rss_kib(pid: int) -> int:
    """A process's resident memory now, in KiB, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


async def subscribe(url: str, deflate: bool) -> tuple[ClientConnection, int]:
    """Connect one subscriber; return it with the PID of the worker it reached.

    Like a browser, it asks for permessage-deflate unless ``deflate`` is False.
    """
    compression = "deflate" if deflate else None
    websocket = await connect(url, max_size=2**16, compression=compression)
    hello = json.loads(await asyncio.wait_for(websocket.recv(), timeout=30))
    return websocket, int(hello["pid"])


async def subscribe_many(
    urls: list[str], deflate: bool
) -> list[tuple[ClientConnection, int]]:
    connected = []
    for start in range(0, len(urls), CONNECT_BATCH):
        batch = urls[start : start + CONNECT_BATCH]
        connected += await asyncio.gather(*(subscribe(url, deflate) for url in batch))
    return connected


async def listen(websocket: ClientConnection, tallies: Tallies) -> None:
    """Tally every message this subscriber receives, by phase."""
    last: dict[str, int] = {}
    try:
        async for text in websocket:
            now = time.monotonic()
            assert isinstance(text, str)
            if text.startswith("GAP"):
                tallies.by_phase[tallies.current].gaps += 1
                continue
            phase, sequence, sent, _ = text.split(" ", 3)
            tally = tallies.by_phase[phase]
            if int(sequence) <= last.get(phase, -1):
                tally.disorder += 1
            last[phase] = int(sequence)
            tally.received += 1
            tally.latencies.append(now - float(sent))
            tally.last_receive = now
    except ConnectionClosed:
        pass


async def publish(url: str, phase: str, rate: float, count: int) -> tuple[float, float]:
    """Publish ``count`` messages at ``rate`` per second; return when publishing
    started and when it ended."""
    async with connect(url) as websocket:
        start = time.monotonic()
        for sequence in range(count):
            delay = start + sequence / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await websocket.send(f"{phase} {sequence} {time.monotonic()!r} {PADDING}")
        return start, time.monotonic()


def publish_here(url: str, phase: str, rate: float, count: int) -> tuple[float, float]:
    """``publish`` in the publisher process, so that keeping the pace never
    competes with the subscribers' reading (both read one monotonic clock)."""
    return asyncio.run(publish(url, phase, rate, count))


@dataclass
class Workers:
    """The two server processes under test, and the publisher process."""

    ports: list[int]
    pids: list[int]
    publisher: ProcessPoolExecutor


async def run_phase(
    name: str,
    rate: float,
    args: argparse.Namespace,
    workers: Workers,
    tallies: Tallies,
    subscribers: int,
) -> Phase:
    count = max(1, round(rate * args.duration))
    expected = count * subscribers
    tallies.current = name
    tally = tallies.by_phase[name]
    cpu_before = sum(cpu_seconds(pid) for pid in workers.pids)
    client_before = time.process_time()
    url = f"ws://{HOST}:{workers.ports[0]}/publish"
    start, finished = await asyncio.get_running_loop().run_in_executor(
        workers.publisher, publish_here, url, name, rate, count
    )
    deadline = time.monotonic() + args.drain
    while tally.received + tally.gaps < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    elapsed = max(tally.last_receive - start, 1e-9)
    worker_seconds = sum(cpu_seconds(pid) for pid in workers.pids) - cpu_before
    client_cpu = (time.process_time() - client_before) / elapsed
    # /proc counts CPU time in clock ticks (10 ms): too coarse for short phases.
    per_cpu_second = tally.received / worker_seconds if worker_seconds > 0.5 else None
    quantiles = statistics.quantiles(tally.latencies or [0.0, 0.0], n=100)
    return Phase(
        name, count, expected, tally.received, tally.gaps, tally.disorder,
        tally.received / elapsed, quantiles[49] * 1000, quantiles[98] * 1000,
        count / max(finished - start, 1e-9),
        worker_seconds / elapsed / len(workers.pids), client_cpu, per_cpu_second,
    )  # fmt: skip


async def drive(
    backend: str, workers: Workers, args: argparse.Namespace
) -> dict[str, Any]:
    """Connect the subscribers, measure memory, run the phases, disconnect."""
    urls = [f"ws://{HOST}:{port}/subscribe" for port in workers.ports]
    tallies = Tallies()
    connected = await subscribe_many(urls, args.deflate)  # one per worker
    listeners = [asyncio.create_task(listen(ws, tallies)) for ws, _ in connected]
    phases: list[Phase] = []
    if backend != "none":
        await run_phase("warmup", 50, args, workers, tallies, len(connected))
    rss_before = sum(rss_kib(pid) for pid in workers.pids)
    rest = [urls[index % len(urls)] for index in range(args.subscribers - len(urls))]
    more = await subscribe_many(rest, args.deflate)
    listeners += [asyncio.create_task(listen(ws, tallies)) for ws, _ in more]
    connected += more
    await asyncio.sleep(1.0)
    rss_after = sum(rss_kib(pid) for pid in workers.pids)
    if backend != "none":
        for name, rate in [("steady", args.rate), ("flood", args.flood_rate)]:
            phases.append(
                await run_phase(name, rate, args, workers, tallies, len(connected))
            )
    await asyncio.gather(*(ws.close() for ws, _ in connected))
    await asyncio.gather(*listeners)
    return {
        "subscribers_per_worker": dict(Counter(pid for _, pid in connected)),
        "rss_per_idle_subscriber_kib": (rss_after - rss_before) / len(more),
        "phases": [vars(phase) for phase in phases],
    }


def measure(
    backend: str,
    redis_url: str,
    publisher: ProcessPoolExecutor,
    args: argparse.Namespace,
) -> dict[str, Any]:
    env = {"FANOUT_BACKEND": backend, "FANOUT_REDIS": redis_url}
    options = ["--factory", "--ws", args.ws]
    with (
        uvicorn(APP, *options, core=None, env=env) as (port_a, pid_a),
        uvicorn(APP, *options, core=None, env=env) as (port_b, pid_b),
    ):
        workers = Workers([port_a, port_b], [pid_a, pid_b], publisher)
        result = run_client(drive(backend, workers, args))
    spread = " + ".join(str(n) for n in result["subscribers_per_worker"].values())
    print(
        f"  {backend}: {spread} subscribers, "
        f"{result['rss_per_idle_subscriber_kib']:.1f} KiB RSS per idle subscriber"
    )
    return result


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result whose every figure is the median of the rounds' figures."""

    def median_of(values: list[Any]) -> Any:
        if all(isinstance(value, int) for value in values):
            return statistics.median_low(values)  # counts stay whole
        if all(isinstance(value, (int, float)) for value in values):
            return statistics.median(values)
        return values[0]  # names, and figures missing in some round

    phases = [
        {key: median_of([phase[key] for phase in same]) for key in same[0]}
        for same in zip(*(run["phases"] for run in runs), strict=True)
    ]
    return {
        "subscribers_per_worker": runs[0]["subscribers_per_worker"],
        "rss_per_idle_subscriber_kib": statistics.median(
            run["rss_per_idle_subscriber_kib"] for run in runs
        ),
        "phases": phases,
        "rounds": len(runs),
    }


def figure(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def summarize(results: dict[str, dict[str, Any]]) -> None:
    rows = []
    for backend, result in results.items():
        for phase in result["phases"]:
            rows.append([
                backend, phase["name"], f"{phase['published_per_second']:,.0f}",
                f"{phase['delivered_per_second']:,.0f}",
                f"{phase['p50_ms']:.1f}", f"{phase['p99_ms']:.1f}",
                f"{phase['received']:,}/{phase['expected']:,}", str(phase["gaps"]),
                str(phase["disorder"]), f"{phase['server_cpu']:.0%}",
                figure(phase["deliveries_per_cpu_second"]),
                f"{phase['client_cpu']:.0%}",
            ])  # fmt: skip
    headers = ["backend", "phase", "published/s", "delivered/s", "p50 ms",
               "p99 ms", "received", "gaps", "out of order", "worker CPU",
               "per worker CPU-s", "client CPU"]  # fmt: skip
    print(report.table(headers, rows))
    print(
        "Client CPU near 100% means the client was the limit; then compare\n"
        "deliveries per worker CPU-second, the workers' own cost per message."
    )
    baseline = results.get("none", {}).get("rss_per_idle_subscriber_kib")
    memory = [
        [
            backend,
            f"{result['rss_per_idle_subscriber_kib']:.1f}",
            ""
            if baseline is None
            else f"{result['rss_per_idle_subscriber_kib'] - baseline:.1f}",
        ]
        for backend, result in results.items()
    ]
    headers = ["backend", "KiB RSS per idle subscriber", "KiB over none"]
    print(report.table(headers, memory))
    print(
        "'none' is the idle WebSocket alone (server and framework, no pub/sub);\n"
        "'KiB over none' is what the pub/sub itself adds per subscriber."
    )
    if {"hub", "broadcaster"} <= results.keys():
        compare(results["hub"], results["broadcaster"])


def compare(hub: dict[str, Any], broadcaster: dict[str, Any]) -> None:
    """Print the hub's figures against broadcaster's, phase by phase."""
    for ours, theirs in zip(hub["phases"], broadcaster["phases"], strict=True):
        ratio = ours["delivered_per_second"] / max(theirs["delivered_per_second"], 1e-9)
        ours_cost, theirs_cost = (
            ours["deliveries_per_cpu_second"],
            theirs["deliveries_per_cpu_second"],
        )
        cost = (
            "-"
            if not (ours_cost and theirs_cost)
            else f"{ours_cost / theirs_cost:.2f}x"
        )
        print(
            f"{ours['name']}: hub delivers {ratio:.2f}x broadcaster's messages/s "
            f"({cost} per worker CPU-second); "
            f"p99 {ours['p99_ms']:.1f} ms vs {theirs['p99_ms']:.1f} ms"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--subscribers", type=int, help="1,000 (20 with --quick)")
    parser.add_argument("--rate", type=float, default=20.0, help="steady messages/s")
    parser.add_argument("--flood-rate", type=float, default=200.0, help="messages/s")
    parser.add_argument("--duration", type=float, default=5.0, help="s per phase")
    parser.add_argument("--drain", type=float, default=10.0, help="s to wait after")
    parser.add_argument("--redis", metavar="URL", help="use this Redis, not a new one")
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn --ws")
    parser.add_argument(
        "--no-deflate", dest="deflate", action="store_false",
        help="subscribers do not ask for permessage-deflate compression",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=1, help="medians over rounds")
    parser.add_argument("--quick", action="store_true", help="small and short")
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.drain = 0.5, 5.0
    if args.subscribers is None:
        args.subscribers = 20 if args.quick else 1000
    if args.subscribers < 4:
        parser.error("--subscribers must be at least 4")
    return args


def run_backends(redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every backend, ``--rounds`` times in rotated order; medians per backend."""
    backends = args.backends.split(",")
    for backend in backends:
        if backend not in BACKENDS:
            raise SystemExit(f"unknown backend {backend!r}; use {', '.join(BACKENDS)}")
    runs: dict[str, list[dict[str, Any]]] = {backend: [] for backend in backends}
    with ProcessPoolExecutor(max_workers=1) as publisher:
        for round_ in range(args.rounds):
            shift = round_ % len(backends)
            for backend in backends[shift:] + backends[:shift]:
                runs[backend].append(measure(backend, redis_url, publisher, args))
    return {backend: median_run(results) for backend, results in runs.items()}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report.warn_if_busy()
    if args.redis:
        results = run_backends(args.redis, args)
    else:
        with redis_server() as redis_url:
            results = run_backends(redis_url, args)
    summarize(results)
    if args.json:
        environment = report.environment(
            ["microasgi", "uvicorn", "broadcaster", "redis"]
        )
        data = {"environment": environment, "settings": vars(args), "results": results}
        report.write_json(args.json, data)


if __name__ == "__main__":
    main()
