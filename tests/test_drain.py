"""Graceful drain in-process: shutdown ends WebSockets with 1012 and event
streams with a ``retry:`` hint, in the App the server runs and in Apps
mounted inside it. (The real-server tests are in test_hub_servers.py.)"""

from __future__ import annotations

import asyncio
import signal

import pytest

from microasgi import App, EventSourceResponse
from microasgi.testing.client import AsyncTestClient, WebSocketClosedError

pytestmark = pytest.mark.anyio


def idle_app() -> tuple[App, list[str]]:
    app = App()
    cleaned_up: list[str] = []

    @app.websocket("/ws")
    async def wait_forever(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        try:
            await asyncio.Event().wait()  # like a handler blocked on a hub
        finally:
            cleaned_up.append("ws")

    @app.get("/events")
    async def events(request):  # type: ignore[no-untyped-def]
        async def nothing_yet():  # type: ignore[no-untyped-def]
            await asyncio.Event().wait()
            yield "never"

        return EventSourceResponse(nothing_yet(), ping_interval=None)

    return app, cleaned_up


async def test_drain_closes_an_open_websocket_with_1012() -> None:
    app, cleaned_up = idle_app()
    async with AsyncTestClient(app) as client, client.websocket_connect("/ws") as ws:
        app.drain.start()
        with pytest.raises(WebSocketClosedError) as closed:
            await ws.receive_text()
    assert closed.value.code == 1012
    assert cleaned_up == ["ws"]  # the handler's finally ran


async def test_drain_reaches_a_websocket_of_a_mounted_app() -> None:
    outer = App()
    inner, cleaned_up = idle_app()
    outer.mount("/inner", inner)
    async with (
        AsyncTestClient(outer) as client,
        client.websocket_connect("/inner/ws") as ws,
    ):
        outer.drain.start()  # the server only ever tells the outer App
        with pytest.raises(WebSocketClosedError) as closed:
            await ws.receive_text()
    assert closed.value.code == 1012
    assert cleaned_up == ["ws"]


async def test_drain_ends_an_idle_event_stream_with_a_retry_hint() -> None:
    app, _ = idle_app()
    async with (
        AsyncTestClient(app) as client,
        client.stream("GET", "/events") as response,
    ):
        reading = asyncio.ensure_future(response.aread())
        await asyncio.sleep(0.05)
        app.drain.start()
        body = await asyncio.wait_for(reading, 5)
    assert body == b"retry: 1000\n\n"


async def test_lifespan_shutdown_starts_the_drain_and_startup_resets_it() -> None:
    app, _ = idle_app()
    async with AsyncTestClient(app):
        assert not app.drain.draining
    assert app.drain.draining
    async with AsyncTestClient(app):  # served again: not draining any more
        assert not app.drain.draining


async def test_lifespan_puts_back_the_signal_handlers_it_chained_to() -> None:
    app, _ = idle_app()
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    async with AsyncTestClient(app):
        during = signal.getsignal(signal.SIGTERM)
    after = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert during is not before[0]  # the App listened while it served
    assert after == before  # and no chain grows from one serving to the next


async def test_shutdown_signal_starts_the_drain_and_reaches_the_old_handler() -> None:
    app, _ = idle_app()
    heard: list[int] = []
    original = signal.signal(signal.SIGTERM, lambda signum, _: heard.append(signum))
    try:
        async with AsyncTestClient(app):  # like a server's own handler, chained
            signal.raise_signal(signal.SIGTERM)
            await asyncio.sleep(0)
            assert app.drain.draining
        assert heard == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, original)
