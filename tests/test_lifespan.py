"""Lifespan: startup/shutdown hooks, the factory, state, and failures."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from _core_helpers import call

from microasgi import App, Request
from microasgi.core.types import Message

pytestmark = pytest.mark.anyio

STARTUP = {"type": "lifespan.startup"}
SHUTDOWN = {"type": "lifespan.shutdown"}


async def run_lifespan(
    app: Any, events: list[Any] | None = None, state: dict[str, Any] | None = None
) -> list[Any]:
    """Drive a full lifespan; sent message types are appended to ``events``."""
    events = [] if events is None else events
    script = [STARTUP, SHUTDOWN]
    scope: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}}
    if state is not None:
        scope["state"] = state

    async def receive() -> Message:
        return script.pop(0)

    async def send(message: Message) -> None:
        events.append(message)

    await app(scope, receive, send)
    return events


async def test_lifespan_without_hooks_completes() -> None:
    assert await run_lifespan(App()) == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


async def test_lifespan_runs_sync_and_async_hooks_in_order() -> None:
    app = App()
    events: list[Any] = []

    @app.on_startup
    def open_files() -> None:
        events.append("sync startup")

    @app.on_startup
    async def connect() -> None:
        events.append("async startup")

    @app.on_shutdown
    async def disconnect() -> None:
        events.append("async shutdown")

    @app.on_shutdown
    def close_files() -> None:
        events.append("sync shutdown")

    await run_lifespan(app, events)
    assert events == [
        "sync startup",
        "async startup",
        {"type": "lifespan.startup.complete"},
        "async shutdown",
        "sync shutdown",
        {"type": "lifespan.shutdown.complete"},
    ]


def test_lifespan_decorators_return_the_hook() -> None:
    app = App()

    def hook() -> None:
        pass

    assert app.on_startup(hook) is hook
    assert app.on_shutdown(hook) is hook


async def test_lifespan_factory_wraps_serving() -> None:
    events: list[Any] = []

    @asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[None]:
        events.append(("enter", type(app).__name__))
        yield
        events.append("exit")

    await run_lifespan(App(lifespan=lifespan), events)
    assert events == [
        ("enter", "App"),
        {"type": "lifespan.startup.complete"},
        "exit",
        {"type": "lifespan.shutdown.complete"},
    ]


async def test_lifespan_factory_state_reaches_request_state() -> None:
    @asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[dict[str, Any]]:
        yield {"db": "connection"}

    app = App(lifespan=lifespan)

    @app.get("/")
    async def home(request: Request) -> Any:
        return request.state.db

    lifespan_state: dict[str, Any] = {}
    await run_lifespan(app, state=lifespan_state)
    assert lifespan_state == {"db": "connection"}
    result = await call(app, state=dict(lifespan_state))  # servers copy it
    assert result.text == "connection"


async def test_lifespan_factory_state_without_server_support_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[dict[str, Any]]:
        yield {"db": "connection"}

    [failed] = await run_lifespan(App(lifespan=lifespan))
    assert failed["type"] == "lifespan.startup.failed"
    assert "does not support lifespan state" in failed["message"]


async def test_lifespan_factory_yielding_non_mapping_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[list[int]]:
        yield [1]

    [failed] = await run_lifespan(App(lifespan=lifespan), state={})
    assert failed["message"].startswith("TypeError: the lifespan factory yielded list")


async def test_lifespan_startup_failure_reports_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.on_startup
    async def connect() -> None:
        raise RuntimeError("no database at db:5432")

    assert await run_lifespan(app) == [
        {
            "type": "lifespan.startup.failed",
            "message": "RuntimeError: no database at db:5432",
        }
    ]
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Application startup failed"


async def test_lifespan_startup_failure_skips_later_hooks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()
    ran: list[str] = []
    app.on_startup(lambda: 1 / 0)
    app.on_startup(lambda: ran.append("second"))
    [failed] = await run_lifespan(app)
    assert failed["message"] == "ZeroDivisionError: division by zero"
    assert ran == []


async def test_lifespan_factory_failure_before_yield(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[None]:
        raise ConnectionError("cache unreachable")
        yield

    [failed] = await run_lifespan(App(lifespan=lifespan))
    assert failed == {
        "type": "lifespan.startup.failed",
        "message": "ConnectionError: cache unreachable",
    }


async def test_lifespan_shutdown_failure_reports_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.on_shutdown
    def flush() -> None:
        raise OSError("disk full")

    assert await run_lifespan(app) == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.failed", "message": "OSError: disk full"},
    ]
    assert caplog.records[0].getMessage() == "Application shutdown failed"


async def test_lifespan_passes_through_middleware() -> None:
    def passthrough(app: Any) -> Any:
        return app

    app = App(middleware=[passthrough])
    started: list[str] = []
    app.on_startup(lambda: started.append("yes"))
    events = await run_lifespan(app)
    assert (started, events[0]["type"]) == (["yes"], "lifespan.startup.complete")


async def test_lifespan_app_state_reachable_from_request() -> None:
    app = App()
    app.state.greeting = "hi"
    app.add_route("/", lambda request: request.app.state.greeting)
    assert (await call(app)).text == "hi"
