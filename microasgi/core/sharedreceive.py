"""One reader of an HTTP request's ``receive``, shared by all who need it.

Two parts of microasgi read ``receive`` for the same request: the body
readers (``Request.stream()`` and everything built on it) and a streaming
response that watches for ``http.disconnect``. They may run at once: a
generator that echoes the request body reads it while its own response is
being sent. If each called ``receive()`` itself, each would take messages the
other needed. :class:`SharedReceive` calls it for both: ``http.request``
messages queue up, in order, for the body readers, and ``http.disconnect`` is
remembered, so everyone who asks afterwards gets it.
"""

from __future__ import annotations

import asyncio
from collections import deque

from microasgi.core.types import Message, Receive, Scope

# Body bytes the disconnect watcher reads ahead of the body readers. Past this
# it stops reading until they catch up: memory stays bounded for a body nobody
# reads, and a disconnect is then noticed by the next send failing instead.
READ_AHEAD_LIMIT = 64 * 1024


class SharedReceive:
    """Reads ``receive`` for the body readers and the disconnect watcher alike.

    Example:
        >>> shared = SharedReceive.of(scope, receive)
        >>> message = await shared.receive()  # what Request.stream() reads
        >>> await shared.wait_for_disconnect()  # what StreamingResponse awaits
    """

    __slots__ = ("_change", "_reading", "body_messages", "body_started",
                 "disconnect", "held", "source")  # fmt: skip

    def __init__(self, receive: Receive) -> None:
        self.source = receive
        self.body_messages: deque[Message] = deque()
        self.held = 0  # body bytes in body_messages
        self.disconnect: Message | None = None
        self.body_started = False  # a body reader has begun
        self._reading = False  # a receive() call is under way
        self._change: asyncio.Future[None] | None = None  # for those who wait

    @classmethod
    def of(cls, scope: Scope, receive: Receive) -> SharedReceive:
        """The reader of ``receive`` for this request, made on first use.

        Readers are kept in ``scope["microasgi.receive"]``, one per
        ``receive`` callable (a middleware may hand the app its own), so every
        ``Request`` on the scope and the response share them.
        """
        owner = getattr(receive, "__self__", None)
        if isinstance(owner, SharedReceive):
            return owner
        readers: dict[Receive, SharedReceive] | None = scope.get("microasgi.receive")
        if readers is None:
            readers = scope["microasgi.receive"] = {}
        shared = readers.get(receive)
        if shared is None:
            shared = readers[receive] = cls(receive)
        return shared

    async def receive(self) -> Message:
        """The next message for a body reader: ``http.request`` messages in
        order, then ``http.disconnect`` (as often as asked)."""
        if not (self.body_messages or self._reading or self.disconnect):
            # Nobody else is reading (the usual case): pass the message on.
            self._reading = True
            try:
                message = await self.source()
            finally:
                self._reading = False
                self._notify()
            if message["type"] == "http.disconnect":
                self.disconnect = message
            return message
        while not self.body_messages:
            if self.disconnect is not None:
                return self.disconnect
            await self._read_one()
        message = self.body_messages.popleft()
        self.held -= len(message.get("body", b""))
        self._notify()  # a watcher may wait for room to read ahead
        return message

    async def wait_for_disconnect(self) -> None:
        """Return once the client has gone; body messages stay for the readers."""
        while self.disconnect is None:
            if self.held > READ_AHEAD_LIMIT:
                await self._wait_for_change()
            else:
                await self._read_one()

    async def is_disconnected(self) -> bool:
        """Whether the client has gone, reading only a message ready right now."""
        if self.disconnect is None and not self._reading:
            self._reading = True
            try:
                pending = asyncio.ensure_future(self.source())
                await asyncio.sleep(0)
                if pending.done():
                    self._keep(pending.result())
                else:
                    pending.cancel()
            finally:
                self._reading = False
                self._notify()
        return self.disconnect is not None

    async def _read_one(self) -> None:
        """Read one message, or wait while somebody else reads one."""
        if self._reading:
            await self._wait_for_change()
            return
        self._reading = True
        try:
            self._keep(await self.source())
        finally:  # also when cancelled: then a waiting reader takes over
            self._reading = False
            self._notify()

    def _keep(self, message: Message) -> None:
        if message["type"] == "http.disconnect":
            self.disconnect = message
        else:
            self.body_messages.append(message)
            self.held += len(message.get("body", b""))

    async def _wait_for_change(self) -> None:
        if self._change is None:
            self._change = asyncio.get_running_loop().create_future()
        # wait(), not await: a waiter cancelled must not cancel the others.
        await asyncio.wait((self._change,))

    def _notify(self) -> None:
        if self._change is not None:
            self._change.set_result(None)
            self._change = None
