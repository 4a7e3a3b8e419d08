"""Running blocking code off the event loop, on a bounded thread pool.

Each App has one pool (``App(thread_pool_size=...)``), and all the blocking
work of its requests runs there: plain ``def`` handlers and exception
handlers, background tasks, sync streaming iterators, file and upload I/O.
Code that holds a scope finds that pool with :func:`pool_of`; only outside an
App does the shared default pool (:func:`run_in_threadpool`) take the work.
Either way the event loop keeps serving other requests. Context variables are
copied into the worker thread, so a value set by a middleware is visible in
the handler.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from microasgi.core.types import Scope

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_THREAD_POOL_SIZE = 40


def is_async_callable(func: Any) -> bool:
    """Whether calling ``func`` returns an awaitable (async def or partial)."""
    while hasattr(func, "func"):  # functools.partial
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - callable objects
    )


class ThreadPool:
    """A bounded pool of worker threads, started on first use.

    Example:
        >>> pool = ThreadPool(max_workers=4)
        >>> # await pool.run(time.sleep, 0.1)
    """

    def __init__(self, max_workers: int = DEFAULT_THREAD_POOL_SIZE) -> None:
        if max_workers < 1:
            raise ValueError(
                f"thread pool size must be at least 1, got {max_workers}; "
                "pass thread_pool_size=1 or more"
            )
        self.max_workers = max_workers
        self.busy = 0  # calls submitted and not finished: > max_workers means queued
        self._executor: ThreadPoolExecutor | None = None
        # Called when a call has to wait for a free thread (debug mode sets it).
        self.on_saturated: Callable[[ThreadPool], None] | None = None

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``func(*args, **kwargs)`` on a worker thread and await its result."""
        if self._executor is None:
            # Imported on first use: an app that never runs a thread skips it.
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(
                self.max_workers, thread_name_prefix="microasgi"
            )
        context = contextvars.copy_context()
        call = functools.partial(context.run, func, *args, **kwargs)
        loop = asyncio.get_running_loop()
        if self.busy >= self.max_workers and self.on_saturated is not None:
            self.on_saturated(self)
        self.busy += 1
        try:
            return await loop.run_in_executor(self._executor, call)
        finally:
            self.busy -= 1

    @property
    def saturated(self) -> bool:
        """Whether calls are waiting for a free thread."""
        return self.busy > self.max_workers

    def shutdown(self) -> None:
        """Stop the worker threads (new calls start a fresh pool)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


default_pool = ThreadPool()


async def run_in_threadpool(
    func: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run ``func`` on the shared default pool."""
    return await default_pool.run(func, *args, **kwargs)


def pool_of(scope: Scope) -> ThreadPool:
    """The pool of the App serving ``scope``; the default pool outside an App.

    ``App.__call__`` puts itself in ``scope["app"]``, so this costs a lookup
    only where blocking work is about to run, never on the hot path.
    """
    pool = getattr(scope.get("app"), "thread_pool", None)
    return pool if isinstance(pool, ThreadPool) else default_pool


async def call_sync_or_async(
    pool: ThreadPool, func: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """Await ``func(*args, **kwargs)`` if it is async, else run it on ``pool``.

    Example:
        >>> await call_sync_or_async(app.thread_pool, handler, request, exc)
    """
    if is_async_callable(func):
        return await func(*args, **kwargs)
    return await pool.run(func, *args, **kwargs)


_EXHAUSTED: Any = object()


def _next_or_exhausted(iterator: Iterator[T]) -> T:
    # StopIteration cannot cross a Future, so turn it into a sentinel.
    return next(iterator, _EXHAUSTED)


async def iterate_in_threadpool(
    iterator: Iterator[T], pool: ThreadPool | None = None
) -> AsyncIterator[T]:
    """Advance a sync iterator on ``pool`` (the default pool if None), one item
    per worker call.

    If the consumer is cancelled mid-step, the step is allowed to finish first,
    so the caller can then safely ``close()`` the iterator.
    """
    run = (pool or default_pool).run
    while True:
        step = asyncio.ensure_future(run(_next_or_exhausted, iterator))
        try:
            item = await asyncio.shield(step)
        except asyncio.CancelledError:
            await asyncio.wait((step,))
            if not step.cancelled():
                step.exception()  # seen: nobody is left to care about it
            raise
        if item is _EXHAUSTED:
            return
        yield item
