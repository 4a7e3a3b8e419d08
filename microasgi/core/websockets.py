"""WebSockets: ``WebSocket`` wraps a ``websocket`` scope, ``receive`` and ``send``.

The conversation, in ASGI messages: the server sends ``websocket.connect``;
the app answers ``websocket.accept`` (or ``websocket.close`` to refuse, or a
``websocket.http.response.start`` / ``.body`` pair where the server offers the
``websocket.http.response`` extension). Then frames travel as
``websocket.receive`` and ``websocket.send``, until one side sends
``websocket.close`` or the server reports ``websocket.disconnect``.

A frame of the wrong kind is the client's mistake, not the server's: asking
for text and getting bytes closes the connection with 1003 (unsupported
data), and text that is not valid JSON closes it with 1007 (invalid payload).
Either way the handler sees ``WebSocketDisconnect`` with that code and a
reason saying what was wrong, so an ``iter_*`` loop simply ends.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from microasgi.core.drain import Drain, drain_of
from microasgi.core.errors import (
    call_exception_handler,
    find_exception_handler,
    report_server_error,
)
from microasgi.core.exceptions import HTTPException, WebSocketDisconnect
from microasgi.core.http import encode_header
from microasgi.core.requests import HTTPConnection, parse_json
from microasgi.core.responses import encode_json
from microasgi.core.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from microasgi.core.routing import Route

logger = logging.getLogger("microasgi")
T = TypeVar("T")

MAX_REASON_BYTES = 123  # a close frame's reason must fit in 125 bytes with the code


class WebSocketState(enum.Enum):
    """Where one side of the connection stands."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    CLOSED = "closed"


class WebSocket(HTTPConnection):
    """One WebSocket connection, handed to an ``@app.websocket`` handler.

    Example:
        >>> @app.websocket("/echo")
        ... async def echo(ws):
        ...     await ws.accept()
        ...     async for text in ws.iter_text():
        ...         await ws.send_text(text)
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope)
        self._receive = receive
        self._send = send
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING
        self.close_code: int | None = None  # the client's, once it has gone

    # The handshake -------------------------------------------------------

    async def receive_connect(self) -> bool:
        """Read the opening ``websocket.connect``; False if the client left."""
        if self.client_state is not WebSocketState.CONNECTING:
            return self.client_state is WebSocketState.CONNECTED
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self._client_gone(message)
            return False
        if message["type"] != "websocket.connect":
            raise RuntimeError(
                f"expected 'websocket.connect' first, got {message['type']!r}"
            )
        self.client_state = WebSocketState.CONNECTED
        return True

    async def accept(
        self, subprotocol: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Complete the handshake, optionally picking a subprotocol."""
        if self.application_state is not WebSocketState.CONNECTING:
            raise RuntimeError("accept() called twice; call it once per connection")
        if not await self.receive_connect():
            raise WebSocketDisconnect(self.close_code or 1006)
        raw_headers = [encode_header(k, v) for k, v in (headers or {}).items()]
        self.application_state = WebSocketState.CONNECTED
        await self._send(
            {
                "type": "websocket.accept",
                "subprotocol": subprotocol,
                "headers": raw_headers,
            }
        )

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (before ``accept()``: refuse it with HTTP 403).

        Closing twice, or after the client left, does nothing.
        """
        if (size := len(reason.encode("utf-8"))) > MAX_REASON_BYTES:
            raise ValueError(
                f"close reason is {size} bytes; the WebSocket protocol allows "
                f"at most {MAX_REASON_BYTES} - shorten it"
            )
        if self.application_state is WebSocketState.CLOSED:
            return
        if self.application_state is WebSocketState.CONNECTING:
            await self.receive_connect()
        self.application_state = WebSocketState.CLOSED
        if self.client_state is WebSocketState.CLOSED:
            return  # nobody left to tell
        try:
            await self._send(
                {"type": "websocket.close", "code": code, "reason": reason}
            )
        except OSError:
            self.client_state = WebSocketState.CLOSED  # it had gone already

    async def deny(
        self, status_code: int, body: bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        """Refuse the handshake with a plain-text HTTP response (or a 403).

        The status and body reach the client only where the server offers the
        ``websocket.http.response`` extension; elsewhere it answers 403.
        """
        if self.application_state is not WebSocketState.CONNECTING:
            raise RuntimeError("deny() is only possible before accept()")
        if not await self.receive_connect():
            return
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            await self.close()  # the server answers 403
            return
        raw = [encode_header(k, v) for k, v in (headers or {}).items()]
        if all(name != b"content-type" for name, _ in raw):
            raw.append((b"content-type", b"text/plain; charset=utf-8"))
        raw.append((b"content-length", b"%d" % len(body)))
        self.application_state = WebSocketState.CLOSED
        await self._send(
            {"type": "websocket.http.response.start", "status": status_code,
             "headers": raw}
        )  # fmt: skip
        await self._send({"type": "websocket.http.response.body", "body": body})

    # Receiving -----------------------------------------------------------

    async def receive(self) -> Message:
        """The next ``websocket.receive`` message; raises if the client left."""
        if self.application_state is WebSocketState.CONNECTING:
            raise RuntimeError("call await ws.accept() before receiving")
        if self.client_state is WebSocketState.CLOSED:
            raise WebSocketDisconnect(self.close_code or 1006)
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self._client_gone(message)
            raise WebSocketDisconnect(
                self.close_code or 1005, message.get("reason") or ""
            )
        return message

    async def receive_text(self) -> str:
        """The next text frame (a binary frame closes with 1003)."""
        message = await self.receive()
        text: str | None = message.get("text")
        if text is None:
            await self._refuse(1003, "expected a text frame, got a binary frame")
        return text

    async def receive_bytes(self) -> bytes:
        """The next binary frame (a text frame closes with 1003)."""
        message = await self.receive()
        data: bytes | None = message.get("bytes")
        if data is None:
            await self._refuse(1003, "expected a binary frame, got a text frame")
        return data

    async def receive_json(self) -> Any:
        """The next frame, text or binary, parsed as JSON (invalid: 1007)."""
        message = await self.receive()
        payload = message.get("text")
        if payload is None:
            payload = message.get("bytes") or b""
        try:
            return parse_json(payload)
        except (ValueError, RecursionError) as exc:
            await self._refuse(1007, f"invalid JSON: {exc}")

    def iter_text(self) -> AsyncIterator[str]:
        """Yield text frames until the client disconnects."""
        return _until_disconnect(self.receive_text)

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield binary frames until the client disconnects."""
        return _until_disconnect(self.receive_bytes)

    def iter_json(self) -> AsyncIterator[Any]:
        """Yield JSON frames until the client disconnects."""
        return _until_disconnect(self.receive_json)

    # Sending -------------------------------------------------------------

    async def send(self, message: Message) -> None:
        """Send a raw ``websocket.send`` message; a departed client raises."""
        if self.application_state is not WebSocketState.CONNECTED:
            state = self.application_state.value
            raise RuntimeError(f"cannot send on a WebSocket that is {state}")
        if self.client_state is WebSocketState.CLOSED:
            raise WebSocketDisconnect(self.close_code or 1006)
        try:
            await self._send(message)
        except OSError:
            # ASGI servers raise an OSError when the peer is gone.
            self.client_state = WebSocketState.CLOSED
            raise WebSocketDisconnect(1006) from None

    async def send_text(self, data: str) -> None:
        """Send a text frame."""
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary frame."""
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as compact JSON in a text frame."""
        await self.send({"type": "websocket.send", "text": encode_json(data).decode()})

    # Internals -----------------------------------------------------------

    def _client_gone(self, message: Message) -> None:
        self.client_state = WebSocketState.CLOSED
        self.close_code = message.get("code", 1005)

    async def _refuse(self, code: int, reason: str) -> NoReturn:
        """Close because of the client's bad frame and tell the handler why."""
        reason = _shorten(reason)
        await self.close(code, reason)
        raise WebSocketDisconnect(code, reason)


