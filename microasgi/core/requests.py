"""The incoming side: ``Request`` wraps an HTTP scope and ``receive``.

Nothing is parsed until asked for: headers, query string, cookies and the body
are read on first access. The body comes from ``http.request`` messages (their
``more_body`` flag says whether more follow) and is bounded by the app's
``max_body_size`` while it streams in.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from microasgi.core.concurrency import pool_of
from microasgi.core.datastructures import (
    URL,
    Address,
    Headers,
    Limits,
    QueryParams,
    State,
)
from microasgi.core.exceptions import ClientDisconnect, HTTPException
from microasgi.core.extensions import EARLY_HINT, offers
from microasgi.core.http import (
    encode_header,
    is_valid_host,
    parse_content_length,
    parse_cookies,
)
from microasgi.core.paths import PATH_SAFE, quote_path
from microasgi.core.rootpath import includes
from microasgi.core.sharedreceive import SharedReceive
from microasgi.core.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from microasgi.core.uploads import FormData

DEFAULT_LIMITS = Limits()
# A body read with stream() or form() is kept for another read up to this size
# (the default max_body_size); body() always keeps it.
KEEP_STREAMED_BODY = 1 << 20


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# NaN and Infinity are JavaScript, not JSON (RFC 8259); the stdlib accepts them.
_json_decoder = json.JSONDecoder(parse_constant=_refuse_constant)


def parse_json(data: bytes | str) -> Any:
    """Parse JSON as RFC 8259 has it: UTF-8, and no NaN or Infinity.

    Raises ``ValueError`` (``JSONDecodeError``, ``UnicodeDecodeError``...) or
    ``RecursionError``; request bodies and WebSocket frames share this rule.
    """
    # Decoding ourselves skips json.loads' guessing among UTF-16 and UTF-32.
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return _json_decoder.decode(text)


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


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
        return parse_cookies("; ".join(self.headers.getlist("cookie")))

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
        url = URL(f"{scheme}://{host}")
        url.path = encoded_path(self.scope)
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


# raw_path keeps "%" too, so that the escapes already in it stay as they are.
_RAW_PATH_SAFE = PATH_SAFE + "%"


def encoded_path(scope: Scope) -> str:
    """The full path, percent-encoded as the client sent it.

    Built from ``raw_path``, so ``%3F``, ``%23`` and ``%2F`` stay encoded and
    a URL made from it names the same resource. Without a ``raw_path`` that
    matches ``path`` (a middleware may have rewritten ``path``), ``path`` is
    encoded instead.
    """
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    raw_path: bytes | None = scope.get("raw_path")
    encoded = quote_path(path)
    if raw_path is not None:
        raw = quote(raw_path.partition(b"?")[0], safe=_RAW_PATH_SAFE)
        if unquote(raw, errors="replace") == path:
            encoded = raw
    # ASGI's path includes root_path; some servers send it apart (the one
    # rule for it is in microasgi.core.rootpath).
    if root_path and not includes(path, root_path):
        encoded = quote_path(root_path.rstrip("/")) + encoded
    return encoded if encoded.startswith("/") else "/" + encoded


class Request(HTTPConnection):
    """An HTTP request: the scope plus a body read from ``receive``.

    Example:
        >>> @app.post("/items")
        ... async def create(request):
        ...     item = await request.json()
        ...     return {"created": item, "by": request.client.host}
    """

    _received = 0  # body bytes so far, class-level to keep __init__ short

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
        """Yield the body in chunks as they arrive, enforcing ``max_body_size``.

        The chunks are kept (up to :data:`KEEP_STREAMED_BODY` bytes), so the
        body can be read again, by this request or a later one on the scope.
        """
        body: bytes | None = self.scope.get("microasgi.body")
        if body is not None:
            if body:
                yield body
            return
        shared = self._begin_body()
        kept: list[bytes] | None = []
        while True:
            message = await shared.receive()
            chunk = self._take_chunk(message)
            if chunk:
                if kept is not None and self._received <= KEEP_STREAMED_BODY:
                    kept.append(chunk)
                else:
                    kept = None  # too large to keep in memory
                yield chunk
            if not message.get("more_body", False):
                break
        if kept is not None:
            self.scope["microasgi.body"] = b"".join(kept)

    def _begin_body(self) -> SharedReceive:
        shared = SharedReceive.of(self.scope, self.receive)
        if shared.body_started:
            raise RuntimeError(
                "the request body was already streamed, and was too large to keep "
                f"(over {KEEP_STREAMED_BODY} bytes) or not read to its end; call "
                "request.body() first to read it more than once"
            )
        shared.body_started = True
        self._check_content_length(self.limits.max_body_size)
        return shared

    def _take_chunk(self, message: Message) -> bytes:
        """The body bytes of one ``http.request`` message, counted against the limit."""
        if message["type"] == "http.disconnect":
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
            shared = self._begin_body()
            message = await shared.receive()
            body = self._take_chunk(message)
            if message.get("more_body", False):
                chunks = [body]
                while message.get("more_body", False):
                    message = await shared.receive()
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
            return parse_json(body)
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
            from microasgi.core.forms import parse_form

            self.scope["microasgi.form"] = await parse_form(
                self.headers, self.stream(), self.limits, pool=pool_of(self.scope)
            )
        form: FormData = self.scope["microasgi.form"]
        return form

    async def is_disconnected(self) -> bool:
        """Whether the client has gone away (checks without waiting)."""
        return await SharedReceive.of(self.scope, self.receive).is_disconnected()

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


def is_json_type(headers: Mapping[str, str]) -> bool:
    """Whether a Content-Type names JSON (``application/json`` or ``*+json``)."""
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")
