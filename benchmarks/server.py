"""Starting and stopping uvicorn servers for the over-the-network benchmarks.

Each server is a subprocess of its own, bound to 127.0.0.1 on a free port,
pinned to one CPU core with ``taskset`` where there are two cores or more, and
stopped by its own PID. The load generator runs on the other core.
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
import time
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_CORE = 0
CLIENT_CORE = 1


def pinned(command: list[str], core: int) -> list[str]:
    """``command`` run on one core, if ``taskset`` and that core are available."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) <= core:
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
    app: str, *extra: str, core: int = SERVER_CORE
) -> Iterator[tuple[int, int]]:
    """Serve ``module:attribute`` with uvicorn; yields ``(port, pid)``."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app,
        "--host", HOST, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--workers", "1",
        "--no-access-log", "--log-level", "warning", *extra,
    ]  # fmt: skip
    process = subprocess.Popen(pinned(command, core), cwd=REPO_ROOT)
    try:
        wait_until_serving(process, port)
        yield port, process.pid
    finally:
        stop(process)
