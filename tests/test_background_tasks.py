"""Background tasks in a running app: after the body, after the client left, logged."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest
from _core_helpers import make_scope

from microasgi import (
    App,
    BackgroundTask,
    BackgroundTasks,
    EventSourceResponse,
    PlainTextResponse,
    StreamingResponse,
)
from microasgi.core.types import Message
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio


async def wait_for(event: threading.Event, timeout: float = 5.0) -> None:
    """Wait for the test thread without blocking the app's event loop."""
    with anyio.fail_after(timeout):
        while not event.is_set():
            await asyncio.sleep(0.002)


async def endless() -> AsyncIterator[str]:
    while True:
        yield "tick"
        await asyncio.sleep(0.005)


def test_background_tasks_run_after_the_client_has_the_body() -> None:
    body_read = threading.Event()
    ran: list[str] = []
    app = App()

    async def notify(user: str) -> None:
        await wait_for(body_read)  # would never end if it ran before the body
        ran.append(user)

    @app.post("/signup")
    async def signup(request):
        tasks = BackgroundTasks()
        tasks.add_task(notify, "ada")
        tasks.add_task(ran.append, "audit")
        return PlainTextResponse("welcome", background=tasks)

    client = TestClient(app)
    with client, client.stream("POST", "/signup") as response:
        assert next(response.iter_raw()) == b"welcome"
        body_read.set()
    assert ran == ["ada", "audit"]


def test_background_task_error_is_logged_and_the_response_unaffected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    def send_mail() -> None:
        raise ConnectionRefusedError("smtp down")

    @app.get("/")
    async def home(request):
        return PlainTextResponse("ok", background=BackgroundTask(send_mail))

    with TestClient(app) as client:
        response = client.get("/")
    assert (response.status_code, response.text) == (200, "ok")
    [record] = [r for r in caplog.records if r.name == "microasgi"]
    assert record.levelno == logging.ERROR
    assert "send_mail" in record.getMessage()
    assert str(record.exc_info[1]) == "smtp down"


def test_background_task_runs_when_the_client_leaves_mid_stream() -> None:
    ran = threading.Event()
    app = App()

    @app.get("/stream")
    async def stream(request):
        return StreamingResponse(endless(), background=BackgroundTask(ran.set))

    client = TestClient(app)
    with client:
        with client.stream("GET", "/stream") as response:
            assert next(response.iter_raw()) == b"tick"
        assert ran.wait(5)


def test_background_task_runs_after_an_event_stream_is_abandoned() -> None:
    ran = threading.Event()
    app = App()

    @app.get("/events")
    async def events(request):
        return EventSourceResponse(endless(), background=BackgroundTask(ran.set))

    client = TestClient(app)
    with client:
        with client.stream("GET", "/events") as response:
            assert next(response.iter_raw()) == b"data: tick\n\n"
        assert ran.wait(5)


async def test_background_task_runs_when_sending_the_stream_fails() -> None:
    ran: list[str] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            raise OSError("connection reset by peer")

    async def receive() -> Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    task = BackgroundTask(ran.append, "cleanup")
    response = StreamingResponse(endless(), background=task)
    with pytest.raises(OSError, match="reset"):
        await response(make_scope(), receive, send)
    assert ran == ["cleanup"]


async def test_background_task_failing_after_disconnect_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def flush_metrics() -> None:
        raise RuntimeError("metrics backend down")

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        return None

    task = BackgroundTask(flush_metrics)
    response = StreamingResponse(endless(), background=task)
    with anyio.fail_after(5):
        await response(make_scope(), receive, send)
    assert "flush_metrics" in caplog.text
    assert "metrics backend down" in caplog.text


async def test_background_tasks_run_one_at_a_time_after_the_response() -> None:
    log: list[Any] = []

    async def slow(name: str) -> None:
        log.append(("start", name))
        await asyncio.sleep(0.01)
        log.append(("end", name))

    async def send(message: Message) -> None:
        log.append(message["type"])

    async def receive() -> Message:
        raise AssertionError("not called")

    tasks = BackgroundTasks([BackgroundTask(slow, "a"), BackgroundTask(slow, "b")])
    await PlainTextResponse("x", background=tasks)(make_scope(), receive, send)
    assert log == [
        "http.response.start",
        "http.response.body",
        ("start", "a"),
        ("end", "a"),
        ("start", "b"),
        ("end", "b"),
    ]


# The how-to example and its page ---------------------------------------------------

ROOT = Path(__file__).parent.parent


def load_howto() -> ModuleType:
    path = ROOT / "examples" / "background_howto.py"
    spec = importlib.util.spec_from_file_location("background_howto", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_background_howto_signup_answers_then_mails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    howto = load_howto()
    caplog.set_level(logging.INFO, logger="audit")
    with TestClient(howto.app) as client:
        response = client.post("/signup", json={"email": "ada@example.com"})
    assert (response.status_code, response.json()) == (201, {"ok": True})
    assert howto.outbox == ["welcome mail to ada@example.com"]
    assert [r.getMessage() for r in caplog.records if r.name == "audit"] == [
        "signup ada@example.com"
    ]


def test_background_howto_bad_signup_is_400_and_runs_nothing() -> None:
    howto = load_howto()
    with TestClient(howto.app) as client:
        response = client.post("/signup", json={"email": 42})
    assert response.status_code == 400
    assert howto.outbox == []


def test_background_howto_docs_snippets_exist() -> None:
    doc = ROOT / "docs" / "how-to" / "background-tasks.md"
    includes = re.findall(r'--8<-- "([^"]+)"', doc.read_text())
    assert includes == ["examples/background_howto.py:tasks"]
    text = (ROOT / "examples" / "background_howto.py").read_text()
    assert "--8<-- [start:tasks]" in text
    assert "--8<-- [end:tasks]" in text
