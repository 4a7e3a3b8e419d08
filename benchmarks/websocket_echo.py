"""WebSocket echo benchmark: text messages per second through uvicorn.

    python -m benchmarks.websocket_echo            # microasgi and starlette, 3 rounds
    python -m benchmarks.websocket_echo --quick

Each framework serves ``/ws``, an endpoint that sends every text message back,
with uvicorn on core 0. A client built on the ``websockets`` library runs on
core 1 with several connections, each sending a message and waiting for its
echo, until the time or message budget runs out. Every echo is compared with
what was sent; a wrong one stops the run. A framework without WebSocket support
is skipped with a message saying so.

The server's CPU time is read from ``/proc/PID/stat``. On two cores the
Python client is often the bottleneck, so besides echoes/s the report gives
echoes per second of server CPU: the server's own cost per message.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from websockets.asyncio.client import connect

from . import report
from .apps import EXTRAS, FrameworkUnavailableError, load_extras
from .server import CLIENT_CORE, HOST, cpu_seconds, uvicorn

PADDING = "x" * 48
T = TypeVar("T")


class EchoMismatchError(RuntimeError):
    """The server sent back something other than what it was sent."""


async def one_connection(url: str, deadline: float, budget: int, tag: int) -> int:
    """Ping-pong on one connection until the deadline; the number of echoes."""
    count = 0
    async with connect(url) as websocket:
        while count < budget and time.monotonic() < deadline:
            text = f"{tag}:{count}:{PADDING}"
            await websocket.send(text)
            reply = await websocket.recv()
            if reply != text:
                raise EchoMismatchError(f"sent {text!r}, got {reply!r}")
            count += 1
    return count


async def load(port: int, args: argparse.Namespace, seconds: float) -> float:
    """Messages per second over all connections."""
    url = f"ws://{HOST}:{port}/ws"
    budget = args.max_messages // args.connections
    start = time.monotonic()
    deadline = start + seconds
    counts = await asyncio.gather(
        *(one_connection(url, deadline, budget, tag) for tag in range(args.connections))
    )
    return sum(counts) / (time.monotonic() - start)


def run_client(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the client on uvloop when it is installed: a faster client skews less."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def measure(name: str, args: argparse.Namespace) -> tuple[float, float]:
    """Echoes per second, and the share of one core the server used meanwhile."""
    with uvicorn(f"{EXTRAS[name]}:create_websocket_app", "--factory") as (port, pid):
        run_client(load(port, args, seconds=1.0))  # warm-up, discarded
        cpu_before, start = cpu_seconds(pid), time.monotonic()
        rate = run_client(load(port, args, args.duration))
        busy = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - start)
    print(f"  {name} (pid {pid}): {rate:,.0f} echoes/s, server CPU {busy:.0%}")
    return rate, busy


def available(names: list[str]) -> list[str]:
    chosen = []
    for name in names:
        try:
            load_extras(name, "websocket")
        except FrameworkUnavailableError as exc:
            print(f"skipping {exc}")
            continue
        chosen.append(name)
    return chosen


def summarize(samples: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    """Medians over rounds, and a table of them printed."""
    results = {
        name: {
            "echoes_per_second": statistics.median(rate for rate, _ in runs),
            "server_cpu": statistics.median(busy for _, busy in runs),
            "echoes_per_cpu_second": statistics.median(
                rate / busy for rate, busy in runs
            ),
        }
        for name, runs in samples.items()
    }
    rows = [
        [name, f"{r['echoes_per_second']:,.0f}", f"{r['server_cpu']:.0%}",
         f"{r['echoes_per_cpu_second']:,.0f}"]
        for name, r in results.items()
    ]  # fmt: skip
    headers = ["framework", "echoes/s", "server CPU", "echoes per server CPU-s"]
    print(report.table(headers, rows))
    print(
        "Server CPU well under 100% means the client was the limit; then compare\n"
        "echoes per server CPU-second, the server's own cost per message."
    )
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", default=",".join(EXTRAS))
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-messages", type=int, default=500_000, help="per run")
    parser.add_argument("--quick", action="store_true", help="one short round")
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds = 1.0, 1
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report.warn_if_busy()
    frameworks = available(args.frameworks.split(","))
    if not frameworks:
        raise SystemExit("no framework to measure")
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > CLIENT_CORE:
        os.sched_setaffinity(0, {CLIENT_CORE})  # the client; servers pin to core 0
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in frameworks}
    for _ in range(args.rounds):
        for name in frameworks:
            samples[name].append(measure(name, args))
    results = summarize(samples)
    if args.json:
        environment = report.environment([*frameworks, "uvicorn"])
        data = {"environment": environment, "settings": vars(args), "results": results}
        report.write_json(args.json, data)


if __name__ == "__main__":
    main()
