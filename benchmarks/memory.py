"""RSS growth over many in-process requests, one fresh process per framework.

Each child process builds the framework's apps, checks every scenario once,
warms up, then cycles through all scenarios for the requested number of calls.
Resident memory is read from ``/proc/self/statm`` (Linux) before and after,
each time after a full garbage collection. Steady growth points to a leak;
a few hundred KiB is allocator noise.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import report
from .apps import load
from .apps.common import Message
from .harness import Lifespan, body_message, build_scope, validate
from .scenarios import SCENARIOS

REPO_ROOT = Path(__file__).resolve().parent.parent
WARMUP_REQUESTS = 1_000


def rss_bytes() -> int:
    """Resident set size of this process, from the second field of statm."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


async def prepared_calls(framework: str) -> list[tuple[Any, dict[str, Any], Message]]:
    """Every scenario's app (started and validated), scope and body message."""
    module = load(framework)
    scenarios = list(SCENARIOS.values())
    keys = dict.fromkeys(scenario.app_key for scenario in scenarios)
    apps = {key: module.create_app(*key) for key in keys}
    for app in apps.values():
        await Lifespan(app).startup()
    for scenario in scenarios:
        await validate(framework, apps[scenario.app_key], scenario)
    return [
        (apps[scenario.app_key], build_scope(scenario), body_message(scenario))
        for scenario in scenarios
    ]


async def cycle(calls: list[tuple[Any, dict[str, Any], Message]], count: int) -> None:
    """``count`` requests, taking the prepared calls in turn."""

    async def send(message: Message) -> None:
        pass

    for index in range(count):
        app, scope, message = calls[index % len(calls)]

        async def receive(message: Message = message) -> Message:
            return message

        await app(scope.copy(), receive, send)


async def child(framework: str, requests: int) -> None:
    """Run in the child process: measure and print one JSON line."""
    calls = await prepared_calls(framework)
    await cycle(calls, WARMUP_REQUESTS)
    gc.collect()
    before = rss_bytes()
    await cycle(calls, requests)
    gc.collect()
    after = rss_bytes()
    result = {"framework": framework, "requests": requests}
    print(json.dumps({**result, "rss_before": before, "rss_after": after}))


def run_child(framework: str, requests: int) -> dict[str, Any]:
    arguments = ["--memory-child", framework, "--requests", str(requests)]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.inprocess", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"memory run for {framework} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(frameworks: list[str], requests: int) -> list[dict[str, Any]]:
    """Measure each framework in its own process and print a table."""
    results = [run_child(framework, requests) for framework in frameworks]
    raw = next((r["rss_before"] for r in results if r["framework"] == "raw"), None)
    rows = [
        [
            result["framework"],
            f"{result['rss_before'] / 2**20:.1f}",
            "" if raw is None else f"{(result['rss_before'] - raw) / 2**20:+.1f}",
            f"{result['rss_after'] / 2**20:.1f}",
            f"{(result['rss_after'] - result['rss_before']) / 2**10:+,.0f}",
        ]
        for result in results
    ]
    print(
        f"RSS over {requests:,} requests (all scenarios in turn, after "
        f"{WARMUP_REQUESTS:,} warm-up requests)"
    )
    headers = [
        "framework",
        "RSS before (MiB)",
        "over raw (MiB)",
        "RSS after (MiB)",
        "growth (KiB)",
    ]
    print(report.table(headers, rows))
    return results
