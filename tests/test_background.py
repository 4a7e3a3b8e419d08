"""Background tasks: run after the body, in order, errors logged not raised."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from _core_helpers import call, make_scope

from microasgi import (
    App,
    BackgroundTask,
    BackgroundTasks,
    PlainTextResponse,
    Request,
    StreamingResponse,
)

pytestmark = pytest.mark.anyio


async def test_background_task_calls_async_func_with_arguments() -> None:
    seen: list[Any] = []

    async def record(a: int, *, b: int) -> None:
        seen.append((a, b))

    await BackgroundTask(record, 1, b=2)()
    assert seen == [(1, 2)]


async def test_background_task_runs_sync_func_off_the_event_loop_thread() -> None:
    threads: list[str] = []
    await BackgroundTask(lambda: threads.append(threading.current_thread().name))()
    assert threads != [threading.current_thread().name]


async def test_background_task_error_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def explode() -> None:
        raise RuntimeError("mail server down")

    await BackgroundTask(explode)()
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "background task" in record.getMessage()
    assert "explode" in record.getMessage()
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "mail server down"


async def test_background_task_sync_error_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode() -> None:
        raise ValueError("sync failure")

    await BackgroundTask(explode)()
    assert "explode" in caplog.records[0].getMessage()


async def test_background_tasks_run_in_order_past_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    order: list[str] = []

    def fail() -> None:
        raise RuntimeError("x")

    tasks = BackgroundTasks()
    tasks.add_task(order.append, "first")
    tasks.add_task(fail)
    tasks.add_task(order.append, "third")
    await tasks()
    assert order == ["first", "third"]
    assert len(caplog.records) == 1


async def test_background_runs_after_the_body_is_sent() -> None:
    events: list[str] = []

    async def send(message: Any) -> None:
        events.append(message["type"])

    async def receive() -> Any:
        raise AssertionError("not called")

    task = BackgroundTask(events.append, "task")
    await PlainTextResponse("x", background=task)(make_scope(), receive, send)
    assert events == ["http.response.start", "http.response.body", "task"]


async def test_background_runs_even_if_the_client_is_gone() -> None:
    events: list[str] = []

    async def send(message: Any) -> None:
        raise OSError("connection reset")

    async def receive() -> Any:
        raise AssertionError("not called")

    response = PlainTextResponse("x", background=BackgroundTask(events.append, "ran"))
    with pytest.raises(OSError):
        await response(make_scope(), receive, send)
    assert events == ["ran"]


async def test_background_runs_after_a_stream_ends() -> None:
    events: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        events.append("chunk")
        yield b"a"

    async def send(message: Any) -> None:
        events.append(message["type"])

    async def receive() -> Any:
        await asyncio.Event().wait()

    task = BackgroundTask(events.append, "task")
    await StreamingResponse(chunks(), background=task)(make_scope(), receive, send)
    assert events == [
        "http.response.start",
        "chunk",
        "http.response.body",
        "http.response.body",
        "task",
    ]


async def test_background_set_on_handler_response_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()
    done: list[str] = []

    @app.post("/signup")
    async def signup(request: Request) -> Any:
        response = PlainTextResponse("welcome")
        response.background = BackgroundTask(done.append, "email sent")
        return response

    result = await call(app, "POST", "/signup")
    assert (result.body, done) == (b"welcome", ["email sent"])


async def test_background_failure_does_not_change_the_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    def fail() -> None:
        raise RuntimeError("late")

    task = BackgroundTask(fail)
    app.add_route("/", lambda request: PlainTextResponse("ok", background=task))
    result = await call(app)
    assert (result.status, result.body) == (200, b"ok")
    assert "fail" in caplog.records[0].getMessage()
