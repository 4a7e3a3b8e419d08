"""ASGI extensions: what the server offers in ``scope["extensions"]``.

A server lists the extensions it supports as keys of ``scope["extensions"]``;
an app may send an extension's messages only when it is listed there.
microasgi uses these when they are offered and falls back when they are not:

- ``http.response.pathsend``: ``FileResponse`` hands the server a file path
  instead of streaming the bytes itself (granian offers it).
- ``http.response.early_hint``: ``request.send_early_hints(links)`` sends a
  103 Early Hints response before the real one (hypercorn, over HTTP/2).
- ``http.response.trailers``: ``StreamingResponse(trailers=...)`` sends
  header fields after the body (hypercorn, over HTTP/2).
- ``websocket.http.response``: a WebSocket handshake denied with a real HTTP
  response (see :meth:`~microasgi.WebSocket.deny`).

One more is microasgi's own: the test client offers ``microasgi.server_errors``
so that the app hands it the errors it answers with a 500 (see
:func:`~microasgi.core.errors.report_server_error`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from microasgi.core.types import Message, Scope

PATHSEND = "http.response.pathsend"
EARLY_HINT = "http.response.early_hint"
TRAILERS = "http.response.trailers"
WEBSOCKET_DENIAL = "websocket.http.response"
SERVER_ERRORS = "microasgi.server_errors"  # the test client's, not a server's

# Message types that belong to an extension: the server must offer it first.
EXTENSION_OF = {
    "http.response.pathsend": PATHSEND,
    "http.response.early_hint": EARLY_HINT,
    "http.response.trailers": TRAILERS,
    "websocket.http.response.start": WEBSOCKET_DENIAL,
    "websocket.http.response.body": WEBSOCKET_DENIAL,
}

# Messages a server may get before ``http.response.start``, which do not start
# the response: an error after them can still be answered with a 500.
INFORMATIONAL = frozenset({"http.response.early_hint"})


def offers(scope: Scope, extension: str) -> bool:
    """Whether the server listed ``extension`` in ``scope["extensions"]``."""
    return extension in (scope.get("extensions") or {})


def extensions_used(sent: Iterable[Message]) -> list[str]:
    """The extensions that messages an app sent belong to, in first-use order."""
    used: dict[str, None] = {}
    for message in sent:
        kind = message.get("type") if isinstance(message, Mapping) else None
        if kind == "http.response.start" and message.get("trailers") is True:
            used[TRAILERS] = None
        elif kind in EXTENSION_OF:
            used[EXTENSION_OF[kind]] = None
    return list(used)
