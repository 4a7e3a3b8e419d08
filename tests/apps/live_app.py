"""The app the live page's browser test serves: debug mode, a few routes."""

from __future__ import annotations

from typing import Any

from microasgi import App, HTTPException, Request, WebSocket

app = App(debug=True)


@app.get("/hello")
async def hello(request: Request) -> str:
    return "Hello, World!"


@app.get("/items/{item_id:int}")
async def item(request: Request, item_id: int) -> Any:
    if item_id > 100:
        raise HTTPException(404, "No such item")
    return {"id": item_id}


@app.websocket("/ws")
async def echo(ws: WebSocket) -> None:
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_text(text.upper())
