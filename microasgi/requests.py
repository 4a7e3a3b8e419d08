"""The incoming side: ``Request`` wraps an HTTP scope and ``receive``.

Nothing is parsed until asked for: headers, query string, cookies and the body
are read on first access. The body comes from ``http.request`` messages (their
``more_body`` flag says whether more follow) and is bounded by the app's
``max_body_size`` while it streams in.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from microasgi.datastructures import (
    URL,
    Address,
    Headers,
    Limits,
    QueryParams,
    State,
    encode_header,
    is_valid_host,
)
from microasgi.exceptions import ClientDisconnect, HTTPException
from microasgi.extensions import EARLY_HINT, offers
from microasgi.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from microasgi.uploads import FormData

DEFAULT_LIMITS = Limits()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# NaN and Infinity are JavaScript, not JSON (RFC 8259); the stdlib accepts them.
_json_decoder = json.JSONDecoder(parse_constant=_refuse_constant)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


_COOKIE_ESCAPE = re.compile(r"\\(?:([0-7]{3})|(.))")


def unquote_cookie(value: str) -> str:
    """Undo the quoting some servers apply: ``"a\\"b"`` and octal ``\\054``."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value

    def unescape(found: re.Match[str]) -> str:
        octal, char = found.groups()
        return chr(int(octal, 8)) if octal else char

    return _COOKIE_ESCAPE.sub(unescape, value[1:-1])


def parse_content_length(value: str) -> int | None:
    """The byte count a ``Content-Length`` value declares, or ``None`` if it
    is not a plain run of ASCII digits.

    More than 18 digits is over any limit and comes back as ``sys.maxsize``:
    ``int()`` of thousands of digits is refused by Python itself.
    """
    # isdigit() alone accepts digits int() refuses, like "²".
    if not (value.isascii() and value.isdigit()):
        return None
    if len(value.lstrip("0")) > 18:
        return sys.maxsize
    return int(value)


