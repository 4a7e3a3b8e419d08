"""The answer to a request no route takes, read off the router's one walk.

In order: a mount whose prefix covers the path takes the request; a path
whose routes take other methods answers ``OPTIONS`` with 204 and anything else
with 405, both with ``Allow``; a path that fits with its final ``/`` added or
removed is redirected there; everything else is a 404, through the app's
exception handlers when it has any, and sent inline when it has none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microasgi.core.exceptions import HTTPException
from microasgi.core.requests import Request
from microasgi.core.responses import PlainTextResponse, RedirectResponse, Response
from microasgi.core.routetree import Lookup
from microasgi.core.types import Receive, Scope, Send

if TYPE_CHECKING:
    from microasgi.core.app import App

NOT_FOUND = PlainTextResponse("Not Found", status_code=404)  # sent as a copy


async def answer_miss(
    app: App, scope: Scope, receive: Receive, send: Send, path: str, found: Lookup
) -> None:
    """Answer a request no route takes, from what the router's walk found."""
    mount = app.match_mount(path) if app.mounts else None
    if mount is not None:
        await app.call_mount(mount, scope, receive, send)
        return
    response: Response
    if found.allowed and scope["method"] == "OPTIONS":
        allow = _allow(found.allowed)
        response = Response(status_code=204, headers={"allow": allow})
    elif found.allowed:
        exc = HTTPException(405, headers={"allow": _allow(found.allowed)})
        request = Request(scope, receive, app.limits)
        response = await app.handle_error(request, exc)
    elif found.slash_fits and (redirect := slash_redirect(app, scope, path)):
        response = redirect
    elif app.status_handlers or app.exception_handlers:
        exc = HTTPException(404)
        request = Request(scope, receive, app.limits)
        response = await app.handle_error(request, exc)
    else:
        # The plain 404, sent inline: no Response call on the common miss.
        headers = list(NOT_FOUND.raw_headers)
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        body = b"" if scope["method"] == "HEAD" else NOT_FOUND.body
        await send({"type": "http.response.body", "body": body})
        return
    await response(scope, receive, send)


def slash_redirect(app: App, scope: Scope, path: str) -> Response | None:
    """The redirect to ``path`` with its final ``/`` added or removed, whose
    routes the router's walk already found."""
    if not app.redirect_slashes or path == "/":
        return None
    url = Request(scope, _no_body).url
    if path.endswith("/"):
        if not url.path.endswith("/"):
            return None  # the slash was sent encoded (%2F): part of a name
        url.path = url.path[:-1]
    else:
        url.path += "/"
    return RedirectResponse(str(url))


async def _no_body() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


def _allow(methods: frozenset[str]) -> str:
    return ", ".join(sorted(methods | {"OPTIONS"}))
