"""The in-process transport behind the test client: httpx requests as ASGI calls.

Each request becomes an :class:`~microasgi.testing.connection.HTTPConnection`.
:class:`AsyncTransport` runs it on the caller's event loop;
:class:`PortalTransport` drives the same code on a loop in a background
thread for a sync client.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import AsyncIterator, Iterable, Iterator

from microasgi.core.extras import missing_package

try:
    import anyio
    import httpx
    from anyio.from_thread import BlockingPortal
except ModuleNotFoundError as exc:
    raise missing_package(exc) from None

from microasgi.testing.connection import AppRunner, HTTPConnection


def build_response(
    connection: HTTPConnection, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    """The httpx response for a started connection, or a plain 500."""
    extensions = {"microasgi.conversation": connection.conversation}
    start = connection.start
    if start is None:
        return httpx.Response(
            500,
            headers={"content-type": "text/plain; charset=utf-8"},
            content=b"Internal Server Error",
            extensions=extensions,
        )
    headers = list(start.get("headers", []))
    return httpx.Response(
        start["status"], headers=headers, stream=stream, extensions=extensions
    )


class AsyncResponseBody(httpx.AsyncByteStream):
    def __init__(self, connection: HTTPConnection) -> None:
        self.connection = connection

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.connection.read_chunk()) is not None:
            yield chunk

    async def aclose(self) -> None:
        await self.connection.close()


class AsyncTransport(httpx.AsyncBaseTransport):
    """Calls the app on the caller's event loop."""

    def __init__(self, runner: AppRunner) -> None:
        self.runner = runner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        connection = HTTPConnection(self.runner, request, _request_body(request))
        await connection.wait_for_start()
        return build_response(connection, AsyncResponseBody(connection))


class PortalResponseBody(httpx.SyncByteStream):
    def __init__(self, connection: HTTPConnection, portal: BlockingPortal) -> None:
        self.connection = connection
        self.portal = portal

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := self.portal.call(self.connection.read_chunk)) is not None:
            yield chunk

    def close(self) -> None:
        self.portal.call(self.connection.close)


class PortalTransport(httpx.BaseTransport):
    """Calls the app on an event loop in a background thread, for a sync client.

    The thread (a portal) starts on first use and stops when the transport closes.
    """

    def __init__(self, runner: AppRunner) -> None:
        self.runner = runner
        self._portal: BlockingPortal | None = None
        self._thread: threading.Thread | None = None

    @property
    def portal(self) -> BlockingPortal:
        if self._portal is None:
            self._portal, self._thread = _start_portal()
        return self._portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        connection = self.portal.call(self._start, request)
        stream = PortalResponseBody(connection, self.portal)
        return build_response(connection, stream)

    async def _start(self, request: httpx.Request) -> HTTPConnection:
        connection = HTTPConnection(self.runner, request, _request_body(request))
        await connection.wait_for_start()
        return connection

    def close(self) -> None:
        portal, thread = self._portal, self._thread
        self._portal = self._thread = None
        if portal is not None and thread is not None:
            portal.call(portal.stop)
            thread.join()


def _start_portal() -> tuple[BlockingPortal, threading.Thread]:
    """An event loop in a daemon thread, so a client never closed cannot keep
    the interpreter from exiting (anyio's own portal thread would)."""
    ready: queue.Queue[BlockingPortal] = queue.Queue()

    async def serve() -> None:
        async with BlockingPortal() as portal:
            ready.put(portal)
            await portal.sleep_until_stopped()

    thread = threading.Thread(
        target=anyio.run, args=(serve,), name="testclient-portal", daemon=True
    )
    thread.start()
    return ready.get(), thread


def _request_body(request: httpx.Request) -> AsyncIterator[bytes]:
    if isinstance(request.stream, httpx.AsyncByteStream):
        return aiter(request.stream)
    return _iterate_on_loop(request.stream)


async def _iterate_on_loop(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:  # a sync body from a sync client: tests keep it small
        yield chunk
