"""A real ``redis-server`` for the hub's tests, on a free 127.0.0.1 port.

    with RedisServer.started(tmp_path) as redis:
        hub = Hub(redis.url)
        ...
        redis.kill()      # SIGKILL, as a crash would
        redis.start()     # the same port again, empty (no persistence)

The server runs in a temporary folder with persistence off, and is always
stopped by its own PID. Without ``redis-server`` the tests skip, except in
CI, where its absence is a failure (``.ci/run`` installs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import HOST, free_port

START_TIMEOUT = 10.0


def free_cluster_port() -> int:
    """A free port whose cluster bus port (10000 higher) is free too."""
    for _ in range(100):
        port = free_port()
        if port > 55535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("found no free port pair for a Redis cluster node")


class RedisServer:
    """One redis-server process that tests can kill and start again."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @classmethod
    @contextlib.contextmanager
    def started(cls, folder: Path) -> Iterator[RedisServer]:
        executable = shutil.which("redis-server")
        if executable is None:
            message = "redis-server is not installed (Debian package redis-server)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        server = cls(folder, free_port())
        try:
            server.start()
            yield server
        finally:
            server.stop()

    def start(self, *options: str) -> None:
        """Start the server (again) on its port and wait until it answers PING."""
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST,
             "--save", "", "--appendonly", "no", "--dir", str(self.folder),
             "--protected-mode", "no", *options],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.ping():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()}")
            time.sleep(0.02)
        raise TimeoutError(f"redis-server did not answer in {START_TIMEOUT}s")

    def ping(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((HOST, self.port), timeout=0.5) as connection,
        ):
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
        return False

    def command(self, *words: str) -> bytes:
        """Send one inline command and return the raw reply (for CLIENT KILL...)."""
        with socket.create_connection((HOST, self.port), timeout=2) as connection:
            connection.sendall(" ".join(words).encode() + b"\r\n")
            return connection.recv(65536)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would: nothing is saved."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM the server by its PID and wait for it (SIGKILL if it hangs)."""
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signum)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log(self) -> str:
        path = self.folder / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def redis_cluster(folder: Path, size: int = 3) -> Iterator[list[RedisServer]]:
    """A Redis Cluster of ``size`` primaries on free ports, slots spread evenly."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        message = "redis-server and redis-cli are not installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    nodes: list[RedisServer] = []
    try:
        for number in range(size):
            node_folder = folder / f"node{number}"
            node_folder.mkdir()
            node = RedisServer(node_folder, free_cluster_port())
            node.start("--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
            nodes.append(node)
        addresses = [f"{HOST}:{node.port}" for node in nodes]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses,
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while any(
            b"cluster_state:ok" not in n.command("CLUSTER", "INFO") for n in nodes
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the Redis cluster did not settle")
            time.sleep(0.05)
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def owner_of(nodes: list[RedisServer], key: str) -> RedisServer:
    """The cluster node that serves ``key`` (the others answer MOVED)."""
    for node in nodes:
        if not node.command("EXISTS", key).startswith(b"-MOVED"):
            return node
    raise LookupError(f"no node serves {key!r}")
