"""Work to do after the response body has been sent.

A task runs even if the client has already gone; its errors are logged, not
raised, because by then there is nobody left to answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from microasgi.core.concurrency import ThreadPool, call_sync_or_async, default_pool

logger = logging.getLogger("microasgi")


class BackgroundTask:
    """Call ``func(*args, **kwargs)`` once the response is sent.

    A plain ``def`` runs on the thread pool of the App that sent the
    response (the default pool when the task is awaited outside an App).

    Example:
        >>> response = JSONResponse({"queued": True})
        >>> response.background = BackgroundTask(send_email, to="a@example.com")
    """

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs

    async def __call__(self, pool: ThreadPool | None = None) -> None:
        pool = pool or default_pool
        try:
            await call_sync_or_async(pool, self.func, *self.args, **self.kwargs)
        except Exception:
            name = getattr(self.func, "__qualname__", repr(self.func))
            logger.exception("background task %s failed", name)


class BackgroundTasks:
    """Several background tasks, run one after another in the order added.

    Example:
        >>> tasks = BackgroundTasks()
        >>> tasks.add_task(write_log, "created")
        >>> return JSONResponse({"ok": True}, background=tasks)
    """

    def __init__(self, tasks: list[BackgroundTask] | None = None) -> None:
        self.tasks = list(tasks or [])

    def add_task(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Queue ``func(*args, **kwargs)``."""
        self.tasks.append(BackgroundTask(func, *args, **kwargs))

    async def __call__(self, pool: ThreadPool | None = None) -> None:
        for task in self.tasks:
            await task(pool)
