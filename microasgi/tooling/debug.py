"""Debug mode: warnings about code that works, but not the way you think.

With ``App(debug=True)`` the app makes one :class:`DebugChecks` while it
builds its middleware stack; with debug off nothing here is even imported.
It wraps every handler, every middleware and the app itself, and logs a
warning to the ``microasgi.debug`` logger, once per culprit and problem, when:

- an HTTP or WebSocket handler, or a middleware, holds the event loop for
  longer than :data:`BLOCKING_THRESHOLD` in one go (``time.sleep``, blocking
  I/O, heavy work), so no other request can run meanwhile;
- a call on the app's thread pool (a plain ``def`` handler, say) has to wait
  for a thread because every thread of the pool is busy (it is saturated);
- a GET or HEAD handler returns ``None``, which is sent as 204 No Content;
- a request ends without ``http.response.start``: the client gets no answer.

Routes added after the first request are not checked.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from microasgi.core.concurrency import ThreadPool
from microasgi.core.requests import Request
from microasgi.core.rootpath import route_path
from microasgi.core.routing import Route, Router, WebSocketRoute
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("microasgi.debug")

BLOCKING_THRESHOLD = 0.1  # seconds one step of an async handler may hold the loop

# Who is running now (a handler, a middleware), to name in a warning.
running: contextvars.ContextVar[str] = contextvars.ContextVar(
    "running", default="sync code"
)


class WarnOnce:
    """Log each (problem, culprit) warning the first time only."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, problem: str, name: str, message: str) -> None:
        if (problem, name) not in self.seen:
            self.seen.add((problem, name))
            logger.warning(message)


class DebugChecks:
    """The checks of one app: wrap its layers, handlers and thread pool.

    Example:
        >>> checks = DebugChecks(app, app.thread_pool)
        >>> layer = checks.middleware(GZipMiddleware(inner), GZipMiddleware)
        >>> stack = checks.app(ServerErrorMiddleware(layer))
    """

    def __init__(
        self, router: Router, pool: ThreadPool, threshold: float = BLOCKING_THRESHOLD
    ) -> None:
        self.router = router
        self.pool = pool
        self.threshold = threshold
        self.warn = WarnOnce()
        pool.on_saturated = self.saturated

    def middleware(self, layer: ASGIApp, cls: Any) -> ASGIApp:
        """``layer`` (an instance of middleware ``cls``), timed on its own."""
        name = getattr(cls, "__name__", type(layer).__name__)
        return CheckedMiddleware(layer, f"middleware {name!r}", self)

    def app(self, stack: ASGIApp) -> ASGIApp:
        """The whole stack, with every route's handler wrapped and watched."""
        for route in self.router.routes:
            if not isinstance(route, Route) or isinstance(
                route.endpoint, CheckedHandler | CheckedWebSocketHandler
            ):
                continue
            if isinstance(route, WebSocketRoute):
                route.endpoint = CheckedWebSocketHandler(route, self)
            else:
                route.endpoint = CheckedHandler(route, self)
                route.is_async = True  # the wrapper itself sends sync work to the pool
        return ResponseWatcher(stack, self.router, self.warn)

    async def run(
        self, awaitable: Awaitable[Any], culprit: str, advice: str | None = None
    ) -> Any:
        """Await ``awaitable`` as ``culprit``, named if it waits for a thread;
        with ``advice`` (how to move blocking work off the loop), also warn if
        one of its steps blocks the event loop."""
        token = running.set(culprit)
        try:
            if advice is None:
                return await awaitable
            return await self.timed(awaitable, culprit, advice)
        finally:
            running.reset(token)

    def timed(self, awaitable: Awaitable[Any], culprit: str, advice: str) -> TimedSteps:
        """``awaitable``, warning if one of its steps blocks the event loop."""

        def blocked(seconds: float) -> None:
            self.warn(
                "blocking",
                culprit,
                f"{culprit} blocked the event loop for {seconds * 1000:.0f} ms "
                f"in one go (more than {self.threshold * 1000:.0f} ms), so no other "
                "request could run; await non-blocking calls (asyncio.sleep, not "
                f"time.sleep), or {advice}",
            )

        return TimedSteps(awaitable, self.threshold, blocked)

    def saturated(self, pool: ThreadPool) -> None:
        """Called by the pool when a call has to wait for a free thread."""
        culprit = running.get()
        self.warn(
            "saturated",
            culprit,
            f"{culprit} waited for a thread: all {pool.max_workers} threads of the "
            "pool were busy; make slow handlers async with non-blocking calls, or "
            "raise App(thread_pool_size=...)",
        )


