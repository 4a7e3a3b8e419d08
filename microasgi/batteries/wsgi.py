"""Serve a WSGI (PEP 3333) application from inside an ASGI app.

``WSGIApp`` turns an ``http`` scope into a WSGI ``environ``, feeds
``wsgi.input`` from ``http.request`` messages as the WSGI app reads it, and
sends what the app returns as ``http.response.start`` and
``http.response.body`` messages, one body message per chunk the app yields.
It completes ``lifespan`` and refuses ``websocket`` connections.

Each request runs from start to finish on one thread of the adapter's own
bounded pool, as in a threaded WSGI server. That thread hands every ASGI call
(``receive`` or ``send``) to the event loop with ``run_coroutine_threadsafe``
and waits for it, so a slow WSGI app only ever blocks its own thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from microasgi.batteries.wsgienviron import RequestBodyStream, build_environ
from microasgi.core.concurrency import ThreadPool
from microasgi.core.datastructures import Headers
from microasgi.core.exceptions import ClientDisconnect
from microasgi.core.http import encode_header, parse_content_length
from microasgi.core.responses import PlainTextResponse
from microasgi.core.rootpath import include_root_path
from microasgi.core.types import Message, RawHeaders, Receive, Scope, Send

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication

logger = logging.getLogger("microasgi")

T = TypeVar("T")

DEFAULT_WORKERS = 10  # WSGI requests served at once; more wait for a free thread
DEFAULT_MAX_BODY_SIZE = 1024 * 1024


class RequestTooLargeError(Exception):
    """Raised into the WSGI app by ``wsgi.input`` once the body passes the limit."""


class WSGIApp:
    """An ASGI app that runs a WSGI app on a bounded pool of threads.

    ``workers`` threads serve WSGI requests at once (each streaming response
    holds its thread until done); ``max_body_size`` bounds a request body
    (over it: 413). The pool is the adapter's own, so a busy WSGI app never
    starves the rest of the application.

    Example:
        >>> from flask import Flask
        >>> flask_app = Flask(__name__)
        >>> app.mount("/legacy", WSGIApp(flask_app))
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        workers: int = DEFAULT_WORKERS,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        if not callable(app):
            raise TypeError(
                f"WSGIApp needs a WSGI callable app(environ, start_response), "
                f"got {app!r}; pass the WSGI app object itself (e.g. a Flask app)"
            )
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if max_body_size < 0:
            raise ValueError(f"max_body_size must be >= 0, got {max_body_size}")
        self.app = app
        self.pool = ThreadPool(workers)
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.complete_lifespan(receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1000, "reason": ""})
        elif scope["type"] == "http":
            await self.handle_http(scope, receive, send)
        else:
            raise ValueError(f"WSGIApp cannot serve {scope['type']!r} scopes")

    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = parse_content_length(
            Headers(scope["headers"]).get("content-length", "")
        )
        if length is not None and length > self.max_body_size:
            response = too_large_response(self.max_body_size)
            await response(scope, receive, send)
            return
        include_root_path(scope)  # PATH_INFO is taken from raw_path
        exchange = WSGIExchange(scope, receive, send, self.max_body_size)
        watcher = asyncio.ensure_future(exchange.watch_for_disconnect())
        try:
            await self.pool.run(exchange.run, self.app)
        except asyncio.CancelledError:
            exchange.disconnected = True  # the worker stops at its next message
            raise
        finally:
            watcher.cancel()
            await asyncio.wait([watcher])

    async def complete_lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.pool.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def too_large_response(limit: int) -> PlainTextResponse:
    return PlainTextResponse(
        f"Request body is larger than max_body_size ({limit} bytes); "
        "raise WSGIApp(max_body_size=...) to accept larger bodies",
        status_code=413,
    )


