"""Check that an ASGI app keeps to the spec: the ASGI ``wsgiref.validate``.

``validate(app)`` wraps any ASGI 3 app. Every message that passes through its
``receive`` and ``send`` goes past a :class:`ConversationChecker`, a small state
machine per connection that knows the ``http``, ``websocket`` and ``lifespan``
message formats (ASGI spec 2.4, with the extensions for WebSocket denial
responses, trailers, early hints and pathsend, each allowed only when the
server lists it in ``scope["extensions"]``). The first breach raises
:class:`ASGIProtocolError`, and raises it again when the app returns, so an app
that catches it still fails.

Example:
    >>> from microasgi.testing.validate import validate
    >>> checked_app = validate(app)  # serve or test checked_app instead of app
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from microasgi.core.extensions import EXTENSION_OF
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ASGIProtocolError", "ConversationChecker", "validate"]


class ASGIProtocolError(Exception):
    """An app (or a server) broke the ASGI spec; the message names the breach."""


# A field check returns None for a good value, else the end of a sentence
# such as "must be bytes, got str ('hello')".
FieldCheck = Callable[[Any], "str | None"]


def _describe(value: Any) -> str:
    return f"{type(value).__name__} ({reprlib.repr(value)})"


def _instance_of(kind: type, expected: str, *, optional: bool = False) -> FieldCheck:
    def check(value: Any) -> str | None:
        if isinstance(value, kind) or (optional and value is None):
            return None
        return f"must be {expected}, got {_describe(value)}"

    return check


def _int_between(low: int, high: int) -> FieldCheck:
    def check(value: Any) -> str | None:
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and low <= value <= high
        ):
            return None
        return f"must be an int from {low} to {high}, got {_describe(value)}"

    return check


def _check_header(pair: Any) -> str | None:
    if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
        return f"must be a [name, value] pair of bytes, got {_describe(pair)}"
    items = list(pair)
    if len(items) != 2 or not all(isinstance(item, bytes) for item in items):
        return f"must be a [name, value] pair of bytes, got {_describe(pair)}"
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
            f"must be an iterable of [name, value] byte pairs, got {_describe(headers)}"
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
        return f"must be a list of Link values as bytes, got {_describe(links)}"
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
_SEND_FIELDS: dict[str, dict[str, tuple[bool, FieldCheck]]] = {
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
_RECEIVE_FIELDS: dict[str, dict[str, tuple[bool, FieldCheck]]] = {
    "http.request": {"body": (False, _BYTES), "more_body": (False, _BOOL)},
    "http.disconnect": {},
    "websocket.connect": {},
    "websocket.receive": _SEND_FIELDS["websocket.send"],
    "websocket.disconnect": {
        "code": (True, _int_between(1000, 4999)),
        "reason": (False, _OPTIONAL_STR),
    },
    "lifespan.startup": {},
    "lifespan.shutdown": {},
}
# Lifespan replies: message type -> (state it answers, state it leads to).
_LIFESPAN_REPLIES = {
    "lifespan.startup.complete": ("starting", "started"),
    "lifespan.startup.failed": ("starting", "failed"),
    "lifespan.shutdown.complete": ("stopping", "stopped"),
    "lifespan.shutdown.failed": ("stopping", "stopped"),
}
_FIRST_STATE = {"http": "start", "websocket": "handshake", "lifespan": "idle"}


class ConversationChecker:
    """Follow one ASGI connection message by message and name the first breach.

    ``check_send`` and ``check_receive`` return ``None`` for a good message and
    otherwise a sentence saying what is wrong; ``check_return`` does the same
    for an app that returned. Nothing is raised, so a tracer can flag
    breaches inline. Scopes of an unknown type are not checked.

    Example:
        >>> checker = ConversationChecker({"type": "http"})
        >>> checker.check_send({"type": "http.response.start", "status": 200})
        >>> checker.check_send({"type": "http.response.body", "body": "hi"})
        "'http.response.body' field 'body' must be bytes, got str ('hi')"
    """

    def __init__(self, scope: Scope) -> None:
        self.scope_type = str(scope.get("type"))
        self.extensions = scope.get("extensions") or {}
        self.state = _FIRST_STATE.get(self.scope_type, "unchecked")
        self.trailers_expected = False
        self.request_complete = False
        self.client_disconnected = False

    def check_send(self, message: Any) -> str | None:
        """Check a message the app sends; None if it keeps to the spec."""
        if self.state == "unchecked":
            return None
        problem = self._check_type(message, _SEND_FIELDS, "send")
        if problem is not None or message["type"] not in _SEND_FIELDS:
            return problem
        if self.scope_type == "http":
            problem = self._send_http(message)
        elif self.scope_type == "websocket":
            problem = self._send_websocket(message)
        else:
            problem = self._send_lifespan(message)
        return problem or _check_fields(message, _SEND_FIELDS)

    def check_receive(self, message: Any) -> str | None:
        """Check a message the server hands the app; None if it keeps to the spec."""
        if self.state == "unchecked":
            return None
        problem = self._check_type(message, _RECEIVE_FIELDS, "receive")
        if problem is not None or message["type"] not in _RECEIVE_FIELDS:
            return problem
        return self._receive(message) or _check_fields(message, _RECEIVE_FIELDS)

    def check_return(self) -> str | None:
        """Check an app that returned normally: an HTTP response must be complete."""
        if self.scope_type != "http" or self.client_disconnected:
            return None
        if self.state == "start":
            return (
                "the app returned without sending 'http.response.start'; "
                "every HTTP request needs a response"
            )
        if self.state == "body":
            return (
                "the app returned before completing the response; send a final "
                "'http.response.body' with 'more_body': False"
            )
        if self.state == "trailers":
            return "the app returned before its final 'http.response.trailers'"
        return None

    def _check_type(self, message: Any, fields: dict[str, Any], way: str) -> str | None:
        if not isinstance(message, dict):
            return f"a message must be a dict, got {_describe(message)}"
        kind = message.get("type")
        if not isinstance(kind, str):
            return f"a message needs a str 'type', got {_describe(message)}"
        prefix = f"{self.scope_type}."
        if kind not in fields or not kind.startswith(prefix):
            if kind in self.extensions:
                return None  # a server extension this checker does not know
            expected = ", ".join(
                repr(name) for name in fields if name.startswith(prefix)
            )
            return (
                f"{kind!r} is not a message to {way} on a {self.scope_type!r} "
                f"connection; expected one of {expected}"
            )
        extension = EXTENSION_OF.get(kind)
        if extension is not None and extension not in self.extensions:
            return (
                f"{kind!r} needs the {extension!r} extension, which the server "
                "did not list in scope['extensions']"
            )
        return None

    def _send_http(self, message: Message) -> str | None:
        kind = message["type"]
        if self.state == "done":
            return (
                f"{kind!r} sent after the response completed; "
                "an HTTP request gets exactly one response"
            )
        if kind == "http.response.early_hint":
            if self.state != "start":
                return (
                    "'http.response.early_hint' sent after 'http.response.start'; "
                    "hints must come before the response"
                )
        elif kind == "http.response.start":
            if self.state != "start":
                return "'http.response.start' sent twice; a response starts once"
            self.state = "body"
            self.trailers_expected = message.get("trailers") is True
            if self.trailers_expected and "http.response.trailers" not in (
                self.extensions
            ):
                return (
                    "'http.response.start' asks for 'trailers', but the server did "
                    "not list 'http.response.trailers' in scope['extensions']"
                )
        elif kind == "http.response.trailers":
            if self.state != "trailers":
                return (
                    "'http.response.trailers' sent before the final body, or "
                    "without 'trailers': True in 'http.response.start'"
                )
            if not message.get("more_trailers", False):
                self.state = "done"
        elif self.state == "start":
            return (
                f"{kind!r} sent before 'http.response.start'; "
                "send the status and headers first"
            )
        elif self.state == "trailers":
            return f"{kind!r} sent after the final body; only trailers may follow"
        elif kind == "http.response.pathsend" or not message.get("more_body", False):
            self.state = "trailers" if self.trailers_expected else "done"
        return None

    def _send_websocket(self, message: Message) -> str | None:
        kind = message["type"]
        problem = _websocket_order_problem(kind, self.state)
        if problem is not None:
            return problem
        if kind == "websocket.accept":
            self.state = "connected"
        elif kind == "websocket.http.response.start":
            self.state = "denying"
        elif kind == "websocket.close" or (
            kind == "websocket.http.response.body"
            and not message.get("more_body", False)
        ):
            self.state = "closed"
        return _check_data_frame(message) if kind == "websocket.send" else None

    def _send_lifespan(self, message: Message) -> str | None:
        kind = message["type"]
        answers, leads_to = _LIFESPAN_REPLIES[kind]
        if self.state != answers:
            event = "lifespan.startup" if answers == "starting" else "lifespan.shutdown"
            return (
                f"{kind!r} sent with no {event!r} waiting for a reply; "
                "reply once to each event the server sends"
            )
        self.state = leads_to
        return None

    def _receive(self, message: Message) -> str | None:
        kind = message["type"]
        if kind == "http.request":
            if self.request_complete or self.client_disconnected:
                return "'http.request' received after the request body was complete"
            self.request_complete = not message.get("more_body", False)
        elif kind in ("http.disconnect", "websocket.disconnect"):
            self.client_disconnected = self.client_disconnected or self.state != "done"
        elif kind == "websocket.receive":
            if self.state in ("handshake", "denying"):
                return "'websocket.receive' received before 'websocket.accept'"
            return _check_data_frame(message)
        elif kind in ("lifespan.startup", "lifespan.shutdown"):
            startup = kind == "lifespan.startup"
            if self.state != ("idle" if startup else "started"):
                return f"{kind!r} received out of order (lifespan is {self.state!r})"
            self.state = "starting" if startup else "stopping"
        return None


def _websocket_order_problem(kind: str, state: str) -> str | None:
    if state == "closed":
        return f"{kind!r} sent after the WebSocket was closed or denied"
    if kind in ("websocket.accept", "websocket.http.response.start"):
        if state != "handshake":
            return (
                f"{kind!r} sent after the handshake was answered; answer it "
                "once, with an accept, a close or a denial response"
            )
    elif kind == "websocket.send" and state != "connected":
        return "'websocket.send' sent before 'websocket.accept'; accept first"
    elif kind == "websocket.close" and state == "denying":
        return (
            "'websocket.close' sent during a denial response; "
            "finish it with 'websocket.http.response.body'"
        )
    elif kind == "websocket.http.response.body" and state != "denying":
        return (
            "'websocket.http.response.body' sent before 'websocket.http.response.start'"
        )
    return None


def _check_fields(
    message: Message, fields: dict[str, dict[str, tuple[bool, FieldCheck]]]
) -> str | None:
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


def _check_data_frame(message: Message) -> str | None:
    present = [key for key in ("bytes", "text") if message.get(key) is not None]
    if len(present) != 1:
        got = "both" if present else "neither"
        kind = message["type"]
        return f"{kind!r} must carry exactly one of 'bytes' or 'text', got {got}"
    return None


def validate(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app so that a breach of the ASGI spec raises ``ASGIProtocolError``.

    The error is raised from the ``send`` or ``receive`` call that carried the
    bad message, and raised again (directly, never inside an exception group)
    when the app returns, even if the app caught it in between.

    Example:
        >>> checked_app = validate(app)
        >>> await checked_app(scope, receive, send)
    """

    async def validated_app(scope: Scope, receive: Receive, send: Send) -> None:
        checker = ConversationChecker(scope)
        breaches: list[ASGIProtocolError] = []

        def fail_on(problem: str | None) -> None:
            if problem is not None:
                breaches.append(ASGIProtocolError(problem))
                raise breaches[-1]

        async def receive_and_check() -> Message:
            message = await receive()
            fail_on(checker.check_receive(message))
            return message

        async def check_and_send(message: Message) -> None:
            fail_on(checker.check_send(message))
            try:
                await send(message)
            except OSError:  # the server's way to say the client has gone away
                checker.client_disconnected = True
                raise

        try:
            await app(scope, receive_and_check, check_and_send)
        except Exception as exc:
            if breaches and exc is not breaches[0]:
                raise breaches[0] from exc
            raise
        if breaches:
            raise breaches[0]
        fail_on(checker.check_return())

    return validated_app
