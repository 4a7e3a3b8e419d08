"""Graceful drain: long-lived connections end when the server shuts down.

A request ends by itself; a WebSocket or an event stream may stay open for
hours, and a server that waits for it to finish before shutting down
(uvicorn waits for every connection, then sends ``lifespan.shutdown``) would
hang until its own timeout cuts the clients off. So the App listens for the
first sign of shutdown — the server's SIGTERM or SIGINT, or the
``lifespan.shutdown`` message, whichever comes first — and then ends each
WebSocket with close code 1012 (service restart) and each event stream
after a ``retry:`` hint: clients reconnect at once, to a live worker.

Connections wait on one future per event loop, so an idle connection costs
no task and nothing to clean up.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from types import FrameType
from typing import Any

from microasgi.core.outerapps import outer_apps

SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Drain:
    """The App's shutdown notice that long-lived connections wait on."""

    def __init__(self) -> None:
        self.draining = False
        self._future: asyncio.Future[None] | None = None
        # signal number -> (our handler, the one it chains to), while listening
        self._listening: dict[int, tuple[Any, Any]] = {}

    def started(self) -> asyncio.Future[None]:
        """A future of this event loop that is done once draining starts."""
        loop = asyncio.get_running_loop()
        future = self._future
        if future is None or future.get_loop() is not loop:
            future = self._future = loop.create_future()
            if self.draining:
                future.set_result(None)
        return future

    def start(self) -> None:
        """Begin draining: every waiting connection is told to end."""
        if self.draining:
            return
        self.draining = True
        future = self._future
        if future is not None and not future.done():
            future.get_loop().call_soon_threadsafe(_set_done, future)

    def reset(self) -> None:
        """Serve again (a new lifespan began in this process)."""
        self.draining = False
        self._future = None

    def listen_for_signals(self) -> None:
        """Start draining on SIGTERM/SIGINT, then let the server handle them.

        Runs at lifespan startup, in the server's process. Only the main
        thread may set signal handlers; elsewhere ``lifespan.shutdown`` alone
        starts the drain.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        self.stop_listening()  # never chain to ourselves
        for signum in SHUTDOWN_SIGNALS:
            previous = signal.getsignal(signum)
            handler = self._chained_handler(previous)
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signum, handler)
                self._listening[signum] = (handler, previous)

    def stop_listening(self) -> None:
        """Put back the handlers found at startup, unless others replaced ours."""
        for signum, (handler, previous) in self._listening.items():
            if previous is not None and signal.getsignal(signum) is handler:
                with contextlib.suppress(ValueError, OSError):
                    signal.signal(signum, previous)
        self._listening.clear()

    def _chained_handler(self, previous: Any) -> Any:
        def on_shutdown_signal(signum: int, frame: FrameType | None) -> None:
            self.start()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:  # nobody else handles it: as before
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        return on_shutdown_signal


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def drain_of(scope: Any) -> Drain | None:
    """The drain of the outermost App serving ``scope`` (the one the server
    runs, whose lifespan and signals start it), if an App is."""
    around = outer_apps(scope)
    app = around[-1].app if around else scope.get("app")
    drain = getattr(app, "drain", None)
    return drain if isinstance(drain, Drain) else None
