"""HTTPS redirect: send every plain ``http``/``ws`` request to its secure URL.

An ``http`` request gets a 307 to the ``https`` URL (the method and body are
kept). A ``ws`` handshake is answered with the same redirect where the server
supports the ``websocket.http.response`` extension, and is closed otherwise.
"""

from __future__ import annotations

from microasgi.core.requests import HTTPConnection
from microasgi.core.responses import RedirectResponse
from microasgi.core.types import ASGIApp, Receive, Scope, Send

SECURE_SCHEMES = {"http": "https", "ws": "wss"}


class HTTPSRedirectMiddleware:
    """Redirect ``http://`` to ``https://`` (and ``ws://`` to ``wss://``).

    Example:
        >>> app.add_middleware(HTTPSRedirectMiddleware)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] not in ("http", "websocket")
            or scope.get("scheme") not in SECURE_SCHEMES
        ):
            await self.app(scope, receive, send)
            return
        # RedirectResponse percent-encodes the URL: a path may hold any text.
        redirect = RedirectResponse(secure_url(scope))
        if scope["type"] == "http":
            await redirect(scope, receive, send)
            return
        await receive()  # websocket.connect
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
            return
        await send(
            {
                "type": "websocket.http.response.start",
                "status": redirect.status_code,
                "headers": [(b"location", redirect.headers["location"].encode())],
            }
        )
        await send({"type": "websocket.http.response.body", "body": b""})


def secure_url(scope: Scope) -> str:
    """The request's URL with a secure scheme and without a default port."""
    url = HTTPConnection(scope).url
    netloc = url.netloc
    if url.port in (80, 443):
        netloc = netloc.rpartition(":")[0]
    return str(url.replace(scheme=SECURE_SCHEMES[url.scheme], netloc=netloc))