def parse_cookies(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header leniently: a bad pair is skipped, not fatal."""
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        name, equals, value = chunk.partition("=")
        name, value = name.strip(), value.strip()
        if not equals:
            name, value = "", name  # browsers send a lone value as a nameless one
        if name or value:
            cookies[name] = unquote_cookie(value)
    return cookies


class HTTPConnection:
    """What HTTP requests and WebSocket connections have in common."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    @property
    def app(self) -> Any:
        """The :class:`~microasgi.App` serving this connection."""
        return self.scope.get("app")

    _headers: Headers | None = None

    @property
    def headers(self) -> Headers:
        # Cached by hand: read on most requests, and cheaper than cached_property.
        if self._headers is None:
            self._headers = Headers(self.scope["headers"])
        return self._headers

    @cached_property
    def query_params(self) -> QueryParams:
        return QueryParams(self.scope.get("query_string", b""))

    @property
    def path_params(self) -> dict[str, Any]:
        params: dict[str, Any] = self.scope.get("path_params", {})
        return params

    @property
    def path(self) -> str:
        path: str = self.scope["path"]
        return path

    @cached_property
    def cookies(self) -> dict[str, str]:
        return parse_cookies(self.headers.get("cookie", ""))

    @property
    def client(self) -> Address | None:
        client = self.scope.get("client")
        return Address(*client) if client else None

    @cached_property
    def state(self) -> State:
        # Per-connection copy of the lifespan state (ASGI "state" extension).
        return State(self.scope.setdefault("state", {}))

    @property
    def session(self) -> dict[str, Any]:
        """The session dict set up by ``SessionMiddleware``."""
        if "session" not in self.scope:
            raise RuntimeError(
                "request.session needs SessionMiddleware; add it with "
                "app.add_middleware(SessionMiddleware, secret_key=...)"
            )
        session: dict[str, Any] = self.scope["session"]
        return session

    @cached_property
    def url(self) -> URL:
        """The full URL, built only from validated parts of the scope."""
        scheme = self.scope.get("scheme", "http")
        if scheme not in _DEFAULT_PORTS:
            scheme = "http"
        host = self.headers.get("host", "")
        if not is_valid_host(host):
            host = self._server_netloc(scheme)
        # ASGI's path includes root_path; older servers sent it separately.
        path, root_path = self.scope["path"], self.scope.get("root_path", "")
        if not path.startswith(root_path):
            path = root_path + path
        if not path.startswith("/"):
            path = "/" + path
        url = URL(f"{scheme}://{host}")
        url.path = path
        url.query = self.scope.get("query_string", b"").decode("latin-1")
        return url

    def _server_netloc(self, scheme: str) -> str:
        server = self.scope.get("server")
        if not server or server[1] is None:
            return "localhost"
        host, port = server
        if port == _DEFAULT_PORTS[scheme]:
            return str(host)
        return f"{host}:{port}"


class Request(HTTPConnection):
    """An HTTP request: the scope plus a body read from ``receive``.

    Example:
        >>> @app.post("/items")
        ... async def create(request):
        ...     item = await request.json()
        ...     return {"created": item, "by": request.client.host}
    """

    # Class-level defaults keep __init__ down to three assignments.
    _stream_consumed = False
    _disconnected = False
    _received = 0  # body bytes so far
    _early_messages: tuple[Message, ...] = ()  # read by is_disconnected()

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        limits: Limits = DEFAULT_LIMITS,
        send: Send | None = None,
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.limits = limits
        self.send = send  # for messages before the response: early hints

    @property
    def method(self) -> str:
        method: str = self.scope["method"]
        return method

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the body in chunks as they arrive, enforcing ``max_body_size``."""
        if "microasgi.body" in self.scope:
            yield self.scope["microasgi.body"]
            return
        self._begin_body()
        while True:
            message = await self._next_message()
            chunk = self._take_chunk(message)
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    def _begin_body(self) -> None:
        if self._stream_consumed:
            raise RuntimeError(
                "the request body was already streamed (by stream() or form());"
                " call request.body() first to keep it for reading again"
            )
        self._stream_consumed = True
        self._check_content_length(self.limits.max_body_size)

    async def _next_message(self) -> Message:
        if self._early_messages:
            message, *rest = self._early_messages
            self._early_messages = tuple(rest)
            return message
        return await self.receive()

    def _take_chunk(self, message: Message) -> bytes:
        """The body bytes of one ``http.request`` message, counted against the limit."""
        if message["type"] == "http.disconnect":
            self._disconnected = True
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        self._received += len(chunk)
        if self._received > self.limits.max_body_size:
            raise self._too_large(self.limits.max_body_size)
        return chunk

    def _check_content_length(self, limit: int) -> None:
        value = self.headers.get("content-length")
        if value is None:
            return
        length = parse_content_length(value)
        if length is None:
            raise HTTPException(400, f"Invalid Content-Length header: {value!r}")
        if length > limit:
            raise self._too_large(limit)

    def _too_large(self, limit: int) -> HTTPException:
        return HTTPException(
            413,
            f"Request body is larger than max_body_size ({limit} bytes); "
            "raise App(max_body_size=...) to accept larger bodies",
        )

    async def body(self) -> bytes:
        """The whole body; kept, so it can be read again."""
        body: bytes | None = self.scope.get("microasgi.body")
        if body is None:
            # The loop of stream(), without an async generator's overhead.
            self._begin_body()
            message = await self._next_message()
            body = self._take_chunk(message)
            if message.get("more_body", False):
                chunks = [body]
                while message.get("more_body", False):
                    message = await self._next_message()
                    chunks.append(self._take_chunk(message))
                body = b"".join(chunks)
            self.scope["microasgi.body"] = body
        return body

    async def json(self) -> Any:
        """The body parsed as JSON; 400 if it is not JSON or not sent as JSON."""
        if not is_json_type(self.headers):
            content_type = self.headers.get("content-type", "")
            raise HTTPException(
                400,
                "Expected a JSON body with Content-Type: application/json, "
                f"got {content_type or 'no Content-Type'!r}",
            )
        body = await self.body()
        try:
            # JSON on the wire is UTF-8 (RFC 8259); decoding it ourselves skips
            # json.loads' guessing among UTF-16 and UTF-32.
            return _json_decoder.decode(body.decode("utf-8"))
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"Invalid JSON: {exc}") from None
        except UnicodeDecodeError as exc:
            raise HTTPException(
                400, f"Invalid JSON: not UTF-8 ({exc.reason})"
            ) from None
        except RecursionError:
            raise HTTPException(400, "Invalid JSON: nested too deeply") from None
        except ValueError as exc:  # NaN/Infinity, or an integer of 4,300+ digits
            raise HTTPException(400, f"Invalid JSON: {exc}") from None

    async def form(self) -> FormData:
        """The body parsed as a form (urlencoded or multipart) into ``FormData``.

        Uploads are closed when the response is done.
        """
        if "microasgi.form" not in self.scope:
            from microasgi.forms import parse_form

            self.scope["microasgi.form"] = await parse_form(
                self.headers, self.stream(), self.limits
            )
        form: FormData = self.scope["microasgi.form"]
        return form

    async def is_disconnected(self) -> bool:
        """Whether the client has gone away (checks without waiting)."""
        if not self._disconnected:
            message = await _receive_now(self.receive)
            if message is not None and message["type"] == "http.disconnect":
                self._disconnected = True
            elif message is not None:
                # A body message: keep it for stream().
                self._early_messages = (*self._early_messages, message)
        return self._disconnected

    async def send_early_hints(self, links: Iterable[str]) -> bool:
        """Send ``103 Early Hints`` with these ``Link`` values, if the server can.

        The browser may start fetching the linked resources while the handler
        still works on the real response. Returns whether the hints were sent:
        ``False`` (and nothing sent) when the server does not offer the
        ``http.response.early_hint`` extension. Call it before returning.

        Example:
            >>> await request.send_early_hints(["</app.css>; rel=preload; as=style"])
        """
        if self.send is None or not offers(self.scope, EARLY_HINT):
            return False
        values = [encode_header("link", link)[1] for link in links]
        await self.send({"type": "http.response.early_hint", "links": values})
        return True


async def _receive_now(receive: Receive) -> Message | None:
    """Take a message from ``receive`` only if one is ready right now."""
    task = asyncio.ensure_future(receive())
    await asyncio.sleep(0)
    if task.done():
        return task.result()
    task.cancel()
    return None


def is_json_type(headers: Mapping[str, str]) -> bool:
    """Whether a Content-Type names JSON (``application/json`` or ``*+json``)."""
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")
