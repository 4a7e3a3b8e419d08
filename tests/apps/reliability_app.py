"""The app the reliability tests serve under real servers.

Written only against the public API. Every route is small and does one thing:
plain text, JSON and body echo, a form upload, a stream, Server-Sent Events,
a crashing handler, a slow one, plain ``def`` handlers, a mounted WSGI app and
a WebSocket echo. ``/debug/...`` routes let a test look inside the server
process: its PID, how many asyncio tasks are alive, and which streams and
sockets have been cleaned up.

Set ``RELIABILITY_FAIL_STARTUP=1`` to make startup fail, so the server should
refuse to start. The thread pool has two threads, so a test can fill it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from microasgi import (
    App,
    EventSourceResponse,
    Request,
    Response,
    ServerSentEvent,
    StreamingResponse,
    UploadFile,
    WebSocket,
    WSGIApp,
)

THREAD_POOL_SIZE = 2
STARTUP_FAILURE = "startup failed on purpose: the database is unreachable"

app = App(thread_pool_size=THREAD_POOL_SIZE)
cleaned_up: Counter[str] = Counter()  # what finished, or was closed, by name


@app.on_startup
async def check_environment() -> None:
    if os.environ.get("RELIABILITY_FAIL_STARTUP") == "1":
        raise RuntimeError(STARTUP_FAILURE)


# Plain HTTP -----------------------------------------------------------------


@app.get("/")
async def hello(request: Request) -> str:
    return "Hello, World!"


@app.post("/json")
async def echo_json(request: Request) -> dict[str, Any]:
    return {"received": await request.json()}


@app.post("/echo")
async def echo_body(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


@app.post("/upload")
async def upload(request: Request) -> dict[str, Any]:
    form = await request.form()
    fields: dict[str, Any] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            fields[name] = {
                "filename": value.filename,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        else:
            fields[name] = value
    return fields


@app.get("/files/{name}/")
async def file_name(request: Request, name: str) -> str:
    """Reached by a slash redirect from /files/{name}: the name must survive it."""
    return name


@app.get("/crash")
async def crash(request: Request) -> None:
    raise RuntimeError(f"handler crashed: {request.query_params.get('tag')}")


@app.get("/slow")
async def slow(request: Request) -> str:
    await asyncio.sleep(float(request.query_params.get("seconds", "0.5")))
    return "slow done"


@app.get("/sync")
def sync_hello(request: Request) -> dict[str, str]:
    return {"thread": threading.current_thread().name}


@app.get("/sync/slow")
def sync_slow(request: Request) -> str:
    time.sleep(float(request.query_params.get("seconds", "0.5")))
    return "sync slow done"


# Streaming and Server-Sent Events ---------------------------------------------


@app.get("/stream")
async def stream(request: Request) -> StreamingResponse:
    count = int(request.query_params.get("count", "10"))
    delay = float(request.query_params.get("delay", "0"))
    tag = request.query_params.get("tag", "stream")

    async def lines() -> AsyncIterator[str]:
        try:
            for number in range(count):
                yield f"line {number}\n"
                await asyncio.sleep(delay)
        finally:
            cleaned_up[tag] += 1

    return StreamingResponse(lines(), media_type="text/plain")


@app.get("/stream/sync")
def stream_sync(request: Request) -> StreamingResponse:
    count = int(request.query_params.get("count", "10"))

    def lines() -> Iterator[bytes]:
        for number in range(count):
            yield b"sync line %d\n" % number

    return StreamingResponse(lines(), media_type="text/plain")


@app.get("/stream/crash")
async def stream_crash(request: Request) -> StreamingResponse:
    tag = request.query_params.get("tag")

    async def lines() -> AsyncIterator[str]:
        yield "first line\n"
        await asyncio.sleep(0.01)
        raise RuntimeError(f"stream crashed: {tag}")

    return StreamingResponse(lines(), media_type="text/plain")


@app.post("/stream/echo")
async def stream_echo(request: Request) -> StreamingResponse:
    """Send the body back while it still arrives: the generator reads the body."""

    async def echo() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            yield chunk

    return StreamingResponse(echo(), media_type="application/octet-stream")


@app.get("/sse")
async def events(request: Request) -> EventSourceResponse:
    count = int(request.query_params.get("count", "3"))
    delay = float(request.query_params.get("delay", "0"))
    tag = request.query_params.get("tag", "sse")

    async def feed() -> AsyncIterator[ServerSentEvent]:
        try:
            for number in range(count):
                yield ServerSentEvent(f"event {number}", event="tick", id=number)
                await asyncio.sleep(delay)
        finally:
            cleaned_up[tag] += 1

    return EventSourceResponse(feed())


# WebSockets -------------------------------------------------------------------


@app.websocket("/ws/echo")
async def websocket_echo(ws: WebSocket) -> None:
    tag = ws.query_params.get("tag", "ws")
    await ws.accept()
    try:
        while True:
            message = await ws.receive()
            if message.get("text") is not None:
                await ws.send_text(message["text"])
            else:
                await ws.send_bytes(message["bytes"])
    finally:
        cleaned_up[tag] += 1


@app.websocket("/ws/crash")
async def websocket_crash(ws: WebSocket) -> None:
    await ws.accept()
    text = await ws.receive_text()
    raise RuntimeError(f"websocket handler crashed: {text}")


# A mounted WSGI app -----------------------------------------------------------


def legacy(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """A WSGI app: ``/crash`` raises, anything else says where it was called."""
    if environ["PATH_INFO"] == "/crash":
        raise RuntimeError(f"wsgi app crashed: {environ['QUERY_STRING']}")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"wsgi {environ['SCRIPT_NAME']}{environ['PATH_INFO']}".encode()]


app.mount("/wsgi", WSGIApp(legacy))


# Looking inside the server process --------------------------------------------


@app.get("/debug/pid")
async def debug_pid(request: Request) -> dict[str, int]:
    return {"pid": os.getpid()}


@app.get("/debug/tasks")
async def debug_tasks(request: Request) -> dict[str, int]:
    return {"tasks": len(asyncio.all_tasks())}


@app.get("/debug/cleaned-up")
async def debug_cleaned_up(request: Request) -> dict[str, int]:
    return dict(cleaned_up)
