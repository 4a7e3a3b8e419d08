"""The live conversation page: every request's ASGI messages, drawn as they happen.

With ``App(debug=True)`` the app attaches this tool (through the
``microasgi.debug_tools`` entry point, see
:func:`microasgi.core.debugtools.attach_debug_tools`), and ``/_microasgi/``
shows the last requests' and WebSocket sessions' conversations as sequence
diagrams, updated live over Server-Sent Events, with a filter by path and
status. It is never attached when debug is off: it shows headers and bodies,
cookies included.

The page is plain HTML, CSS and JavaScript shipped in this package; the
diagrams are SVG drawn by ``live.js`` in the browser. Bodies are kept only up
to :data:`BODY_LIMIT` bytes, and only the last :data:`KEEP` connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microasgi.batteries.sse import EventSourceResponse, ServerSentEvent
from microasgi.core.responses import PlainTextResponse, RedirectResponse, Response
from microasgi.core.rootpath import full_path, route_path
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send
from microasgi.testing.conversation import Direction, recording_channels, to_json
from microasgi.testing.validate import ConversationChecker
from microasgi.tooling.layers import summary

if TYPE_CHECKING:
    from microasgi.core.app import App

PREFIX = "/_microasgi"
KEEP = 100  # connections kept for a page that opens later
BODY_LIMIT = 1024  # bytes of each body kept
QUEUE_SIZE = 200  # updates waiting for a slow page before it misses some
ASSETS = {
    "/": ("live.html", "text/html"),
    "/live.js": ("live.js", "text/javascript"),
    "/live.css": ("live.css", "text/css"),
}
_DATA_FIELDS = ("body", "bytes", "text")


def attach(app: App, stack: ASGIApp) -> ASGIApp:
    """The debug-tool hook: wrap the app's stack with the live page."""
    return LivePage(stack)


class ConnectionLog:
    """The last connections' conversations, and the pages watching them."""

    def __init__(self) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self.watchers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.ids = itertools.count(1)

    def publish(self, entry: dict[str, Any]) -> None:
        """Keep ``entry`` (replacing an older state of it) and tell every page."""
        for index, kept in enumerate(self.entries):
            if kept["id"] == entry["id"]:
                del self.entries[index]
                break
        self.entries.append(entry)
        for queue in self.watchers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(entry)

    def close(self) -> None:
        """End every page's stream (the server is shutting down)."""
        for queue in self.watchers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    async def stream(self) -> AsyncIterator[ServerSentEvent]:
        """Every kept entry, then each new one as it is published."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)
        self.watchers.add(queue)
        try:
            for kept in list(self.entries):
                yield ServerSentEvent(json.dumps(kept), id=str(kept["id"]))
            while (entry := await queue.get()) is not None:
                yield ServerSentEvent(json.dumps(entry), id=str(entry["id"]))
        finally:
            self.watchers.discard(queue)


class Recorder:
    """One connection's conversation, kept small, as JSON-ready data."""

    def __init__(self, log: ConnectionLog, scope: Scope) -> None:
        self.log = log
        self.started = time.perf_counter()
        self.checker = ConversationChecker(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        self.entry: dict[str, Any] = {
            "id": next(log.ids),
            "kind": scope["type"],
            "method": scope.get("method", "WEBSOCKET"),
            "path": full_path(scope),  # root_path is in it once, on any server
            "query": query,
            "status": None,
            "done": False,
            "duration_ms": None,
            "extensions": sorted(scope.get("extensions") or {}),
            "events": [],
        }

    def record(self, direction: Direction, message: Message) -> None:
        check = self.checker.check_receive if direction == "receive" else (
            self.checker.check_send
        )  # fmt: skip
        breach = check(message)
        kind = message.get("type") if isinstance(message, Mapping) else None
        if kind in ("http.response.start", "websocket.http.response.start"):
            self.entry["status"] = message.get("status")
        elif kind == "websocket.accept":
            self.entry["status"] = 101
            self.publish()  # a session shows up when it opens, not when it ends
        elif kind == "websocket.close" and self.entry["status"] is None:
            self.entry["status"] = 403  # closed before accepting: denied
        self.entry["events"].append(
            {
                "t": round((time.perf_counter() - self.started) * 1000, 3),
                "direction": direction,
                "summary": summary(message),
                "message": to_json(_shortened(message)),
                "breach": breach,
            }
        )

    def finish(self, error: BaseException | None) -> None:
        self.entry["done"] = True
        self.entry["duration_ms"] = round(
            (time.perf_counter() - self.started) * 1000, 3
        )
        if error is not None:
            self.entry["error"] = f"{type(error).__name__}: {error}"
        self.publish()

    def publish(self) -> None:
        self.log.publish(json.loads(json.dumps(self.entry)))  # a snapshot


def _shortened(message: Any) -> Any:
    """The message with long bodies cut, so that memory stays bounded."""
    if not isinstance(message, Mapping):
        return message
    short = dict(message)
    for key in _DATA_FIELDS:
        data = short.get(key)
        if isinstance(data, bytes | str) and len(data) > BODY_LIMIT:
            short[key] = data[:BODY_LIMIT]
            short[f"{key}_length"] = len(data)
    return short


class LivePage:
    """Serve the page below ``/_microasgi/``; record every other connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = ConnectionLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._watch_shutdown(receive), send)
            return
        path = route_path(scope)
        if scope["type"] == "http" and (
            path == PREFIX or path.startswith(PREFIX + "/")
        ):
            await self.page(path[len(PREFIX) :], scope)(scope, receive, send)
            return
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        recorder = Recorder(self.log, scope)
        channels = recording_channels(receive, send, recorder.record)
        error: BaseException | None = None
        try:
            await self.app(scope, *channels)
        except BaseException as exc:
            error = exc
            raise
        finally:
            recorder.finish(error)

    def page(self, rest: str, scope: Scope) -> Response:
        """The response for a path below the prefix."""
        if rest == "":
            return RedirectResponse(scope.get("root_path", "") + PREFIX + "/")
        if rest == "/events":
            return EventSourceResponse(self.log.stream())
        if rest in ASSETS and scope["method"] in ("GET", "HEAD"):
            name, media_type = ASSETS[rest]
            content = (Path(__file__).parent / name).read_bytes()
            return Response(content, media_type=media_type,
                            headers={"cache-control": "no-store"})  # fmt: skip
        return PlainTextResponse("Not Found", status_code=404)

    def _watch_shutdown(self, receive: Receive) -> Receive:
        async def receive_and_watch() -> Message:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                self.log.close()  # open pages end their streams, so shutdown is quick
            return message

        return receive_and_watch
