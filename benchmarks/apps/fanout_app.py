"""The fan-out benchmark's app: one channel, many WebSocket subscribers.

Served with ``uvicorn benchmarks.apps.fanout_app:create_app --factory``. The
environment picks what carries the messages between processes:

- ``FANOUT_BACKEND=hub``: microasgi's ``Hub`` (Redis Streams);
- ``FANOUT_BACKEND=broadcaster``: the ``broadcaster`` package (Redis pub/sub);
- ``FANOUT_BACKEND=none``: subscribers connect but nothing is ever delivered,
  the baseline for what an idle WebSocket costs without any pub/sub.

``FANOUT_REDIS`` is the Redis URL. The endpoints, the same for every backend:

- ``GET /``: this worker's PID (the readiness probe);
- ``WS /subscribe``: sends ``{"pid": ...}`` once subscribed, then every text
  published, as it is (a lost stretch arrives as ``"GAP <reason>"``);
- ``WS /publish``: every text frame received is published to the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from microasgi import App, WebSocket, WebSocketDisconnect

CHANNEL = "fanout"


class Relay(Protocol):
    """Publish texts to the channel and subscribe to them, across processes."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, text: str) -> None: ...

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[str]]: ...


class HubRelay:
    """microasgi's Hub."""

    def __init__(self, url: str) -> None:
        from microasgi import Hub

        self.hub = Hub(url)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self.hub.close()

    async def publish(self, text: str) -> None:
        await self.hub.publish(CHANNEL, text)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[str]]:
        from microasgi import Message

        async def texts(events: AsyncIterator[Any]) -> AsyncIterator[str]:
            async for event in events:
                if isinstance(event, Message):
                    yield event.data
                else:
                    yield f"GAP {event.reason}"

        async with self.hub.subscribe(CHANNEL) as events:
            yield texts(events)


class BroadcasterRelay:
    """encode/broadcaster, as its README shows it."""

    def __init__(self, url: str) -> None:
        from broadcaster import Broadcast

        self.broadcast = Broadcast(url)

    async def start(self) -> None:
        await self.broadcast.connect()

    async def stop(self) -> None:
        await self.broadcast.disconnect()

    async def publish(self, text: str) -> None:
        await self.broadcast.publish(CHANNEL, text)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[str]]:
        async def texts(subscriber: Any) -> AsyncIterator[str]:
            async for event in subscriber:
                yield event.message

        async with self.broadcast.subscribe(CHANNEL) as subscriber:
            yield texts(subscriber)


class NoRelay:
    """Delivers nothing: the cost of idle connections on their own."""

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def publish(self, text: str) -> None:
        pass

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[str]]:
        async def nothing() -> AsyncIterator[str]:
            await asyncio.Event().wait()
            yield ""  # never reached

        yield nothing()


def relay_from_environment() -> Relay:
    backend = os.environ.get("FANOUT_BACKEND", "hub")
    url = os.environ.get("FANOUT_REDIS", "redis://127.0.0.1:6379/0")
    if backend == "hub":
        return HubRelay(url)
    if backend == "broadcaster":
        return BroadcasterRelay(url)
    if backend == "none":
        return NoRelay()
    raise ValueError(f"FANOUT_BACKEND={backend!r}; use hub, broadcaster or none")


async def forward(texts: AsyncIterator[str], ws: WebSocket) -> None:
    async for text in texts:
        await ws.send_text(text)


def create_app() -> App:
    relay = relay_from_environment()
    app = App()
    app.on_startup(relay.start)
    app.on_shutdown(relay.stop)

    @app.get("/")
    async def pid(request: Any) -> dict[str, int]:
        return {"pid": os.getpid()}

    @app.websocket("/subscribe")
    async def subscribe(ws: WebSocket) -> None:
        await ws.accept()
        async with relay.subscribe() as texts:
            await ws.send_json({"pid": os.getpid()})
            # Forward in a task while this one waits for the client to leave,
            # as a chat handler would read from its browser meanwhile.
            forwarding = asyncio.create_task(forward(texts, ws))
            try:
                await ws.receive_text()
            except WebSocketDisconnect:
                pass
            finally:
                forwarding.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await forwarding

    @app.websocket("/publish")
    async def publish(ws: WebSocket) -> None:
        await ws.accept()
        async for text in ws.iter_text():
            await relay.publish(text)

    return app