class WSGIExchange:
    """One request: the WSGI side runs on a worker thread, ASGI on the loop."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, max_body_size: int
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self.loop = asyncio.get_running_loop()
        self.max_body_size = max_body_size
        self.body_received = 0
        self.body_complete = asyncio.Event()
        self.receiving = asyncio.Lock()  # one receive() at a time
        cached_body: bytes = scope.get("microasgi.body", b"")
        if "microasgi.body" in scope:  # a middleware already read the body
            self.body_complete.set()
        raw_body = RequestBodyStream(self.receive_body_from_thread, cached_body)
        wsgi_input = io.BufferedReader(raw_body)
        self.environ = build_environ(scope, wsgi_input)
        self.status_code: int | None = None
        self.raw_headers: RawHeaders = []
        self.headers_sent = False
        self.answered_early = False  # a 413 went out instead of the app's response
        self.disconnected = False

    # --- the worker thread -------------------------------------------------

    def run(self, app: WSGIApplication) -> None:
        """Call the WSGI app and stream its response to the client."""
        try:
            self.call_app(app)
        except ClientDisconnect:
            pass  # nobody left to answer
        except Exception:
            if self.answered_early:
                return  # the app failed on the body the 413 refused
            # Raised like any ASGI app's error: the layer around answers (an
            # App with its handlers, or the server with a 500), or, once the
            # headers went out, the server aborts the response.
            raise

    def call_app(self, app: WSGIApplication) -> None:
        body = app(self.environ, self.start_response)
        try:
            for chunk in body:
                self.write(chunk)
            self.finish()
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: OptExcInfo | None = None,
        /,
    ) -> Callable[[bytes], object]:
        """PEP 3333 ``start_response``: headers are kept until the first body."""
        if exc_info is not None and exc_info[1] is not None:
            if self.headers_sent:
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status_code is not None:
            raise RuntimeError(
                "start_response() was called twice; pass exc_info=sys.exc_info() "
                "to replace the status and headers after an error"
            )
        self.status_code = parse_status(status)
        self.raw_headers = [encode_header(name, value) for name, value in headers]
        return self.write

    def write(self, data: bytes) -> None:
        """Send one body chunk (also the ``write()`` callable of PEP 3333)."""
        if self.status_code is None:
            raise RuntimeError("the WSGI app sent body data before start_response()")
        if not isinstance(data, bytes):
            raise TypeError(
                f"WSGI body chunks must be bytes, got {type(data).__name__}; "
                "encode text first, e.g. text.encode('utf-8')"
            )
        if data:
            self.send_with_start(
                {"type": "http.response.body", "body": data, "more_body": True}
            )

    def finish(self) -> None:
        if self.status_code is None:
            raise RuntimeError("the WSGI app returned without calling start_response()")
        self.send_with_start(
            {"type": "http.response.body", "body": b"", "more_body": False}
        )

    def send_with_start(self, message: Message) -> None:
        """Send ``message``, preceded by the start message if not yet sent.

        Both go in one trip to the event loop: each trip costs the worker
        thread a wait, and small responses are mostly those waits.
        """
        messages = [message]
        if not self.headers_sent:
            start = {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
            }
            messages.insert(0, start)
            self.headers_sent = True
        if not self.answered_early:
            self.on_loop(partial(self.send_all, messages))

    async def send_all(self, messages: list[Message]) -> None:
        for message in messages:
            await self.send(message)

    def receive_body_from_thread(self) -> bytes:
        return self.on_loop(self.receive_body)

    def on_loop(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()`` on the event loop; the worker thread waits for it."""
        if self.disconnected:
            raise ClientDisconnect()

        async def await_call() -> T:
            return await call()

        future = asyncio.run_coroutine_threadsafe(await_call(), self.loop)
        try:
            return future.result()
        except (OSError, concurrent.futures.CancelledError) as exc:
            # ASGI servers raise OSError from send() once the client is gone.
            self.disconnected = True
            raise ClientDisconnect() from exc

    # --- the event loop ----------------------------------------------------

    async def receive_body(self) -> bytes:
        """The next piece of the request body, or ``b""`` once it all arrived."""
        async with self.receiving:
            while not self.body_complete.is_set():
                message = await self.receive()
                if message["type"] == "http.disconnect":
                    self.disconnected = True
                    raise ClientDisconnect()
                body: bytes = message.get("body", b"")
                self.body_received += len(body)
                if not message.get("more_body", False):
                    self.body_complete.set()
                if self.body_received > self.max_body_size:
                    await self.refuse_body()
                if body:
                    return body
        return b""

    async def refuse_body(self) -> None:
        if not self.headers_sent:
            response = too_large_response(self.max_body_size)
            await response(self.scope, self.receive, self.send)
            self.answered_early = True
        raise RequestTooLargeError(
            f"request body is larger than max_body_size ({self.max_body_size})"
        )

    async def watch_for_disconnect(self) -> None:
        """Notice the client leaving, so that a stream stops at its next chunk."""
        if not expects_body(self.scope):
            with contextlib.suppress(ClientDisconnect):
                await self.receive_body()  # take the one empty http.request
        await self.body_complete.wait()
        # With the body in, the only message left to receive is the disconnect.
        message = await self.receive()
        if message["type"] == "http.disconnect":
            self.disconnected = True


def expects_body(scope: Scope) -> bool:
    """Whether the request may carry a body (HTTP/1 says so in its headers)."""
    headers = Headers(scope["headers"])
    if "transfer-encoding" in headers:
        return True
    if "content-length" in headers:
        return headers["content-length"] != "0"
    return not scope.get("http_version", "1.1").startswith("1")


def parse_status(status: str) -> int:
    """``"404 Not Found"`` -> ``404``, refusing anything else."""
    if not (isinstance(status, str) and status[:3].isdigit() and status[3:4] == " "):
        raise ValueError(f"WSGI status must be a str like '200 OK', got {status!r}")
    return int(status[:3])
