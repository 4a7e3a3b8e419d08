"""Gzip: compress response bodies for clients that accept it.

Wraps ``send``: the ``http.response.start`` message is held back until the
first ``http.response.body`` shows what kind of body follows. A whole body in
one message is compressed if it is at least ``minimum_size`` bytes; a streamed
body (``more_body=True``) is compressed piece by piece, each body message
answered at once by one compressed message, never buffered.

A ``HEAD`` response has no body to look at, so the decision is made from its
``Content-Length``, which the ``GET`` body would have had; it then gets the
headers the ``GET`` gets, except ``Content-Length``: only the compressed body
could tell it, and RFC 9110 (section 9.3.2) lets a HEAD leave it out.
"""

from __future__ import annotations

import zlib

from microasgi.core.datastructures import Headers, MutableHeaders
from microasgi.core.extensions import INFORMATIONAL, PATHSEND
from microasgi.core.http import parse_content_length
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send


class GzipStream:
    """Incremental gzip: the compressed bytes for each piece, right away."""

    def __init__(self, compresslevel: int) -> None:
        # wbits=31: a gzip header and trailer around raw deflate data.
        self._compressor = zlib.compressobj(compresslevel, zlib.DEFLATED, 31)

    def compress(self, data: bytes, *, last: bool) -> bytes:
        # A sync flush pushes out everything so far, so the client can use it.
        mode = zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
        return self._compressor.compress(data) + self._compressor.flush(mode)


class GZipMiddleware:
    """Gzip responses for clients that send ``Accept-Encoding: gzip``.

    Skips small bodies (under ``minimum_size`` bytes), Server-Sent Events,
    responses that already have a ``Content-Encoding``, and partial content
    (a 206 or a ``Content-Range``: its byte offsets count uncompressed bytes).

    Example:
        >>> app.add_middleware(GZipMiddleware, minimum_size=1000)
    """

    def __init__(
        self, app: ASGIApp, *, minimum_size: int = 500, compresslevel: int = 9
    ) -> None:
        if not 0 <= compresslevel <= 9:
            raise ValueError(f"compresslevel must be 0 to 9, got {compresslevel}")
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not accepts_gzip(Headers(scope["headers"])):
            await self.app(scope, receive, send)
            return
        extensions = scope.get("extensions")
        if extensions and PATHSEND in extensions:
            # pathsend hands a file to the server past this middleware, so it
            # would go out uncompressed while its HEAD says gzip: hide it, and
            # a file is compressed like any other body.
            others = {name: v for name, v in extensions.items() if name != PATHSEND}
            scope = {**scope, "extensions": others}
        start: Message | None = None  # held until the first body message
        stream: GzipStream | None = None  # set once compressing
        passing_through = False
        head = scope["method"] == "HEAD"

        async def send_compressed(message: Message) -> None:
            nonlocal start, stream, passing_through
            kind = message["type"]
            if passing_through or (start is None and kind in INFORMATIONAL):
                await send(message)  # early hints go ahead of the held start
            elif stream is not None:
                # Trailers after the compressed body pass as they are.
                is_body = kind == "http.response.body"
                await send(compressed_body(stream, message) if is_body else message)
            elif kind == "http.response.start":
                start = message
            elif start is None or not self.should_compress(start, message, head):
                passing_through = True
                if start is not None:
                    await send(start)
                await send(message)
            elif head:
                passing_through = True
                await send(compressed_start(start, 0, streaming=True))
                await send(message)
            else:
                stream = GzipStream(self.compresslevel)
                body = compressed_body(stream, message)
                streaming = message.get("more_body", False)
                await send(compressed_start(start, len(body["body"]), streaming))
                await send(body)

        await self.app(scope, receive, send_compressed)

    def should_compress(self, start: Message, first_body: Message, head: bool) -> bool:
        """Decide from the start and the first body message alone."""
        if first_body["type"] != "http.response.body":
            return False  # an extension (say, a file path to send): leave it
        if start["status"] in (204, 206, 304) or start["status"] < 200:
            return False  # no body, or a slice whose offsets must stay as they are
        headers = Headers(start["headers"])
        if "content-encoding" in headers or "content-range" in headers:
            return False
        if headers.get("content-type", "").startswith("text/event-stream"):
            return False  # every event must reach the client the moment it is sent
        if head:
            # The size the GET body has; none given means the GET streams.
            size = parse_content_length(headers.get("content-length", ""))
            return size is None or size >= max(self.minimum_size, 1)
        if first_body.get("more_body", False):
            return True  # a stream: compress whatever comes, small first piece or not
        return len(first_body.get("body", b"")) >= max(self.minimum_size, 1)


def compressed_body(stream: GzipStream, message: Message) -> Message:
    more_body = message.get("more_body", False)
    data = message.get("body", b"")
    if more_body and not data:
        return message  # nothing to flush; keep the message as it is
    body = stream.compress(data, last=not more_body)
    return {"type": "http.response.body", "body": body, "more_body": more_body}


def compressed_start(start: Message, body_size: int, streaming: bool) -> Message:
    headers = MutableHeaders(list(start["headers"]))  # never edit the app's list
    headers["content-encoding"] = "gzip"
    headers.append("vary", "Accept-Encoding")
    if streaming:
        del headers["content-length"]  # unknown until the stream ends
    else:
        headers["content-length"] = str(body_size)
    etag = headers.get("etag")
    if etag is not None and not etag.startswith("W/"):
        # The bytes differ from the uncompressed ones: no longer a strong match.
        headers["etag"] = "W/" + etag
    return {**start, "headers": headers.raw}


def accepts_gzip(headers: Headers) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip;q=0`` says no)."""
    qualities: dict[str, float] = {}
    for item in ",".join(headers.getlist("accept-encoding")).split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[coding.lower()] = quality
    # An explicit gzip entry wins over the "*" wildcard.
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0
