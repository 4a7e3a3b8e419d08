"""Streamed responses: a body produced piece by piece while the client waits.

:class:`StreamingResponse` sends each chunk of an async or sync iterator as an
``http.response.body`` message, watches ``receive`` for the client leaving
(and then stops and closes the iterator), and sends trailers after the body
where the server offers them. Server-Sent Events and file downloads build on it.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from typing import Any

from microasgi.core.background import BackgroundTask, BackgroundTasks
from microasgi.core.concurrency import ThreadPool, iterate_in_threadpool, pool_of
from microasgi.core.extensions import TRAILERS, offers
from microasgi.core.http import encode_header
from microasgi.core.responses import Response
from microasgi.core.sharedreceive import SharedReceive
from microasgi.core.types import Message, RawHeaders, Receive, Scope, Send

Content = str | bytes
ContentStream = AsyncIterable[Content] | Iterable[Content]
TrailerFields = Mapping[str, str]
TrailersFunction = Callable[[], TrailerFields | Awaitable[TrailerFields]]


class StreamingResponse(Response):
    """Send a body produced piece by piece by an (async or sync) iterator.

    A sync iterator is advanced on the App's thread pool. If the client goes away,
    the iterator is stopped and closed; if it raises after the response
    started, the error propagates so the server aborts the connection.

    ``trailers`` is a function (sync or async) returning header fields to
    send after the body, such as a checksum of what was streamed. It is
    called after the last chunk, and only where the server offers the
    ``http.response.trailers`` extension; elsewhere there are no trailers.

    Example:
        >>> async def count():
        ...     for number in range(3):
        ...         yield f"{number}\\n"
        >>> return StreamingResponse(count(), media_type="text/plain")
    """

    def __init__(
        self,
        content: ContentStream,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | BackgroundTasks | None = None,
        trailers: TrailersFunction | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.content = content
        self.trailers = trailers
        self.raw_headers = self.build_headers(headers, None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with_trailers = (
            self.trailers is not None
            and scope["method"] != "HEAD"
            and offers(scope, TRAILERS)
        )
        start: Message = {
            "type": "http.response.start",
            "status": self.status_code,
            "headers": list(self.raw_headers),
        }
        if with_trailers:
            start["trailers"] = True
        pool = pool_of(scope)
        try:
            await send(start)
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b""})
            else:
                await self._stream_until_disconnect(
                    scope, receive, send, pool, with_trailers
                )
        finally:
            await _close_iterator(self.content, pool)
            if self.background is not None:
                await self.background(pool)

    async def _stream_until_disconnect(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        pool: ThreadPool,
        with_trailers: bool = False,
    ) -> None:
        # The iterator may read the request body meanwhile: share receive().
        shared = SharedReceive.of(scope, receive)
        streaming = asyncio.ensure_future(self._stream(send, pool, with_trailers))
        watching = asyncio.ensure_future(shared.wait_for_disconnect())
        try:
            await asyncio.wait((streaming, watching), return_when="FIRST_COMPLETED")
        finally:
            watching.cancel()
            if not streaming.done():
                streaming.cancel()  # the client left, or we were cancelled
            await asyncio.wait((streaming, watching))
        if not streaming.cancelled():
            streaming.result()  # re-raise what the iterator raised
        if not watching.cancelled():
            watching.result()  # re-raise what a failing receive() raised

    async def _stream(
        self, send: Send, pool: ThreadPool, with_trailers: bool = False
    ) -> None:
        chunks = self._chunks(pool)
        try:
            async for chunk in chunks:
                if isinstance(chunk, str):
                    chunk = chunk.encode(self.charset)
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
        finally:
            # Close the chunk iterator now, even when abandoned mid-way (a
            # disconnect during send), not whenever it is garbage collected.
            await _close_iterator(chunks, pool)
        await send({"type": "http.response.body", "body": b""})
        if with_trailers and self.trailers is not None:
            await send(
                {
                    "type": "http.response.trailers",
                    "headers": await self._trailer_headers(self.trailers),
                    "more_trailers": False,
                }
            )

    @staticmethod
    async def _trailer_headers(trailers: TrailersFunction) -> RawHeaders:
        fields = trailers()
        if inspect.isawaitable(fields):
            fields = await fields
        return [encode_header(name, value) for name, value in fields.items()]

    def _chunks(self, pool: ThreadPool | None = None) -> AsyncIterator[Content]:
        if isinstance(self.content, AsyncIterable):
            return aiter(self.content)
        return iterate_in_threadpool(iter(self.content), pool)


async def _close_iterator(content: Any, pool: ThreadPool) -> None:
    """Close a streamed body's iterator so its ``finally`` blocks run; a sync
    iterator's ``close()`` runs on ``pool``."""
    aclose = getattr(content, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(content, "close", None)
    if callable(close):
        await pool.run(close)
