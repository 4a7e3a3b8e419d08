"""Server-Sent Events: a ``text/event-stream`` body, one event at a time.

The wire format (WHATWG HTML, "Server-sent events") is plain text: each event
is a few ``field: value`` lines ended by a blank line; ``data`` may repeat,
one line each, and a line starting with ``:`` is a comment the browser
ignores. ``EventSourceResponse`` is a ``StreamingResponse`` whose iterator is
wrapped to frame each item, and to send a ``: ping`` comment after each
``ping_interval`` seconds of silence so proxies keep the connection open.
Disconnects, closing the iterator and backpressure are the streaming
response's job, unchanged.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Mapping,
)
from contextlib import aclosing
from typing import Any

from microasgi.core.background import BackgroundTask, BackgroundTasks
from microasgi.core.concurrency import ThreadPool
from microasgi.core.drain import Drain, drain_of
from microasgi.core.responses import encode_json
from microasgi.core.streaming import Content, StreamingResponse
from microasgi.core.types import Receive, Scope, Send

PING = b": ping\n\n"
RECONNECT_MS = 1000  # the retry: hint sent when the server ends a stream on purpose
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the three line endings the spec allows


class ServerSentEvent:
    """One event: ``data`` (a str, or anything JSON-able) plus optional fields.

    Example:
        >>> ServerSentEvent("line one\\nline two", event="note", id="7").encode()
        b'event: note\\ndata: line one\\ndata: line two\\nid: 7\\n\\n'
    """

    def __init__(
        self,
        data: Any = None,
        event: str | None = None,
        id: str | int | None = None,  # the spec's own field name
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        if event is not None and _LINE_BREAK.search(event):
            raise ValueError(f"event name {event!r} may not contain a line break")
        if id is not None and (_LINE_BREAK.search(str(id)) or "\0" in str(id)):
            raise ValueError(
                f"event id {id!r} may not contain a line break or NUL; "
                "browsers would drop or split it"
            )
        if retry is not None and (type(retry) is not int or retry < 0):
            raise ValueError(
                f"retry must be a whole number of milliseconds (int >= 0), "
                f"got {retry!r}"
            )
        self.data = data
        self.event = event
        self.id = None if id is None else str(id)
        self.retry = retry
        self.comment = comment

    def encode(self) -> bytes:
        """The event in wire format, ending with the blank line that sends it."""
        lines: list[str] = []
        if self.comment is not None:
            lines += [f": {line}" for line in _LINE_BREAK.split(self.comment)]
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.data is not None:
            data = self.data
            if not isinstance(data, str):
                data = encode_json(data).decode("utf-8")
            lines += [f"data: {line}" for line in _LINE_BREAK.split(data)]
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        return ("\n".join(lines) + "\n\n").encode("utf-8")

    def __repr__(self) -> str:
        return f"ServerSentEvent(data={self.data!r}, event={self.event!r})"


def encode_event(item: Any) -> bytes:
    """Frame one iterator item: a ``str``, ``dict``/``list`` or ``ServerSentEvent``."""
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, str | dict | list):
        return ServerSentEvent(item).encode()
    raise TypeError(
        f"EventSourceResponse items must be str, dict, list or ServerSentEvent, "
        f"got {type(item).__name__} ({item!r:.60})"
    )


class EventSourceResponse(StreamingResponse):
    """Stream Server-Sent Events from an (async or sync) iterator.

    Example:
        >>> async def ticks():
        ...     for number in range(3):
        ...         yield ServerSentEvent(number, event="tick")
        ...         await asyncio.sleep(1)
        >>> return EventSourceResponse(ticks())
    """

    media_type = "text/event-stream"
    _drain: Drain | None = None  # the serving App's, set when called

    def __init__(
        self,
        content: AsyncIterable[Any] | Iterable[Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        ping_interval: float | None = 15,
        background: BackgroundTask | BackgroundTasks | None = None,
    ) -> None:
        if ping_interval is not None and ping_interval <= 0:
            raise ValueError(
                f"ping_interval must be a positive number of seconds or None "
                f"(no pings), got {ping_interval!r}"
            )
        self.ping_interval = ping_interval
        stream_headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
        stream_headers.update({k.lower(): v for k, v in (headers or {}).items()})
        super().__init__(content, status_code, stream_headers, background=background)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._drain = drain_of(scope)  # per request, like the response itself
        await super().__call__(scope, receive, send)

    async def _chunks(self, pool: ThreadPool | None = None) -> AsyncIterator[Content]:
        items = super()._chunks(pool)
        drain = self._drain
        if self.ping_interval is None and drain is None:
            async for item in items:
                yield encode_event(item)
            return
        stop = None if drain is None else drain.started()
        # aclosing: if this generator is closed early, the framing wrapper is
        # closed at once too, which ends its pending read of the iterator.
        async with aclosing(_framed(items, self.ping_interval, stop)) as chunks:
            async for chunk in chunks:
                yield chunk


async def _framed(
    items: AsyncIterator[Any], interval: float | None, stop: asyncio.Future[None] | None
) -> AsyncGenerator[bytes, None]:
    """Frame items as events, with a ``PING`` whenever ``interval`` passes
    without one, until the items end or ``stop`` is done (the server is
    shutting down): then a ``retry:`` hint tells the browser to come back.

    The next item is awaited in its own task so that waiting can time out
    without cancelling it: the item still arrives after the ping.
    """
    pending: asyncio.Future[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(items))
            waiting = (pending,) if stop is None else (pending, stop)
            await asyncio.wait(waiting, timeout=interval, return_when="FIRST_COMPLETED")
            if pending.done():
                try:
                    item = pending.result()
                except StopAsyncIteration:
                    return
                pending = None
                yield encode_event(item)
            elif stop is not None and stop.done():
                yield ServerSentEvent(retry=RECONNECT_MS).encode()
                return
            else:
                yield PING
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            await asyncio.wait((pending,))
            if not pending.cancelled():
                pending.exception()  # retrieved: nobody is left to care about it
