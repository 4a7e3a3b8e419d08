"""Debug mode: warnings about blocking, a full thread pool, None and no response."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import anyio
import pytest
from asgi import http_scope, run_asgi, websocket_scope

from microasgi import App
from microasgi.core.types import Message, Receive, Scope, Send
from microasgi.tooling.debug import CheckedHandler, TimedSteps

pytestmark = pytest.mark.anyio

REQUEST = {"type": "http.request", "body": b"", "more_body": False}


async def get(app: Any, path: str = "/", method: str = "GET") -> list[Message]:
    return await run_asgi(app, http_scope(path, method), [REQUEST])


def debug_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "microasgi.debug" and record.levelno == logging.WARNING
    ]


async def test_debug_warns_when_an_async_handler_blocks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True)

    @app.get("/")
    async def slow(request):
        time.sleep(0.15)  # blocks the event loop
        return "done"

    await get(app)
    [warning] = debug_warnings(caplog)
    assert warning.startswith("async handler 'slow' blocked the event loop for ")
    assert "more than 100 ms" in warning


async def test_debug_warns_once_per_handler(caplog: pytest.LogCaptureFixture) -> None:
    app = App(debug=True)

    @app.get("/")
    async def slow(request):
        time.sleep(0.11)
        return "done"

    await get(app)
    await get(app)
    assert len(debug_warnings(caplog)) == 1


async def test_debug_quiet_for_a_handler_that_awaits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True)

    @app.get("/")
    async def patient(request):
        await asyncio.sleep(0.15)  # waits without blocking
        return "done"

    sent = await get(app)
    assert sent[-1]["body"] == b"done"
    assert debug_warnings(caplog) == []


async def test_debug_warns_when_the_thread_pool_is_saturated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True, thread_pool_size=1)
    gate = threading.Event()

    @app.get("/")
    def waits(request):
        gate.wait(timeout=5)
        return "done"

    async def release_when_both_submitted() -> None:
        for _ in range(500):
            if app.thread_pool.busy == 2:
                break
            await anyio.sleep(0.01)
        gate.set()

    async with anyio.create_task_group() as group:
        group.start_soon(get, app)
        group.start_soon(get, app)
        group.start_soon(release_when_both_submitted)
    assert debug_warnings(caplog) == [
        "sync handler 'waits' waited for a thread: all 1 threads of the pool were "
        "busy; make slow handlers async with non-blocking calls, or raise "
        "App(thread_pool_size=...)"
    ]


# WebSocket handlers and middleware get the same checks -----------------------

WS_SCRIPT = [
    {"type": "websocket.connect"},
    {"type": "websocket.disconnect", "code": 1000},
]


async def test_debug_warns_when_a_websocket_handler_blocks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True)

    @app.websocket("/ws")
    async def chat(ws):
        await ws.accept()
        time.sleep(0.15)  # blocks the event loop
        await ws.close()

    await run_asgi(app, websocket_scope("/ws"), WS_SCRIPT)
    [warning] = debug_warnings(caplog)
    assert warning.startswith("WebSocket handler 'chat' blocked the event loop for ")
    assert "await ws.app.thread_pool.run(...)" in warning


class SlowMiddleware:
    def __init__(self, app: Any, seconds: float = 0.15) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        time.sleep(self.seconds)  # blocks the event loop
        await self.app(scope, receive, send)


async def test_debug_warns_when_a_middleware_blocks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True, middleware=[SlowMiddleware])

    @app.get("/")
    async def fast(request):
        return "done"

    sent = await get(app)
    assert sent[-1]["body"] == b"done"
    [warning] = debug_warnings(caplog)
    assert warning.startswith("middleware 'SlowMiddleware' blocked the event loop")


async def test_debug_blames_the_handler_not_the_middleware_around_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True)
    app.add_middleware(SlowMiddleware, seconds=0)

    @app.get("/")
    async def slow(request):
        time.sleep(0.15)
        return "done"

    await get(app)
    [warning] = debug_warnings(caplog)
    assert warning.startswith("async handler 'slow' blocked the event loop")


async def test_debug_does_not_blame_a_middleware_for_a_slow_startup(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True)
    app.add_middleware(SlowMiddleware, seconds=0)
    app.on_startup(lambda: time.sleep(0.15))
    script = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    await run_asgi(app, {"type": "lifespan", "asgi": {"version": "3.0"}}, script)
    assert not [w for w in debug_warnings(caplog) if "middleware" in w]


async def saturate(app: App, *calls: Any) -> None:
    """Run ``calls`` at once while the pool's only thread is busy."""
    gate = threading.Event()

    async def hold_the_thread() -> None:
        await app.thread_pool.run(gate.wait, 5)

    async def release_when_queued() -> None:
        for _ in range(500):
            if app.thread_pool.busy == 1 + len(calls):
                break
            await anyio.sleep(0.01)
        gate.set()

    async with anyio.create_task_group() as group:
        group.start_soon(hold_the_thread)
        await anyio.sleep(0.02)
        for call in calls:
            group.start_soon(call)
        group.start_soon(release_when_queued)


