"""WebSocket sessions for the test clients: a test's side of one connection.

:class:`AsyncWebSocketTestSession` does the work on the event loop: it sends
the app ``websocket.connect`` and ``websocket.receive`` messages and reads
what the app sends back. :class:`WebSocketTestSession` offers the same
methods to a sync test, each run on the sync client's event loop.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal

from microasgi.core.types import Message, RawHeaders, Scope
from microasgi.testing import connection
from microasgi.testing.connection import AppRunner, Connection


class WebSocketDenialError(Exception):
    """The app refused the WebSocket handshake; the client got an HTTP response.

    Example:
        >>> with pytest.raises(WebSocketDenialError) as denied:
        ...     with client.websocket_connect("/private"):
        ...         pass
        >>> denied.value.status_code  # 403 for a close before accept
        403
    """

    def __init__(self, status_code: int, headers: RawHeaders, body: bytes) -> None:
        super().__init__(
            f"the app denied the WebSocket handshake with HTTP {status_code}"
        )
        self.status_code = status_code
        self.headers = httpx.Headers(headers)
        self.body = body


class WebSocketClosedError(Exception):
    """The app closed the WebSocket; ``code`` and ``reason`` say how.

    Example:
        >>> with pytest.raises(WebSocketClosedError) as closed:
        ...     ws.receive_text()
        >>> closed.value.code, closed.value.reason
        (4001, 'go away')
    """

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"the app closed the WebSocket with code {code} {reason!r}")
        self.code = code
        self.reason = reason


class AsyncWebSocketTestSession:
    """A WebSocket connection to the app, driven from an async test.

    Every receive waits at most ``timeout`` seconds, then raises TimeoutError.

    Example:
        >>> async with client.websocket_connect("/ws") as ws:
        ...     await ws.send_json({"op": "ping"})
        ...     assert await ws.receive_json() == {"op": "pong"}
    """

    def __init__(self, connection: Connection, timeout: float) -> None:
        self._connection = connection
        self.timeout = timeout
        self.accepted_subprotocol: str | None = None
        self.extra_headers: RawHeaders = []
        self.close_code: int | None = None
        self.close_reason = ""

    async def send(self, message: Message) -> None:
        """Hand the app a raw ASGI message (normally a ``websocket.receive``)."""
        if self.close_code is not None:
            raise WebSocketClosedError(self.close_code, self.close_reason)
        await self._connection.to_app.put(message)

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.receive", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.receive", "bytes": data})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        text = json.dumps(data, separators=(",", ":"))
        if _binary(mode):
            await self.send_bytes(text.encode())
        else:
            await self.send_text(text)

    async def receive(self) -> Message:
        """The app's next ``websocket.send`` message; raises once the app closed."""
        if self.close_code is not None:
            raise WebSocketClosedError(self.close_code, self.close_reason)
        message = await self._next_message()
        if message is None:  # the app ended without a close frame
            self._connection.raise_app_error()
            message = {"type": "websocket.close", "code": 1006}
        if message["type"] != "websocket.close":
            return message
        self._connection.raise_app_error()  # the close may answer a handler error
        code, reason = message.get("code", 1000), message.get("reason") or ""
        self._closed(code, reason)
        raise WebSocketClosedError(code, reason)

    async def receive_text(self) -> str:
        return str(_payload(await self.receive(), "text"))

    async def receive_bytes(self) -> bytes:
        return bytes(_payload(await self.receive(), "bytes"))

    async def receive_json(self, mode: str = "text") -> Any:
        kind = "bytes" if _binary(mode) else "text"
        return json.loads(_payload(await self.receive(), kind))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client side: the app receives ``websocket.disconnect``.

        An app that closed first gets the session timeout to finish its work;
        otherwise it gets a short grace period to notice, then it is cancelled.
        """
        grace = self.timeout
        if self.close_code is None:
            grace = connection.CLOSE_GRACE_SECONDS
            self._closed(code, reason)
        await self._finish(grace)

    def _closed(self, code: int, reason: str) -> None:
        self.close_code, self.close_reason = code, reason
        disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
        self._connection.leave(disconnect)

    async def _finish(self, timeout: float) -> None:
        await self._connection.finish(timeout)
        self._connection.raise_app_error()

    async def _handshake(self) -> None:
        self._connection.to_app.put_nowait({"type": "websocket.connect"})
        message = await self._next_message()
        if message is not None and message["type"] == "websocket.accept":
            self.accepted_subprotocol = message.get("subprotocol")
            self.extra_headers = list(message.get("headers", []))
            return
        denial = WebSocketDenialError(500, [], b"")  # the app ended, or sent nonsense
        if message is not None and message["type"] == "websocket.close":
            denial = WebSocketDenialError(403, [], b"")
        elif message is not None and message["type"] == "websocket.http.response.start":
            denial = await self._read_denial(message)
        self.close_code = 1006
        self._connection.leave({"type": "websocket.disconnect", "code": 1006})
        await self._finish(self.timeout)
        raise denial

    async def _read_denial(self, start: Message) -> WebSocketDenialError:
        body = b""
        while (message := await self._next_message()) is not None:
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = list(start.get("headers", []))
        return WebSocketDenialError(start["status"], headers, body)

    async def _next_message(self) -> Message | None:
        try:
            return await self._connection.next_message(self.timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the app sent no WebSocket message within {self.timeout}s; "
                "is it waiting for the client to send something first?"
            ) from None


class WebSocketTestSession:
    """A WebSocket connection to the app, driven from a (sync) test.

    The same methods as :class:`AsyncWebSocketTestSession`, each run on the
    client's event loop. Every receive waits at most ``timeout`` seconds.

    Example:
        >>> with client.websocket_connect("/ws", subprotocols=["chat"]) as ws:
        ...     ws.send_json({"op": "ping"})
        ...     assert ws.receive_json() == {"op": "pong"}
    """

    def __init__(self, session: AsyncWebSocketTestSession, portal: BlockingPortal):
        self._session = session
        self._portal = portal

    @property
    def timeout(self) -> float:
        return self._session.timeout

    @property
    def accepted_subprotocol(self) -> str | None:
        return self._session.accepted_subprotocol

    @property
    def extra_headers(self) -> RawHeaders:
        return self._session.extra_headers

    @property
    def close_code(self) -> int | None:
        return self._session.close_code

    @property
    def close_reason(self) -> str:
        return self._session.close_reason

    def send(self, message: Message) -> None:
        """Hand the app a raw ASGI message (normally a ``websocket.receive``)."""
        self._portal.call(self._session.send, message)

    def send_text(self, data: str) -> None:
        self._portal.call(self._session.send_text, data)

    def send_bytes(self, data: bytes) -> None:
        self._portal.call(self._session.send_bytes, data)

    def send_json(self, data: Any, mode: str = "text") -> None:
        self._portal.call(self._session.send_json, data, mode)

    def receive(self) -> Message:
        """The app's next ``websocket.send`` message; raises once the app closed."""
        return self._portal.call(self._session.receive)

    def receive_text(self) -> str:
        return self._portal.call(self._session.receive_text)

    def receive_bytes(self) -> bytes:
        return self._portal.call(self._session.receive_bytes)

    def receive_json(self, mode: str = "text") -> Any:
        return self._portal.call(self._session.receive_json, mode)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client side: the app receives ``websocket.disconnect``."""
        self._portal.call(self._session.close, code, reason)


def _binary(mode: str) -> bool:
    if mode not in ("text", "binary"):
        raise ValueError(f"mode must be 'text' or 'binary', got {mode!r}")
    return mode == "binary"


def _payload(message: Message, key: str) -> Any:
    if message.get(key) is None:
        other = message.get("text" if key == "bytes" else "bytes")
        raise TypeError(f"expected {key} from the app, got {reprlib.repr(other)}")
    return message[key]


def _handshake_headers(
    subprotocols: Sequence[str], headers: Mapping[str, str] | None
) -> dict[str, str]:
    handshake = {
        "connection": "upgrade",
        "upgrade": "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",  # the RFC 6455 sample key
    }
    if subprotocols:
        handshake["sec-websocket-protocol"] = ", ".join(subprotocols)
    return {**handshake, **(headers or {})}


def websocket_scope(
    client: httpx.Client | httpx.AsyncClient,
    runner: AppRunner,
    url: str,
    subprotocols: Sequence[str] | None,
    headers: Mapping[str, str] | None,
) -> Scope:
    """The ``websocket`` scope for opening ``url`` from ``client``."""
    offered = list(subprotocols or [])
    handshake = _handshake_headers(offered, headers)
    request = client.build_request("GET", url, headers=handshake)
    return runner.websocket_scope(request, offered)
