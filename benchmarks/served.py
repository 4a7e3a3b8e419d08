"""Served benchmark: each framework behind uvicorn, loaded by ``wrk`` over loopback.

    python -m benchmarks.served                       # plaintext and json, 3 rounds
    python -m benchmarks.served --quick               # one short round
    python -m benchmarks.served --scenarios plaintext,json,param,echo --duration 10

uvicorn (uvloop + httptools, one worker) runs on core 0, ``wrk`` on core 1,
both on 127.0.0.1. Each round starts every framework's server in turn, checks
each scenario's answer once, warms up, measures, and stops the server by PID.
The median over rounds of requests/s and of the p50 and p99 latencies is
reported, with the ratio of requests/s to the raw ASGI app's.
"""

from __future__ import annotations

import argparse
import http.client
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from . import report
from .apps import FRAMEWORKS
from .inprocess import choose_frameworks
from .scenarios import Scenario, select
from .server import CLIENT_CORE, HOST, pinned, uvicorn

SERVED_SCENARIOS = ("plaintext", "json", "param", "echo")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def check_answer(framework: str, port: int, scenario: Scenario) -> None:
    """One real request; stop the run if the answer is wrong."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    headers = {name.decode(): value.decode() for name, value in scenario.headers}
    connection.request(scenario.method, scenario.path, scenario.body or None, headers)
    response = connection.getresponse()
    problems = scenario.problems(
        response.status, response.getheader("content-type"), response.read()
    )
    connection.close()
    if problems:
        raise SystemExit(
            f"VALIDATION FAILED: {framework} served {scenario.name} wrongly: "
            + "; ".join(problems)
        )


def wrk_script(scenario: Scenario, directory: Path) -> list[str]:
    """A Lua script for wrk when the request has a method or body other than GET."""
    if scenario.method == "GET":
        return []
    lines = [
        f'wrk.method = "{scenario.method}"',
        f"wrk.body = [[{scenario.body.decode()}]]",
    ]
    for name, value in scenario.headers:
        if name != b"content-length":  # wrk sets it from the body
            lines.append(f'wrk.headers["{name.decode()}"] = "{value.decode()}"')
    script = directory / f"{scenario.name}.lua"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["-s", str(script)]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s and p50/p99 latency (ms) from ``wrk --latency`` output."""
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        raise SystemExit(
            f"VALIDATION FAILED: {match.group(1)} error responses:\n{output}"
        )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    latencies = {}
    for percent in ("50", "99"):
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if found is None:
            raise RuntimeError(f"no {percent}% latency in wrk's output:\n{output}")
        latencies[f"p{percent}_ms"] = float(found.group(1)) * UNITS[found.group(2)]
    errors = re.search(r"Socket errors: (.*)", output)
    error_count = 0 if errors is None else sum(map(int, re.findall(r"\d+", errors[1])))
    return {
        "requests_per_second": float(rate.group(1)),
        **latencies,
        "socket_errors": error_count,
    }


def run_wrk(
    port: int,
    scenario: Scenario,
    seconds: int,
    args: argparse.Namespace,
    script: list[str],
) -> dict[str, float]:
    command = [
        "wrk", "-t1", f"-c{args.connections}", f"-d{seconds}s", "--latency", *script,
        f"http://{HOST}:{port}{scenario.path}",
    ]  # fmt: skip
    done = subprocess.run(
        pinned(command, CLIENT_CORE),
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    return parse_wrk(done.stdout)


def one_round(
    frameworks: list[str],
    scenarios: list[Scenario],
    args: argparse.Namespace,
    scripts: dict[str, list[str]],
    shift: int,
) -> dict[tuple[str, str], Any]:
    measured = {}
    for framework in frameworks[shift:] + frameworks[:shift]:
        with uvicorn(f"{FRAMEWORKS[framework]}:app") as (port, pid):
            for scenario in scenarios:
                check_answer(framework, port, scenario)
                run_wrk(port, scenario, args.warmup, args, scripts[scenario.name])
                result = run_wrk(
                    port, scenario, args.duration, args, scripts[scenario.name]
                )
                measured[framework, scenario.name] = result
                print(
                    f"  {framework} {scenario.name} (pid {pid}): "
                    f"{result['requests_per_second']:,.0f} req/s",
                    flush=True,
                )
    return measured


def summarize(
    rounds: list[dict[tuple[str, str], Any]],
    frameworks: list[str],
    scenarios: list[Scenario],
) -> list[dict[str, Any]]:
    results = []
    for scenario in scenarios:
        raw_rate = statistics.median(
            r["raw", scenario.name]["requests_per_second"] for r in rounds
        )
        for framework in frameworks:
            runs = [r[framework, scenario.name] for r in rounds]
            summary = {
                key: statistics.median(run[key] for run in runs) for key in runs[0]
            }
            summary["ratio_to_raw"] = summary["requests_per_second"] / raw_rate
            results.append(
                {"scenario": scenario.name, "framework": framework, **summary}
            )
    return results


def render(results: list[dict[str, Any]]) -> str:
    rows = [
        [
            r["scenario"],
            r["framework"],
            f"{r['requests_per_second']:,.0f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            f"{r['ratio_to_raw']:.2f}",
        ]
        for r in results
    ]
    return report.table(
        ["scenario", "framework", "req/s", "p50 ms", "p99 ms", "vs raw"], rows
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--frameworks", help=f"comma-separated, from {','.join(FRAMEWORKS)}"
    )
    parser.add_argument(
        "--scenarios",
        default="plaintext,json",
        help=f"comma-separated, from {','.join(SERVED_SCENARIOS)}",
    )
    add_load_options(parser)
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    return parse_load_options(parser, argv)


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """The options every wrk-driven benchmark takes."""
    parser.add_argument(
        "--duration", type=int, default=5, help="seconds per measurement"
    )
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--quick", action="store_true", help="one short round")


def parse_load_options(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 1, 1, 1
    return args


def prepare_machine() -> None:
    """Warn if the machine is busy; stop if wrk is missing."""
    report.warn_if_busy()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed; on Debian: apt-get install -y wrk")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    prepare_machine()
    scenarios = select(args.scenarios)
    unsupported = [s.name for s in scenarios if s.name not in SERVED_SCENARIOS]
    if unsupported:
        raise SystemExit(f"not served scenarios: {', '.join(unsupported)}")
    frameworks = choose_frameworks(args.frameworks)
    with tempfile.TemporaryDirectory() as directory:
        scripts = {s.name: wrk_script(s, Path(directory)) for s in scenarios}
        rounds = [
            one_round(
                frameworks, scenarios, args, scripts, shift=index % len(frameworks)
            )
            for index in range(args.rounds)
        ]
    results = summarize(rounds, frameworks, scenarios)
    print(render(results))
    if args.json:
        settings = {
            key: getattr(args, key)
            for key in ("duration", "warmup", "rounds", "connections")
        }
        report.write_json(
            args.json,
            {
                "environment": report.environment([*frameworks, "uvicorn"]),
                "settings": settings,
                "results": results,
            },
        )


if __name__ == "__main__":
    main()
