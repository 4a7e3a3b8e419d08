"""Serve an ASGI app under a real server, as a subprocess on 127.0.0.1.

    with serve("uvicorn-h11", APP_FILE) as server:
        httpx.get(server.url + "/")
        assert server.wait_for_log("handler crashed") == 1

The server runs on a free loopback port, is polled until it answers (for a
bounded time), and is stopped by its own PID when the ``with`` block ends,
whatever happened inside. Its stdout and stderr go to one log file that tests
read to check that an error was logged exactly once.

Server kinds: ``uvicorn-h11`` (h11 parser, wsproto WebSockets),
``uvicorn-httptools`` (httptools parser, websockets-sansio), ``hypercorn``,
``daphne`` and ``granian``. ``server_params()`` turns names into pytest
parameters that skip a server which is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
RELIABILITY_APP = Path(__file__).resolve().parent / "apps" / "reliability_app.py"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServerKind:
    """How to run one server: ``python -m <module> <arguments>``, where the
    arguments are a template with ``{target}`` (module:app) and ``{port}``."""

    name: str
    module: str
    arguments: str
    runs_lifespan: bool = True
    root_path_option: str = "--root-path"  # sets the scope's root_path

    @property
    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


UVICORN = "{target} --host 127.0.0.1 --port {port} --lifespan on --log-level warning "
KINDS = {
    kind.name: kind
    for kind in [
        ServerKind("uvicorn-h11", "uvicorn",
                   UVICORN + "--no-access-log --http h11 --ws wsproto"),
        ServerKind("uvicorn-httptools", "uvicorn",
                   UVICORN + "--no-access-log --http httptools --ws websockets-sansio"),
        # hypercorn holds a closed keep-alive connection until it times out.
        ServerKind("hypercorn", "hypercorn",
                   "{target} --bind 127.0.0.1:{port} --keep-alive 1"),
        # daphne does not speak the lifespan protocol: startup hooks never run.
        ServerKind("daphne", "daphne", "-b 127.0.0.1 -p {port} -v 0 {target}",
                   runs_lifespan=False),
        ServerKind("granian", "granian", "--interface asgi --host 127.0.0.1 "
                   "--port {port} --log-level warning --no-access-log {target}",
                   root_path_option="--url-path-prefix"),
    ]
}  # fmt: skip


def server_params(*names: str) -> list[object]:
    """pytest parameters for the named servers (all by default), skipping any
    that is not installed."""
    return [
        pytest.param(
            name,
            id=name,
            marks=pytest.mark.skipif(
                not KINDS[name].installed, reason=f"{KINDS[name].module} missing"
            ),
        )
        for name in names or KINDS
    ]


def known_failure(server: Server, name: str, reason: str) -> None:
    """Under server ``name``, stop the test here as an expected failure: a
    shortcoming of that server, checked by hand against a bare ASGI app."""
    if server.kind.name == name:
        pytest.xfail(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running server process and what it logged."""

    kind: ServerKind
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    children: dict[int, str] = field(default_factory=dict)  # PID: start time

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return HOST, self.port

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 5.0) -> int:
        """How often ``text`` is in the log, once it is there ``count`` times
        (polled for at most ``timeout`` s) and a moment later, so that a
        duplicate would be counted too."""
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        return self.log().count(text)


def command(
    kind: ServerKind,
    app_file: Path,
    port: int,
    root_path: str = "",
    options: Sequence[str] = (),
) -> list[str]:
    arguments = kind.arguments.format(target=f"{app_file.stem}:app", port=port)
    if root_path:  # as deployed behind a proxy that strips this prefix
        arguments = f"{kind.root_path_option} {root_path} {arguments}"
    return [sys.executable, "-m", kind.module, *arguments.split(), *options]


