"""Sync handlers on the thread pool: threads, contextvars, pool size."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from _core_helpers import call

from microasgi import (
    App,
    BackgroundTask,
    FileResponse,
    PlainTextResponse,
    Request,
    StreamingResponse,
)
from microasgi.core.concurrency import (
    ThreadPool,
    default_pool,
    iterate_in_threadpool,
    run_in_threadpool,
)
from microasgi.core.types import Receive, Scope, Send
from microasgi.core.uploads import SPOOL_MAX_SIZE

pytestmark = pytest.mark.anyio

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")


async def test_concurrency_sync_handler_runs_on_a_pool_thread() -> None:
    app = App()
    app.add_route("/", lambda request: threading.current_thread().name)
    name = (await call(app)).text
    assert name.startswith("microasgi")
    assert name != threading.current_thread().name


async def test_concurrency_async_handler_runs_on_the_loop_thread() -> None:
    app = App()

    @app.get("/")
    async def where(request: Request) -> Any:
        return threading.current_thread().name

    assert (await call(app)).text == threading.current_thread().name


async def test_concurrency_sync_handler_does_not_block_the_loop() -> None:
    app = App()
    released = threading.Event()
    app.add_route("/wait", lambda request: str(released.wait(timeout=5)))

    @app.get("/release")
    async def release(request: Request) -> Any:
        released.set()
        return "released"

    waiting, releasing = await asyncio.gather(
        call(app, "GET", "/wait"), call(app, "GET", "/release")
    )
    assert (waiting.text, releasing.text) == ("True", "released")


async def test_concurrency_contextvars_reach_sync_handler() -> None:
    def tagging_middleware(app: Any) -> Any:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            request_id.set("req-42")
            await app(scope, receive, send)

        return middleware

    app = App(middleware=[tagging_middleware])
    app.add_route("/", lambda request: request_id.get("unset"))
    assert (await call(app)).text == "req-42"


async def test_concurrency_context_changes_in_thread_do_not_leak_back() -> None:
    token = request_id.set("outer")
    try:
        await ThreadPool(1).run(request_id.set, "inner")
        assert request_id.get() == "outer"
    finally:
        request_id.reset(token)


def test_concurrency_thread_pool_size_setting() -> None:
    assert App(thread_pool_size=3).thread_pool.max_workers == 3
    assert App().thread_pool.max_workers == 40


@pytest.mark.parametrize("size", [0, -1])
def test_concurrency_thread_pool_size_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError, match=r"at least 1, got .*thread_pool_size=1"):
        App(thread_pool_size=size)


async def test_concurrency_pool_size_bounds_parallel_sync_handlers() -> None:
    app = App(thread_pool_size=2)
    lock = threading.Lock()
    running = [0]
    peak = [0]

    pair = threading.Barrier(2, timeout=5)  # two must run at once to pass

    def slow(request: Any) -> str:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        pair.wait()
        time.sleep(0.05)  # room for a third thread, were the pool bigger
        with lock:
            running[0] -= 1
        return "done"

    app.add_route("/", slow)
    results = await asyncio.gather(*(call(app) for _ in range(4)))
    assert [r.text for r in results] == ["done"] * 4
    assert peak[0] == 2


async def test_thread_pool_run_returns_and_raises() -> None:
    pool = ThreadPool(2)
    assert await pool.run(divmod, 7, 2) == (3, 1)
    with pytest.raises(ZeroDivisionError):
        await pool.run(divmod, 1, 0)
    pool.shutdown()


async def test_thread_pool_busy_and_saturated() -> None:
    pool = ThreadPool(1)
    gate = threading.Event()
    tasks = [asyncio.ensure_future(pool.run(gate.wait, 5)) for _ in range(2)]
    await asyncio.sleep(0.01)
    assert (pool.busy, pool.saturated) == (2, True)
    gate.set()
    await asyncio.gather(*tasks)
    assert (pool.busy, pool.saturated) == (0, False)
    pool.shutdown()


async def test_run_in_threadpool_uses_the_default_pool() -> None:
    name = await run_in_threadpool(lambda: threading.current_thread().name)
    assert name.startswith("microasgi")
    assert default_pool.busy == 0


async def test_iterate_in_threadpool_yields_every_item() -> None:
    assert [item async for item in iterate_in_threadpool(iter("abc"))] == list("abc")


async def test_iterate_in_threadpool_steps_run_off_the_loop() -> None:
    def names() -> Iterator[str]:
        yield threading.current_thread().name

    [name] = [item async for item in iterate_in_threadpool(names())]
    assert name != threading.current_thread().name


async def test_iterate_in_threadpool_cancel_then_close_is_safe() -> None:
    started = threading.Event()
    closed: list[bool] = []

    def slow() -> Generator[int, None, None]:
        try:
            started.set()
            time.sleep(0.05)
            yield 1
        finally:
            closed.append(True)

    iterator = slow()

    async def consume() -> None:
        async for _ in iterate_in_threadpool(iterator):
            pass

    task = asyncio.ensure_future(consume())
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    iterator.close()  # the step finished first, so the generator is not running
    assert closed == [True]


def counting_pool(app: App) -> list[str]:
    """Record the name of every function the app's own pool runs."""
    names: list[str] = []
    real_run = app.thread_pool.run

    async def run_and_count(func: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(getattr(func, "__name__", type(func).__name__))
        return await real_run(func, *args, **kwargs)

    app.thread_pool.run = run_and_count  # type: ignore[method-assign]
    return names


async def test_app_pool_runs_sync_exception_handlers() -> None:
    app = App(thread_pool_size=2)
    names = counting_pool(app)

    def teapot(request: Request, exc: Exception) -> Any:
        return PlainTextResponse("short and stout", status_code=418)

    app.add_exception_handler(KeyError, teapot)

    @app.get("/")
    async def home(request: Request) -> Any:
        raise KeyError("x")

    assert (await call(app)).status == 418
    assert names == ["teapot"]


def multipart_upload(size: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of a form with one file of ``size`` bytes."""
    body = (
        b"--b\r\n"
        b'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
        + b"x" * size
        + b"\r\n--b--\r\n"
    )
    return [(b"content-type", b"multipart/form-data; boundary=b")], body


async def test_app_pool_runs_all_the_blocking_work_of_a_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Background tasks, sync streams, file reads and uploads on disk all run on
    the App's one pool, so ``thread_pool_size`` bounds every blocking call."""
    app = App(thread_pool_size=1, max_body_size=4 * 1024 * 1024)
    names = counting_pool(app)
    elsewhere: list[str] = []

    async def refuse(func: Any, *args: Any, **kwargs: Any) -> Any:
        elsewhere.append(getattr(func, "__name__", type(func).__name__))
        raise AssertionError("the default pool ran work for an App")

    monkeypatch.setattr(default_pool, "run", refuse)
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello")

    def note_done() -> None:
        pass

    def chunks() -> Iterator[bytes]:
        yield b"a"
        yield b"b"

    @app.get("/task")
    async def task(request: Request) -> Any:
        return PlainTextResponse("ok", background=BackgroundTask(note_done))

    @app.get("/stream")
    async def stream(request: Request) -> Any:
        return StreamingResponse(chunks())

    @app.get("/file")
    async def file(request: Request) -> Any:
        return FileResponse(path)

    @app.post("/upload")
    async def upload(request: Request) -> Any:
        form = await request.form()
        return str(len(await form["file"].read()))

    headers, body = multipart_upload(SPOOL_MAX_SIZE + 1)  # past it: on disk
    requests = [
        ("GET", "/task", b"", [], b"ok", {"note_done"}),
        ("GET", "/stream", b"", [], b"ab", {"_next_or_exhausted", "close"}),
        ("GET", "/file", b"", [], b"hello", {"stat_file", "open", "close"}),
        ("POST", "/upload", body, headers, b"%d" % (SPOOL_MAX_SIZE + 1),
         {"write", "seek", "read", "close"}),
    ]  # fmt: skip
    for method, route, sent, sent_headers, answer, ran in requests:
        names.clear()
        result = await call(app, method, route, body=sent, headers=sent_headers)
        assert (result.status, result.body) == (200, answer), route
        assert ran <= set(names), route
    assert elsewhere == []
