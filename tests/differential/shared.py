"""What the two apps share: framework-neutral helpers and constants."""

from __future__ import annotations

from typing import Any

SECRET = "differential-test-secret-key-0123456789"
LARGE_TEXT = "compress me, " * 100


class TeapotError(Exception):
    """An application error with its own exception handler."""


async def describe_form(form: Any) -> list[Any]:
    """A parsed form as ``[name, value]`` pairs; a file becomes a dict."""
    described: list[Any] = []
    for name, value in form.multi_items():
        if isinstance(value, str):
            described.append([name, value])
        else:
            content = (await value.read()).decode("utf-8", "replace")
            file = {"filename": value.filename, "content": content}
            described.append([name, {**file, "content_type": value.content_type}])
    return described


class CrashingMiddleware:
    """Pure ASGI middleware that fails on ``/middleware-crash``.

    It shows where the 500 answer for a middleware's error comes from.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/middleware-crash":
            raise RuntimeError("the middleware broke")
        await self.app(scope, receive, send)
