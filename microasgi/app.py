"""``App``: the ASGI callable that ties routing, handlers and errors together.

``await app(scope, receive, send)`` runs the middleware stack (built once, on
the first call), which ends in :meth:`App.dispatch`: ``http`` scopes go to the
router and a handler, ``websocket`` scopes to a WebSocket handler, and the
``lifespan`` scope to the startup and shutdown hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from microasgi.concurrency import (
    DEFAULT_THREAD_POOL_SIZE,
    ThreadPool,
    is_async_callable,
)
from microasgi.datastructures import Limits, State
from microasgi.drain import Drain
from microasgi.exceptions import ClientDisconnect, HTTPException
from microasgi.lifespan import Hook, Lifespan, LifespanFactory
from microasgi.middleware.errors import ServerErrorMiddleware, error_response
from microasgi.requests import Request
from microasgi.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    encode_json,
)
from microasgi.routing import Mount, Route, Router
from microasgi.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from microasgi.explain import Explanation

logger = logging.getLogger("microasgi")

ErrorHandler = Callable[[Request, Any], Any]
ErrorHandlerT = TypeVar("ErrorHandlerT", bound=ErrorHandler)
HookT = TypeVar("HookT", bound=Hook)
Middleware = tuple[Callable[..., ASGIApp], dict[str, Any]]

NOT_FOUND = PlainTextResponse("Not Found", status_code=404)  # sent as a copy
TEXT_CONTENT_TYPE = (b"content-type", b"text/plain; charset=utf-8")
JSON_CONTENT_TYPE = (b"content-type", b"application/json")
NO_CONTENT = Response(status_code=204)


class App(Router):
    """A microasgi application: register handlers, then serve it with uvicorn.

    Example:
        >>> app = App()
        >>> @app.get("/")
        ... async def hello(request):
        ...     return "Hello, World!"
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        middleware: Sequence[Middleware | Callable[..., ASGIApp]] = (),
        lifespan: LifespanFactory | None = None,
        redirect_slashes: bool = True,
        thread_pool_size: int = DEFAULT_THREAD_POOL_SIZE,
        max_body_size: int = Limits.max_body_size,
        max_fields: int = Limits.max_fields,
        max_files: int = Limits.max_files,
        max_part_size: int = Limits.max_part_size,
        max_part_headers: int = Limits.max_part_headers,
        max_part_header_size: int = Limits.max_part_header_size,
    ) -> None:
        super().__init__()
        self.debug = debug
        self.state = State()
        self.redirect_slashes = redirect_slashes
        self.thread_pool = ThreadPool(thread_pool_size)
        self.limits = Limits(
            max_body_size,
            max_fields,
            max_files,
            max_part_size,
            max_part_headers,
            max_part_header_size,
        )
        self.lifespan = Lifespan(self, lifespan)
        self.drain = Drain()  # ends WebSockets and event streams on shutdown
        self.user_middleware: list[Middleware] = [
            item if isinstance(item, tuple) else (item, {}) for item in middleware
        ]
        self.status_handlers: dict[int, ErrorHandler] = {}
        self.exception_handlers: dict[type[BaseException], ErrorHandler] = {}
        self._stack: ASGIApp | None = None

    # Set-up ---------------------------------------------------------------

    def add_middleware(self, cls: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap the app in ``cls(app, **options)``; the last added is outermost.

        Example:
            >>> app.add_middleware(GZipMiddleware, minimum_size=1000)
        """
        if self._stack is not None:
            raise RuntimeError(
                "add_middleware() called after the app started serving; "
                "add middleware before the first request"
            )
        self.user_middleware.insert(0, (cls, options))

    def exception_handler(
        self, key: int | type[BaseException]
    ) -> Callable[[ErrorHandlerT], ErrorHandlerT]:
        """Register ``handler(request, exc)`` for a status code or exception type.

        Example:
            >>> @app.exception_handler(404)
            ... async def not_found(request, exc):
            ...     return JSONResponse({"error": exc.detail}, status_code=404)
        """

        def register(handler: ErrorHandlerT) -> ErrorHandlerT:
            self.add_exception_handler(key, handler)
            return handler

        return register

    def add_exception_handler(
        self, key: int | type[BaseException], handler: ErrorHandler
    ) -> None:
        """Register ``handler`` for status ``key`` or exception class ``key``."""
        if isinstance(key, int):
            self.status_handlers[key] = handler
        elif isinstance(key, type) and issubclass(key, BaseException):
            self.exception_handlers[key] = handler
        else:
            raise TypeError(
                f"exception_handler() takes a status code or an exception class, "
                f"got {key!r}"
            )

    def on_startup(self, hook: HookT) -> HookT:
        """Run ``hook()`` (sync or async) before the server accepts requests."""
        self.lifespan.on_startup.append(hook)
        return hook

    def on_shutdown(self, hook: HookT) -> HookT:
        """Run ``hook()`` (sync or async) when the server shuts down."""
        self.lifespan.on_shutdown.append(hook)
        return hook

    def run(self, host: str = "127.0.0.1", port: int = 8000, reload: bool = False,
            **options: Any) -> None:  # fmt: skip
        """Serve this app with uvicorn (``python app.py``).

        Example:
            >>> if __name__ == "__main__":
            ...     app.run()
        """
        from microasgi.serving import serve

        serve(self, host=host, port=port, reload=reload, **options)

    def explain(self, request_line: str) -> Explanation:
        """How this app answers ``"METHOD /path"``, worded for a person.

        Example:
            >>> print(app.explain("GET /items/abc"))
        """
        from microasgi.explain import explain

        return explain(self, request_line)

    # Serving --------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if self._stack is None:
            self._stack = self._build_stack()
        await self._stack(scope, receive, send)

    def _build_stack(self) -> ASGIApp:
        app: ASGIApp = self.dispatch
        for cls, options in reversed(self.user_middleware):
            app = cls(app, **options)
        if self.user_middleware:
            app = ServerErrorMiddleware(app, debug=self.debug)
        if self.debug:  # debug-mode warnings; see microasgi.debug
            from microasgi.debug import instrument

            app = instrument(self, self.thread_pool, app)
        return app

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The innermost app: find the handler for a request and answer it.

        This is the hot path, so the common case is kept inline: a matched
        route, a handler call, and its response sent. Other scope types and
        misses (404, 405, mounts) branch off early.
        """
        if scope["type"] != "http":
            await self._dispatch_other(scope, receive, send)
            return
        path = scope["path"]
        if scope.get("root_path"):
            path = route_path(scope)
        match = self.http.match(scope["method"], path)
        if match is None:
            await self._handle_miss(scope, receive, send, path)
            return
        route = match.route
        params = match.params
        request = Request(scope, receive, self.limits)
        try:
            if params:
                scope["path_params"] = params
                if route.is_async:
                    result = await route.endpoint(request, **params)
                else:
                    result = await self.thread_pool.run(
                        route.endpoint, request, **params
                    )
            elif route.is_async:
                result = await route.endpoint(request)
            else:
                result = await self.thread_pool.run(route.endpoint, request)
            # str, dict and list results take a fast path: the same two
            # messages a PlainTextResponse or JSONResponse would send, without
            # building one. Everything else becomes a Response.
            result_type = type(result)
            if result_type is str:
                body, content_type = result.encode(), TEXT_CONTENT_TYPE
            elif result_type is dict or result_type is list:
                body, content_type = encode_json(result), JSON_CONTENT_TYPE
            else:
                body = None
                response = (
                    result
                    if isinstance(result, Response)
                    else make_response(result, route)
                )
        except ClientDisconnect:
            await close_form(scope)  # nobody is left to answer
            return
        except Exception as exc:
            body = None
            response = await self.handle_error(request, exc, route)
        try:
            if body is None:
                if type(response).__call__ is Response.__call__:
                    await response(scope, receive, send)  # fails only in send()
                else:
                    # Streaming and file responses can fail before their start
                    # message (a missing file): that still deserves a 500.
                    await ServerErrorMiddleware(response, debug=self.debug)(
                        scope, receive, send
                    )
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"%d" % len(body)), content_type],
                }
            )
            if scope["method"] == "HEAD":
                body = b""
            await send({"type": "http.response.body", "body": body})
        finally:
            if "microasgi.form" in scope:
                await close_form(scope)

    async def _dispatch_other(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if scope_type == "websocket":
            await self.handle_websocket(scope, receive, send)
        elif scope_type == "lifespan":
            await self.lifespan(scope, receive, send)
        else:
            raise ValueError(f"unsupported ASGI scope type {scope_type!r}")

    async def _handle_miss(
        self, scope: Scope, receive: Receive, send: Send, path: str
    ) -> None:
        mount = self.match_mount(path) if self.mounts else None
        if mount is not None:
            await call_mount(mount, scope, receive, send, self.debug)
            return
        near_miss = self.http.near_miss(path)
        allowed = self.http.allowed_methods(path) if near_miss else set()
        method = scope["method"]
        response: Response
        if allowed and method == "OPTIONS":
            response = Response(status_code=204, headers={"allow": _allow(allowed)})
        elif allowed:
            exc = HTTPException(405, headers={"allow": _allow(allowed)})
            request = Request(scope, receive, self.limits)
            response = await self.handle_error(request, exc)
        elif near_miss and (redirect := self._slash_redirect(scope, path)):
            response = redirect
        elif self.status_handlers or self.exception_handlers:
            exc = HTTPException(404)
            request = Request(scope, receive, self.limits)
            response = await self.handle_error(request, exc)
        else:
            response = NOT_FOUND
        await response(scope, receive, send)

    def _slash_redirect(self, scope: Scope, path: str) -> Response | None:
        if not self.redirect_slashes or path == "/":
            return None
        other = path[:-1] if path.endswith("/") else path + "/"
        if not self.http.allowed_methods(other):
            return None
        url = Request(scope, _no_body).url
        url.path = url.path[: len(url.path) - len(path)] + other
        return RedirectResponse(str(url))

    async def handle_websocket(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Find the WebSocket route for a connection and run its handler."""
        path = route_path(scope)
        match = self.websocket_routes.match("WEBSOCKET", path)
        if match is not None:
            from microasgi.websockets import run_websocket_handler

            if match.params:
                scope["path_params"] = match.params
            await run_websocket_handler(self, match.route, scope, receive, send)
            return
        mount = self.match_mount(path)
        if mount is not None:
            await call_mount(mount, scope, receive, send, self.debug)
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1000, "reason": ""})

    # Errors ---------------------------------------------------------------

    def find_error_handler(self, exc: BaseException) -> ErrorHandler | None:
        """The handler registered for ``exc``'s status code or class, if any."""
        if isinstance(exc, HTTPException) and exc.status_code in self.status_handlers:
            return self.status_handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls in self.exception_handlers:
                return self.exception_handlers[cls]
        if not isinstance(exc, HTTPException):
            return self.status_handlers.get(500)
        return None

    async def handle_error(
        self, request: Request, exc: Exception, route: Route | None = None
    ) -> Response:
        """Turn an exception raised while handling ``request`` into a response."""
        handler = self.find_error_handler(exc)
        if not isinstance(exc, HTTPException):
            logger.error(
                "Exception in handler %r for %s %s",
                route.name if route else None,
                request.method,
                request.path,
                exc_info=exc,
            )
        if handler is not None:
            try:
                return await self._call_error_handler(handler, request, exc)
            except Exception as handler_exc:
                logger.exception("Exception handler %r failed", handler)
                return error_response(handler_exc, self.debug)
        if isinstance(exc, HTTPException):
            return http_exception_response(exc)
        return error_response(exc, self.debug)

    async def _call_error_handler(
        self, handler: ErrorHandler, request: Request, exc: Exception
    ) -> Response:
        if is_async_callable(handler):
            result = await handler(request, exc)
        else:
            result = await self.thread_pool.run(handler, request, exc)
        if isinstance(result, Response):
            return result
        return make_response(result, handler)


def http_exception_response(exc: HTTPException) -> Response:
    """The default response for an HTTPException: its detail as plain text."""
    if exc.status_code < 200 or exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, exc.status_code, exc.headers)


async def close_form(scope: Scope) -> None:
    """Close the uploads of a form parsed for this request, if any."""
    form = scope.pop("microasgi.form", None)
    if form is not None:
        await form.close()


def route_path(scope: Scope) -> str:
    """The path to route on: ``path`` minus the ``root_path`` it is mounted at."""
    path: str = scope["path"]
    root_path = scope.get("root_path")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return path or "/"


async def call_mount(
    mount: Mount, scope: Scope, receive: Receive, send: Send, debug: bool = False
) -> None:
    """Hand the connection to a mounted app, with ``root_path`` extended.

    The mounted app's errors get the same 500 treatment as a handler's.
    """
    child_scope = dict(scope)
    child_scope["root_path"] = scope.get("root_path", "") + mount.prefix
    await ServerErrorMiddleware(mount.app, debug=debug)(child_scope, receive, send)


async def _no_body() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


def _allow(methods: set[str]) -> str:
    return ", ".join(sorted(methods | {"OPTIONS"}))


def make_response(result: Any, handler: Any) -> Response:
    """Turn a handler's return value into a Response, or explain why not."""
    if isinstance(result, str):
        return PlainTextResponse(result)
    if isinstance(result, dict | list):
        return JSONResponse(result)
    if isinstance(result, bytes):
        return Response(result, media_type="application/octet-stream")
    if result is None:
        return NO_CONTENT
    name = getattr(handler, "endpoint", handler)
    name = getattr(name, "__name__", repr(name))
    raise TypeError(
        f"handler {name!r} returned {type(result).__name__} ({result!r:.60}); "
        "return a Response, str, bytes, dict, list or None"
    )
