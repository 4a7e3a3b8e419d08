"""``Hub``: publish to a channel, subscribe to it, from any process.

The hub keeps this process's subscribers, one ``Subscription`` each, by
channel. Its broker (``memory://`` or ``redis://``) stores and orders the
messages and delivers each one to the hub once; the hub decodes it once and
pushes it to every local subscriber of its channel. That is the two-tier
fan-out: the broker to processes, each process to its own subscribers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from microasgi.batteries.hub.broker import Broker, Entry
from microasgi.batteries.hub.events import RESET, Gap, Message, format_id, parse_id
from microasgi.batteries.hub.subscription import Subscription

if TYPE_CHECKING:
    from microasgi.batteries.sse import EventSourceResponse
    from microasgi.core.requests import Request

logger = logging.getLogger("microasgi.hub")


class Hub:
    """Publish/subscribe channels across processes, with history and gaps.

    ``history``: messages kept per channel for ``since``; ``queue_size``:
    undelivered messages a subscriber may hold before a ``Gap``; ``timeout``:
    seconds ``publish`` keeps trying an unreachable broker; ``key_prefix``:
    the start of each channel's Redis key.

    Example:
        >>> hub = Hub("redis://127.0.0.1:6379/0")  # or Hub(): one process
        >>> message_id = await hub.publish("room:1", {"text": "hi"})
        >>> async with hub.subscribe("room:1", since=message_id) as events:
        ...     async for event in events:
        ...         print(event)
    """

    def __init__(
        self,
        url: str = "memory://",
        *,
        history: int = 1000,
        queue_size: int = 1000,
        timeout: float = 5.0,
        key_prefix: str = "hub:",
    ) -> None:
        for name, value in (("history", history), ("queue_size", queue_size)):
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if timeout <= 0:
            raise ValueError(
                f"timeout must be a positive number of seconds, got {timeout!r}"
            )
        self.url = url
        self.history = history
        self.queue_size = queue_size
        self.timeout = timeout
        self.key_prefix = key_prefix
        self._subscribers: dict[str, set[Subscription]] = {}
        self._closed = False
        self._broker = self._make_broker(url)

    def _make_broker(self, url: str) -> Broker:
        scheme = url.partition("://")[0]
        if scheme == "memory" and url == "memory://":
            from microasgi.batteries.hub.memory import MemoryBroker

            return MemoryBroker(self.history, self._deliver, self._lose)
        if scheme in ("redis", "rediss", "unix"):
            from microasgi.batteries.hub.redis_streams import RedisBroker

            return RedisBroker(url, self.history, self.timeout, self._deliver,
                               self._lose, self.key_prefix)  # fmt: skip
        raise ValueError(
            f"unsupported hub URL {url!r}; use 'memory://' (one process) or "
            "'redis://host:port/db' (across processes)"
        )

    async def publish(self, channel: str, data: Any) -> str:
        """Send ``data`` (anything JSON can encode) to ``channel``; return its id.

        Raises ``HubUnavailable`` if the broker stays unreachable for
        ``timeout`` seconds: a message is never dropped silently.
        """
        self._check_open()
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                             allow_nan=False)  # fmt: skip
        return await self._broker.publish(channel, payload)

    @asynccontextmanager
    async def subscribe(
        self, channel: str, since: str | None = None
    ) -> AsyncIterator[Subscription]:
        """Receive ``channel``'s ``Message`` and ``Gap`` events while inside.

        ``since=None``: messages published from now on. ``since=ID``: every
        message after that id still held in history first, then live ones.
        """
        self._check_open()
        after = None if since is None else parse_id(since)
        subscription = Subscription(channel, self.queue_size)
        subscribers = self._subscribers.setdefault(channel, set())
        subscribers.add(subscription)  # from here on, live messages queue up
        try:
            newest = await self._broker.watch(channel)
            if after is None:
                subscription.start((), parse_id(newest))
            else:
                replay = await self._broker.replay(channel, format_id(after))
                earlier = self._decode(channel, replay.entries)
                if earlier:
                    floor = earlier[-1].order
                else:  # after a reset, every live message is news
                    floor = (0, 0) if replay.lost == RESET else after
                gap = [] if replay.lost is None else [Gap(channel, replay.lost)]
                subscription.start([*gap, *earlier], floor)
            yield subscription
        finally:
            subscription.close()
            subscribers.discard(subscription)
            if not subscribers and self._subscribers.get(channel) is subscribers:
                del self._subscribers[channel]
                self._broker.unwatch(channel)

    def event_stream(
        self, request: Request, channel: str, *, ping_interval: float = 15
    ) -> EventSourceResponse:
        """Server-Sent Events of ``channel`` that a browser can resume anywhere.

        Each message is an event whose ``id`` is the message id; the
        browser's ``Last-Event-ID`` header resumes after it on any worker.
        """
        from microasgi.batteries.hub.stream import hub_event_stream

        return hub_event_stream(self, request, channel, ping_interval)

    async def close(self) -> None:
        """End every subscription's iteration and release the broker."""
        if self._closed:
            return
        self._closed = True
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.close()
        await self._broker.close()

    # Called by the broker ------------------------------------------------

    def _deliver(self, channel: str, entries: list[Entry]) -> None:
        subscribers = self._subscribers.get(channel)
        if not subscribers:
            return
        for message in self._decode(channel, entries):
            for subscription in subscribers:
                subscription.push(message)

    def _lose(self, channel: str, reason: str) -> None:
        logger.warning("Hub: messages of channel %r may be lost (%s)", channel, reason)
        gap = Gap(channel, reason)
        for subscription in self._subscribers.get(channel, ()):
            subscription.push(gap)

    def _decode(self, channel: str, entries: list[Entry]) -> list[Message]:
        messages = []
        for message_id, payload in entries:
            try:
                data = json.loads(payload)
            except ValueError:
                logger.warning(
                    "Hub: skipped message %s of %r: not JSON", message_id, channel
                )
                continue
            messages.append(
                Message(channel, message_id, data, parse_id(message_id), payload)
            )
        return messages

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this hub is closed; create a new Hub to go on")

    def __repr__(self) -> str:
        return f"<Hub {self.url!r}: {len(self._subscribers)} channels subscribed>"
