"""What a subscriber receives: ``Message`` and ``Gap``; and what can go wrong.

Message ids have Redis Streams' shape, ``"<milliseconds>-<sequence>"``, in
both backends, so they order the same way everywhere and a browser can hand
one back in ``Last-Event-ID`` to resume on any worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Gap reasons: why some messages may be missing just before this point.
OVERFLOW = "overflow"  # the subscriber fell more than queue_size behind
HISTORY = "history"  # they were trimmed from history before they could be read
RESET = "reset"  # the broker lost them (restarted empty, or an unknown id)

_ID = re.compile(r"(\d{1,20})-(\d{1,20})")


class HubUnavailable(Exception):
    """The broker stayed unreachable for longer than the hub waits."""


def parse_id(message_id: str) -> tuple[int, int]:
    """``"1700000000000-3"`` -> ``(1700000000000, 3)``, which sorts like the ids."""
    match = _ID.fullmatch(message_id)
    if match is None:
        raise ValueError(
            f"{message_id!r} is not a hub message id; ids look like "
            "'1700000000000-0' and come from publish() or a Message"
        )
    return int(match[1]), int(match[2])


def format_id(order: tuple[int, int]) -> str:
    """``(1700000000000, 3)`` -> ``"1700000000000-3"``: the inverse of ``parse_id``."""
    return f"{order[0]}-{order[1]}"


@dataclass(frozen=True)
class Message:
    """One published message: its ``channel``, its ``id`` and its ``data``.

    ``data`` is decoded from JSON once per process and shared by every local
    subscriber of the channel: read it, do not mutate it.
    """

    channel: str
    id: str
    data: Any
    order: tuple[int, int] = field(repr=False, compare=False, default=(0, 0))
    json_text: str = field(repr=False, compare=False, default="null")


@dataclass(frozen=True)
class Gap:
    """Messages of ``channel`` may be missing here; ``reason`` says why.

    One of ``"overflow"`` (this subscriber was too slow), ``"history"``
    (trimmed before they were read) or ``"reset"`` (the broker lost them).
    """

    channel: str
    reason: str


Event = Message | Gap
