"""The outgoing side: every response is itself an ASGI app.

Calling ``await response(scope, receive, send)`` sends one
``http.response.start`` message (status and headers), then the body in one or
more ``http.response.body`` messages (``more_body`` says whether more follow).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import (
    Callable,
    Mapping,
)
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from microasgi.core.background import BackgroundTask, BackgroundTasks
from microasgi.core.concurrency import pool_of
from microasgi.core.datastructures import MutableHeaders
from microasgi.core.http import EPOCH, encode_header, set_cookie_header
from microasgi.core.types import RawHeaders, Receive, Scope, Send

logger = logging.getLogger("microasgi")


class Response:
    """A response with a body known up front.

    ``content`` may be ``bytes`` or ``str`` (encoded UTF-8); subclasses render
    other types. ``Content-Length`` and ``Content-Type`` are set for you.

    Example:
        >>> @app.get("/robots.txt")
        ... async def robots(request):
        ...     return Response("User-agent: *", media_type="text/plain")
    """

    media_type: str | None = None
    charset = "utf-8"
    background: BackgroundTask | BackgroundTasks | None = None

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | BackgroundTasks | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        if background is not None:
            self.background = background
        self.body = body = self.render(content)
        known = self._content_type
        if (
            known is not None
            and status_code == 200
            and not headers
            and known[0] is self.media_type
            and known[1] is self.charset
        ):
            # The common case: the class's Content-Type, computed once.
            length = CONTENT_LENGTHS.get(len(body)) or content_length(len(body))
            self.raw_headers = [length, known[2]]
        else:
            self.raw_headers = self.build_headers(headers, body)

    #: The class's ``media_type`` and ``charset`` and the Content-Type header
    #: they make, computed once for the common case; ``None`` where
    #: ``build_headers`` must decide.
    _content_type: tuple[str, str, tuple[bytes, bytes]] | None = None
    #: Whether the class sends itself as ``Response.__call__`` does, so the App
    #: may send its fields inline; false where a subclass overrides ``__call__``.
    _sent_as_fields = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._sent_as_fields = cls.__call__ is Response.__call__
        plain = cls.build_headers is Response.build_headers
        if plain and isinstance(cls.media_type, str):
            value = content_type_header(cls.media_type, cls.charset)
            header = (b"content-type", value)
            cls._content_type = (cls.media_type, cls.charset, header)
        else:
            cls._content_type = None

    def render(self, content: Any) -> bytes:
        """Turn ``content`` into body bytes."""
        if type(content) is str:  # the common case first
            return content.encode(self.charset)
        if content is None:
            return b""
        if isinstance(content, bytes | bytearray | memoryview):
            return bytes(content)
        if isinstance(content, str):
            return content.encode(self.charset)
        raise TypeError(
            f"{type(self).__name__} content must be bytes or str, got "
            f"{type(content).__name__}; use JSONResponse for dicts and lists"
        )

    def build_headers(
        self, headers: Mapping[str, str] | None, body: bytes | None
    ) -> RawHeaders:
        """The raw header pairs: the given ones, checked, plus entity headers."""
        status_code = self.status_code
        if not headers and body is not None and self.media_type and status_code == 200:
            # The common case, without the checks below.
            return [
                (b"content-length", b"%d" % len(body)),
                (b"content-type", content_type_header(self.media_type, self.charset)),
            ]
        raw = [encode_header(name, value) for name, value in (headers or {}).items()]
        names = {name for name, _ in raw}
        no_body = status_code < 200 or status_code in (204, 304)
        if body is not None and not no_body and b"content-length" not in names:
            raw.append((b"content-length", b"%d" % len(body)))
        if self.media_type is not None and b"content-type" not in names:
            value = content_type_header(self.media_type, self.charset)
            raw.append((b"content-type", value))
        return raw

    @property
    def headers(self) -> MutableHeaders:
        """The headers, as a case-insensitive mapping you may change."""
        return MutableHeaders(self.raw_headers)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header; invalid names or values are refused.

        ``expires`` is a moment (a ``datetime``), a number of seconds from
        now (an ``int``), or an HTTP date string sent as is.

        Example:
            >>> response.set_cookie("theme", "dark", max_age=3600, httponly=True)
        """
        self.headers.append(
            "set-cookie",
            set_cookie_header(
                key, value, max_age, expires, path, domain, secure, httponly,
                samesite, partitioned,
            ),
        )  # fmt: skip

    def delete_cookie(
        self, key: str, path: str = "/", domain: str | None = None
    ) -> None:
        """Ask the browser to drop cookie ``key`` (same path and domain as set)."""
        self.set_cookie(key, "", max_age=0, expires=EPOCH, path=path, domain=domain)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    # A copy: a middleware may edit the list, and a response
                    # object may be sent many times.
                    "headers": list(self.raw_headers),
                }
            )
            body = b"" if scope["method"] == "HEAD" else self.body
            await send({"type": "http.response.body", "body": body})
        finally:
            # Runs even when the client is already gone (send raised).
            if self.background is not None:
                await self.background(pool_of(scope))