_local = threading.local()  # per event loop thread: the steps running now


def _running_steps() -> list[float]:
    """For each timed step running now (innermost last), the time its nested
    timed steps took so far."""
    if not hasattr(_local, "steps"):
        _local.steps = []
    steps: list[float] = _local.steps
    return steps


class TimedSteps:
    """Await ``awaitable`` one step at a time, timing each step's own work.

    A coroutine runs in steps: from one ``await`` that really waits to the
    next. While a step runs, the event loop runs nothing else. A middleware's
    step contains the steps of the layers inside it; time spent in a nested
    ``TimedSteps`` is not counted, so each is timed for its own code only.
    ``on_long_step(seconds)`` is called for every step over ``threshold``.
    """

    def __init__(
        self,
        awaitable: Awaitable[Any],
        threshold: float = float("inf"),
        on_long_step: Callable[[float], None] | None = None,
    ) -> None:
        self.awaitable = awaitable
        self.threshold = threshold
        self.on_long_step = on_long_step
        self.longest = 0.0

    def __await__(self) -> Generator[Any, Any, Any]:
        steps = self.awaitable.__await__()
        value: Any = None
        error: BaseException | None = None
        while True:
            running_steps = _running_steps()
            running_steps.append(0.0)
            started = time.perf_counter()
            try:
                waiting_on = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value
            finally:
                elapsed = time.perf_counter() - started
                self._took(elapsed - running_steps.pop())
                if running_steps:
                    running_steps[-1] += elapsed  # not the enclosing step's own
            try:
                value, error = (yield waiting_on), None
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as exc:  # cancellation, passed on to the handler
                value, error = None, exc

    def _took(self, seconds: float) -> None:
        self.longest = max(self.longest, seconds)
        if seconds > self.threshold and self.on_long_step is not None:
            self.on_long_step(seconds)


class CheckedHandler:
    """A route's handler, called the same way, with the debug checks around it."""

    def __init__(self, route: Route, checks: DebugChecks) -> None:
        functools.update_wrapper(self, route.endpoint)
        self.endpoint: Callable[..., Any] = route.endpoint
        self.name = str(route.name)
        self.was_async = route.is_async
        self.checks = checks
        kind = "async handler" if route.is_async else "sync handler"
        self.culprit = f"{kind} {self.name!r}"

    async def __call__(self, request: Request, **params: Any) -> Any:
        if self.was_async:
            result = await self.checks.run(
                self.endpoint(request, **params),
                self.culprit,
                "make it a plain def, which runs on the thread pool",
            )
        else:
            result = await self.checks.run(
                self.checks.pool.run(self.endpoint, request, **params), self.culprit
            )
        if result is None and request.method in ("GET", "HEAD"):
            self.checks.warn(
                "none",
                self.name,
                f"handler {self.name!r} returned None, sent 204 No Content; return "
                "a value or Response(status_code=204) to silence this",
            )
        return result


class CheckedWebSocketHandler:
    """A WebSocket route's handler, timed step by step like an HTTP handler."""

    def __init__(self, route: Route, checks: DebugChecks) -> None:
        functools.update_wrapper(self, route.endpoint)
        self.endpoint: Callable[..., Any] = route.endpoint
        self.checks = checks
        self.culprit = f"WebSocket handler {route.name!r}"

    async def __call__(self, ws: Any, **params: Any) -> None:
        await self.checks.run(
            self.endpoint(ws, **params),
            self.culprit,
            "run blocking calls with await ws.app.thread_pool.run(...)",
        )


class CheckedMiddleware:
    """One middleware layer, timed for its own code (not the layers inside)."""

    def __init__(self, app: ASGIApp, culprit: str, checks: DebugChecks) -> None:
        self.app = app
        self.culprit = culprit
        self.checks = checks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # startup hooks run inside: not ours
            await self.app(scope, receive, send)
            return
        await self.checks.run(
            self.app(scope, receive, send),
            self.culprit,
            "run blocking calls on a thread (await asyncio.to_thread(...))",
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
