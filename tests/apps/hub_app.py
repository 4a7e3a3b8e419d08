"""A chat-shaped app on a Hub, for the hub's real-server tests.

The hub's URL comes from ``HUB_URL`` (default ``memory://``), so several
server processes can share one Redis.
"""

from __future__ import annotations

import os

from microasgi import App, Hub, Message
from microasgi.core.requests import Request
from microasgi.core.websockets import WebSocket

hub = Hub(os.environ.get("HUB_URL", "memory://"))
app = App()
app.on_shutdown(hub.close)


@app.get("/")
async def ready(request: Request) -> dict[str, int]:
    return {"pid": os.getpid()}


@app.post("/rooms/{room}")
async def say(request: Request, room: str) -> dict[str, str]:
    return {"id": await hub.publish(f"room:{room}", await request.json())}


@app.get("/rooms/{room}/events")
async def feed(request: Request, room: str):  # type: ignore[no-untyped-def]
    return hub.event_stream(request, f"room:{room}", ping_interval=0.5)


@app.websocket("/ws/{room}")
async def chat(ws: WebSocket, room: str) -> None:
    await ws.accept()
    async with hub.subscribe(f"room:{room}") as events:
        await ws.send_json({"ready": os.getpid()})
        async for event in events:
            if isinstance(event, Message):
                await ws.send_json({"id": event.id, "data": event.data})
            else:
                await ws.send_json({"gap": event.reason})