def environment(app_file: Path, extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(app_file.parent), str(ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def start(
    name: str,
    app_file: Path = RELIABILITY_APP,
    env: dict[str, str] | None = None,
    root_path: str = "",
    options: Sequence[str] = (),
    port: int | None = None,
) -> Server:
    """Start a server process (without waiting for it to answer); with
    ``root_path``, the server is told the app is served below that prefix;
    ``options`` go to the server's command line as they are. It listens on
    ``port``, or on a free one."""
    kind = KINDS[name]
    if not kind.installed:
        pytest.skip(f"{kind.module} is not installed")
    port = port or free_port()
    handle, log_name = tempfile.mkstemp(prefix=f"{name}-", suffix=".log")
    try:
        process = subprocess.Popen(
            command(kind, app_file, port, root_path, options),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=environment(app_file, env),
            cwd=app_file.parent,
        )
    finally:
        os.close(handle)
    return Server(kind, process, port, Path(log_name))


def wait_until_serving(server: Server, path: str, timeout: float) -> None:
    """Poll ``path`` until the server answers; fail (with its log) if it
    exits or stays silent for ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.url, trust_env=False, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.kind.name} exited with {server.process.returncode}"
                    f" before serving:\n{server.log()}"
                )
            with contextlib.suppress(httpx.TransportError):
                client.get(path)
                server.children = child_pids(server.pid)
                return
            time.sleep(0.05)
    raise TimeoutError(
        f"{server.kind.name} did not answer {path} within {timeout}s:\n{server.log()}"
    )


def start_time(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), or "" if gone;
    with the PID, it names one process even if the PID is later reused."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def child_pids(pid: int) -> dict[int, str]:
    """The direct children of ``pid`` (a server's workers), with start times."""
    children: dict[int, str] = {}
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            children.update(
                (int(child), start_time(int(child))) for child in text.split()
            )
    return children


def stop(server: Server) -> int:
    """Stop the server by its PID (SIGTERM, then SIGKILL); return its exit code.

    Worker processes it started and left behind are killed by their PIDs too.
    """
    process = server.process
    if process.poll() is None:
        server.children |= child_pids(process.pid)
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    for child, started in server.children.items():
        if started and start_time(child) == started:  # still that same process
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
    return process.returncode


def discard(server: Server) -> None:
    """Stop the server and delete its log."""
    stop(server)
    with contextlib.suppress(OSError):
        server.log_path.unlink()


@contextlib.contextmanager
def serve_all(
    name: str,
    apps: Sequence[tuple[Path, str]],
    env: dict[str, str] | None = None,
    root_path: str = "",
) -> Iterator[list[Server]]:
    """Run several apps, each ``(app file, ready path)``, under server ``name``
    at once (they start in parallel); always stop them all."""
    servers: list[Server] = []
    try:
        for app_file, _ in apps:
            servers.append(start(name, app_file, env=env, root_path=root_path))
        for server, (_, ready_path) in zip(servers, apps, strict=True):
            wait_until_serving(server, ready_path, START_TIMEOUT)
        yield servers
    finally:
        for server in servers:
            discard(server)


@contextlib.contextmanager
def serve(
    name: str,
    app_file: Path = RELIABILITY_APP,
    env: dict[str, str] | None = None,
    ready_path: str = "/",
    root_path: str = "",
) -> Iterator[Server]:
    """Run one app under server ``name`` for the ``with`` block, once
    ``ready_path`` answers."""
    with serve_all(name, [(app_file, ready_path)], env, root_path) as (server,):
        yield server


@contextlib.asynccontextmanager
async def http_client(
    server: Server, timeout: float = 10.0
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client for ``server``, ignoring proxy settings in the environment."""
    async with httpx.AsyncClient(
        base_url=server.url, trust_env=False, timeout=timeout
    ) as client:
        yield client


def run_to_exit(
    name: str, env: dict[str, str] | None = None, timeout: float = START_TIMEOUT
) -> tuple[int | None, str]:
    """Start a server that should exit by itself; return (exit code, log).

    The exit code is ``None`` if it was still running after ``timeout`` s.
    """
    server = start(name, env=env)
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=timeout)
        return server.process.returncode, server.log()
    finally:
        discard(server)


# A raw HTTP/1.1 client, for what httpx will not send ---------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names; the last value wins
    body: bytes


class RawConnection:
    """One TCP connection to a server: send any bytes, read responses back.

    Example:
        conn = await RawConnection.open(server.address)
        await conn.send(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        response = await conn.read_response()  # None if the server hung up
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(
        cls, address: tuple[str, int], timeout: float = 5.0
    ) -> RawConnection:
        with anyio.fail_after(timeout):
            reader, writer = await asyncio.open_connection(*address)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no batching
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def trickle(self, data: bytes, size: int, pause: float) -> None:
        """Send ``data`` ``size`` bytes at a time, pausing in between."""
        for start in range(0, len(data), size):
            await self.send(data[start : start + size])
            await asyncio.sleep(pause)

    async def read_response(self, timeout: float = 5.0) -> RawResponse | None:
        """The next response, or None if the server closed the connection first."""
        with anyio.fail_after(timeout):
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            status_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines if line)
            }
            return RawResponse(int(status_line.split()[1]), headers,
                               await self._read_body(headers))  # fmt: skip

    async def _read_body(self, headers: dict[str, str]) -> bytes:
        if "content-length" in headers:
            return await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() != "chunked":
            return await self.reader.read()  # the body ends with the connection
        chunks = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")  # no trailers are sent here
        return b"".join(chunks)

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: str = "") -> RawResponse | None:  # fmt: skip
        """Send one keep-alive request and read its response."""
        length = f"Content-Length: {len(body)}\r\n" if body else ""
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n{length}{headers}\r\n"
        await self.send(head.encode("latin-1") + body)
        return await self.read_response()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()

    def abort(self) -> None:
        """Drop the connection at once with a TCP reset, as a client whose
        network vanished would; no FIN, no goodbye."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
