"""Static files under granian: what ``http.response.pathsend`` is worth.

    python -m benchmarks.static_files                 # 1 and 100 MiB, 3 rounds of 5 s
    python -m benchmarks.static_files --quick         # 1 round of 1 s
    python -m benchmarks.static_files --sizes 1 --frameworks raw,microasgi

granian (one worker) serves each app of ``benchmarks/apps/static_apps.py`` in
turn on core 0; this process downloads the same file over keep-alive
connections on core 1, a thread per connection reading into one buffer, so the
client copies nothing it does not need to. Every app's answer is checked
(status, length, SHA-256) before it is measured. Results are the medians over
rounds of downloads per second and MiB/s, with the ratio to the raw app's.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import report
from .server import (
    CLIENT_CORE,
    HOST,
    REPO_ROOT,
    SERVER_CORE,
    free_port,
    pinned,
    wait_until_serving,
)
from .server import stop as stop_server

CONTENDERS = ["raw", "microasgi", "microasgi_streamed", "starlette"]
MIB = 1024 * 1024


@contextlib.contextmanager
def granian(app: str, directory: Path) -> Iterator[int]:
    """Serve ``benchmarks.apps.static_apps:<app>`` with granian; yields the port."""
    port = free_port()
    command = [
        sys.executable, "-m", "granian", "--interface", "asgi",
        "--host", HOST, "--port", str(port), "--workers", "1",
        "--no-access-log", "--log-level", "warning",
        f"benchmarks.apps.static_apps:{app}",
    ]  # fmt: skip
    env = {**os.environ, "STATIC_DIR": str(directory)}
    process = subprocess.Popen(pinned(command, SERVER_CORE), cwd=REPO_ROOT, env=env)
    try:
        wait_until_serving(process, port)
        yield port
    finally:
        stop_server(process)


def check_answer(app: str, port: int, name: str, digest: str, size: int) -> None:
    """One real download; stop the run if the file came back wrong."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", f"/static/{name}")
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200 or len(body) != size:
        raise SystemExit(
            f"VALIDATION FAILED: {app} answered {response.status} "
            f"with {len(body)} bytes, expected 200 with {size}"
        )
    if hashlib.sha256(body).hexdigest() != digest:
        raise SystemExit(f"VALIDATION FAILED: {app} sent other bytes than the file")


def download_loop(
    port: int, name: str, size: int, until: float, done: list[int]
) -> None:
    """Download the file again and again on one connection until ``until``."""
    request = f"GET /static/{name} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    buffer = memoryview(bytearray(MIB))
    with socket.create_connection((HOST, port), timeout=30) as sock:
        while time.monotonic() < until:
            sock.sendall(request)
            head = b""
            while b"\r\n\r\n" not in head:
                more = sock.recv(65536)
                if not more:
                    raise ConnectionError("the server closed the connection")
                head += more
            header, _, early_body = head.partition(b"\r\n\r\n")
            if b" 200 " not in header.split(b"\r\n", 1)[0]:
                raise RuntimeError(f"unexpected answer: {header[:80]!r}")
            remaining = size - len(early_body)
            while remaining > 0:
                received = sock.recv_into(buffer, min(MIB, remaining))
                if not received:
                    raise ConnectionError("the server closed mid-body")
                remaining -= received
            done.append(1)


def measure(port: int, name: str, size: int, seconds: float, connections: int) -> float:
    """Downloads per second with ``connections`` parallel keep-alive clients."""
    until = time.monotonic() + seconds
    done: list[int] = []
    errors: list[BaseException] = []

    def download() -> None:
        try:
            download_loop(port, name, size, until, done)
        except Exception as exc:  # reported below: a failed client voids the run
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=download) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    if errors:
        raise SystemExit(f"DOWNLOAD FAILED: {errors[0]!r}")
    return len(done) / (time.perf_counter() - started)


def run(args: argparse.Namespace, directory: Path) -> list[dict[str, Any]]:
    files = {}
    for mebibytes in args.sizes:
        name = f"file-{mebibytes}mib.bin"
        data = os.urandom(mebibytes * MIB)
        (directory / name).write_bytes(data)
        files[name] = (mebibytes * MIB, hashlib.sha256(data).hexdigest())
        del data
    rates: dict[tuple[str, str], list[float]] = {}
    for index in range(args.rounds):
        shift = index % len(args.frameworks)  # rotate the order, round by round
        for app in args.frameworks[shift:] + args.frameworks[:shift]:
            with granian(app, directory) as port:
                for name, (size, digest) in files.items():
                    check_answer(app, port, name, digest, size)
                    measure(port, name, size, args.warmup, args.connections)
                    rate = measure(port, name, size, args.duration, args.connections)
                    rates.setdefault((app, name), []).append(rate)
                    print(f"  {app} {name}: {rate:,.1f} downloads/s", flush=True)
    results = []
    for name, (size, _) in files.items():
        raw_rate = (
            statistics.median(rates["raw", name]) if "raw" in args.frameworks else 0
        )
        for app in args.frameworks:
            rate = statistics.median(rates[app, name])
            results.append(
                {
                    "file": name,
                    "framework": app,
                    "downloads_per_second": rate,
                    "mib_per_second": rate * size / MIB,
                    "ratio_to_raw": rate / raw_rate if raw_rate else None,
                }
            )
    return results


def render(results: list[dict[str, Any]]) -> str:
    rows = [
        [
            r["file"],
            r["framework"],
            f"{r['downloads_per_second']:,.1f}",
            f"{r['mib_per_second']:,.0f}",
            "-" if r["ratio_to_raw"] is None else f"{r['ratio_to_raw']:.2f}",
        ]
        for r in results
    ]
    headers = ["file", "app", "downloads/s", "MiB/s", "vs raw"]
    return report.table(headers, rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--frameworks",
        default=",".join(CONTENDERS),
        help=f"comma-separated, from {','.join(CONTENDERS)}",
    )
    parser.add_argument(
        "--sizes", default="1,100", help="file sizes in MiB, comma-separated"
    )
    parser.add_argument("--duration", type=float, default=5, help="seconds each")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=4, help="parallel clients")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians shown")
    parser.add_argument("--quick", action="store_true", help="1 s each, no warm-up")
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)
    args.frameworks = args.frameworks.split(",")
    unknown = set(args.frameworks) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown apps {sorted(unknown)}; choose from {CONTENDERS}")
    args.sizes = [int(size) for size in args.sizes.split(",")]
    if args.quick:
        args.duration, args.warmup, args.rounds = 1, 0, 1
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report.warn_if_busy()
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {CLIENT_CORE})  # the client's core; the server's is 0
    with tempfile.TemporaryDirectory() as directory:
        results = run(args, Path(directory))
    print(render(results))
    if args.json:
        keys = ("duration", "connections", "rounds")
        settings = {key: getattr(args, key) for key in keys}
        report.write_json(
            args.json,
            {
                "environment": report.environment([*args.frameworks, "granian"]),
                "settings": settings,
                "results": results,
            },
        )


if __name__ == "__main__":
    main()
