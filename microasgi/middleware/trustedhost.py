"""Trusted hosts: refuse requests whose ``Host`` header names another site.

Checks ``http`` and ``websocket`` scopes before the app sees them. A refused
HTTP request gets 400; a refused WebSocket is closed before it is accepted
(the client sees HTTP 403).
"""

from __future__ import annotations

from collections.abc import Collection

from microasgi.datastructures import Headers
from microasgi.requests import HTTPConnection
from microasgi.responses import PlainTextResponse, RedirectResponse
from microasgi.types import ASGIApp, Receive, Scope, Send


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
        if scope["type"] not in ("http", "websocket") or "*" in self.allowed_hosts:
            await self.app(scope, receive, send)
            return
        host = host_name(Headers(scope["headers"]).get("host", ""))
        if self.is_allowed(host):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
        elif self.www_redirect and f"www.{host}" in self.allowed_hosts:
            url = HTTPConnection(scope).url
            www_url = url.replace(netloc="www." + url.netloc)
            await RedirectResponse(str(www_url))(scope, receive, send)
        else:
            response = PlainTextResponse("Invalid host header", status_code=400)
            await response(scope, receive, send)

    def is_allowed(self, host: str) -> bool:
        return any(
            host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.allowed_hosts
        )


def host_name(host: str) -> str:
    """``"Example.com:8000"`` -> ``"example.com"``; ``"[::1]:80"`` -> ``"[::1]"``."""
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.partition(":")[0].lower()
