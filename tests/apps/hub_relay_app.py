"""An app that relays Hub channels to WebSocket clients, served by a real server.

``HUB_URL`` in the environment names the Hub (``memory://`` by default).

- ``POST /publish/{channel}``: publishes the JSON body; answers ``{"id": ...}``.
- ``WS /subscribe/{channel}``: sends ``{"pid": ...}`` once subscribed, then
  ``{"id": ..., "data": ...}`` for each message and ``{"gap": reason}`` for
  each gap.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from microasgi import App, Gap, Hub, Request, WebSocket
from microasgi.hub import Subscription

hub = Hub(os.environ.get("HUB_URL", "memory://"))
app = App()
app.on_shutdown(hub.close)


@app.get("/")
async def pid(request: Request) -> dict[str, int]:
    return {"pid": os.getpid()}


@app.post("/publish/{channel}")
async def publish(request: Request, channel: str) -> dict[str, str]:
    return {"id": await hub.publish(channel, await request.json())}


@app.websocket("/subscribe/{channel}")
async def subscribe(ws: WebSocket, channel: str) -> None:
    await ws.accept()
    async with hub.subscribe(channel) as events:
        await ws.send_json({"pid": os.getpid()})
        # Relay in a task while this one reads: a handler that never reads
        # would not notice the client leaving, nor the server shutting down.
        relaying = asyncio.create_task(relay(events, ws))
        try:
            async for _ in ws.iter_text():
                pass
        finally:
            relaying.cancel()
            await asyncio.gather(relaying, return_exceptions=True)


async def relay(events: Subscription, ws: WebSocket) -> None:
    async for event in events:
        frame: dict[str, Any]
        if isinstance(event, Gap):
            frame = {"gap": event.reason}
        else:
            frame = {"id": event.id, "data": event.data}
        await ws.send_json(frame)
