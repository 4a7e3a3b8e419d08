"""``App``: the ASGI callable that ties routing, handlers and errors together.

``await app(scope, receive, send)`` runs the middleware stack (built once, on
the first call), which ends in :meth:`App.dispatch`: ``http`` scopes go to the
router and a handler, ``websocket`` scopes to a WebSocket handler, and the
``lifespan`` scope to the startup and shutdown hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from microasgi.core.concurrency import (
    DEFAULT_THREAD_POOL_SIZE,
    ThreadPool,
)
from microasgi.core.datastructures import Limits, State
from microasgi.core.debugtools import attach_debug_tools, load_debug_checks
from microasgi.core.drain import Drain
from microasgi.core.errors import (
    ErrorHandler,
    ServerErrorMiddleware,
    call_exception_handler,
    error_response,
    find_exception_handler,
    http_exception_response,
    log_handler_error,
    report_server_error,
)
from microasgi.core.exceptions import ClientDisconnect, HTTPException
from microasgi.core.lifespan import Hook, Lifespan, LifespanFactory
from microasgi.core.logs import logger
from microasgi.core.misses import answer_miss
from microasgi.core.outerapps import enter_mount, outer_error_handler
from microasgi.core.requests import Request
from microasgi.core.responses import (
    CONTENT_LENGTHS,
    Response,
    content_length,
    encode_json,
)
from microasgi.core.results import make_response, unencodable_result_error
from microasgi.core.rootpath import include_root_path, route_path
from microasgi.core.routing import Mount, Route, Router
from microasgi.core.types import ASGIApp, Receive, Scope, Send

ErrorHandlerT = TypeVar("ErrorHandlerT", bound=ErrorHandler)
HookT = TypeVar("HookT", bound=Hook)
Middleware = tuple[Callable[..., ASGIApp], dict[str, Any]]
LayerWatcher = Callable[[str, ASGIApp], ASGIApp]

TEXT_CONTENT_TYPE = (b"content-type", b"text/plain; charset=utf-8")
JSON_CONTENT_TYPE = (b"content-type", b"application/json")


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
        from microasgi.core.serving import serve

        serve(self, host=host, port=port, reload=reload, **options)

    # Serving --------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if scope.get("root_path") and scope["type"] != "lifespan":
            include_root_path(scope)  # one convention for every mount below
        if self._stack is None:
            self._stack = self.build_stack()
        await self._stack(scope, receive, send)

    def build_stack(self, watch: LayerWatcher | None = None) -> ASGIApp:
        """The middleware stack around :meth:`dispatch`, outermost last built.

        ``watch(name, layer)`` may wrap each layer as it is built, innermost
        first; tools use it to see the messages at every boundary
        (``microasgi trace --layers``). The app builds its own stack without.
        """
        checks = load_debug_checks(self) if self.debug else None
        app: ASGIApp = self.dispatch
        if watch is not None:
            app = watch("App.dispatch", app)
        for cls, options in reversed(self.user_middleware):
            app = cls(app, **options)
            if checks is not None:
                app = checks.middleware(app, cls)
            if watch is not None:
                app = watch(getattr(cls, "__name__", repr(cls)), app)
        if self.user_middleware:
            app = ServerErrorMiddleware(
                app, debug=self.debug, respond=self.respond_to_error
            )
            if watch is not None:
                app = watch("ServerErrorMiddleware", app)
        if checks is not None:
            app = checks.app(app)
            app = attach_debug_tools(self, app)
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
        found = self.http.lookup(scope["method"], path)
        route = found.route
        if route is None:
            await answer_miss(self, scope, receive, send, path, found)
            return
        params = found.params
        request = Request(scope, receive, self.limits, send)
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
            # The common results take a fast path: the two messages sent here,
            # inline. A str, dict or list sends what a PlainTextResponse or
            # JSONResponse would, without building one; a Response whose body
            # is known and has nothing to run after sends its own fields.
            result_type = type(result)
            if result_type is str:
                body = result.encode()
                length = CONTENT_LENGTHS.get(len(body)) or content_length(len(body))
                status, headers = 200, [length, TEXT_CONTENT_TYPE]
            elif result_type is dict or result_type is list:
                try:
                    body = encode_json(result)
                except (TypeError, ValueError) as exc:
                    raise unencodable_result_error(route.name, result, exc) from exc
                length = CONTENT_LENGTHS.get(len(body)) or content_length(len(body))
                status, headers = 200, [length, JSON_CONTENT_TYPE]
            else:
                response = (
                    result
                    if isinstance(result, Response)
                    else make_response(result, route)
                )
                if response._sent_as_fields and response.background is None:
                    body, status = response.body, response.status_code
                    headers = response.raw_headers.copy()  # as __call__ does
                else:
                    body = None
        except ClientDisconnect:
            await close_form(scope)  # nobody is left to answer
            return
        except Exception as exc:
            body = None
            response = await self.handle_error(request, exc, route)
        try:
            if body is None:
                if response._sent_as_fields:
                    await response(scope, receive, send)  # fails only in send()
                else:
                    # Streaming and file responses can fail before their start
                    # message (a missing file): the app's handlers answer that.
                    await ServerErrorMiddleware(
                        response, debug=self.debug, respond=self.respond_to_error
                    )(scope, receive, send)
                return
            await send(
                {"type": "http.response.start", "status": status, "headers": headers}
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

    async def handle_websocket(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Find the WebSocket route for a connection and run its handler."""
        path = route_path(scope)
        found = self.websocket_routes.lookup("WEBSOCKET", path)
        if found.route is not None:
            from microasgi.core.websockets import run_websocket_handler

            if found.params:
                scope["path_params"] = found.params
            await run_websocket_handler(self, found.route, scope, receive, send)
            return
        mount = self.match_mount(path)
        if mount is not None:
            await self.call_mount(mount, scope, receive, send)
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1000, "reason": ""})

    async def call_mount(
        self, mount: Mount, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Hand the connection to a mounted app, with ``root_path`` extended.

        The mounted app's errors go to this app's exception handlers, and a
        mounted App looks up handlers (and route names) here after its own.
        """
        child_scope = enter_mount(scope, self, mount.prefix)
        await ServerErrorMiddleware(
            mount.app, debug=self.debug, respond=self.respond_to_error
        )(child_scope, receive, send)

    # Errors ---------------------------------------------------------------

    def find_error_handler(self, exc: BaseException) -> ErrorHandler | None:
        """The handler registered for ``exc``'s status code or class, if any.

        An ``HTTPException`` is an answer, not an error: only a handler for its
        status or for ``HTTPException`` (or a subclass) takes it, never one
        for ``Exception``, which would turn every 404 into a 500.
        """
        return find_exception_handler(
            exc, self.exception_handlers, self.status_handlers
        )

    async def respond_to_error(
        self, scope: Scope, receive: Receive, exc: Exception
    ) -> Response:
        """The answer to an exception from a middleware, a mounted app, or a
        response that failed before it started: as for a handler's."""
        return await self.handle_error(Request(scope, receive, self.limits), exc)

    async def handle_error(
        self, request: Request, exc: Exception, route: Route | None = None
    ) -> Response:
        """Turn an exception raised while handling ``request`` into a response.

        Only an error that ends in a 5xx is logged as one, with its traceback:
        an exception that an exception handler answers with a 4xx is the
        client's mistake, worth a debug line at most.
        """
        handler = self.find_error_handler(exc)
        if handler is None and isinstance(exc, HTTPException):
            return http_exception_response(exc)
        if handler is None:
            handler = outer_error_handler(request.scope, exc)
        if handler is None:
            report_server_error(request.scope, exc)
            response = error_response(exc, self.debug)
        else:
            try:
                response = await self._call_error_handler(handler, request, exc)
            except Exception as handler_exc:
                log_handler_error(request, exc, route, 500)
                logger.exception("Exception handler %r failed", handler)
                report_server_error(request.scope, handler_exc)
                return error_response(handler_exc, self.debug)
        log_handler_error(request, exc, route, response.status_code)
        return response

    async def _call_error_handler(
        self, handler: ErrorHandler, request: Request, exc: Exception
    ) -> Response:
        result = await call_exception_handler(handler, self.thread_pool, request, exc)
        if isinstance(result, Response):
            return result
        return make_response(result, handler)


async def close_form(scope: Scope) -> None:
    """Close the uploads of a form parsed for this request, if any."""
    form = scope.pop("microasgi.form", None)
    if form is not None:
        await form.close()
