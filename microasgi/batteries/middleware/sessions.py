"""``SessionMiddleware``: a dict per visitor, kept in a signed cookie.

The cookie holds ``base64url(json) . timestamp . signature``, where the
signature is an HMAC-SHA256 of the first two parts under the app's secret
key. The client can read the session but not change it: a cookie that was
tampered with, cut short, signed with another key or older than ``max_age``
gives an empty session. JSON is the only format, never pickle.

The session is loaded into ``scope["session"]`` (``request.session``) before
the app runs; ``http.response.start`` gets a ``Set-Cookie`` header only when
the session changed (or is cleared when it was emptied), and always
``Vary: Cookie``, since the answer may depend on the session. WebSocket
connections see the session but cannot change the cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Literal

from microasgi.core.datastructures import Headers
from microasgi.core.http import EPOCH, parse_cookies, set_cookie_header
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("microasgi")

MAX_COOKIE_SIZE = 4096  # bytes browsers keep per cookie, name and attributes included


class SessionMiddleware:
    """Give every request a ``request.session`` dict kept in a signed cookie.

    If the session grows past what a cookie may hold (4 KB), an error is
    logged and the cookie is not sent: the browser keeps the previous one.

    Example:
        >>> app.add_middleware(SessionMiddleware, secret_key=os.environ["SECRET"])
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | bytes,
        session_cookie: str = "session",
        max_age: int | None = 14 * 24 * 3600,
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
    ) -> None:
        self.app = app
        self.signer = Signer(secret_key)
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.attributes = cookie_attributes(
            session_cookie, path, domain, same_site, https_only
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        cookie = self.read_cookie(scope)
        loaded = self.signer.load(cookie, self.max_age) if cookie else None
        scope["session"] = dict(loaded) if loaded else {}
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)  # no response headers to set
            return
        # The JSON the client holds, to tell whether the session changed.
        initial = encode_session(loaded) if loaded else None

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The answer may depend on the session, that is on the Cookie
                # header: a shared cache must not give one visitor's page to another.
                headers = [*message.get("headers", []), (b"vary", b"Cookie")]
                header = self.cookie_header(scope["session"], initial, cookie)
                if header is not None:
                    headers.append((b"set-cookie", header))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def read_cookie(self, scope: Scope) -> str | None:
        """The session cookie's value, if the request carries one."""
        cookies = "; ".join(Headers(scope["headers"]).getlist("cookie"))
        return parse_cookies(cookies).get(self.session_cookie)

    def cookie_header(
        self, session: dict[str, Any], initial: str | None, cookie: str | None
    ) -> bytes | None:
        """The ``Set-Cookie`` value to send, or ``None`` to leave the cookie be."""
        if not session:
            if cookie is None:
                return None
            # Emptied (or it was never valid): ask the browser to drop it.
            return set_cookie_header(
                self.session_cookie, "", max_age=0, expires=EPOCH, **self.attributes
            ).encode()
        payload = encode_session(session)
        if payload == initial:
            return None
        value = self.signer.sign(payload)
        header = set_cookie_header(
            self.session_cookie, value, max_age=self.max_age, **self.attributes
        )
        if len(header) > MAX_COOKIE_SIZE:
            logger.error(
                "session cookie %r is %d bytes, over the %d browsers keep; it was "
                "not sent, so this change to the session is lost. Keep large data "
                "on the server and only its id in the session.",
                self.session_cookie,
                len(header),
                MAX_COOKIE_SIZE,
            )
            return None
        return header.encode("latin-1")


class Signer:
    """Sign and check ``payload.timestamp.signature`` strings with HMAC-SHA256."""

    def __init__(self, secret_key: str | bytes) -> None:
        key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if len(key) < 16:
            raise ValueError(
                f"secret_key is {len(key)} bytes long; use at least 16 random "
                "bytes, e.g. the output of: "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        # A key of its own, so signatures made here are no use anywhere else.
        self.key = hmac.new(key, b"microasgi.session", hashlib.sha256).digest()

    def signature(self, signed: str) -> str:
        message = signed.encode("utf-8", "replace")
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("latin-1")

    def sign(self, payload: str, now: float | None = None) -> str:
        """``base64url(payload).timestamp.signature``."""
        data = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
        signed = f"{data}.{int(time.time() if now is None else now)}"
        return f"{signed}.{self.signature(signed)}"

    def load(self, value: str, max_age: int | None) -> dict[str, Any] | None:
        """The session in a signed ``value``, or ``None`` if anything is off."""
        signed, _, signature = value.rpartition(".")
        expected = self.signature(signed).encode()
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            return None
        data, _, timestamp = signed.partition(".")
        if not timestamp.isascii() or not timestamp.isdigit():
            return None
        if max_age is not None and time.time() - int(timestamp) > max_age:
            return None
        try:
            padded = data + "=" * (-len(data) % 4)
            session = json.loads(base64.urlsafe_b64decode(padded))
        except (ValueError, binascii.Error):
            return None
        return session if isinstance(session, dict) else None


def encode_session(session: dict[str, Any]) -> str:
    """The session as compact JSON, or a clear error if it holds other types."""
    try:
        return json.dumps(session, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"request.session can only hold JSON values (str, int, float, bool, "
            f"None, list, dict): {exc}; store an id or a str() instead"
        ) from None


def cookie_attributes(
    name: str, path: str, domain: str | None, same_site: str, https_only: bool
) -> dict[str, Any]:
    """The session cookie's attributes, checked once up front."""
    if same_site == "none" and not https_only:
        raise ValueError(
            "same_site='none' needs https_only=True: browsers drop SameSite=None "
            "cookies that are not Secure"
        )
    attributes: dict[str, Any] = {
        "path": path, "domain": domain, "samesite": same_site,
        "secure": https_only, "httponly": True,
    }  # fmt: skip
    try:
        set_cookie_header(name, "", **attributes)
    except ValueError as exc:
        raise ValueError(
            f"SessionMiddleware(session_cookie={name!r}, path={path!r}, "
            f"domain={domain!r}, same_site={same_site!r}): {exc}"
        ) from None
    return attributes
