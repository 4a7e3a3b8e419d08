"""In-process benchmark: each framework's app called directly, no server.

    python -m benchmarks.inprocess                  # every framework and scenario
    python -m benchmarks.inprocess --quick          # a smoke run that still validates
    python -m benchmarks.inprocess --frameworks raw,microasgi --scenarios plaintext
    python -m benchmarks.inprocess --import-time    # import cost of each framework
    python -m benchmarks.inprocess --memory         # RSS growth over 100k requests

Every scenario is first answered once and checked (status, content type, body);
a wrong answer stops the run. Then, for each repetition, the frameworks take
turns on the same scenario, and the median repetition is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from . import memory, report, startup
from .apps import FRAMEWORKS, FrameworkUnavailableError, load
from .apps.common import ASGIApp
from .harness import Lifespan, ValidationError, time_batch, validate
from .scenarios import Scenario, select


@dataclass
class Result:
    scenario: str
    framework: str
    requests_per_second: float
    microseconds_per_request: float
    ratio_to_raw: float = 0.0
    samples: list[float] = field(default_factory=list)


def choose_frameworks(names: str | None) -> list[str]:
    """The frameworks to run, raw first; unavailable ones skipped (fatal if named)."""
    wanted = list(FRAMEWORKS) if names is None else names.split(",")
    chosen = ["raw"]
    for name in (name.strip() for name in wanted):
        if name == "raw" or not name:
            continue
        try:
            load(name)
        except ValueError as exc:
            raise SystemExit(f"error: {exc}") from exc
        except FrameworkUnavailableError as exc:
            if names is not None:
                raise SystemExit(f"error: {exc}") from exc
            print(f"skipping {exc}", file=sys.stderr)
            continue
        chosen.append(name)
    return chosen


def build_apps(
    frameworks: list[str], scenarios: list[Scenario]
) -> dict[tuple[str, tuple[int, int]], ASGIApp]:
    """One app per framework and distinct (routes, middlewares) pair."""
    apps = {}
    for framework in frameworks:
        module = load(framework)
        for key in dict.fromkeys(scenario.app_key for scenario in scenarios):
            apps[framework, key] = module.create_app(*key)
    return apps


async def measure(args: argparse.Namespace, frameworks: list[str]) -> list[Result]:
    scenarios = select(args.scenarios)
    clock = time.thread_time if args.cpu_time else time.perf_counter
    apps = build_apps(frameworks, scenarios)
    lifespans = [Lifespan(app) for app in apps.values()]
    for lifespan in lifespans:
        await lifespan.startup()
    messages: dict[tuple[str, str], int] = {}
    for scenario in scenarios:
        for framework in frameworks:
            app = apps[framework, scenario.app_key]
            answer = await validate(framework, app, scenario)
            messages[framework, scenario.name] = answer.message_count
            warmup = max(args.iterations // 10, 10)
            await time_batch(app, scenario, warmup, answer.message_count)
    print(
        f"validated {len(scenarios)} scenarios x {len(frameworks)} frameworks",
        flush=True,
    )
    results = []
    for scenario in scenarios:
        samples: dict[str, list[float]] = {name: [] for name in frameworks}
        for repetition in range(args.repetitions):
            # Rotate the order each round so no framework always goes first.
            shift = repetition % len(frameworks)
            for framework in frameworks[shift:] + frameworks[:shift]:
                app = apps[framework, scenario.app_key]
                per_call = messages[framework, scenario.name]
                seconds = await time_batch(
                    app, scenario, args.iterations, per_call, clock
                )
                samples[framework].append(args.iterations / seconds)
        results.extend(summarize(scenario.name, samples))
        print(f"  measured {scenario.name}", flush=True)
    for lifespan in lifespans:
        await lifespan.shutdown()
    return results


def summarize(scenario: str, samples: dict[str, list[float]]) -> list[Result]:
    raw = statistics.median(samples["raw"])
    results = []
    for framework, rates in samples.items():
        median = statistics.median(rates)
        results.append(
            Result(scenario, framework, median, 1e6 / median, median / raw, rates)
        )
    return results


def render(results: list[Result]) -> str:
    raw = {
        r.scenario: r.microseconds_per_request for r in results if r.framework == "raw"
    }
    rows = [
        [
            r.scenario,
            r.framework,
            f"{r.requests_per_second:,.0f}",
            f"{r.microseconds_per_request:.1f}",
            f"{r.microseconds_per_request - raw[r.scenario]:+.1f}",
            f"{r.ratio_to_raw:.2f}",
        ]
        for r in results
    ]
    headers = ["scenario", "framework", "req/s", "µs/req", "µs over raw", "vs raw"]
    return report.table(headers, rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--frameworks", help=f"comma-separated, from {','.join(FRAMEWORKS)}"
    )
    parser.add_argument("--scenarios", help="comma-separated scenario names")
    parser.add_argument(
        "--iterations", type=int, default=10_000, help="calls per batch"
    )
    parser.add_argument(
        "--repetitions", type=int, default=5, help="batches per framework"
    )
    parser.add_argument(
        "--quick", action="store_true", help="few iterations (smoke test)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with the thread's CPU clock: steadier on a busy machine",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--import-time", action="store_true", help="time imports instead")
    mode.add_argument("--memory", action="store_true", help="RSS growth instead")
    mode.add_argument("--memory-child", metavar="FRAMEWORK", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=100_000, help="for --memory")
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations, args.repetitions, args.requests = 200, 2, 2_000
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report.warn_if_busy()
    if args.memory_child:
        asyncio.run(memory.child(args.memory_child, args.requests))
        return
    frameworks = choose_frameworks(args.frameworks)
    data: dict[str, Any] = {"environment": report.environment(frameworks)}
    if args.import_time:
        data["import_time"] = startup.run(frameworks, runs=3 if args.quick else 15)
    elif args.memory:
        data["memory"] = memory.run(frameworks, args.requests)
    else:
        try:
            results = asyncio.run(measure(args, frameworks))
        except ValidationError as exc:
            raise SystemExit(f"VALIDATION FAILED: {exc}") from exc
        print(render(results))
        data["settings"] = {
            "iterations": args.iterations,
            "repetitions": args.repetitions,
        }
        data["results"] = [asdict(result) for result in results]
    if args.json:
        report.write_json(args.json, data)


if __name__ == "__main__":
    main()