async def _until_disconnect(receive: Callable[[], Awaitable[T]]) -> AsyncIterator[T]:
    try:
        while True:
            yield await receive()
    except WebSocketDisconnect:
        return


def _shorten(reason: str) -> str:
    data = reason.encode("utf-8")
    if len(data) <= MAX_REASON_BYTES:
        return reason
    return data[: MAX_REASON_BYTES - 3].decode("utf-8", "ignore") + "..."


async def run_websocket_handler(
    app: Any, route: Route, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run ``route``'s handler for one connection and always end it properly.

    After the handler returns, a connection it never accepted is refused and
    an open one is closed with 1000. ``HTTPException`` refuses the handshake
    with its status and detail (after ``accept()``: close code 1008). Any
    other exception is logged and handed to the exception handler registered
    for its class, if any, as ``handler(ws, exc)`` (its return value is
    ignored); then the handshake is refused with 500, or the connection
    closed with 1011.
    """
    ws = WebSocket(scope, receive, send)
    if not await ws.receive_connect():
        return  # the client left before we could answer
    try:
        handler = route.endpoint(ws, **scope.get("path_params", {}))
        await _until_drained(handler, ws, drain_of(scope))
    except WebSocketDisconnect:
        pass  # the client left (or sent a bad frame): nothing more to say
    except HTTPException as exc:
        if ws.application_state is WebSocketState.CONNECTING:
            await ws.deny(exc.status_code, exc.detail.encode(), exc.headers)
        else:
            await ws.close(1008, _shorten(exc.detail))
    except Exception as exc:
        logger.error("Exception in WebSocket handler %r for %s", route.name,
                     ws.path, exc_info=exc)  # fmt: skip
        if not await _call_error_handler(app, ws, exc):
            report_server_error(scope, exc)
        if ws.application_state is WebSocketState.CONNECTING:
            await ws.deny(500, b"Internal Server Error")
        await ws.close(1011)
    await ws.close()  # refuses with 403 if the handler never accepted


async def _until_drained(
    handler: Awaitable[None], ws: WebSocket, drain: Drain | None
) -> None:
    """Run ``handler``; if the server starts shutting down, stop it and close 1012.

    The handler runs as its own task so that it can be cancelled (its
    ``finally`` blocks and ``async with`` exits run) while this one goes on
    to close the connection with "service restart": the client reconnects
    to a live worker.
    """
    if drain is None:
        await handler
        return
    task = asyncio.ensure_future(handler)
    try:
        await asyncio.wait((task, drain.started()), return_when="FIRST_COMPLETED")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait((task,))
    if task.cancelled() and drain.draining:
        await ws.close(1012, "server restart")
        return
    task.result()  # the handler's own outcome, error or not


async def _call_error_handler(app: Any, ws: WebSocket, exc: Exception) -> bool:
    """Call the handler registered for ``exc``'s class (not for status codes);
    True if there was one."""
    handler = find_exception_handler(exc, app.exception_handlers, {})
    try:
        if handler is not None:
            await call_exception_handler(handler, app.thread_pool, ws, exc)
    except WebSocketDisconnect:
        pass
    except Exception:
        logger.exception("Exception handler %r failed", handler)
    return handler is not None
