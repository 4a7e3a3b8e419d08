"""The ``lifespan`` scope: run startup code before serving, shutdown after.

The server sends ``lifespan.startup``; we run the hooks and answer
``lifespan.startup.complete`` (or ``.failed`` with the error, so the server
refuses to start). Later ``lifespan.shutdown`` gets the same treatment.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from microasgi.core.concurrency import is_async_callable
from microasgi.core.drain import drain_of
from microasgi.core.types import Receive, Scope, Send

logger = logging.getLogger("microasgi")

Hook = Callable[[], Any]
LifespanFactory = Callable[[Any], AbstractAsyncContextManager[Any]]


class Lifespan:
    """Startup and shutdown hooks plus an optional context-manager factory."""

    def __init__(self, app: Any, factory: LifespanFactory | None = None) -> None:
        self.app = app
        self.factory = factory
        self.on_startup: list[Hook] = []
        self.on_shutdown: list[Hook] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await receive()  # lifespan.startup
            failure = await _failure_of(self._startup(scope, stack), "startup")
            if failure is not None:
                await send({"type": "lifespan.startup.failed", "message": failure})
                return
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            if (drain := drain_of(scope)) is not None:
                drain.start()  # if the server's signal has not started it yet
                drain.stop_listening()
            failure = await _failure_of(self._shutdown(stack), "shutdown")
            if failure is not None:
                await send({"type": "lifespan.shutdown.failed", "message": failure})
                return
            await send({"type": "lifespan.shutdown.complete"})

    async def _shutdown(self, stack: contextlib.AsyncExitStack) -> None:
        await stack.aclose()
        await _run_hooks(self.on_shutdown)

    async def _startup(self, scope: Scope, stack: contextlib.AsyncExitStack) -> None:
        if (drain := drain_of(scope)) is not None:
            drain.reset()
            drain.listen_for_signals()
        await _run_hooks(self.on_startup)
        if self.factory is None:
            return
        state = await stack.enter_async_context(self.factory(self.app))
        if state is None:
            return
        if not isinstance(state, Mapping):
            raise TypeError(
                f"the lifespan factory yielded {type(state).__name__}; yield "
                "nothing, or a dict of state for request.state"
            )
        if "state" not in scope:
            raise RuntimeError(
                "the lifespan factory yielded state, but this server does not "
                "support lifespan state; set app.state attributes instead"
            )
        scope["state"].update(state)


async def _failure_of(step: Awaitable[None], name: str) -> str | None:
    """Run ``step``; log its error and return it as the message to report.

    The report is sent by the caller, outside the ``except`` block: a server
    that raises from ``send`` on a failure report (hypercorn does) would
    otherwise chain our error into its own, and the traceback prints twice.
    """
    try:
        await step
    except Exception as exc:
        logger.exception("Application %s failed", name)
        return f"{type(exc).__name__}: {exc}"
    return None


async def _run_hooks(hooks: list[Hook]) -> None:
    for hook in hooks:
        result = hook()
        if is_async_callable(hook) or isinstance(result, Awaitable):
            await result