# The Content-Length headers of short bodies, each made once: formatting the
# number is a sixth of the cost of building a small response. Read it with
# ``CONTENT_LENGTHS.get(size) or content_length(size)``.
CONTENT_LENGTHS: dict[int, tuple[bytes, bytes]] = {}


def content_length(size: int) -> tuple[bytes, bytes]:
    """The ``Content-Length`` header for a body of ``size`` bytes."""
    header = (b"content-length", b"%d" % size)
    if size < 1024:  # bounded: a thousand small tuples at most
        CONTENT_LENGTHS[size] = header
    return header


# Bounded: a media type may come from data (an upload's), not only from code.
@functools.lru_cache(maxsize=256)
def content_type_header(media_type: str | None, charset: str) -> bytes:
    """The Content-Type value; text types get a charset. CR, LF are refused."""
    if media_type is None:
        return b"application/octet-stream"
    if media_type.startswith("text/") and "charset=" not in media_type:
        media_type += f"; charset={charset}"
    return encode_header("content-type", media_type)[1]


class PlainTextResponse(Response):
    """A ``text/plain; charset=utf-8`` response."""

    media_type = "text/plain"


class HTMLResponse(Response):
    """A ``text/html; charset=utf-8`` response."""

    media_type = "text/html"


class JSONResponse(Response):
    """Any JSON-serialisable value, sent as compact UTF-8 ``application/json``.

    Example:
        >>> return JSONResponse({"error": "taken"}, status_code=409)
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return encode_json(content)


def _make_json_encoder() -> Callable[[Any], bytes]:
    options: dict[str, Any] = {"ensure_ascii": False, "allow_nan": False}
    encoder = json.JSONEncoder(separators=(",", ":"), **options)
    make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_c_encoder is None:
        return lambda content: encoder.encode(content).encode("utf-8")
    # JSONEncoder.encode() builds this C encoder afresh on every call; building
    # it once makes small responses about twice as fast. Circular structures
    # still fail (RecursionError) rather than looping.
    c_encoder = make_c_encoder(
        None, encoder.default, json.encoder.encode_basestring, None,
        ":", ",", False, False, False,
    )  # fmt: skip

    def encode_json(content: Any) -> bytes:
        """Compact UTF-8 JSON; NaN and infinities are refused (not valid JSON)."""
        if isinstance(content, str):
            return encoder.encode(content).encode("utf-8")
        return "".join(c_encoder(content, 0)).encode("utf-8")

    return encode_json


encode_json = _make_json_encoder()


class RedirectResponse(Response):
    """Send the client to ``url`` (307 keeps the method; pass 302/303 to GET).

    Example:
        >>> return RedirectResponse("/login", status_code=303)
    """

    def __init__(
        self,
        url: str,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | BackgroundTasks | None = None,
    ) -> None:
        super().__init__(b"", status_code, headers, background=background)
        # Percent-encoding anything unsafe also rules out header injection.
        self.headers["location"] = quote(str(url), safe=":/%#?=@[]!$&'()*+,;~")
