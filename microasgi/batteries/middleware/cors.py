"""CORS: let pages on other origins call the app, within stated limits.

Answers preflight requests (``OPTIONS`` with ``Access-Control-Request-Method``)
itself, and wraps ``send`` to add ``Access-Control-*`` headers to the
``http.response.start`` of every other request that carries an ``Origin``,
error responses included, and ``Vary: Origin`` wherever the answer depends on it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from microasgi.core.datastructures import Headers, MutableHeaders
from microasgi.core.responses import PlainTextResponse
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send

# Headers a browser sends without asking first (the Fetch spec's safelist).
SAFELISTED_HEADERS = frozenset(
    {"accept", "accept-language", "content-language", "content-type"}
)


class CORSMiddleware:
    """Add CORS headers for the allowed origins; answer preflight requests.

    ``"*"`` in ``allow_origins``, ``allow_methods`` or ``allow_headers``
    allows any. With ``allow_credentials=True`` the browser refuses a literal
    ``*``, so the request's own origin, method and headers are echoed instead.

    Example:
        >>> app.add_middleware(
        ...     CORSMiddleware,
        ...     allow_origins=["https://example.com"],
        ...     allow_methods=["GET", "POST"],
        ...     allow_credentials=True,
        ... )
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allow_origins: Collection[str] = (),
        allow_methods: Collection[str] = ("GET",),
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        expose_headers: Collection[str] = (),
        max_age: int = 600,
    ) -> None:
        for name, value in (
            ("allow_origins", allow_origins),
            ("allow_methods", allow_methods),
            ("allow_headers", allow_headers),
            ("expose_headers", expose_headers),
        ):
            if isinstance(value, str):
                raise TypeError(
                    f"{name} must be a list of strings, got the string {value!r}; "
                    f"write {name}=[{value!r}]"
                )
        if allow_credentials and "*" in expose_headers:
            raise ValueError(
                "expose_headers=['*'] exposes nothing when allow_credentials=True "
                "(browsers take '*' literally then); list the header names"
            )
        self.app = app
        self.allow_origins = frozenset(allow_origins)
        self.origin_regex = (
            re.compile(allow_origin_regex) if allow_origin_regex else None
        )
        self.allow_methods = [method.upper() for method in allow_methods]
        self.allow_headers = SAFELISTED_HEADERS | {h.lower() for h in allow_headers}
        self.allow_credentials = allow_credentials
        self.expose_headers = ", ".join(expose_headers)
        self.max_age = max_age
        # Only "*" without credentials gives the same answer to every origin.
        self.any_origin = "*" in self.allow_origins and not allow_credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope["headers"])
        origin = headers.get("origin")
        if origin is None and self.any_origin:
            await self.app(scope, receive, send)
            return
        if (
            origin is not None
            and scope["method"] == "OPTIONS"
            and "access-control-request-method" in headers
        ):
            await self.preflight(origin, headers)(scope, receive, send)
            return
        # Unless every origin gets the same answer, the answer depends on Origin,
        # also for a request without one: Vary says so, or a shared cache could
        # hand that answer (without CORS headers) to a page on an allowed origin.
        cors_headers = {} if origin is None else self.cors_headers(origin)

        async def send_with_cors_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A copy: the app may send the same header list every time.
                response_headers = MutableHeaders(list(message["headers"]))
                for name, value in cors_headers.items():
                    response_headers[name] = value
                if not self.any_origin:
                    response_headers.append("vary", "Origin")
                message = {**message, "headers": response_headers.raw}
            await send(message)

        await self.app(scope, receive, send_with_cors_headers)

    def is_allowed_origin(self, origin: str) -> bool:
        if "*" in self.allow_origins or origin in self.allow_origins:
            return True
        return self.origin_regex is not None and bool(
            self.origin_regex.fullmatch(origin)
        )

    def cors_headers(self, origin: str) -> dict[str, str]:
        """The headers for a response to ``origin`` (none if it is not allowed)."""
        if not self.is_allowed_origin(origin):
            return {}
        headers = {"access-control-allow-origin": "*" if self.any_origin else origin}
        if self.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        if self.expose_headers:
            headers["access-control-expose-headers"] = self.expose_headers
        return headers

    def preflight(self, origin: str, headers: Headers) -> PlainTextResponse:
        """Answer "may I send this?" without calling the app."""
        method = headers["access-control-request-method"]
        requested = [
            name.strip().lower()
            for name in headers.get("access-control-request-headers", "").split(",")
            if name.strip()
        ]
        refused = []
        if not self.is_allowed_origin(origin):
            refused.append("origin")
        if "*" not in self.allow_methods and method not in self.allow_methods:
            refused.append("method")
        if "*" not in self.allow_headers and not self.allow_headers.issuperset(
            requested
        ):
            refused.append("headers")
        vary = {} if self.any_origin else {"vary": "Origin"}
        if refused:
            reason = "Disallowed CORS " + ", ".join(refused)
            return PlainTextResponse(reason, status_code=400, headers=vary)
        allowed = {
            **self.cors_headers(origin),
            **vary,
            "access-control-allow-methods": (
                method if "*" in self.allow_methods else ", ".join(self.allow_methods)
            ),
            "access-control-max-age": str(self.max_age),
        }
        if requested or "*" not in self.allow_headers:
            allowed["access-control-allow-headers"] = ", ".join(
                requested if "*" in self.allow_headers else sorted(self.allow_headers)
            )
        return PlainTextResponse("OK", headers=allowed)
