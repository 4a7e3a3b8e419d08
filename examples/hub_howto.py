"""A live feed that reaches every worker: publish with POST, follow with
Server-Sent Events or a WebSocket.

One process, no Redis:   uvicorn examples.hub_howto:app
Four, sharing Redis:     HUB_URL=redis://127.0.0.1:6379/0 \\
                         uvicorn examples.hub_howto:app --workers 4
"""

import os

from microasgi import App, Gap, HTTPException, Hub, HubUnavailable

hub = Hub(os.environ.get("HUB_URL", "memory://"))
app = App()
app.on_shutdown(hub.close)


@app.post("/feeds/{feed}")
async def post(request, feed: str):
    item = await request.json()
    try:
        message_id = await hub.publish(f"feed:{feed}", item)
    except HubUnavailable:  # Redis stayed down for the hub's timeout
        raise HTTPException(503, "the feed is unavailable; try again") from None
    return {"id": message_id}


@app.get("/feeds/{feed}/events")
async def follow(request, feed: str):
    # Each event carries its message id; a reconnecting browser sends the
    # last one back (Last-Event-ID) and resumes right after it.
    return hub.event_stream(request, f"feed:{feed}")


@app.websocket("/feeds/{feed}/ws")
async def watch(ws, feed: str):
    await ws.accept()
    async with hub.subscribe(f"feed:{feed}") as events:
        async for event in events:
            if isinstance(event, Gap):  # some messages may be missing here
                await ws.send_json({"gap": event.reason})
            else:
                await ws.send_json({"id": event.id, "data": event.data})
