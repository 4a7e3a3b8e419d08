"""What each ASGI message may hold: its fields, which are required, and their checks.

The tables :data:`SEND_FIELDS` and :data:`RECEIVE_FIELDS` spell out the ASGI
spec (2.4, with the WebSocket denial response, trailers, early hints and
pathsend extensions) field by field; :func:`check_fields` reads a message
against them. The order in which messages may come is the business of
:class:`~microasgi.testing.validate.ConversationChecker`.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from microasgi.core.types import Message

# A field check returns None for a good value, else the end of a sentence
# such as "must be bytes, got str ('hello')".
FieldCheck = Callable[[Any], "str | None"]


def describe(value: Any) -> str:
    """A value's type and a short repr, for the end of an error sentence."""
    return f"{type(value).__name__} ({reprlib.repr(value)})"


def _instance_of(kind: type, expected: str, *, optional: bool = False) -> FieldCheck:
    def check(value: Any) -> str | None:
        if isinstance(value, kind) or (optional and value is None):
            return None
        return f"must be {expected}, got {describe(value)}"

    return check


def _int_between(low: int, high: int) -> FieldCheck:
    def check(value: Any) -> str | None:
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and low <= value <= high
        ):
            return None
        return f"must be an int from {low} to {high}, got {describe(value)}"

    return check


def _check_header(pair: Any) -> str | None:
    if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
        return f"must be a [name, value] pair of bytes, got {describe(pair)}"
    items = list(pair)
    if len(items) != 2 or not all(isinstance(item, bytes) for item in items):
        return f"must be a [name, value] pair of bytes, got {describe(pair)}"
    name, value = items
    if not name or name.startswith(b":"):
        return f"has the name {name!r}; it must be non-empty and not a pseudo-header"
    if name != name.lower():
        return f"name {name!r} must be lower-case (use {name.lower()!r})"
    if any(char in name + value for char in (b"\r", b"\n", b"\0")):
        return f"({name!r}) contains CR, LF or NUL, which would split the header"
    return None


def _check_headers(headers: Any) -> str | None:
    if isinstance(headers, (str, bytes, dict)) or not isinstance(headers, Iterable):
        return (
            f"must be an iterable of [name, value] byte pairs, got {describe(headers)}"
        )
    for index, pair in enumerate(headers):
        problem = _check_header(pair)
        if problem is not None:
            return f"item {index} {problem}"
    return None


def _check_accept_headers(headers: Any) -> str | None:
    problem = _check_headers(headers)
    names = [next(iter(pair)) for pair in headers] if problem is None else []
    if b"sec-websocket-protocol" in names:
        return "must not set 'sec-websocket-protocol'; use the 'subprotocol' field"
    return problem


def _check_links(links: Any) -> str | None:
    if isinstance(links, (str, bytes)) or not isinstance(links, Iterable):
        return f"must be a list of Link values as bytes, got {describe(links)}"
    for index, link in enumerate(links):
        problem = _check_header((b"link", link))
        if problem is not None:
            return f"item {index} must be bytes without CR, LF or NUL, got {link!r}"
    return None


_BYTES = _instance_of(bytes, "bytes")
_OPTIONAL_BYTES = _instance_of(bytes, "bytes or None", optional=True)
_STR = _instance_of(str, "a str")
_OPTIONAL_STR = _instance_of(str, "a str or None", optional=True)
_BOOL = _instance_of(bool, "a bool (True or False)")
_STATUS = _int_between(100, 599)

# Every message type an app sends or receives: field name -> (required, check).
SEND_FIELDS: dict[str, dict[str, tuple[bool, FieldCheck]]] = {
    "http.response.start": {
        "status": (True, _STATUS),
        "headers": (False, _check_headers),
        "trailers": (False, _BOOL),
    },
    "http.response.body": {"body": (False, _BYTES), "more_body": (False, _BOOL)},
    "http.response.trailers": {
        "headers": (False, _check_headers),
        "more_trailers": (False, _BOOL),
    },
    "http.response.pathsend": {"path": (True, _STR)},
    "http.response.early_hint": {"links": (True, _check_links)},
    "websocket.accept": {
        "subprotocol": (False, _OPTIONAL_STR),
        "headers": (False, _check_accept_headers),
    },
    "websocket.send": {
        "bytes": (False, _OPTIONAL_BYTES),
        "text": (False, _OPTIONAL_STR),
    },
    "websocket.close": {
        "code": (False, _int_between(1000, 4999)),
        "reason": (False, _OPTIONAL_STR),
    },
    "websocket.http.response.start": {
        "status": (True, _STATUS),
        "headers": (False, _check_headers),
    },
    "websocket.http.response.body": {
        "body": (False, _BYTES),
        "more_body": (False, _BOOL),
    },
    "lifespan.startup.complete": {},
    "lifespan.startup.failed": {"message": (False, _STR)},
    "lifespan.shutdown.complete": {},
    "lifespan.shutdown.failed": {"message": (False, _STR)},
}
RECEIVE_FIELDS: dict[str, dict[str, tuple[bool, FieldCheck]]] = {
    "http.request": {"body": (False, _BYTES), "more_body": (False, _BOOL)},
    "http.disconnect": {},
    "websocket.connect": {},
    "websocket.receive": SEND_FIELDS["websocket.send"],
    "websocket.disconnect": {
        "code": (True, _int_between(1000, 4999)),
        "reason": (False, _OPTIONAL_STR),
    },
    "lifespan.startup": {},
    "lifespan.shutdown": {},
}


def check_fields(
    message: Message, fields: dict[str, dict[str, tuple[bool, FieldCheck]]]
) -> str | None:
    """The first field of ``message`` that breaks its entry in ``fields``, worded."""
    kind = message["type"]
    for name, (required, check) in fields[kind].items():
        if name not in message:
            if required:
                return f"{kind!r} is missing the required field {name!r}"
            continue
        value = message[name]
        if name == "headers" and isinstance(value, Iterator):
            # Check a copy, so that a one-shot iterator still reaches the server.
            value = message[name] = list(value)
        problem = check(value)
        if problem is not None:
            return f"{kind!r} field {name!r} {problem}"
    return None


def check_data_frame(message: Message) -> str | None:
    """A WebSocket data frame must carry exactly one of ``bytes`` and ``text``."""
    present = [key for key in ("bytes", "text") if message.get(key) is not None]
    if len(present) != 1:
        got = "both" if present else "neither"
        kind = message["type"]
        return f"{kind!r} must carry exactly one of 'bytes' or 'text', got {got}"
    return None
