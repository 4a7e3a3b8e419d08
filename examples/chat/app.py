"""A multi-room chat on the Hub: one conversation, however many worker processes.

On its own, with the rooms in this one process's memory:

    uvicorn examples.chat.app:app   # or: python examples/chat/app.py

Across processes (and machines), with Redis carrying the rooms between them:

    MICROASGI_HUB=redis://127.0.0.1:6379/0 uvicorn examples.chat.app:app --workers 4

Open http://127.0.0.1:8000/ in two tabs, join the same room and talk. Each page
shows the PID of the worker its WebSocket reached: with several workers, two
tabs often reach different ones, and still hear each other.

A room is a Hub channel. Each browser subscribes to it and publishes what its
user types; every subscriber, in whichever process, receives every message in
the same order. A page that joins gets the room's recent history first; one
that lost its connection reconnects with the id of the last message it showed
(``?since=``) and misses nothing the Hub still holds. When messages are lost
anyway (the history no longer reaches back, or the page fell too far behind),
the page says so rather than pretending the conversation is whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from microasgi import (
    App,
    Gap,
    HTMLResponse,
    HTTPException,
    Hub,
    HubUnavailable,
    Message,
    Request,
    WebSocket,
)

PAGE = (Path(__file__).parent / "index.html").read_text(encoding="utf-8")
MAX_MESSAGE_CHARS = 1000
MAX_NAME_CHARS = 40
BEFORE_THE_FIRST = "0-0"  # as ``since``: every message the room still holds
NOT_SENT = "The chat is unavailable right now; that message was not sent."

hub = Hub(os.environ.get("MICROASGI_HUB", "memory://"), history=100)
app = App()
app.on_shutdown(hub.close)


@app.get("/")
async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


# --8<-- [start:rooms]
def room_channel(room: str) -> str:
    """The Hub channel that carries one room's messages."""
    return f"room:{room}"


def line(user: str, text: str) -> dict[str, str]:
    """One line of the conversation, as published to the room."""
    return {"from": user, "text": text}


def as_frame(event: Message | Gap) -> dict[str, Any]:
    """What the browser is sent for one Hub event."""
    if isinstance(event, Gap):
        return {"kind": "gap", "reason": event.reason}
    return {"kind": "message", "id": event.id, **event.data}


async def relay(events: AsyncIterator[Message | Gap], ws: WebSocket) -> None:
    """Send every event of the room to this browser, in order."""
    async for event in events:
        await ws.send_json(as_frame(event))


# --8<-- [end:rooms]


def checked_room(room: str) -> str:
    """``room``, if it is a name of allowed length; else the client hears why."""
    if not 0 < len(room) <= MAX_NAME_CHARS:
        raise HTTPException(400, f"a room name has 1 to {MAX_NAME_CHARS} characters")
    return room


# --8<-- [start:endpoint]
@app.websocket("/ws/{room}")
async def chat(ws: WebSocket, room: str) -> None:
    channel = room_channel(checked_room(room))
    user = ws.query_params.get("name", "").strip()[:MAX_NAME_CHARS] or "guest"
    since = ws.query_params.get("since")  # the last id this page showed, if any
    async with contextlib.AsyncExitStack() as stack:
        # Subscribe before accepting: nothing published meanwhile is missed,
        # and a malformed ``since`` is refused with a 400 saying why.
        events = await enter_room(stack, channel, since or BEFORE_THE_FIRST)
        await ws.accept()
        await ws.send_json({"kind": "hello", "pid": os.getpid(), "room": room})
        relaying = asyncio.create_task(relay(events, ws))
        try:
            back = "is back in" if since else "joined"
            await say(ws, channel, "system", f"{user} {back} {room}")
            async for text in ws.iter_text():  # ends when the browser goes away
                await say(ws, channel, user, text[:MAX_MESSAGE_CHARS])
        finally:
            relaying.cancel()
            await asyncio.gather(relaying, return_exceptions=True)
    with contextlib.suppress(HubUnavailable):  # nobody to tell: the page is gone
        await hub.publish(channel, line("system", f"{user} left"))


async def say(ws: WebSocket, channel: str, user: str, text: str) -> None:
    """Publish one line to the room; if the Hub cannot take it, tell the page."""
    try:
        await hub.publish(channel, line(user, text))
    except HubUnavailable:  # said, never dropped in silence
        await ws.send_json({"kind": "error", "text": NOT_SENT})


async def enter_room(
    stack: contextlib.AsyncExitStack, channel: str, since: str
) -> AsyncIterator[Message | Gap]:
    """Subscribe to the room's channel for as long as ``stack`` is open."""
    try:
        return await stack.enter_async_context(hub.subscribe(channel, since=since))
    except ValueError as exc:  # not a message id: the client's mistake
        raise HTTPException(400, str(exc)) from None


# --8<-- [end:endpoint]


if __name__ == "__main__":
    app.run()
