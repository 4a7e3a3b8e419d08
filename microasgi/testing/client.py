"""Test any ASGI app in-process with httpx: streaming, lifespan and WebSockets.

:class:`TestClient` is an ``httpx.Client`` whose transport calls the app
directly; :class:`AsyncTestClient` is its ``httpx.AsyncClient`` twin. Response
bodies stream chunk by chunk as the app sends them, ``with`` runs the lifespan
protocol, and every request records its ASGI conversation. The app is wrapped
in :func:`microasgi.testing.validate.validate` unless ``validate=False``.

Example:
    >>> with TestClient(app) as client:
    ...     assert client.get("/").status_code == 200
    ...     with client.websocket_connect("/ws") as ws:
    ...         ws.send_text("hi")
    ...         print(ws.receive_text())
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import TypeVar

from microasgi.core.extras import missing_package

try:
    import httpx
except ModuleNotFoundError as exc:
    raise missing_package(exc) from None

from microasgi.core.types import ASGIApp, Message
from microasgi.testing.connection import AppRunner, Connection
from microasgi.testing.conversation import Conversation, Event
from microasgi.testing.transport import AsyncTransport, PortalTransport
from microasgi.testing.validate import validate as validate_app
from microasgi.testing.websocket import (
    AsyncWebSocketTestSession,
    WebSocketClosedError,
    WebSocketDenialError,
    WebSocketTestSession,
    websocket_scope,
)

__all__ = [
    "AsyncTestClient",
    "AsyncWebSocketTestSession",
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
        scope = websocket_scope(self, self._runner, url, subprotocols, headers)
        portal = self._portal_transport.portal
        connection = portal.call(Connection, self._runner, scope)
        self._runner.last_conversation = connection.conversation
        session = AsyncWebSocketTestSession(connection, timeout)
        portal.call(session._handshake)
        sync_session = WebSocketTestSession(session, portal)
        try:
            yield sync_session
        finally:
            sync_session.close()

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
        """The ASGI conversation of the latest request or WebSocket session."""
        return self._runner.last_conversation

    @asynccontextmanager
    async def websocket_connect(
        self,
        url: str,
        subprotocols: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
    ) -> AsyncIterator[AsyncWebSocketTestSession]:
        """Open a WebSocket to the app; leaving the block closes it with code 1000.

        Example:
            >>> async with client.websocket_connect("/ws") as ws:
            ...     await ws.send_text("hi")
            ...     print(await ws.receive_text())
        """
        scope = websocket_scope(self, self._runner, url, subprotocols, headers)
        connection = Connection(self._runner, scope)
        self._runner.last_conversation = connection.conversation
        session = AsyncWebSocketTestSession(connection, timeout)
        await session._handshake()
        try:
            yield session
        finally:
            await session.close()

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
