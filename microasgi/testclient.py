"""Test any ASGI app in-process with httpx: streaming, lifespan and WebSockets.

:class:`TestClient` is an ``httpx.Client`` whose transport calls the app
directly; :class:`AsyncTestClient` is its ``httpx.AsyncClient`` twin. Response
bodies stream chunk by chunk as the app sends them, ``with`` runs the lifespan
protocol, and every request records its ASGI conversation. The app is wrapped
in :func:`microasgi.validate.validate` unless ``validate=False``.

Example:
    >>> with TestClient(app) as client:
    ...     assert client.get("/").status_code == 200
    ...     with client.websocket_connect("/ws") as ws:
    ...         ws.send_text("hi")
    ...         print(ws.receive_text())
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

import httpx
from anyio.from_thread import BlockingPortal

from microasgi import _testtransport
from microasgi._testtransport import (
    AppRunner,
    AsyncTransport,
    Connection,
    PortalTransport,
)
from microasgi.conversation import Conversation, Event
from microasgi.types import ASGIApp, Message, RawHeaders
from microasgi.validate import validate as validate_app

__all__ = [
    "AsyncTestClient",
    "Conversation",
    "Event",
    "LifespanError",
    "TestClient",
    "WebSocketClosedError",
    "WebSocketDenialError",
    "WebSocketTestSession",
]

_Client = TypeVar("_Client", bound="TestClient")
_AsyncClient = TypeVar("_AsyncClient", bound="AsyncTestClient")


class LifespanError(RuntimeError):
    """The app reported ``lifespan.startup.failed`` or ``lifespan.shutdown.failed``."""

    def __init__(self, event: str, message: str) -> None:
        super().__init__(f"the app reported {event!r}: {message or '(no message)'}")
        self.message = message


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


class LifespanRunner:
    """Runs the lifespan protocol: startup as a client opens, shutdown as it closes."""

    def __init__(self, runner: AppRunner, timeout: float | None) -> None:
        self.runner = runner
        self.timeout = timeout
        self.connection: Connection | None = None

    async def startup(self) -> None:
        self.runner.state = {}
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.runner.state,
        }
        connection = Connection(self.runner, scope)
        reply = await self._ask(connection, "lifespan.startup")
        if reply is None:  # the app raised or returned: it does not do lifespan
            return
        if reply["type"] == "lifespan.startup.failed":
            await connection.finish(self.timeout)
            raise LifespanError(reply["type"], reply.get("message", ""))
        self.connection = connection

    async def shutdown(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        reply = await self._ask(connection, "lifespan.shutdown")
        await connection.finish(self.timeout)
        connection.raise_app_error()
        if reply is not None and reply["type"] == "lifespan.shutdown.failed":
            raise LifespanError(reply["type"], reply.get("message", ""))

    async def _ask(self, connection: Connection, event: str) -> Message | None:
        connection.to_app.put_nowait({"type": event})
        try:
            return await connection.next_message(self.timeout)
        except TimeoutError:
            await connection.finish(0)
            raise TimeoutError(
                f"the app did not answer {event!r} within {self.timeout}s"
            ) from None


class WebSocketTestSession:
    """A WebSocket connection to the app, driven from a test.

    Every receive waits at most ``timeout`` seconds, then raises TimeoutError.

    Example:
        >>> with client.websocket_connect("/ws", subprotocols=["chat"]) as ws:
        ...     ws.send_json({"op": "ping"})
        ...     assert ws.receive_json() == {"op": "pong"}
    """

    def __init__(
        self, connection: Connection, portal: BlockingPortal, timeout: float
    ) -> None:
        self._connection = connection
        self._portal = portal
        self.timeout = timeout
        self.accepted_subprotocol: str | None = None
        self.extra_headers: RawHeaders = []
        self.close_code: int | None = None
        self.close_reason = ""

    def send(self, message: Message) -> None:
        """Hand the app a raw ASGI message (normally a ``websocket.receive``)."""
        if self.close_code is not None:
            raise WebSocketClosedError(self.close_code, self.close_reason)
        self._portal.call(self._connection.to_app.put, message)

    def send_text(self, data: str) -> None:
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        self.send({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any, mode: str = "text") -> None:
        text = json.dumps(data, separators=(",", ":"))
        if _binary(mode):
            self.send_bytes(text.encode())
        else:
            self.send_text(text)

    def receive(self) -> Message:
        """The app's next ``websocket.send`` message; raises once the app closed."""
        if self.close_code is not None:
            raise WebSocketClosedError(self.close_code, self.close_reason)
        message = self._portal.call(self._next_message)
        if message is None:  # the app ended without a close frame
            self._connection.raise_app_error()
            message = {"type": "websocket.close", "code": 1006}
        if message["type"] != "websocket.close":
            return message
        code, reason = message.get("code", 1000), message.get("reason") or ""
        self._closed(code, reason)
        raise WebSocketClosedError(code, reason)

    def receive_text(self) -> str:
        return str(_payload(self.receive(), "text"))

    def receive_bytes(self) -> bytes:
        return bytes(_payload(self.receive(), "bytes"))

    def receive_json(self, mode: str = "text") -> Any:
        return json.loads(
            _payload(self.receive(), "bytes" if _binary(mode) else "text")
        )

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client side: the app receives ``websocket.disconnect``.

        An app that closed first gets the session timeout to finish its work;
        otherwise it gets a short grace period to notice, then it is cancelled.
        """
        grace = self.timeout
        if self.close_code is None:
            grace = _testtransport.CLOSE_GRACE_SECONDS
            self._closed(code, reason)
        self._portal.call(self._finish, grace)

    def _closed(self, code: int, reason: str) -> None:
        self.close_code, self.close_reason = code, reason
        disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
        self._portal.call(self._connection.leave, disconnect)

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


def _runner(
    app: ASGIApp,
    validate: bool,
    raise_server_exceptions: bool,
    root_path: str,
    client: tuple[str, int],
) -> AppRunner:
    checked_app = validate_app(app) if validate else app
    return AppRunner(checked_app, raise_server_exceptions, root_path, client)


class TestClient(httpx.Client):
    """An httpx client that calls an ASGI app in-process, on a background event loop.

    Example:
        >>> with TestClient(app) as client:  # runs lifespan startup and shutdown
        ...     response = client.get("/items/1")
        ...     client.last_conversation.events  # every ASGI message, timed
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        validate: bool = True,
        root_path: str = "",
        client: tuple[str, int] = ("testclient", 50000),
        headers: Mapping[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        timeout: float | httpx.Timeout | None = 5.0,
        follow_redirects: bool = True,
    ) -> None:
        self._runner = _runner(
            app, validate, raise_server_exceptions, root_path, client
        )
        self._portal_transport = PortalTransport(self._runner)
        super().__init__(
            base_url=base_url,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            follow_redirects=follow_redirects,
            transport=self._portal_transport,
        )
        self._lifespan = LifespanRunner(self._runner, self.timeout.read)

    @property
    def last_conversation(self) -> Conversation | None:
        """The ASGI conversation of the latest request or WebSocket session."""
        return self._runner.last_conversation

    @contextmanager
    def websocket_connect(
        self,
        url: str,
        subprotocols: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
    ) -> Iterator[WebSocketTestSession]:
        """Open a WebSocket to the app; leaving the block closes it with code 1000."""
        offered = list(subprotocols or [])
        handshake = _handshake_headers(offered, headers)
        request = self.build_request("GET", url, headers=handshake)
        scope = self._runner.websocket_scope(request, offered)
        portal = self._portal_transport.portal
        connection = portal.call(Connection, self._runner, scope)
        self._runner.last_conversation = connection.conversation
        session = WebSocketTestSession(connection, portal, timeout)
        portal.call(session._handshake)
        try:
            yield session
        finally:
            session.close()

    def __enter__(self: _Client) -> _Client:
        super().__enter__()
        try:
            self._portal_transport.portal.call(self._lifespan.startup)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            self._portal_transport.portal.call(self._lifespan.shutdown)
        finally:
            super().__exit__(exc_type, exc_value, traceback)


class AsyncTestClient(httpx.AsyncClient):
    """The async twin of :class:`TestClient`, calling the app on the caller's loop.

    It needs an asyncio event loop (under anyio, the ``asyncio`` backend).

    Example:
        >>> async with AsyncTestClient(app) as client:
        ...     response = await client.get("/")
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        validate: bool = True,
        root_path: str = "",
        client: tuple[str, int] = ("testclient", 50000),
        headers: Mapping[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        timeout: float | httpx.Timeout | None = 5.0,
        follow_redirects: bool = True,
    ) -> None:
        self._runner = _runner(
            app, validate, raise_server_exceptions, root_path, client
        )
        super().__init__(
            base_url=base_url,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            follow_redirects=follow_redirects,
            transport=AsyncTransport(self._runner),
        )
        self._lifespan = LifespanRunner(self._runner, self.timeout.read)

    @property
    def last_conversation(self) -> Conversation | None:
        """The ASGI conversation of the latest request."""
        return self._runner.last_conversation

    async def __aenter__(self: _AsyncClient) -> _AsyncClient:
        await super().__aenter__()
        try:
            await self._lifespan.startup()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            await self._lifespan.shutdown()
        finally:
            await super().__aexit__(exc_type, exc_value, traceback)
