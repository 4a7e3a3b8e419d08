"""The app the extension tests serve under real servers.

``EXTENSIONS_DIR`` names a directory holding ``data.bin``: ``/file`` sends it
with ``FileResponse`` and ``/static/data.bin`` through ``StaticFiles``.
``/hints`` sends early hints, ``/trailers`` streams with trailers. A small
middleware keeps the message types each path sent and the extensions the
server offered, which ``/sent?path=...`` reports.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from microasgi import App, FileResponse, Request, StaticFiles, StreamingResponse
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send

DIRECTORY = Path(os.environ.get("EXTENSIONS_DIR", Path(__file__).parent))
PRELOAD = "</app.css>; rel=preload; as=style"

app = App()
app.mount("/static", StaticFiles(DIRECTORY))
seen: dict[str, dict[str, Any]] = {}


class RecordMessages:
    """Keep the types of the messages each path sent, and what was offered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/sent":
            await self.app(scope, receive, send)
            return
        record: dict[str, Any] = {
            "offered": sorted(scope.get("extensions") or {}),
            "sent": [],
        }
        seen[scope["path"]] = record

        async def send_and_record(message: Message) -> None:
            record["sent"].append(message["type"])
            await send(message)

        await self.app(scope, receive, send_and_record)


app.add_middleware(RecordMessages)


@app.get("/")
async def index(request: Request) -> str:
    return "ready"


@app.get("/sent")
async def sent(request: Request) -> Any:
    return seen.get(request.query_params["path"], {})


@app.get("/file")
async def send_file(request: Request) -> FileResponse:
    return FileResponse(DIRECTORY / "data.bin")


@app.get("/hints")
async def hints(request: Request) -> Any:
    hinted = await request.send_early_hints([PRELOAD, "</app.js>; rel=preload"])
    return {"hinted": hinted}


@app.get("/trailers")
async def trailers(request: Request) -> StreamingResponse:
    sizes: list[int] = []

    async def chunks() -> Any:
        for chunk in (b"hello ", b"world"):
            sizes.append(len(chunk))
            yield chunk

    return StreamingResponse(chunks(), trailers=lambda: {"x-bytes": str(sum(sizes))})
