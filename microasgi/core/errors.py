"""The error path, shared by HTTP and WebSocket: which exception handler
answers an exception, how it is called, and the last line of defence.

:func:`find_exception_handler` is the one lookup (the App's handlers for
HTTP, the same handlers by class for WebSocket); :func:`call_exception_handler`
the one call, sync or async.

``ServerErrorMiddleware`` sits outside every user middleware (and around
every mounted app and every response that may fail before it starts). It
watches ``send`` for ``http.response.start``: if nothing was sent yet it
answers, by default with a plain 500 (a traceback page in debug mode); an
``App`` passes ``respond`` so that its exception handlers answer instead. If
the response had already started, the only honest thing left is to re-raise
so the server aborts the connection.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from microasgi.core.concurrency import ThreadPool, call_sync_or_async
from microasgi.core.exceptions import ClientDisconnect, HTTPException
from microasgi.core.extensions import INFORMATIONAL, SERVER_ERRORS
from microasgi.core.responses import HTMLResponse, PlainTextResponse, Response
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from microasgi.core.requests import Request
    from microasgi.core.routing import Route

logger = logging.getLogger("microasgi")

SERVER_ERROR = PlainTextResponse("Internal Server Error", status_code=500)

# Builds the answer to an exception (and logs it): the App's handle_error.
ErrorResponder = Callable[[Scope, Receive, Exception], Awaitable[Response]]
# handler(request, exc) for HTTP, handler(websocket, exc) for WebSocket.
ErrorHandler = Callable[[Any, Any], Any]


def find_exception_handler(
    exc: BaseException,
    by_class: Mapping[type[BaseException], ErrorHandler],
    by_status: Mapping[int, ErrorHandler],
) -> ErrorHandler | None:
    """The handler registered for ``exc``'s status code or class, if any.

    An ``HTTPException`` is an answer, not an error: only a handler for its
    status or for ``HTTPException`` (or a subclass) takes it, never one
    for ``Exception``, which would turn every 404 into a 500. Any other
    exception falls back to the handler for status 500.
    """
    if isinstance(exc, HTTPException) and exc.status_code in by_status:
        return by_status[exc.status_code]
    for cls in type(exc).__mro__:
        if cls in by_class:
            return by_class[cls]
        if cls is HTTPException:
            return None
    return by_status.get(500)


async def call_exception_handler(
    handler: ErrorHandler, pool: ThreadPool, connection: Any, exc: Exception
) -> Any:
    """``handler(connection, exc)``, awaited or run on the App's thread pool."""
    return await call_sync_or_async(pool, handler, connection, exc)


def error_response(exc: BaseException, debug: bool) -> Response:
    """The default 500: plain text, or the traceback as HTML when debugging."""
    if not debug:
        return SERVER_ERROR
    import html  # only for the debug page: `import microasgi` stays quick

    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    page = (
        "<!doctype html><meta charset=utf-8><title>500 Internal Server Error</title>"
        f"<h1>{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</h1>"
        f"<pre>{html.escape(''.join(lines))}</pre>"
        "<p>You see this page because the app runs with debug=True.</p>"
    )
    return HTMLResponse(page, status_code=500)


def report_server_error(scope: Scope, exc: BaseException) -> None:
    """Hand an error answered with a 500 to the server, if it asked for it.

    A server asks by offering the ``microasgi.server_errors`` extension, a
    dict whose ``"report"`` takes the exception. The test client does, so a
    test fails with the real exception instead of a bare 500.
    """
    extension = (scope.get("extensions") or {}).get(SERVER_ERRORS)
    if extension is not None:
        extension["report"](exc)


class ServerErrorMiddleware:
    """Answer 500 for an exception that escaped the middleware stack."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        debug: bool = False,
        respond: ErrorResponder | None = None,
    ) -> None:
        self.app = app
        self.debug = debug
        self.respond = respond or self.default_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        def send_and_track_start(message: Message) -> Awaitable[None]:
            # A plain function handing back send's awaitable: no extra
            # coroutine per message, on every request through the stack.
            nonlocal response_started
            # Early hints come before the response: a 500 can still follow.
            if message["type"] not in INFORMATIONAL:
                response_started = True
            return send(message)

        try:
            await self.app(scope, receive, send_and_track_start)
        except ClientDisconnect:
            return  # the client left while a middleware read the body
        except Exception as exc:
            if response_started:
                raise  # too late for a 500: let the server abort the connection
            response = await self.respond(scope, receive, exc)
            await response(scope, receive, send)

    async def default_response(
        self, scope: Scope, receive: Receive, exc: Exception
    ) -> Response:
        """Log the exception; answer a plain 500 (or the debug page)."""
        logger.error(
            "Exception in ASGI app for %s %s",
            scope["method"],
            scope["path"],
            exc_info=exc,
        )
        report_server_error(scope, exc)
        return error_response(exc, self.debug)


def http_exception_response(exc: HTTPException) -> Response:
    """The default response for an HTTPException: its detail as plain text."""
    if exc.status_code < 200 or exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, exc.status_code, exc.headers)


def log_handler_error(
    request: Request, exc: Exception, route: Route | None, status_code: int
) -> None:
    """Log an exception a handler raised: as an error only if it ended in a 5xx."""
    if isinstance(exc, HTTPException):
        return  # raised on purpose: the response says all there is to say
    # A route's handler, or (from respond_to_error) a middleware or mounted app.
    where = f"handler {route.name!r}" if route else "ASGI app"
    if status_code >= 500:
        logger.error("Exception in %s for %s %s", where, request.method,
                     request.path, exc_info=exc)  # fmt: skip
    else:
        logger.debug("%s in %s for %s %s answered %d by its exception handler",
                     type(exc).__name__, where, request.method, request.path,
                     status_code)  # fmt: skip
