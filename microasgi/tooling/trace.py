"""Tracing: run one request in-process against any ASGI app and record it.

:func:`trace` plays the server's part for one HTTP request (or a scripted
WebSocket session): it builds the scope, answers ``receive`` with
``http.request`` (later ``http.disconnect``) or the WebSocket frames, and
records every message in a :class:`~microasgi.testing.conversation.Conversation`;
:func:`format_trace` prints it. ``microasgi trace module:app GET /`` is this
module on the command line.

Example:
    >>> traces = asyncio.run(trace(app, TraceRequest("GET", "/items/3")))
    >>> print(format_trace(traces[0]))
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from microasgi.core.extensions import WEBSOCKET_DENIAL, extensions_used
from microasgi.core.types import ASGIApp, Message, RawHeaders, Receive, Scope, Send
from microasgi.testing.conversation import (
    BODY_LIMIT,
    Conversation,
    Event,
    Style,
    conversation_json,
    conversation_lines,
    format_conversation,
    recording_channels,
    to_json,
)
from microasgi.testing.validate import ConversationChecker
from microasgi.tooling.layers import Layer, layer_changes, watch_layers

__all__ = [
    "Conversation",
    "Event",
    "Trace",
    "TraceRequest",
    "build_scope",
    "format_conversation",
    "format_trace",
    "trace",
    "trace_json",
]
ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
DEFAULT_HOST = "testserver"
DEFAULT_CLIENT = ("127.0.0.1", 50000)
_URL_SAFE = "/%:@!$&'()*+,;="  # kept as typed; anything else is percent-encoded


@dataclass
class Trace:
    """A traced connection: its conversation, and how the app ended."""

    conversation: Conversation
    duration: float | None = None  # seconds until the app returned or raised
    error: BaseException | None = None
    timed_out: bool = False
    unread: list[Message] = field(default_factory=list)  # never received
    layers: list[Layer] = field(default_factory=list)  # with layers=True

    def as_layers(self) -> list[Layer]:
        """The layers seen, or the whole app as one layer when not watched."""
        if self.layers:
            return self.layers
        events = self.conversation.events
        return [Layer("app", self.conversation, list(range(len(events))))]

    async def run(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
        timeout: float | None,
    ) -> Trace:  # fmt: skip
        """Call ``app`` once, recording every message; its error is kept, not raised."""
        conversation = self.conversation
        channels = recording_channels(receive, send, conversation.record)
        try:
            call = app(scope, *channels)
            await asyncio.wait_for(call, timeout)
        except asyncio.TimeoutError:
            self.timed_out = True
        except Exception as exc:
            self.error = exc
        self.duration = time.perf_counter() - conversation.started
        return self


@dataclass
class TraceRequest:
    """What the client sends: an HTTP request, or a scripted WebSocket session.

    ``body`` is None for no body at all (no ``content-length`` header);
    with ``websocket=True``, each of ``texts`` is sent as a text frame.
    """

    method: str = "GET"
    target: str = "/"
    body: bytes | None = None
    headers: RawHeaders = field(default_factory=list)
    websocket: bool = False
    texts: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)  # offered, as a server would


def build_scope(request: TraceRequest, state: dict[str, Any] | None = None) -> Scope:
    """The ``http`` or ``websocket`` scope a server would build for ``request``."""
    target = request.target
    # A path alone gets the default host, so that '//x' stays a path.
    url = urlsplit(target if "://" in target else f"//{DEFAULT_HOST}{target}")
    if not url.path.startswith("/"):
        raise ValueError(
            f"the path to trace must start with '/', got {target!r}; "
            f"did you mean '/{target}'?"
        )
    headers = list(request.headers)
    names = {name for name, _ in headers}
    if b"host" not in names:
        headers.insert(0, (b"host", url.netloc.encode("latin-1")))
    if request.body is not None and b"content-length" not in names:
        headers.append((b"content-length", str(len(request.body)).encode()))
    secure = url.scheme in ("https", "wss")
    scheme = "ws" if request.websocket else "http"
    scope: Scope = {
        "type": "websocket" if request.websocket else "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": "1.1",
        "method": request.method.upper(),
        "scheme": scheme + "s" if secure else scheme,
        "path": unquote(url.path, errors="replace"),
        "raw_path": quote(url.path, safe=_URL_SAFE).encode("ascii"),
        "query_string": quote(url.query, safe=_URL_SAFE + "?").encode("ascii"),
        "root_path": "",
        "headers": headers,
        "client": DEFAULT_CLIENT,
        "server": (url.hostname or DEFAULT_HOST, url.port or (443 if secure else 80)),
        "extensions": {name: {} for name in request.extensions},
    }
    if request.websocket:
        del scope["method"]
        scope["subprotocols"] = []
        scope["extensions"].setdefault(WEBSOCKET_DENIAL, {})
    if state is not None:
        scope["state"] = dict(state)
    return scope


def _kind(message: Any) -> Any:
    return message.get("type") if isinstance(message, Mapping) else None


class HTTPPeer:
    """The server's side of one HTTP request: the body, then a disconnect.

    Like a real server, a ``receive`` after the body waits until the response
    is complete and then reports ``http.disconnect``.
    """

    def __init__(self, body: bytes) -> None:
        self.pending: list[Message] = [
            {"type": "http.request", "body": body, "more_body": False}
        ]
        self.response_complete = asyncio.Event()

    async def receive(self) -> Message:
        if self.pending:
            return self.pending.pop(0)
        await self.response_complete.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if _kind(message) == "http.response.body" and not message.get("more_body"):
            self.response_complete.set()


class WebSocketPeer:
    """The client's side of a scripted WebSocket session.

    It connects, waits for the app to answer the handshake, sends each text
    frame in turn, then closes with 1000 (or echoes the app's close code).
    """

    def __init__(self, texts: list[str]) -> None:
        self.pending: list[Message] = [
            {"type": "websocket.receive", "text": text} for text in texts
        ]
        self.connected = False
        self.open = True
        self.close_code = 1000
        self.answered = asyncio.Event()  # accepted, closed or denied

    async def receive(self) -> Message:
        if not self.connected:
            self.connected = True
            return {"type": "websocket.connect"}
        await self.answered.wait()
        if self.open and self.pending:
            return self.pending.pop(0)
        self.open = False
        return {"type": "websocket.disconnect", "code": self.close_code, "reason": ""}

    async def send(self, message: Message) -> None:
        kind = _kind(message)
        if kind == "websocket.accept":
            self.answered.set()
        elif kind in ("websocket.close", "websocket.http.response.start"):
            self.open = False
            self.close_code = (
                message.get("code", 1000) if kind == "websocket.close" else 1000
            )
            self.answered.set()


class LifespanPeer:
    """The server's side of the lifespan protocol, run around a trace."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.timeout = timeout
        self.state: dict[str, Any] = {}
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": dict(ASGI_VERSION), "state": self.state}
        self.result = Trace(Conversation(dict(scope)))
        run = self.result.run(app, scope, self.to_app.get, self.from_app.put, None)
        self.task = asyncio.ensure_future(run)

    async def ask(self, event: str) -> Message | None:
        """Send ``event``; the app's reply, or None if it ended (or was too slow)."""
        self.to_app.put_nowait({"type": event})
        reply = asyncio.ensure_future(self.from_app.get())
        await asyncio.wait({reply, self.task}, timeout=self.timeout,
                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        if reply.done():
            return reply.result()
        reply.cancel()
        return None

    async def finish(self) -> Trace:
        """Wait for the app to end its lifespan; cancel it after the timeout."""
        await asyncio.wait({self.task}, timeout=self.timeout)
        if not self.task.done():
            self.task.cancel()
            await asyncio.wait({self.task})
            self.result.timed_out = True
        return self.result


async def trace(
    app: ASGIApp,
    request: TraceRequest,
    *,
    lifespan: bool = False,
    timeout: float = 10.0,
    layers: bool = False,
) -> list[Trace]:
    """Run ``request`` against ``app``; the request's trace, then the lifespan's.

    With ``lifespan=True`` the app gets ``lifespan.startup`` first and
    ``lifespan.shutdown`` after; a failed startup skips the request. With
    ``layers=True`` (a microasgi ``App`` only) the request's trace also
    holds the conversation at every middleware boundary.
    """
    target, watched = _watched(app) if layers else (app, [])
    peer = LifespanPeer(app, timeout) if lifespan else None
    state = None
    if peer is not None:
        reply = await peer.ask("lifespan.startup")
        if _kind(reply) == "lifespan.startup.failed":
            return [await peer.finish()]
        if _kind(reply) == "lifespan.startup.complete":
            state = peer.state
    scope = build_scope(request, state)
    if request.websocket:
        client: HTTPPeer | WebSocketPeer = WebSocketPeer(request.texts)
    else:
        client = HTTPPeer(request.body or b"")
    request_trace = Trace(Conversation(dict(scope)))
    traces = [
        await request_trace.run(target, scope, client.receive, client.send, timeout)
    ]
    traces[0].layers = watched
    if isinstance(client, HTTPPeer):
        traces[0].unread = client.pending
    if peer is not None:
        if state is not None:
            await peer.ask("lifespan.shutdown")
        traces.append(await peer.finish())
    return traces


def _watched(app: ASGIApp) -> tuple[ASGIApp, list[Layer]]:
    from microasgi.core.app import App

    if not isinstance(app, App):
        raise TypeError(
            f"layers can be shown for a microasgi App only, not for "
            f"{type(app).__name__}; its middleware stack is not known to microasgi"
        )
    return watch_layers(app)


def format_trace(
    trace: Trace, color: bool = False, body_limit: int = BODY_LIMIT
) -> str:
    """The conversation as :func:`format_conversation` prints it, then the ending."""
    style = Style(color)
    checker = ConversationChecker(trace.conversation.scope)
    lines = conversation_lines(
        trace.conversation, checker, style, body_limit, trace.unread
    )
    if trace.conversation.scope.get("type") != "lifespan":
        lines.append(_extensions_line(trace))
    lines.append(_ending(trace))
    breach = None if trace.error or trace.timed_out else checker.check_return()
    if breach is not None:
        lines.append(style("breach", f"!! ASGI breach: {breach}"))
    if trace.unread:
        note = "unread: the server had this ready, but the app never called receive()"
        lines.append(style("dim", note))
    return "\n".join(lines)


def offered_and_used(trace: Trace) -> tuple[list[str], list[str]]:
    """The extensions the (simulated) server offered, and those the app used."""
    conversation = trace.conversation
    offered = list(conversation.scope.get("extensions") or {})
    sent = [event.message for event in conversation.events if event.direction == "send"]
    return offered, extensions_used(sent)


def _extensions_line(trace: Trace) -> str:
    offered, used = offered_and_used(trace)
    return (
        f"extensions offered by the server: {', '.join(offered) or 'none'}; "
        f"used by the app: {', '.join(used) or 'none'}"
    )


def _ending(trace: Trace) -> str:
    after = f"after {(trace.duration or 0) * 1000:.3f} ms"
    if trace.timed_out:
        return f"the app was still running {after}, so it was cancelled"
    if trace.error is not None:
        return f"the app raised {type(trace.error).__name__}: {trace.error} {after}"
    return f"the app returned {after}"


def trace_json(trace: Trace) -> dict[str, Any]:
    """The trace as JSON-friendly data: scope, events (with breaches), outcome."""
    checker = ConversationChecker(trace.conversation.scope)
    data = conversation_json(trace.conversation, checker)
    error = trace.error
    data["outcome"] = {
        "duration": trace.duration,
        "timed_out": trace.timed_out,
        "error": None if error is None else f"{type(error).__name__}: {error}",
        "breach": None if error or trace.timed_out else checker.check_return(),
        "unread": to_json(trace.unread),
    }
    offered, used = offered_and_used(trace)
    data["extensions"] = {"offered": offered, "used": used}
    if trace.layers:
        inners = [*trace.layers[1:], None]
        data["layers"] = [
            {"name": layer.name, "changes": layer_changes(layer, inner)}
            for layer, inner in zip(trace.layers, inners, strict=True)
        ]
    return data
