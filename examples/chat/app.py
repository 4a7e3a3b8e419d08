"""A multi-room chat: one WebSocket per browser tab, broadcast to its room.

Serve it with `uvicorn examples.chat.app:app` (or `python examples/chat/app.py`),
then open http://127.0.0.1:8000/ in two tabs, join the same room and talk.

Each room keeps the set of connections in it. A message from one member is
sent to every member, concurrently; a member whose send fails has gone, so it
is dropped without disturbing the others.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from microasgi import App, HTMLResponse, WebSocket

PAGE = (Path(__file__).parent / "index.html").read_text(encoding="utf-8")
MAX_MESSAGE_CHARS = 1000

app = App()


# --8<-- [start:rooms]
class Room:
    """The connections in one room."""

    def __init__(self) -> None:
        self.members: set[WebSocket] = set()

    async def broadcast(self, message: dict[str, str]) -> None:
        """Send ``message`` to every member; drop those that have gone."""
        members = list(self.members)
        results = await asyncio.gather(
            *(member.send_json(message) for member in members),
            return_exceptions=True,  # one failed send must not stop the rest
        )
        for member, result in zip(members, results, strict=True):
            if isinstance(result, Exception):
                self.members.discard(member)


class Rooms:
    """Rooms by name, created on first join and forgotten when empty."""

    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}

    def join(self, name: str, ws: WebSocket) -> Room:
        room = self.rooms.setdefault(name, Room())
        room.members.add(ws)
        return room

    def leave(self, name: str, ws: WebSocket) -> None:
        room = self.rooms.get(name)
        if room is not None:
            room.members.discard(ws)
            if not room.members:
                del self.rooms[name]


rooms = Rooms()
# --8<-- [end:rooms]


@app.get("/")
async def page(request):
    return HTMLResponse(PAGE)


# --8<-- [start:endpoint]
@app.websocket("/ws/{room}")
async def chat(ws: WebSocket, room: str) -> None:
    user = ws.query_params.get("name", "").strip()[:40] or "guest"
    await ws.accept()
    members = rooms.join(room, ws)
    await members.broadcast({"from": "system", "text": f"{user} joined {room}"})
    try:
        async for text in ws.iter_text():  # ends when the browser goes away
            await members.broadcast({"from": user, "text": text[:MAX_MESSAGE_CHARS]})
    finally:
        rooms.leave(room, ws)
        await members.broadcast({"from": "system", "text": f"{user} left"})


# --8<-- [end:endpoint]


if __name__ == "__main__":
    app.run()
