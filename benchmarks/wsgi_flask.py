"""Served benchmark: one Flask app under microasgi's WSGIApp and under WSGI servers.

    python -m benchmarks.wsgi_flask                    # every server, 3 rounds of 5 s
    python -m benchmarks.wsgi_flask --quick            # one short round
    python -m benchmarks.wsgi_flask --servers mounted,gunicorn --duration 10

The same Flask hello-world (``GET /`` -> ``Hello, World!`` as text/plain) is
served by: ``mounted``, mounted at ``/`` in a microasgi App; ``wsgiapp``, the
bare ``WSGIApp``, both under uvicorn (uvloop + httptools, one worker);
``gunicorn`` (one worker, gthread); and ``waitress``. Every one runs the WSGI
app on 10 threads. As in ``served``, the server runs on core 0 and ``wrk`` on
core 1, on 127.0.0.1; each round checks the answer, warms up, measures and
stops the server by PID, in a rotated order. Reported: median requests/s and
p50/p99 latency over rounds, and requests/s relative to gunicorn's.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any

from flask import Flask, Response

from microasgi import App, WSGIApp

from . import report
from .apps.common import HELLO
from .scenarios import SCENARIOS
from .served import (
    add_load_options,
    check_answer,
    parse_load_options,
    prepare_machine,
    run_wrk,
)
from .server import HOST, REPO_ROOT, free_port, pinned, stop, wait_until_serving

THREADS = 10
MODULE = "benchmarks.wsgi_flask"
PLAINTEXT = SCENARIOS["plaintext"]
BASELINE = "gunicorn"


def create_flask_app() -> Flask:
    flask_app = Flask(__name__)

    @flask_app.get("/")
    def hello() -> Response:
        return Response(HELLO, mimetype="text/plain")

    return flask_app


def create_quiet_flask_app() -> Flask:
    """The Flask app, for waitress: without a warning per queued request."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return create_flask_app()


def create_mounted() -> App:
    """The Flask app mounted at the root of a microasgi App."""
    app = App()
    app.mount("/", WSGIApp(create_flask_app(), workers=THREADS))
    return app


def create_wsgiapp() -> WSGIApp:
    """The Flask app in a bare WSGIApp: the adapter without routing."""
    return WSGIApp(create_flask_app(), workers=THREADS)


def uvicorn_command(factory: str) -> Callable[[int], list[str]]:
    return lambda port: [
        sys.executable, "-m", "uvicorn", "--factory", f"{MODULE}:{factory}",
        "--host", HOST, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--workers", "1",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def gunicorn_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", f"{MODULE}:create_flask_app()",
        "--bind", f"{HOST}:{port}", "--workers", "1", "--threads", str(THREADS),
        "--log-level", "warning",
    ]  # fmt: skip


def waitress_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "waitress", "--host", HOST, "--port", str(port),
        "--threads", str(THREADS), "--call", f"{MODULE}:create_quiet_flask_app",
    ]  # fmt: skip


# name -> (module that must be installed, command for a port)
SERVERS: dict[str, tuple[str, Callable[[int], list[str]]]] = {
    "mounted": ("uvicorn", uvicorn_command("create_mounted")),
    "wsgiapp": ("uvicorn", uvicorn_command("create_wsgiapp")),
    "gunicorn": ("gunicorn", gunicorn_command),
    "waitress": ("waitress", waitress_command),
}


@contextlib.contextmanager
def serving(name: str) -> Iterator[tuple[int, int]]:
    """Start server ``name`` on core 0 and a free port; yields ``(port, pid)``."""
    port = free_port()
    command = SERVERS[name][1](port)
    process = subprocess.Popen(pinned(command, core=0), cwd=REPO_ROOT)
    try:
        wait_until_serving(process, port)
        yield port, process.pid
    finally:
        stop(process)


def one_round(
    servers: list[str], args: argparse.Namespace, shift: int
) -> dict[str, Any]:
    measured = {}
    for name in servers[shift:] + servers[:shift]:
        with serving(name) as (port, pid):
            check_answer(name, port, PLAINTEXT)
            run_wrk(port, PLAINTEXT, args.warmup, args, [])
            measured[name] = run_wrk(port, PLAINTEXT, args.duration, args, [])
            rate = measured[name]["requests_per_second"]
            print(f"  {name} (pid {pid}): {rate:,.0f} req/s", flush=True)
    return measured


def render(rounds: list[dict[str, Any]], servers: list[str]) -> str:
    medians = {
        name: {
            key: statistics.median(r[name][key] for r in rounds)
            for key in ("requests_per_second", "p50_ms", "p99_ms")
        }
        for name in servers
    }
    base = medians.get(BASELINE, {}).get("requests_per_second")
    rows = [
        [
            name,
            f"{m['requests_per_second']:,.0f}",
            f"{m['p50_ms']:.2f}",
            f"{m['p99_ms']:.2f}",
            "-" if base is None else f"{m['requests_per_second'] / base:.2f}",
        ]
        for name, m in medians.items()
    ]
    headers = ["server", "req/s", "p50 ms", "p99 ms", f"vs {BASELINE}"]
    return report.table(headers, rows)


def choose_servers(names: str | None) -> list[str]:
    """The servers asked for; by default every installed one."""
    wanted = names.split(",") if names else list(SERVERS)
    unknown = [name for name in wanted if name not in SERVERS]
    if unknown:
        raise SystemExit(f"unknown servers {unknown}; choose from {list(SERVERS)}")
    chosen = []
    for name in wanted:
        if importlib.util.find_spec(SERVERS[name][0]) is None:
            message = f"{name}: {SERVERS[name][0]} is not installed"
            if names:
                raise SystemExit(message)
            print(f"skipping {message}", file=sys.stderr)
        else:
            chosen.append(name)
    return chosen


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", help=f"comma-separated, from {','.join(SERVERS)}")
    add_load_options(parser)
    return parse_load_options(parser, argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    prepare_machine()
    servers = choose_servers(args.servers)
    rounds = [
        one_round(servers, args, shift=index % len(servers))
        for index in range(args.rounds)
    ]
    installed = [
        f"{name} {metadata.version(name)}"
        for name in ("flask", "uvicorn", "gunicorn", "waitress")
        if importlib.util.find_spec(name) is not None
    ]
    print(", ".join(installed))
    print(render(rounds, servers))


if __name__ == "__main__":
    main()
