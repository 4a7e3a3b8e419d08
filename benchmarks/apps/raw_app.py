"""The baseline: the benchmark app written by hand against the ASGI spec.

No framework, just dictionaries for dispatch and literal message dicts. This is
about as fast as Python can answer, so every framework is measured against it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from .common import (
    FILLER_TEXT,
    HELLO,
    JSON_MESSAGE,
    AnyASGIApp,
    Receive,
    Scope,
    Send,
    filler_routes,
    wrap,
)

Handler = Callable[[Receive, Send, str], Awaitable[None]]
TEXT = b"text/plain; charset=utf-8"
JSON = b"application/json"
ENCODER = json.JSONEncoder(separators=(",", ":"))  # built once, not per call


async def send_response(
    send: Send, status: int, content_type: bytes, body: bytes
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode("latin-1")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def dump_json(value: object) -> bytes:
    return ENCODER.encode(value).encode("utf-8")


async def plaintext(receive: Receive, send: Send, parameter: str) -> None:
    await send_response(send, 200, TEXT, HELLO.encode("utf-8"))


async def json_message(receive: Receive, send: Send, parameter: str) -> None:
    await send_response(send, 200, JSON, dump_json(JSON_MESSAGE))


async def echo(receive: Receive, send: Send, parameter: str) -> None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    try:
        value = json.loads(b"".join(chunks))
    except ValueError:
        await send_response(send, 400, TEXT, b"Invalid JSON")
        return
    await send_response(send, 200, JSON, dump_json(value))


async def read_item(receive: Receive, send: Send, parameter: str) -> None:
    if not parameter.isdigit():
        await send_response(send, 404, TEXT, b"Not Found")
        return
    await send_response(send, 200, JSON, dump_json({"id": int(parameter)}))


async def filler(receive: Receive, send: Send, parameter: str) -> None:
    await send_response(send, 200, TEXT, FILLER_TEXT.encode("utf-8"))


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class RawApp:
    """Static paths in one dict; ``/first/{parameter}`` paths in another."""

    def __init__(self, route_count: int) -> None:
        self.static: dict[str, tuple[str, Handler]] = {
            "/": ("GET", plaintext),
            "/json": ("GET", json_message),
            "/echo": ("POST", echo),
        }
        self.dynamic: dict[str, tuple[str, Handler]] = {}
        for route in filler_routes(route_count):
            if route.dynamic:
                self.dynamic[f"resource{route.index}"] = ("GET", filler)
            else:
                self.static[route.path()] = ("GET", filler)
        self.dynamic["items"] = ("GET", read_item)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        path: str = scope["path"]
        parameter = ""
        found = self.static.get(path)
        if found is None:
            _, first, *rest = path.split("/")
            if len(rest) == 1 and rest[0]:
                found = self.dynamic.get(first)
                parameter = rest[0]
        if found is None:
            await send_response(send, 404, TEXT, b"Not Found")
            return
        method, handler = found
        if scope["method"] != method:
            await send_response(send, 405, TEXT, b"Method Not Allowed")
            return
        await handler(receive, send, parameter)


def create_app(route_count: int = 100, middleware_count: int = 0) -> AnyASGIApp:
    return wrap(RawApp(route_count), middleware_count)


app = create_app()
