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

from typing import Any

from microasgi.core.extensions import EXTENSION_OF
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send
from microasgi.testing.messagefields import (
    RECEIVE_FIELDS,
    SEND_FIELDS,
    check_data_frame,
    check_fields,
    describe,
)

__all__ = ["ASGIProtocolError", "ConversationChecker", "validate"]


class ASGIProtocolError(Exception):
    """An app (or a server) broke the ASGI spec; the message names the breach."""


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
        problem = self._check_type(message, SEND_FIELDS, "send")
        if problem is not None or message["type"] not in SEND_FIELDS:
            return problem
        if self.scope_type == "http":
            problem = self._send_http(message)
        elif self.scope_type == "websocket":
            problem = self._send_websocket(message)
        else:
            problem = self._send_lifespan(message)
        return problem or check_fields(message, SEND_FIELDS)

    def check_receive(self, message: Any) -> str | None:
        """Check a message the server hands the app; None if it keeps to the spec."""
        if self.state == "unchecked":
            return None
        problem = self._check_type(message, RECEIVE_FIELDS, "receive")
        if problem is not None or message["type"] not in RECEIVE_FIELDS:
            return problem
        return self._receive(message) or check_fields(message, RECEIVE_FIELDS)

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
            return f"a message must be a dict, got {describe(message)}"
        kind = message.get("type")
        if not isinstance(kind, str):
            return f"a message needs a str 'type', got {describe(message)}"
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
        return check_data_frame(message) if kind == "websocket.send" else None

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
            return check_data_frame(message)
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
