"""A recorded ASGI conversation, and how to print it for a person or a program.

A :class:`Conversation` is one connection's scope plus every message that
went through ``receive`` and ``send``, each with the time it happened. The
test client records one per request and ``microasgi trace`` records one per
run; :func:`format_conversation` prints either the same way, with breaches of
the ASGI spec (found by :class:`~microasgi.testing.validate.ConversationChecker`)
flagged under the message that broke it.

Example:
    >>> response = client.get("/")
    >>> print(format_conversation(response.extensions["microasgi.conversation"]))
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from microasgi.core.types import Message, Receive, Scope, Send
from microasgi.testing.validate import ConversationChecker

Direction = Literal["receive", "send"]
BODY_LIMIT = 200  # bytes (or characters) of a body shown before cutting it short
# Message types whose `more_body` defaults to False when left out.
_HAS_MORE_BODY = {"http.request", "http.response.body", "websocket.http.response.body"}
_DATA_FIELDS = {"body", "bytes", "text"}
# A field left out of a message means the spec's default: no change to show.
FIELD_DEFAULTS: dict[str, Any] = {"more_body": False, "trailers": False, "headers": []}
_COLORS = {"receive": "36", "send": "32", "breach": "1;31", "dim": "2", "type": "1"}
UNREAD = "unread:".rjust(12)
_TIME_WIDTH = len("    0.000 ms  receive  ")


@dataclass
class Event:
    """One message of a conversation: seconds since the start, direction, message."""

    t: float
    direction: Direction
    message: Message


@dataclass
class Conversation:
    """The ASGI conversation of one connection: its scope, then every message."""

    scope: Scope
    events: list[Event] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def record(self, direction: Direction, message: Message) -> None:
        """Append a copy of ``message``, so later changes to it do not show."""
        moment = time.perf_counter() - self.started
        copy = dict(message) if isinstance(message, Mapping) else message
        self.events.append(Event(moment, direction, copy))


def recording_channels(
    receive: Receive, send: Send, record: Callable[[Direction, Message], None]
) -> tuple[Receive, Send]:
    """``receive`` and ``send`` wrapped so that ``record`` sees every message.

    A received message is recorded when it arrives, a sent one before it goes.
    """

    async def receive_and_record() -> Message:
        message = await receive()
        record("receive", message)
        return message

    async def record_and_send(message: Message) -> None:
        record("send", message)
        await send(message)

    return receive_and_record, record_and_send


class Style:
    """ANSI colours for a terminal, or plain text."""

    def __init__(self, color: bool = False) -> None:
        self.color = color

    def __call__(self, role: str, text: str) -> str:
        if not self.color:
            return text
        return f"\033[{_COLORS[role]}m{text}\033[0m"


def format_conversation(
    conversation: Conversation, color: bool = False, body_limit: int = BODY_LIMIT
) -> str:
    """The conversation as text: the scope, then each message with its time.

    Example:
        >>> print(format_conversation(client.last_conversation))
    """
    checker = ConversationChecker(conversation.scope)
    return "\n".join(
        conversation_lines(conversation, checker, Style(color), body_limit)
    )


def find_breaches(
    conversation: Conversation, checker: ConversationChecker
) -> list[str | None]:
    """Replay the messages through ``checker``: the breach of each, or None."""
    return [
        checker.check_receive(event.message)
        if event.direction == "receive"
        else checker.check_send(event.message)
        for event in conversation.events
    ]


def conversation_lines(
    conversation: Conversation,
    checker: ConversationChecker,
    style: Style,
    body_limit: int = BODY_LIMIT,
    unread: Sequence[Message] = (),
) -> list[str]:
    """The lines of :func:`format_conversation`, checking messages with ``checker``.

    ``unread`` messages, which the server had ready but the app never asked
    for, come first, marked as such.
    """
    lines = [style("type", "scope"), *_field_lines(conversation.scope, style, 2, 0)]
    if conversation.events or unread:
        lines.append("")
    for message in unread:
        lines.extend(_event_lines(Event(-1, "receive", message), style, body_limit))
    breaches = find_breaches(conversation, checker)
    for event, breach in zip(conversation.events, breaches, strict=True):
        lines.extend(_event_lines(event, style, body_limit))
        if breach is not None:
            lines.append(
                " " * _TIME_WIDTH + style("breach", f"!! ASGI breach: {breach}")
            )
    return lines


def _event_lines(event: Event, style: Style, body_limit: int) -> list[str]:
    # An event before the start is one the app never received.
    moment = style("dim", f"{event.t * 1000:9.3f} ms" if event.t >= 0 else UNREAD)
    direction = style(event.direction, event.direction.ljust(7))
    message = event.message
    if not isinstance(message, Mapping):
        return [f"{moment}  {direction}  {message!r}"]
    fields = {key: value for key, value in message.items() if key != "type"}
    kind = message.get("type")
    if kind in _HAS_MORE_BODY and "more_body" not in fields:
        fields["more_body"] = _Default(False)
    title = style("type", str(kind)) if isinstance(kind, str) else repr(kind)
    lines = [f"{moment}  {direction}  {title}"]
    lines.extend(_field_lines(fields, style, _TIME_WIDTH + 2, body_limit))
    return lines


class _Default:
    """A field the message left out, shown with the value the spec gives it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"{self.value!r} (default)"


