"""Streaming, SSE and WebSockets against a real uvicorn on 127.0.0.1.

The app below is served by a uvicorn subprocess (this module is its app
module) on a free port, once with each of uvicorn's WebSocket implementations,
and stopped by its PID. The server records clean-ups in ``closed``; tests read
them through ``/status``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from servers import serve, server_params
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from microasgi import (
    App,
    BackgroundTask,
    EventSourceResponse,
    HTTPException,
    StreamingResponse,
    WebSocket,
)

pytestmark = pytest.mark.anyio

# The app under test (runs inside the uvicorn subprocess) ----------------------

app = App()
closed: Counter[str] = Counter()  # what has been cleaned up, by name
hub: set[WebSocket] = set()


@app.get("/status")
async def status(request):
    return {"closed": dict(closed), "hub": len(hub)}


@app.get("/stream/{name}")
async def endless_stream(request, name: str):
    async def chunks() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"chunk\n"
                await asyncio.sleep(0.01)
        finally:
            closed[f"stream:{name}"] += 1

    done = BackgroundTask(closed.update, [f"background:{name}"])
    return StreamingResponse(chunks(), background=done)


@app.get("/broken")
async def broken_stream(request):
    async def chunks() -> AsyncIterator[bytes]:
        yield b"partial"
        await asyncio.sleep(0.05)
        raise RuntimeError("the data source failed mid-stream")

    return StreamingResponse(chunks())


@app.get("/events/{name}")
async def events(request, name: str):
    async def feed() -> AsyncIterator[str]:
        try:
            yield "hello"
            await asyncio.Event().wait()  # idle: only pings from now on
            yield "never"
        finally:
            closed[f"sse:{name}"] += 1

    return EventSourceResponse(feed(), ping_interval=0.05)


@app.websocket("/ws/echo/{name}")
async def echo(ws, name: str):
    await ws.accept()
    try:
        async for text in ws.iter_text():
            await ws.send_text(text)
    finally:
        closed[f"ws:{name}"] += 1


@app.websocket("/ws/deny")
async def deny(ws):
    raise HTTPException(401, "token required")


@app.websocket("/ws/never")
async def never_accepts(ws):
    return None


@app.websocket("/ws/boom")
async def boom(ws):
    await ws.accept()
    raise RuntimeError("handler bug")


@app.websocket("/ws/hub")
async def broadcast(ws):
    await ws.accept()
    hub.add(ws)
    try:
        async for text in ws.iter_text():
            members = list(hub)
            await asyncio.gather(
                *(member.send_text(text) for member in members),
                return_exceptions=True,
            )
    finally:
        hub.discard(ws)


# The server ---------------------------------------------------------------------


@pytest.fixture(
    scope="module", params=server_params("uvicorn-httptools", "uvicorn-h11")
)
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """This module's ``app`` under uvicorn (websockets, then wsproto); 'host:port'."""
    with serve(request.param, Path(__file__), ready_path="/status") as running:
        yield f"{running.address[0]}:{running.port}"


