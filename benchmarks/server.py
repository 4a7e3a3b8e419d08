"""Starting and stopping servers for the over-the-network benchmarks.

Each server (uvicorn, or a Redis for the fan-out benchmark) is a subprocess of
its own, bound to 127.0.0.1 on a free port, and stopped by its own PID.
uvicorn is pinned to one CPU core with ``taskset`` where there are two cores or
more; the load generator runs on the other core.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_CORE = 0
CLIENT_CORE = 1


def pinned(command: list[str], core: int | None) -> list[str]:
    """``command`` run on one core, if ``taskset`` and that core are available
    (and ``core`` is not None: then it runs wherever the system puts it)."""
    if core is None or shutil.which("taskset") is None or (os.cpu_count() or 1) <= core:
        return command
    return ["taskset", "-c", str(core), *command]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(process: subprocess.Popen[bytes], port: int) -> None:
    """Poll until the server answers HTTP, or fail if it exits or takes >20 s."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=1)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not answer within 20 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask the server to shut down by its PID; kill it if it does not."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    user, system = int(fields[11]), int(fields[12])
    return (user + system) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def uvicorn(
    app: str,
    *extra: str,
    core: int | None = SERVER_CORE,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[int, int]]:
    """Serve ``module:attribute`` with uvicorn; yields ``(port, pid)``.

    ``env`` adds variables to the server's environment.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app,
        "--host", HOST, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--workers", "1",
        "--no-access-log", "--log-level", "warning", *extra,
    ]  # fmt: skip
    process = subprocess.Popen(
        pinned(command, core), cwd=REPO_ROOT, env={**os.environ, **(env or {})}
    )
    try:
        wait_until_serving(process, port)
        yield port, process.pid
    finally:
        stop(process)


def redis_ping(port: int) -> bool:
    """Whether a Redis server answers PING on ``port``."""
    try:
        with socket.create_connection((HOST, port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway ``redis-server`` (no persistence, in a temporary folder);
    yields its URL, and stops it by its PID afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server not found (Debian: apt-get install redis-server)"
        )
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as folder:
        command = [
            binary, "--port", str(port), "--bind", HOST, "--dir", folder,
            "--save", "", "--appendonly", "no", "--loglevel", "warning",
        ]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while not redis_ping(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}")
                time.sleep(0.05)
            yield f"redis://{HOST}:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
