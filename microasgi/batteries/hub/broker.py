"""What a hub backend does, whatever it talks to.

A broker stores each channel's last ``history`` messages under ids that grow,
and hands every new message of a *watched* channel to the hub once per
process (``deliver``); the hub fans it out to that process's subscribers.
When it knows messages were lost it says so (``lose``), and the hub turns
that into a ``Gap`` for each subscriber of the channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

#: One stored message: its id and its JSON text.
Entry = tuple[str, str]
Deliver = Callable[[str, list[Entry]], None]
Lose = Callable[[str, str], None]


@dataclass
class Replay:
    """The messages held after some id, and why some may be missing, if so."""

    entries: list[Entry] = field(default_factory=list)
    lost: str | None = None  # a Gap reason


class Broker(Protocol):
    """The backend half of a ``Hub``: storage, ids and delivery across processes."""

    async def publish(self, channel: str, payload: str) -> str:
        """Store ``payload`` as the channel's newest message; return its id."""

    async def watch(self, channel: str) -> str:
        """Deliver the channel's messages from now on; return its newest id."""

    def unwatch(self, channel: str) -> None:
        """Stop delivering the channel (its last local subscriber left)."""

    async def replay(self, channel: str, after: str) -> Replay:
        """The messages held with ids after ``after``, oldest first."""

    async def close(self) -> None:
        """Stop delivering and release every connection."""
