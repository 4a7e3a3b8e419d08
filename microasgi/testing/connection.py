"""One connection between the test client and the app: an ASGI call with two queues.

Every request, WebSocket session and lifespan run is a :class:`Connection`:
the app runs as an asyncio task, its ``send`` fills a queue the client reads
and its ``receive`` reads a queue the client fills. :class:`HTTPConnection`
streams the request body into ``http.request`` messages and hands the
response body out one ``http.response.body`` chunk at a time. Each
connection records its conversation as plain data. The httpx side, which
turns a request into a connection, is :mod:`microasgi.testing.transport`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from microasgi.core.extras import missing_package

try:
    import httpx
except ModuleNotFoundError as exc:
    raise missing_package(exc) from None

from microasgi.core.extensions import SERVER_ERRORS
from microasgi.core.types import ASGIApp, Message, Scope
from microasgi.testing.conversation import Conversation

# How long an app may run on after the client went away before it is cancelled.
CLOSE_GRACE_SECONDS = 1.0


class ClientDisconnectedError(OSError):
    """Raised by ``send`` once the client has gone away (ASGI spec 2.4)."""


@dataclass
class AppRunner:
    """What the transports share: the app, the client's settings, lifespan state."""

    app: ASGIApp
    raise_server_exceptions: bool = True
    root_path: str = ""
    client: tuple[str, int] = ("testclient", 50000)
    state: dict[str, Any] = field(default_factory=dict)
    last_conversation: Conversation | None = None

    def scope(self, request: httpx.Request) -> Scope:
        """The ASGI ``http`` scope for a request."""
        url = request.url
        raw_path = url.raw_path.split(b"?", 1)[0]
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("latin-1"), errors="replace"),
            "raw_path": raw_path,
            "query_string": url.query,
            "root_path": self.root_path,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "client": self.client,
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "state": dict(self.state),
            "extensions": {},
        }

    def websocket_scope(self, request: httpx.Request, subprotocols: list[str]) -> Scope:
        """The ASGI ``websocket`` scope for an upgrade request."""
        scope = self.scope(request)
        del scope["method"]
        scheme = "wss" if scope["scheme"] == "https" else "ws"
        scope.update(type="websocket", scheme=scheme, subprotocols=subprotocols)
        scope["extensions"] = {"websocket.http.response": {}}
        return scope