def _field_lines(
    fields: Mapping[str, Any], style: Style, indent: int, body_limit: int
) -> list[str]:
    width = max((len(str(key)) for key in fields), default=0) + 2
    lines = []
    for key, value in fields.items():
        shown = _show_value(str(key), value, body_limit)
        label = style("dim", str(key).ljust(width))
        lines.append(" " * indent + label + shown[0])
        lines.extend(" " * (indent + width) + more for more in shown[1:])
    return lines


def _show_value(key: str, value: Any, body_limit: int) -> list[str]:
    if key == "headers" and _is_header_list(value):
        pairs = [f"{n.decode('latin-1')}: {v.decode('latin-1')}" for n, v in value]
        return pairs or ["(none)"]
    if key in _DATA_FIELDS and isinstance(value, bytes | str):
        return [_show_data(value, body_limit)]
    return [repr(value)]


def _is_header_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(isinstance(item, bytes) for item in pair)
        for pair in value
    )


def _show_data(data: bytes | str, limit: int) -> str:
    unit = "bytes" if isinstance(data, bytes) else "characters"
    if not limit or len(data) <= limit:
        return f"{data!r} ({len(data)} {unit})"
    return f"{data[:limit]!r}... ({len(data)} {unit}, first {limit} shown)"


def to_json(value: Any) -> Any:
    """``value`` made JSON-friendly: bytes as text, tuples as lists, others repr'd."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def conversation_json(
    conversation: Conversation, checker: ConversationChecker
) -> dict[str, Any]:
    """The conversation as JSON-friendly data, each event with its breach."""
    breaches = find_breaches(conversation, checker)
    events = [
        {
            "time": event.t,
            "direction": event.direction,
            "message": to_json(event.message),
            "breach": breach,
        }
        for event, breach in zip(conversation.events, breaches, strict=True)
    ]
    return {"scope": to_json(conversation.scope), "events": events}


def header_changes(old: Any, new: Any) -> list[str]:
    """How one list of header pairs became another, one line per change."""
    before = [(bytes(n).decode("latin-1"), bytes(v).decode("latin-1")) for n, v in old]
    after = [(bytes(n).decode("latin-1"), bytes(v).decode("latin-1")) for n, v in new]
    removed = [pair for pair in before if pair not in after]
    added = [pair for pair in after if pair not in before]
    changes = []
    for name, value in added:
        replaced = [old_value for old_name, old_value in removed if old_name == name]
        if replaced:
            removed.remove((name, replaced[0]))
            changes.append(f"header changed: {name}: {replaced[0]} -> {value}")
        else:
            changes.append(f"header added: {name}: {value}")
    changes += [f"header removed: {name}: {value}" for name, value in removed]
    return changes
