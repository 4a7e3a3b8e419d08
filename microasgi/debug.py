"""Debug mode: warnings about code that works, but not the way you think.

With ``App(debug=True)`` the app calls :func:`instrument` once, while it
builds its middleware stack; with debug off nothing here is even imported.
It wraps every HTTP handler and the app itself, and logs a warning to the
``microasgi.debug`` logger, once per handler and problem, when:

- an ``async def`` handler holds the event loop for longer than
  :data:`BLOCKING_THRESHOLD` in one go (``time.sleep``, blocking I/O, heavy
  work), so no other request can run meanwhile;
- a plain ``def`` handler has to wait for a thread because every thread of
  the pool is busy (the pool is saturated);
- a GET or HEAD handler returns ``None``, which is sent as 204 No Content;
- a request ends without ``http.response.start``: the client gets no answer.

Routes added after the first request are not checked.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from microasgi.concurrency import ThreadPool
from microasgi.requests import Request
from microasgi.rootpath import route_path
from microasgi.routing import Route, Router, WebSocketRoute
from microasgi.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("microasgi.debug")

BLOCKING_THRESHOLD = 0.1  # seconds one step of an async handler may hold the loop


class WarnOnce:
    """Log each (problem, handler) warning the first time only."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, problem: str, name: str, message: str) -> None:
        if (problem, name) not in self.seen:
            self.seen.add((problem, name))
            logger.warning(message)


def instrument(
    router: Router,
    pool: ThreadPool,
    app: ASGIApp,
    threshold: float = BLOCKING_THRESHOLD,
) -> ASGIApp:
    """Wrap ``router``'s HTTP handlers and ``app`` (its stack) with the checks."""
    warn = WarnOnce()
    for route in router.routes:
        if not isinstance(route, Route) or isinstance(route, WebSocketRoute):
            continue
        if not isinstance(route.endpoint, CheckedHandler):
            route.endpoint = CheckedHandler(route, pool, warn, threshold)
            route.is_async = True  # the wrapper itself sends sync work to the pool
    return ResponseWatcher(app, router, warn)


class TimedSteps:
    """Await ``awaitable`` one step at a time, keeping the longest step.

    A coroutine runs in steps: from one ``await`` that really waits to the
    next. While a step runs, the event loop runs nothing else.
    """

    def __init__(self, awaitable: Awaitable[Any]) -> None:
        self.awaitable = awaitable
        self.longest = 0.0

    def __await__(self) -> Generator[Any, Any, Any]:
        steps = self.awaitable.__await__()
        value: Any = None
        error: BaseException | None = None
        while True:
            started = time.perf_counter()
            try:
                waiting_on = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value
            finally:
                self.longest = max(self.longest, time.perf_counter() - started)
            try:
                value, error = (yield waiting_on), None
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as exc:  # cancellation, passed on to the handler
                value, error = None, exc


class CheckedHandler:
    """A route's handler, called the same way, with the debug checks around it."""

    def __init__(
        self, route: Route, pool: ThreadPool, warn: WarnOnce, threshold: float
    ) -> None:
        functools.update_wrapper(self, route.endpoint)
        self.endpoint: Callable[..., Any] = route.endpoint
        self.name = str(route.name)
        self.was_async = route.is_async
        self.pool = pool
        self.warn = warn
        self.threshold = threshold

    async def __call__(self, request: Request, **params: Any) -> Any:
        if self.was_async:
            steps = TimedSteps(self.endpoint(request, **params))
            result = await steps
            self._check_blocking(steps.longest)
        else:
            self._check_pool()
            result = await self.pool.run(self.endpoint, request, **params)
        if result is None and request.method in ("GET", "HEAD"):
            self.warn(
                "none",
                self.name,
                f"handler {self.name!r} returned None, sent 204 No Content; return "
                "a value or Response(status_code=204) to silence this",
            )
        return result

    def _check_blocking(self, longest: float) -> None:
        if longest > self.threshold:
            self.warn(
                "blocking",
                self.name,
                f"async handler {self.name!r} blocked the event loop for "
                f"{longest * 1000:.0f} ms in one go (more than "
                f"{self.threshold * 1000:.0f} ms), so no other request could run; "
                "await non-blocking calls (asyncio.sleep, not time.sleep), or make "
                "it a plain def, which runs on the thread pool",
            )

    def _check_pool(self) -> None:
        if self.pool.busy >= self.pool.max_workers:
            self.warn(
                "saturated",
                self.name,
                f"sync handler {self.name!r} waited for a thread: all "
                f"{self.pool.max_workers} threads of the pool were busy; make slow "
                "handlers async with non-blocking calls, or raise "
                "App(thread_pool_size=...)",
            )


class ResponseWatcher:
    """Warn when an HTTP request ends without ``http.response.start``."""

    def __init__(self, app: ASGIApp, router: Router, warn: WarnOnce) -> None:
        self.app = app
        self.router = router
        self.warn = warn

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen: set[str] = set()

        async def receive_and_watch() -> Message:
            message = await receive()
            seen.add(message["type"])
            return message

        async def send_and_watch(message: Message) -> None:
            seen.add(message["type"])
            await send(message)

        await self.app(scope, receive_and_watch, send_and_watch)
        if not seen & {"http.response.start", "http.disconnect"}:
            request = f"{scope['method']} {scope['path']}"
            culprit = self.culprit(scope)
            self.warn(
                "no response",
                culprit,
                f"{culprit} returned without sending 'http.response.start' for "
                f"{request}; the client gets no response (the server sends 500). "
                "Every request needs an answer.",
            )

    def culprit(self, scope: Scope) -> str:
        """Who failed to answer: a mounted app, else a middleware.

        A handler cannot be to blame: whatever it returns or raises, the app
        turns into a response.
        """
        path = route_path(scope)
        if self.router.http.match(scope["method"], path) is None:
            mount = self.router.match_mount(path)
            if mount is not None:
                name = getattr(mount.app, "__name__", type(mount.app).__name__)
                return f"the app mounted at {mount.prefix or '/'!r} ({name})"
        return "a middleware (or a custom Response)"