def http_client(server: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://{server}", trust_env=False, timeout=10)


@asynccontextmanager
async def stream(server: str, path: str) -> AsyncIterator[httpx.Response]:
    """GET ``path`` and hand over the response before its body is read."""
    async with http_client(server) as client, client.stream("GET", path) as response:
        yield response


def ws_connect(server: str, path: str) -> Any:
    return connect(f"ws://{server}{path}", proxy=None, compression=None)


async def wait_for_status(server: str, check: Any, timeout: float = 5) -> None:
    """Poll /status until ``check(status)`` holds."""
    async with http_client(server) as client:
        with anyio.fail_after(timeout):
            while not check((await client.get("/status")).json()):
                await asyncio.sleep(0.02)


def was_closed(name: str) -> Any:
    return lambda status: status["closed"].get(name) == 1


# HTTP streaming -----------------------------------------------------------------


async def test_realtime_stream_disconnect_closes_generator(server: str) -> None:
    async with stream(server, "/stream/a") as response:
        chunks = response.aiter_raw()
        assert await anext(chunks)
        assert await anext(chunks)
    await wait_for_status(server, was_closed("stream:a"))


async def test_realtime_stream_background_runs_after_client_left(server: str) -> None:
    async with stream(server, "/stream/b") as response:
        assert await anext(response.aiter_raw())
    await wait_for_status(server, was_closed("background:b"))


async def test_realtime_stream_error_leaves_the_body_incomplete(server: str) -> None:
    async with stream(server, "/broken") as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await response.aread()


# Server-Sent Events ---------------------------------------------------------------


async def test_realtime_sse_pings_an_idle_stream(server: str) -> None:
    async with stream(server, "/events/p") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert [await anext(lines) for _ in range(4)] == [
            "data: hello",
            "",
            ": ping",
            "",
        ]


async def test_realtime_sse_disconnect_closes_generator(server: str) -> None:
    async with stream(server, "/events/d") as response:
        assert await anext(response.aiter_raw()) == b"data: hello\n\n"
    await wait_for_status(server, was_closed("sse:d"))


# WebSockets -----------------------------------------------------------------------


async def test_realtime_websocket_echo_and_close_runs_handler_cleanup(
    server: str,
) -> None:
    async with ws_connect(server, "/ws/echo/e") as ws:
        await ws.send("ping")
        assert await ws.recv() == "ping"
    await wait_for_status(server, was_closed("ws:e"))


async def test_realtime_websocket_dropped_connection_runs_cleanup(
    server: str,
) -> None:
    async with ws_connect(server, "/ws/echo/drop") as ws:
        await ws.send("ping")
        assert await ws.recv() == "ping"
        ws.transport.abort()  # no close frame: the network just went away
    await wait_for_status(server, was_closed("ws:drop"))


async def test_realtime_websocket_binary_frame_to_text_handler_closes_1003(
    server: str,
) -> None:
    async with ws_connect(server, "/ws/echo/bin") as ws:
        await ws.send(b"\x00")
        with pytest.raises(ConnectionClosed) as closed_by_server:
            await ws.recv()
    assert closed_by_server.value.rcvd is not None
    assert closed_by_server.value.rcvd.code == 1003


async def test_realtime_websocket_http_exception_denies_with_status(
    server: str,
) -> None:
    with pytest.raises(InvalidStatus) as denied:
        async with ws_connect(server, "/ws/deny"):
            pass
    assert denied.value.response.status_code == 401
    assert denied.value.response.body == b"token required"


async def test_realtime_websocket_never_accepted_is_denied_403(server: str) -> None:
    with pytest.raises(InvalidStatus) as denied:
        async with ws_connect(server, "/ws/never"):
            pass
    assert denied.value.response.status_code == 403


async def test_realtime_websocket_handler_error_closes_1011(server: str) -> None:
    async with ws_connect(server, "/ws/boom") as ws:
        with pytest.raises(ConnectionClosed) as closed_by_server:
            await ws.recv()
    assert closed_by_server.value.rcvd is not None
    assert closed_by_server.value.rcvd.code == 1011


async def test_realtime_websocket_200_clients_get_every_message_in_order(
    server: str,
) -> None:
    expected = [f"message {number}" for number in range(20)]

    async def read_all(ws: ClientConnection) -> list[str]:
        return [str(await ws.recv()) for _ in expected]

    with anyio.fail_after(90):
        clients = await asyncio.gather(
            *(ws_connect(server, "/ws/hub") for _ in range(200))
        )
        try:
            await wait_for_status(server, lambda status: status["hub"] == 200)
            for text in expected:
                await clients[0].send(text)
            received = await asyncio.gather(*(read_all(ws) for ws in clients))
        finally:
            await asyncio.gather(*(ws.close() for ws in clients))
    assert all(messages == expected for messages in received)
    await wait_for_status(server, lambda status: status["hub"] == 0)
