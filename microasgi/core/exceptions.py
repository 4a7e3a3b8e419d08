"""The exceptions a handler raises, or a client disconnect raises into it."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from microasgi.core.http import encode_header


class HTTPException(Exception):
    """Stop handling and answer with an HTTP error.

    ``detail`` defaults to the status phrase and becomes the plain-text body.

    Example:
        >>> raise HTTPException(404, detail="No such item")
        Traceback (most recent call last):
        ...
        microasgi.core.exceptions.HTTPException: 404: No such item
    """

    def __init__(
        self,
        status_code: int,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if detail is None:
            detail = HTTPStatus(status_code).phrase
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers else None
        for name, value in (self.headers or {}).items():
            encode_header(name, value)  # refuse CR/LF now, not when answering

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(status_code={self.status_code!r}, detail={self.detail!r})"


def over_limit(problem: str, setting: str, limit: str) -> HTTPException:
    """The 413 for a request limit crossed, naming the ``App`` setting to raise."""
    detail = f"{problem}: more than {limit}; raise App({setting}=...) to allow more"
    return HTTPException(413, detail)


class WebSocketDisconnect(Exception):
    """The WebSocket peer went away (or closed) while the handler was waiting.

    Example:
        >>> str(WebSocketDisconnect(1001, "going away"))
        '1001: going away'
    """

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}" if self.reason else str(self.code)


class ClientDisconnect(Exception):
    """The HTTP client went away before the request body was fully read."""
