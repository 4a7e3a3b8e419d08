"""Load and soak under real servers, on loopback, bounded in count and time.

The reliability app runs under each server (see ``servers.py``) and is driven
by raw keep-alive connections (a few hundred bytes of asyncio per request, so
the client is not the bottleneck) and the ``websockets`` client.

Sizes are reduced by default so the suite stays quick; set ``MICROASGI_FULL=1``
for the full-size run:

- requests:  2,000 over 16 connections  (full: 20,000 over 64), all 2xx;
- memory:    RSS growth over 10,000 requests after a 2,000-request warm-up
             (full: 100,000 after 10,000) under 10 MB;
- WebSocket: 50 concurrent clients exchanging 20 messages each (full: 200);
- churn:     1,000 connect/disconnect cycles (and 100 WebSocket ones; full:
             1,000) leave no file descriptor and no asyncio task behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from servers import RawConnection, Server, serve
from servers import server_params as params
from websockets.asyncio.client import ClientConnection, connect

pytestmark = pytest.mark.anyio

FULL = os.environ.get("MICROASGI_FULL") == "1"
REQUESTS, CONNECTIONS = (20_000, 64) if FULL else (2_000, 16)
WARM_UP, SOAK = (10_000, 100_000) if FULL else (2_000, 10_000)
RSS_GROWTH_LIMIT_KB = 10 * 1024
WS_CLIENTS, WS_MESSAGES = (200, 20) if FULL else (50, 20)
CYCLES, WS_CYCLES = (1_000, 1_000) if FULL else (1_000, 100)
TIME_LIMIT = 300 if FULL else 30

JSON = "Content-Type: application/json\r\n"
MIX = [  # what each connection sends, in turn
    ("GET", "/", b"", ""),
    ("POST", "/json", b'{"n": [1, 2, 3]}', JSON),
    ("GET", "/sync", b"", ""),
    ("POST", "/echo", b"x" * 512, ""),
    ("GET", "/stream?count=3", b"", ""),
    ("GET", "/sse?count=2", b"", ""),
    ("GET", "/wsgi/legacy", b"", ""),
]


@pytest.fixture(scope="module", params=params())
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with serve(request.param) as running:
        yield running


def process_status(pid: int, field_name: str) -> int:
    """A number from /proc/<pid>/status, e.g. ``VmRSS`` (in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise KeyError(field_name)


def open_fds(pid: int) -> int:
    """How many file descriptors process ``pid`` has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


async def debug(server: Server, what: str) -> int:
    """A number the app reports about its own process: ``pid`` or ``tasks``."""
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        response = await client.get(f"{server.url}/debug/{what}")
    value: int = response.json()[what]
    return value


async def drive(server: Server, count: int, statuses: Counter[object]) -> None:
    """Send ``count`` requests from the mix over a keep-alive connection."""
    connection = await RawConnection.open(server.address)
    try:
        for number in range(count):
            method, path, body, headers = MIX[number % len(MIX)]
            response = await connection.request(method, path, body, headers)
            statuses[response.status if response else "closed"] += 1
            if response and response.headers.get("connection") == "close":
                # Servers may retire a connection (hypercorn: after 1,000
                # requests); like any client, open another.
                await connection.close()
                connection = await RawConnection.open(server.address)
    finally:
        await connection.close()


async def load(server: Server, total: int, connections: int) -> Counter[object]:
    """``total`` requests spread over ``connections`` concurrent connections."""
    statuses: Counter[object] = Counter()
    with anyio.fail_after(TIME_LIMIT):
        shares = [len(range(n, total, connections)) for n in range(connections)]
        await asyncio.gather(*(drive(server, share, statuses) for share in shares))
    return statuses


async def settle(read: Callable[[], Awaitable[int]], target: int) -> int:
    """Poll ``read()`` until it is at most ``target`` (for at most 5 s).

    A server closes sockets and finishes tasks a moment after its clients
    leave, so counts are given time to come down. Returns the last value.
    """
    deadline = time.monotonic() + 5
    value = await read()
    while value > target and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        value = await read()
    return value


# Requests ------------------------------------------------------------------------


async def test_load_keep_alive_requests_all_succeed(server: Server) -> None:
    statuses = await load(server, REQUESTS, CONNECTIONS)
    assert statuses == {200: REQUESTS}
    assert "Traceback" not in server.log()


async def test_load_memory_is_flat_after_warm_up(server: Server) -> None:
    if server.kind.name == "daphne":
        pytest.skip("daphne's own RSS keeps growing under load, even for a bare app")
    pid = await debug(server, "pid")
    await load(server, WARM_UP, CONNECTIONS)
    before = process_status(pid, "VmRSS")
    statuses = await load(server, SOAK, CONNECTIONS)
    growth = process_status(pid, "VmRSS") - before
    assert statuses == {200: SOAK}
    assert growth < RSS_GROWTH_LIMIT_KB, f"RSS grew {growth} kB over {SOAK} requests"


# WebSockets ----------------------------------------------------------------------


async def converse(ws: ClientConnection, client: int) -> list[str]:
    """Send all messages first, then read the echoes back."""
    for number in range(WS_MESSAGES):
        await ws.send(f"client {client} message {number}")
    return [str(await ws.recv()) for _ in range(WS_MESSAGES)]


async def test_load_websocket_clients_get_every_message_in_order(
    server: Server,
) -> None:
    with anyio.fail_after(TIME_LIMIT):
        # Everyone connects first, so that all conversations overlap.
        clients = await asyncio.gather(
            *(
                connect(f"{server.ws_url}/ws/echo", proxy=None)
                for _ in range(WS_CLIENTS)
            )
        )
        try:
            received = await asyncio.gather(
                *(converse(ws, number) for number, ws in enumerate(clients))
            )
        finally:
            await asyncio.gather(*(ws.close() for ws in clients))
    for client, messages in enumerate(received):
        assert messages == [f"client {client} message {n}" for n in range(WS_MESSAGES)]


# Connection churn ------------------------------------------------------------------


async def http_cycle(server: Server, number: int) -> None:
    """One connection: a full request, a silent one, or one dropped mid-way."""
    connection = await RawConnection.open(server.address)
    if number % 3 == 0:
        response = await connection.request("GET", "/")
        assert response is not None and response.status == 200
    elif number % 3 == 1:
        await connection.send(b"GET / HTTP/1.1\r\nHo")
        connection.abort()
        return
    await connection.close()


async def ws_cycle(server: Server, number: int) -> None:
    """One WebSocket: a message and a clean close, or a dropped connection."""
    async with connect(f"{server.ws_url}/ws/echo", proxy=None) as ws:
        await ws.send("ping")
        with anyio.fail_after(5):
            assert await ws.recv() == "ping"
        if number % 2:
            ws.transport.abort()


Cycle = Callable[[Server, int], Awaitable[None]]


async def churn(server: Server, cycle: Cycle, total: int) -> None:
    """Run ``total`` cycles, 8 at a time."""

    async def lane(start: int) -> None:
        for number in range(start, total, 8):
            await cycle(server, number)

    with anyio.fail_after(TIME_LIMIT):
        await asyncio.gather(*(lane(start) for start in range(8)))


class TaskCounter:
    """Asks the app for its task count over one keep-alive connection, so
    that asking does not itself leave connections for the server to tidy."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.connection: RawConnection | None = None

    async def __call__(self) -> int:
        for _ in range(2):  # once more if the server closed an idle connection
            if self.connection is None:
                self.connection = await RawConnection.open(self.server.address)
            response = await self.connection.request("GET", "/debug/tasks")
            if response is not None:
                count: int = json.loads(response.body)["tasks"]
                return count
            await self.close()
        raise ConnectionError("the server keeps closing the connection")

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None


async def assert_churn_leaves_nothing(server: Server, cycle: Cycle, total: int) -> None:
    pid = await debug(server, "pid")
    tasks = TaskCounter(server)

    async def fds() -> int:
        return open_fds(pid)

    try:
        await churn(server, cycle, 24)  # warm-up: whatever is made lazily now is
        await asyncio.sleep(0.3)
        tasks_before = await tasks()  # opens the observing connection first
        fds_before = await fds()
        await churn(server, cycle, total)
        assert await settle(fds, fds_before) <= fds_before
        assert await settle(tasks, tasks_before) <= tasks_before
    finally:
        await tasks.close()


async def test_load_connection_churn_leaks_no_fds_or_tasks(server: Server) -> None:
    await assert_churn_leaves_nothing(server, http_cycle, CYCLES)


async def test_load_websocket_churn_leaks_no_fds_or_tasks(server: Server) -> None:
    await assert_churn_leaves_nothing(server, ws_cycle, WS_CYCLES)