class AnsweredError:
    """The ``report`` of the ``microasgi.server_errors`` extension: the app calls
    it with an error it answered itself; the first is kept for the test."""

    def __init__(self) -> None:
        self.error: BaseException | None = None

    def __call__(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error

    def __repr__(self) -> str:
        return "AnsweredError()"


class Connection:
    """One run of the app, talking to the client through two queues."""

    def __init__(self, runner: AppRunner, scope: Scope, *, buffer: int = 0) -> None:
        self.raise_server_exceptions = runner.raise_server_exceptions
        self.conversation = Conversation(dict(scope))
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue(maxsize=buffer)
        self.client_gone = False
        self.error: BaseException | None = None
        self.error_reported = False
        # The app hands over errors it answered with a 500 (or a close 1011).
        self.answered = AnsweredError()
        extensions = scope.setdefault("extensions", {})
        extensions[SERVER_ERRORS] = {"report": self.answered}
        self.task = asyncio.create_task(self._run(runner.app, scope))

    async def _run(self, app: ASGIApp, scope: Scope) -> None:
        try:
            await app(scope, self.receive, self.send)
        except Exception as exc:  # kept for the client to raise, or to turn into a 500
            self.error = exc

    async def receive(self) -> Message:
        message = await self.to_app.get()
        self.conversation.record("receive", message)
        return message

    async def send(self, message: Message) -> None:
        self.conversation.record("send", message)
        if self.client_gone:
            raise ClientDisconnectedError("the client has gone away")
        await self.from_app.put(message)

    async def next_message(self, timeout: float | None) -> Message | None:
        """The app's next message, or None once the app has finished."""
        if self.from_app.empty() and not self.task.done():
            getter = asyncio.ensure_future(self.from_app.get())
            done, _ = await asyncio.wait(
                {getter, self.task},
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if getter in done:
                return getter.result()
            getter.cancel()
            if not done:
                raise TimeoutError(f"the app sent nothing for {timeout}s")
        return None if self.from_app.empty() else self.from_app.get_nowait()

    def leave(self, disconnect: Message) -> None:
        """The client goes away: the app receives disconnect, later sends fail."""
        self.client_gone = True
        self.to_app.put_nowait(disconnect)
        while not self.from_app.empty():  # unblocks a send waiting for room
            self.from_app.get_nowait()

    async def finish(self, timeout: float | None) -> bool:
        """Wait for the app to end, cancelling it after timeout; True if it ended."""
        await asyncio.wait({self.task}, timeout=timeout)
        if self.task.done():
            return True
        self.task.cancel()
        await asyncio.wait({self.task}, timeout=CLOSE_GRACE_SECONDS)
        return False

    def raise_app_error(self) -> None:
        """Raise the app's exception once, if the client wants server exceptions.

        An error that stems from the client going away is not a server error.
        """
        error = self.answered.error or self.error
        if error is None or self.error_reported or not self.raise_server_exceptions:
            return
        if not _caused_by_disconnect(error):
            self.error_reported = True
            raise error


def _caused_by_disconnect(error: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ClientDisconnectedError):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


class HTTPConnection(Connection):
    """One HTTP request: the body streams in, the response streams out."""

    def __init__(
        self, runner: AppRunner, request: httpx.Request, body: AsyncIterator[bytes]
    ) -> None:
        self.request = request
        self.timeout: float | None = request.extensions.get("timeout", {}).get("read")
        self.body = body
        self.ahead: bytes | None = None
        self.fetching: asyncio.Future[bytes | None] | None = None
        self.body_started = self.body_done = self.complete = False
        self.start: Message | None = None
        super().__init__(runner, runner.scope(request), buffer=1)
        runner.last_conversation = self.conversation

    async def receive(self) -> Message:
        if self.body_done or self.client_gone:
            message = await super().receive()  # waits for 'http.disconnect'
            self.to_app.put_nowait(message)  # and every later receive() gets it too
            return message
        # Read one chunk ahead, so the last chunk can say more_body=False.
        if not self.body_started:
            self.ahead = await self._next_chunk()
            self.body_started = True
        following = None if self.ahead is None else await self._next_chunk()
        chunk, self.ahead = self.ahead, following
        self.body_done = following is None
        message = {
            "type": "http.request",
            "body": chunk or b"",
            "more_body": not self.body_done,
        }
        self.conversation.record("receive", message)
        return message

    async def _next_chunk(self) -> bytes | None:
        """The next chunk of the request body; a receive() cancelled while it
        waits (as is_disconnected() does) leaves the fetch running for the
        next call, so no chunk is lost."""
        if self.fetching is None:
            self.fetching = asyncio.ensure_future(anext(self.body, None))
        chunk = await asyncio.shield(self.fetching)
        self.fetching = None
        return chunk

    async def wait_for_start(self) -> None:
        """Wait for 'http.response.start'; ``start`` stays None if the app failed."""
        message = await self._next_message()
        if message is not None and message["type"] == "http.response.start":
            self.start = message
            return
        await self.finish(0)
        self.complete = True
        self.raise_app_error()
        if self.raise_server_exceptions:
            got = "returned" if message is None else f"sent {message['type']!r}"
            raise RuntimeError(f"the app {got} without starting the response")

    async def read_chunk(self) -> bytes | None:
        """The next chunk of the response body, or None once it is complete."""
        while not self.complete:
            message = await self._next_message()
            if message is None:
                self.complete = True
                self.raise_app_error()
                raise httpx.RemoteProtocolError(
                    "the app ended without completing the response",
                    request=self.request,
                )
            if message["type"] == "http.response.body":
                self.complete = not message.get("more_body", False)
                if self.complete:
                    self.to_app.put_nowait({"type": "http.disconnect"})
                return (
                    b"" if self.request.method == "HEAD" else message.get("body", b"")
                )
        return None

    async def close(self) -> None:
        """The client is done: let the app finish, or go away and cancel it."""
        if self.complete:  # the app may still run background work
            if not await self.finish(self.timeout):
                raise TimeoutError(
                    f"the app still ran {self.timeout}s after its response ended, "
                    "so it was cancelled; does a background task never finish?"
                )
        else:
            self.leave({"type": "http.disconnect"})
            await self.finish(CLOSE_GRACE_SECONDS)
        if self.fetching is not None:  # a chunk nobody will take
            self.fetching.cancel()
            await asyncio.wait((self.fetching,))
        close_body = getattr(self.body, "aclose", None)  # a half-read request body
        if close_body is not None:
            await close_body()
        self.raise_app_error()

    async def _next_message(self) -> Message | None:
        try:
            return await self.next_message(self.timeout)
        except TimeoutError:
            await self.finish(0)
            raise httpx.ReadTimeout(
                f"the app sent no response message within {self.timeout}s",
                request=self.request,
            ) from None
