"""The Hub served for real: uvicorn processes sharing one redis-server.

Event streams resume on another worker, and shutdown drains long-lived
connections: WebSockets close with 1012, event streams end with ``retry:``,
and the server exits at once instead of waiting for them (uvicorn and
granian; hypercorn closes them itself before the app can).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis_server import RedisServer
from servers import known_failure, serve, serve_all, server_params
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.anyio
APP_FILE = Path(__file__).parent / "apps" / "hub_app.py"
TIMEOUT = 10.0


async def sse_lines(lines_in: AsyncIterator[str], until: str) -> list[str]:
    """The stream's lines up to the first one starting with ``until``."""
    lines: list[str] = []

    async def read() -> None:
        async for line in lines_in:
            lines.append(line)
            if line.startswith(until):
                return

    await asyncio.wait_for(read(), TIMEOUT)
    return lines


async def test_event_stream_resumes_on_another_worker(
    redis_server: RedisServer,
) -> None:
    env = {"HUB_URL": redis_server.url}
    apps = [(APP_FILE, "/"), (APP_FILE, "/")]
    with serve_all("uvicorn-h11", apps, env) as (first, second):
        async with httpx.AsyncClient(trust_env=False, timeout=TIMEOUT) as client:
            ids = [
                (await client.post(f"{first.url}/rooms/r", json=n)).json()["id"]
                for n in range(3)
            ]
            headers = {"Last-Event-ID": ids[0]}
            url = f"{second.url}/rooms/r/events"
            async with client.stream("GET", url, headers=headers) as response:
                lines = response.aiter_lines()
                replayed = await sse_lines(lines, f"id: {ids[2]}")
                await client.post(f"{first.url}/rooms/r", json="live")
                live = await sse_lines(lines, "id: ")
    assert [line for line in replayed if line.startswith("data")] == [
        "data: 1",
        "data: 2",
    ]
    assert 'data: "live"' in live


@pytest.mark.parametrize(
    "name", server_params("uvicorn-h11", "uvicorn-httptools", "hypercorn", "granian")
)
async def test_shutdown_drains_websockets_and_event_streams(name: str) -> None:
    with serve(name, APP_FILE) as server:
        known_failure(
            server,
            "hypercorn",
            "hypercorn's parent process takes the signal and its worker closes "
            "open connections before the app hears of shutdown (lifespan.shutdown "
            "comes last), so there is nothing left to drain",
        )
        async with (
            connect(f"{server.ws_url}/ws/lobby", proxy=None) as ws,
            httpx.AsyncClient(trust_env=False, timeout=TIMEOUT) as client,
            client.stream("GET", f"{server.url}/rooms/lobby/events") as response,
        ):
            assert "ready" in json.loads(await ws.recv())
            lines = response.aiter_lines()
            await sse_lines(lines, ": ping")  # the stream is open and idle
            started = time.monotonic()
            os.kill(server.pid, signal.SIGTERM)
            ending = await sse_lines(lines, "retry:")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
        exit_code = server.process.wait(timeout=TIMEOUT)
        elapsed = time.monotonic() - started
    assert ending[-1] == "retry: 1000"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    assert exit_code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it caught
    assert elapsed < 3.0  # not held open until a graceful-shutdown timeout
