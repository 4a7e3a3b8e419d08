"""``memory://``: one process, the same ids, history and gaps as Redis Streams."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from microasgi.batteries.hub.broker import Deliver, Entry, Lose, Replay
from microasgi.batteries.hub.events import HISTORY, RESET, format_id, parse_id


@dataclass
class Stream:
    """One channel's history: like a Redis stream with ``MAXLEN history``."""

    history: int
    entries: deque[Entry] = field(default_factory=deque)
    last_id: tuple[int, int] = (0, 0)  # the last id given out, even if trimmed
    first_id: tuple[int, int] | None = None  # the oldest id still held
    trimmed: int = 0  # how many entries history has dropped

    def add(self, payload: str) -> str:
        milliseconds = int(time.time() * 1000)
        last_ms, last_seq = self.last_id
        if milliseconds > last_ms:
            self.last_id = (milliseconds, 0)
        else:  # same millisecond, or the clock went back: keep ids growing
            self.last_id = (last_ms, last_seq + 1)
        message_id = format_id(self.last_id)
        self.entries.append((message_id, payload))
        if len(self.entries) > self.history:
            self.entries.popleft()
            self.trimmed += 1
            self.first_id = parse_id(self.entries[0][0])
        elif self.first_id is None:
            self.first_id = self.last_id
        return message_id

    def lost_after(self, after: tuple[int, int]) -> str | None:
        """Why messages after ``after`` may be missing, or None if none are.

        The rule both backends share: resuming is complete while the id to
        resume from is still held; once history has moved past it, a Gap.
        """
        if self.last_id < after:
            return RESET  # an id this channel never gave out: it lost its past
        if self.trimmed and self.first_id is not None and self.first_id > after:
            return HISTORY
        return None


def replay_from(stream: Stream | None, after: tuple[int, int]) -> Replay:
    """The entries after ``after`` and whether any are missing (both backends' rule)."""
    if stream is None:
        return Replay(lost=RESET if after > (0, 0) else None)
    lost = stream.lost_after(after)
    if lost == RESET:  # the broker restarted empty: everything it holds is news
        return Replay(list(stream.entries), RESET)
    entries = [entry for entry in stream.entries if parse_id(entry[0]) > after]
    return Replay(entries, lost)


class MemoryBroker:
    """Keeps every channel's history in this process and delivers at once."""

    def __init__(self, history: int, deliver: Deliver, lose: Lose) -> None:
        self.history = history
        self._deliver = deliver
        self._streams: dict[str, Stream] = {}

    async def publish(self, channel: str, payload: str) -> str:
        stream = self._streams.get(channel)
        if stream is None:
            stream = self._streams[channel] = Stream(self.history)
        message_id = stream.add(payload)
        self._deliver(channel, [(message_id, payload)])
        return message_id

    async def watch(self, channel: str) -> str:
        stream = self._streams.get(channel)
        return format_id(stream.last_id if stream else (0, 0))

    def unwatch(self, channel: str) -> None:
        pass  # delivery goes to whoever subscribes; nothing to stop

    async def replay(self, channel: str, after: str) -> Replay:
        return replay_from(self._streams.get(channel), parse_id(after))

    async def close(self) -> None:
        pass
