"""One subscriber's bounded queue, read as an async iterator.

The hub pushes events without ever waiting, so a slow subscriber cannot slow
a publisher. When the queue holds ``limit`` undelivered messages, a ``Gap``
marker is queued once and newer messages are dropped until there is room
again: the subscriber reads what it had, learns that something is missing,
then goes on with new messages. Memory stays at ``limit`` events plus one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable

from microasgi.batteries.hub.events import OVERFLOW, Event, Gap, Message


class Subscription:
    """The events of one channel for one subscriber, in order, bounded."""

    __slots__ = ("_closed", "_floor", "_lagging", "_limit", "_queue", "_waiter",
                 "channel")  # fmt: skip

    def __init__(self, channel: str, limit: int) -> None:
        self.channel = channel
        self._limit = limit
        self._queue: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._lagging = False
        self._closed = False
        # Messages up to this order were (or will be) delivered another way:
        # from history, or before this subscriber joined. Skipped once.
        self._floor: tuple[int, int] | None = None

    def push(self, event: Event) -> None:
        """Queue ``event`` without waiting; overflow becomes one ``Gap``."""
        floor = self._floor
        if floor is not None and type(event) is Message:
            if event.order <= floor:
                return  # delivered from history, or older than this subscriber
            self._floor = None
        queue = self._queue
        if len(queue) >= self._limit:
            if not self._lagging:
                self._lagging = True
                queue.append(Gap(self.channel, OVERFLOW))
            return
        self._lagging = False
        queue.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def start(self, earlier: Iterable[Event], floor: tuple[int, int]) -> None:
        """Put ``earlier`` events first; skip live messages up to ``floor``."""
        live = [
            event
            for event in self._queue
            if type(event) is not Message or event.order > floor
        ]
        self._queue.clear()
        self._queue.extend(earlier)
        self._queue.extend(live)
        self._floor = None if live and type(live[-1]) is Message else floor

    def close(self) -> None:
        """End the iteration once the queued events are read."""
        self._closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    def __repr__(self) -> str:
        return f"<Subscription {self.channel!r}: {len(self._queue)} queued>"