async def test_debug_warns_when_a_websocket_handler_waits_for_a_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True, thread_pool_size=1)

    @app.websocket("/ws")
    async def lookup(ws):
        await ws.accept()
        await ws.app.thread_pool.run(time.sleep, 0)
        await ws.close()

    async def connect() -> None:
        await run_asgi(app, websocket_scope("/ws"), WS_SCRIPT)

    await get(app, "/nowhere")  # builds the stack: the checks are in place
    await saturate(app, connect)
    assert debug_warnings(caplog) == [
        "WebSocket handler 'lookup' waited for a thread: all 1 threads of the pool "
        "were busy; make slow handlers async with non-blocking calls, or raise "
        "App(thread_pool_size=...)"
    ]


async def test_debug_warns_when_a_middleware_waits_for_a_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def threaded(app: Any) -> Any:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            await scope["app"].thread_pool.run(time.sleep, 0)
            await app(scope, receive, send)

        return middleware

    app = App(debug=True, thread_pool_size=1, middleware=[threaded])
    app.add_route("/", lambda request: "done")

    async def request() -> None:
        await get(app)

    await get(app, "/nowhere")
    caplog.clear()
    await saturate(app, request)
    assert [w.partition(":")[0] for w in debug_warnings(caplog)] == [
        "middleware 'threaded' waited for a thread"
    ]


async def test_timed_steps_nested_count_only_their_own_work() -> None:
    inner_steps: list[TimedSteps] = []

    async def inner() -> None:
        time.sleep(0.05)

    async def outer() -> None:
        time.sleep(0.01)
        steps = TimedSteps(inner())
        inner_steps.append(steps)
        await steps

    outer_steps = TimedSteps(outer())
    await outer_steps
    assert inner_steps[0].longest >= 0.05
    assert 0.01 <= outer_steps.longest < 0.04


async def test_debug_warns_when_a_get_handler_returns_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True)

    @app.get("/")
    async def forgot(request):
        request.path  # noqa: B018 - computes something, returns nothing

    sent = await get(app)
    assert sent[0]["status"] == 204
    assert debug_warnings(caplog) == [
        "handler 'forgot' returned None, sent 204 No Content; return a value or "
        "Response(status_code=204) to silence this"
    ]


async def test_debug_quiet_when_a_post_handler_returns_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(debug=True)

    @app.post("/")
    async def store(request):
        return None

    await get(app, method="POST")
    assert debug_warnings(caplog) == []


async def test_debug_warns_when_a_mount_sends_no_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def legacy(scope: Scope, receive: Receive, send: Send) -> None:
        return None  # forgot to answer

    app = App(debug=True)
    app.mount("/legacy", legacy)
    assert await get(app, "/legacy/x") == []
    assert debug_warnings(caplog) == [
        "the app mounted at '/legacy' (legacy) returned without sending "
        "'http.response.start' for GET /legacy/x; the client gets no response "
        "(the server sends 500). Every request needs an answer."
    ]


async def test_debug_blames_a_middleware_that_swallows_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Swallow:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            return None  # neither calls the app nor answers

    app = App(debug=True, middleware=[Swallow])

    @app.get("/")
    async def home(request):
        return "home"

    await get(app)
    [warning] = debug_warnings(caplog)
    assert warning.startswith("a middleware (or a custom Response) returned without")


async def test_debug_quiet_when_the_client_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def waits_for_disconnect(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await receive()  # http.disconnect: nobody to answer

    app = App(debug=True)
    app.mount("/stream", waits_for_disconnect)
    script = [REQUEST, {"type": "http.disconnect"}]
    await run_asgi(app, http_scope("/stream/x"), script)
    assert debug_warnings(caplog) == []


async def test_debug_handlers_keep_their_behaviour() -> None:
    app = App(debug=True)

    @app.get("/items/{item_id:int}")
    def read_item(request, item_id: int):
        return {"id": item_id, "thread": threading.current_thread().name}

    sent = await get(app, "/items/3")
    assert sent[0]["status"] == 200
    assert b'"id":3' in sent[1]["body"]
    assert b'"thread":"microasgi' in sent[1]["body"]  # still on the thread pool


async def test_debug_handler_errors_still_become_500() -> None:
    app = App(debug=True)

    @app.get("/")
    async def broken(request):
        raise ValueError("oops")

    sent = await get(app)
    assert sent[0]["status"] == 500


async def test_debug_wrapper_keeps_the_handler_name() -> None:
    app = App(debug=True)

    @app.get("/")
    async def home(request):
        return "home"

    await get(app)
    [route] = app.routes
    assert isinstance(route.endpoint, CheckedHandler)
    assert vars(route.endpoint)["__name__"] == "home"


async def test_debug_off_leaves_handlers_alone() -> None:
    app = App()

    @app.get("/")
    async def home(request):
        return "home"

    await get(app)
    [route] = app.routes
    assert route.endpoint is home


async def test_timed_steps_returns_the_value_and_the_longest_step() -> None:
    async def two_steps() -> str:
        time.sleep(0.02)
        await asyncio.sleep(0)
        return "value"

    steps = TimedSteps(two_steps())
    assert await steps == "value"
    assert 0.02 <= steps.longest < 0.5


async def test_timed_steps_passes_cancellation_to_the_handler() -> None:
    cleaned_up = asyncio.Event()

    async def waits() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            cleaned_up.set()

    async def run() -> None:
        await TimedSteps(waits())

    task = asyncio.ensure_future(run())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned_up.is_set()


async def test_timed_steps_passes_exceptions_through() -> None:
    async def fails() -> None:
        await asyncio.sleep(0)
        raise KeyError("k")

    with pytest.raises(KeyError):
        await TimedSteps(fails())
