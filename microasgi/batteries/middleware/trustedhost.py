"""Trusted hosts: refuse requests whose ``Host`` header names another site.

Checks ``http`` and ``websocket`` scopes before the app sees them. A refused
HTTP request gets 400; a refused WebSocket is closed before it is accepted
(the client sees HTTP 403). A request with more than one ``Host`` header is
refused whatever the allowed hosts: HTTP/1.1 (RFC 9112, section 3.2) calls it
malformed, and the app and a proxy might each trust a different one.
"""

from __future__ import annotations

from collections.abc import Collection

from microasgi.core.datastructures import Headers
from microasgi.core.http import host_name
from microasgi.core.requests import HTTPConnection
from microasgi.core.responses import PlainTextResponse, RedirectResponse
from microasgi.core.types import ASGIApp, Receive, Scope, Send


class TrustedHostMiddleware:
    """Serve only the host names listed in ``allowed_hosts``.

    A name may start with ``*.`` to allow every subdomain
    (``*.example.com`` allows ``api.example.com``, not ``example.com``).
    With ``www_redirect``, a request for ``example.com`` is redirected to
    ``www.example.com`` when only the latter is allowed.

    Example:
        >>> app.add_middleware(
        ...     TrustedHostMiddleware, allowed_hosts=["example.com", "*.example.com"]
        ... )
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Collection[str] = ("*",),
        www_redirect: bool = True,
    ) -> None:
        if isinstance(allowed_hosts, str):
            raise TypeError(
                f"allowed_hosts must be a list of host names, got the string "
                f"{allowed_hosts!r}; write allowed_hosts=[{allowed_hosts!r}]"
            )
        for pattern in allowed_hosts:
            if pattern != "*" and "*" in pattern.removeprefix("*."):
                raise ValueError(
                    f"allowed host {pattern!r} has a '*' in the wrong place; "
                    "a wildcard is a leading '*.' (as in '*.example.com') or '*' alone"
                )
        self.app = app
        self.allowed_hosts = [pattern.lower() for pattern in allowed_hosts]
        self.www_redirect = www_redirect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = Headers(scope["headers"]).getlist("host")
        if len(hosts) > 1:
            await refuse(scope, receive, send, "more than one Host header")
            return
        host = host_name(hosts[0] if hosts else "")
        if "*" in self.allowed_hosts or self.is_allowed(host):
            await self.app(scope, receive, send)
        elif (
            scope["type"] == "http"
            and self.www_redirect
            and f"www.{host}" in self.allowed_hosts
        ):
            url = HTTPConnection(scope).url
            www_url = url.replace(netloc="www." + url.netloc)
            await RedirectResponse(str(www_url))(scope, receive, send)
        else:
            await refuse(scope, receive, send)

    def is_allowed(self, host: str) -> bool:
        return any(
            host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.allowed_hosts
        )


async def refuse(scope: Scope, receive: Receive, send: Send, reason: str = "") -> None:
    """400 for HTTP; a WebSocket is closed before it is accepted."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008, "reason": ""})
        return
    detail = f"Invalid host header: {reason}" if reason else "Invalid host header"
    await PlainTextResponse(detail, status_code=400)(scope, receive, send)
