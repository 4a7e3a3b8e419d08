"""StreamingResponse under faults: disconnects, errors, slow clients, blocking code."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from _core_helpers import make_scope

from microasgi import App, Request, StreamingResponse
from microasgi.core.sharedreceive import READ_AHEAD_LIMIT
from microasgi.core.types import Message
from microasgi.testing.client import AsyncTestClient, TestClient

pytestmark = pytest.mark.anyio

START = {"type": "http.response.start", "status": 200, "headers": []}


def body(data: bytes, more_body: bool = True) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more_body}


async def never_disconnect() -> Message:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def streaming_app(content: Any) -> App:
    app = App()

    @app.get("/stream")
    async def stream(request):
        return StreamingResponse(content(), media_type="text/plain")

    return app


async def wait_for(event: threading.Event) -> None:
    """Let an async generator wait for the test thread without blocking its loop."""
    while not event.is_set():
        await asyncio.sleep(0.002)


# Chunk by chunk ---------------------------------------------------------------


def test_streaming_chunks_reach_the_client_before_the_stream_ends() -> None:
    go_on = threading.Event()

    async def content() -> AsyncIterator[str]:
        yield "first "
        await wait_for(go_on)
        yield "second"

    client = TestClient(streaming_app(content))
    with client, client.stream("GET", "/stream") as response:
        chunks = response.iter_raw()
        assert next(chunks) == b"first "  # while the generator still waits
        go_on.set()
        assert list(chunks) == [b"second"]


# The client goes away -----------------------------------------------------------


def test_streaming_client_disconnect_runs_async_generator_finally() -> None:
    cleaned = threading.Event()

    async def content() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"data"
                await asyncio.sleep(0.005)
        finally:
            cleaned.set()

    with TestClient(streaming_app(content)) as client:
        with client.stream("GET", "/stream") as response:
            chunks = response.iter_raw()
            assert [next(chunks), next(chunks)] == [b"data", b"data"]
        assert cleaned.wait(5)


def test_streaming_client_disconnect_closes_sync_generator() -> None:
    closed = threading.Event()

    def content() -> Iterator[bytes]:
        try:
            while True:
                yield b"line\n"
                time.sleep(0.005)
        finally:
            closed.set()

    with TestClient(streaming_app(content)) as client:
        with client.stream("GET", "/stream") as response:
            assert next(response.iter_raw()) == b"line\n"
        assert closed.wait(5)


async def test_streaming_disconnect_while_send_is_blocked_closes_iterator() -> None:
    cleaned: list[bool] = []
    sending = asyncio.Event()

    async def content() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"x"
        finally:
            cleaned.append(True)

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            sending.set()
            await asyncio.Event().wait()  # a client that stopped reading

    async def receive() -> Message:
        await sending.wait()
        return {"type": "http.disconnect"}

    with anyio.fail_after(5):
        await StreamingResponse(content())(make_scope(), receive, send)
    assert cleaned == [True]


async def test_streaming_cancelled_response_closes_iterator() -> None:
    cleaned: list[bool] = []

    async def content() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"x"
                await asyncio.sleep(0.001)
        finally:
            cleaned.append(True)

    async def send(message: Message) -> None:
        return None

    task = asyncio.create_task(
        StreamingResponse(content())(make_scope(), never_disconnect, send)
    )
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == [True]


async def test_streaming_thousand_disconnects_leak_no_tasks() -> None:
    async def content() -> AsyncIterator[bytes]:
        while True:
            yield b"x"
            await asyncio.sleep(0)

    await asyncio.sleep(0)
    before = len(asyncio.all_tasks())
    with anyio.fail_after(60):
        for _ in range(1000):
            left = asyncio.Event()

            async def receive(left: asyncio.Event = left) -> Message:
                await left.wait()
                return {"type": "http.disconnect"}

            async def send(message: Message, left: asyncio.Event = left) -> None:
                if message["type"] == "http.response.body":
                    left.set()

            await StreamingResponse(content())(make_scope(), receive, send)
    assert len(asyncio.all_tasks()) == before


# A response that reads the request body --------------------------------------


def echo_app() -> App:
    app = App()

    @app.post("/echo")
    async def echo(request):
        async def chunks() -> AsyncIterator[bytes]:
            async for chunk in request.stream():
                yield chunk

        return StreamingResponse(chunks())

    return app


def request_chunks(count: int) -> list[bytes]:
    return [b"c%d;" % number for number in range(count)]


def test_streaming_echo_gets_every_body_chunk_from_the_test_client() -> None:
    def trickle() -> Iterator[bytes]:
        yield from request_chunks(8)

    with TestClient(echo_app(), timeout=5) as client:
        response = client.post("/echo", content=trickle())
    assert response.content == b"".join(request_chunks(8))


async def test_streaming_echo_gets_every_body_chunk_from_the_async_client() -> None:
    async def trickle() -> AsyncIterator[bytes]:
        for chunk in request_chunks(8):
            yield chunk

    async with AsyncTestClient(echo_app(), timeout=5) as client:
        response = await client.post("/echo", content=trickle())
    assert response.content == b"".join(request_chunks(8))


async def test_streaming_body_read_late_is_still_whole() -> None:
    # The watcher reads ahead while the generator is busy; nothing is lost.
    messages = [
        {"type": "http.request", "body": chunk, "more_body": True}
        for chunk in request_chunks(5)
    ] + [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        return await never_disconnect()

    async def send(message: Message) -> None:
        sent.append(message)

    request = Request(make_scope("POST"), receive)

    async def late_echo() -> AsyncIterator[bytes]:
        await asyncio.sleep(0.05)
        yield await request.body()

    with anyio.fail_after(5):
        await StreamingResponse(late_echo())(request.scope, receive, send)
    assert sent[1:] == [
        body(b"".join(request_chunks(5))),
        {"type": "http.response.body", "body": b""},
    ]


async def test_streaming_echo_notices_disconnect_after_the_body() -> None:
    closed = asyncio.Event()
    script = [
        {"type": "http.request", "body": b"all", "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return script.pop(0) if script else await never_disconnect()

    async def send(message: Message) -> None:
        return None

    request = Request(make_scope("POST"), receive)

    async def echo_then_wait() -> AsyncIterator[bytes]:
        try:
            yield await request.body()
            await asyncio.Event().wait()  # waits forever, unless stopped
            yield b"unreachable"
        finally:
            closed.set()

    with anyio.fail_after(5):
        await StreamingResponse(echo_then_wait())(request.scope, receive, send)
    assert closed.is_set()


async def test_streaming_notices_disconnect_with_the_body_unread() -> None:
    closed = asyncio.Event()
    script = [
        {"type": "http.request", "body": b"x" * 1000, "more_body": True},
        {"type": "http.request", "body": b"x" * 1000, "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return script.pop(0) if script else await never_disconnect()

    async def send(message: Message) -> None:
        return None

    async def wait_forever() -> AsyncIterator[bytes]:
        try:
            yield b"started"
            await asyncio.Event().wait()
            yield b"unreachable"
        finally:
            closed.set()

    with anyio.fail_after(5):
        await StreamingResponse(wait_forever())(make_scope("POST"), receive, send)
    assert closed.is_set()


async def test_streaming_reads_only_so_far_ahead_of_an_unread_body() -> None:
    calls = 0

    async def endless_body() -> Message:
        nonlocal calls
        calls += 1
        return {"type": "http.request", "body": b"x" * 16384, "more_body": True}

    async def send(message: Message) -> None:
        return None

    async def wait_forever() -> AsyncIterator[bytes]:
        yield b"started"
        await asyncio.Event().wait()

    response = StreamingResponse(wait_forever())
    task = asyncio.create_task(response(make_scope("POST"), endless_body, send))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.wait((task,))
    assert 0 < calls <= READ_AHEAD_LIMIT // 16384 + 1


# The server fails ---------------------------------------------------------------


async def test_streaming_iterator_error_leaves_body_unfinished() -> None:
    sent: list[Message] = []

    async def content() -> AsyncIterator[bytes]:
        yield b"partial"
        raise OSError("disk gone")

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(OSError, match="disk gone"):
        await StreamingResponse(content())(make_scope(), never_disconnect, send)
    assert sent == [START, body(b"partial")]  # never more_body=False


def test_streaming_error_mid_stream_gives_the_client_an_incomplete_body() -> None:
    async def content() -> AsyncIterator[bytes]:
        yield b"partial"
        raise OSError("disk gone")

    client = TestClient(streaming_app(content), raise_server_exceptions=False)
    with client, client.stream("GET", "/stream") as response:
        chunks = response.iter_raw()
        assert next(chunks) == b"partial"
        with pytest.raises(httpx.RemoteProtocolError):
            next(chunks)


async def test_streaming_failing_receive_is_raised_not_swallowed() -> None:
    async def content() -> AsyncIterator[bytes]:
        while True:
            yield b"x"
            await asyncio.sleep(0.001)

    async def receive() -> Message:
        raise RuntimeError("transport broke")

    async def send(message: Message) -> None:
        return None

    with anyio.fail_after(5), pytest.raises(RuntimeError, match="transport broke"):
        await StreamingResponse(content())(make_scope(), receive, send)


# Slow clients and blocking iterators --------------------------------------------


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_streaming_slow_consumer_does_not_advance_the_iterator(
    kind: str,
) -> None:
    produced: list[int] = []
    release = asyncio.Event()
    sent: list[Message] = []

    def numbers() -> Iterator[bytes]:
        for number in range(100):
            produced.append(number)
            yield b"%d," % number

    async def async_numbers() -> AsyncIterator[bytes]:
        for chunk in numbers():
            yield chunk

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            await release.wait()  # the client reads no body until released
        sent.append(message)

    content = async_numbers() if kind == "async" else numbers()
    response = StreamingResponse(content)
    task = asyncio.create_task(response(make_scope(), never_disconnect, send))
    await asyncio.sleep(0.1)
    assert produced == [0]  # one chunk, waiting to be sent; nothing more
    release.set()
    with anyio.fail_after(5):
        await task
    assert len(produced) == 100
    assert len(sent) == 102


async def test_streaming_only_one_chunk_is_produced_per_pending_send() -> None:
    produced: list[int] = []
    gates: list[asyncio.Event] = []

    async def content() -> AsyncIterator[bytes]:
        for number in range(5):
            produced.append(number)
            yield b"chunk"

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and message["body"]:
            gate = asyncio.Event()
            gates.append(gate)
            await gate.wait()

    task = asyncio.create_task(
        StreamingResponse(content())(make_scope(), never_disconnect, send)
    )
    with anyio.fail_after(5):
        for expected in range(1, 6):
            while len(gates) < expected:
                await asyncio.sleep(0.001)
            await asyncio.sleep(0.01)  # time to run ahead, if it could
            assert len(produced) == expected
            gates[-1].set()
        await task


async def test_streaming_sync_iterator_does_not_block_the_event_loop() -> None:
    ticks = 0

    def slow_lines() -> Iterator[bytes]:
        for _ in range(4):
            time.sleep(0.05)  # blocking work, such as reading a slow device
            yield b"line\n"

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def send(message: Message) -> None:
        return None

    counting = asyncio.create_task(ticker())
    try:
        response = StreamingResponse(slow_lines())
        await response(make_scope(), never_disconnect, send)
    finally:
        counting.cancel()
    assert ticks >= 10  # the loop kept running during 0.2 s of blocking work


# The how-to example and its page ---------------------------------------------------

ROOT = Path(__file__).parent.parent


@pytest.fixture
def howto(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    path = ROOT / "examples" / "streaming_howto.py"
    spec = importlib.util.spec_from_file_location("streaming_howto", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "STEP_SECONDS", 0.001)
    with TestClient(module.app) as client:
        yield client


def test_streaming_howto_countdown_arrives_line_by_line(howto: TestClient) -> None:
    with howto.stream("GET", "/countdown") as response:
        chunks = list(response.iter_raw())
    assert chunks == [b"3...\n", b"2...\n", b"1...\n", b"liftoff!\n"]


def test_streaming_howto_csv_export(howto: TestClient) -> None:
    response = howto.get("/squares.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.splitlines()
    assert (len(lines), lines[0], lines[-1]) == (1000, "1,1", "1000,1000000")


def test_streaming_howto_docs_snippets_exist() -> None:
    doc = ROOT / "docs" / "how-to" / "sse-and-streaming.md"
    includes = re.findall(r'--8<-- "([^"]+)"', doc.read_text())
    assert len(includes) == 3
    for include in includes:
        path, _, section = include.partition(":")
        text = (ROOT / path).read_text()
        assert f"--8<-- [start:{section}]" in text, include
        assert f"--8<-- [end:{section}]" in text, include
