"""Server-Sent Events: wire framing, headers, pings, disconnects and errors."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from _core_helpers import make_scope

from microasgi import App, EventSourceResponse, ServerSentEvent
from microasgi.batteries.sse import PING, encode_event
from microasgi.core.types import Message
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio

END = {"type": "http.response.body", "body": b""}


def body(data: bytes) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": True}


def parse_stream(stream: str) -> list[dict[str, str]]:
    """Dispatch events the way the HTML spec's EventSource parser does."""
    events: list[dict[str, str]] = []
    data: list[str] = []
    event_type = ""
    for line in re.split(r"\r\n|\r|\n", stream):
        if not line:
            if data:
                events.append(
                    {"type": event_type or "message", "data": "\n".join(data)}
                )
            data, event_type = [], ""
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
    return events


async def stream(response: Any, method: str = "GET") -> list[Message]:
    """Send ``response`` to a client that never disconnects; record messages."""
    sent: list[Message] = []

    async def receive() -> Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        await response(make_scope(method), receive, send)
    return sent


# Framing --------------------------------------------------------------------


def test_sse_event_data_only() -> None:
    assert ServerSentEvent("hello").encode() == b"data: hello\n\n"


def test_sse_event_all_fields_in_order() -> None:
    event = ServerSentEvent("x", event="update", id="42", retry=3000, comment="hi")
    assert event.encode() == (b": hi\nevent: update\ndata: x\nid: 42\nretry: 3000\n\n")


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"])
def test_sse_event_multiline_data_becomes_several_data_lines(newline: str) -> None:
    event = ServerSentEvent(f"one{newline}two{newline}three")
    assert event.encode() == b"data: one\ndata: two\ndata: three\n\n"


def test_sse_event_trailing_newline_survives_the_round_trip() -> None:
    wire = ServerSentEvent("line\n").encode().decode()
    assert wire == "data: line\ndata: \n\n"
    assert parse_stream(wire) == [{"type": "message", "data": "line\n"}]


def test_sse_event_leading_space_in_data_is_kept() -> None:
    wire = ServerSentEvent("  indented").encode().decode()
    assert parse_stream(wire) == [{"type": "message", "data": "  indented"}]


def test_sse_event_empty_string_is_still_dispatched() -> None:
    wire = ServerSentEvent("").encode().decode()
    assert wire == "data: \n\n"
    assert parse_stream(wire) == [{"type": "message", "data": ""}]


def test_sse_event_dict_data_is_json() -> None:
    event = ServerSentEvent({"price": 9.5, "name": "tea"})
    assert event.encode() == b'data: {"price":9.5,"name":"tea"}\n\n'


def test_sse_event_multiline_comment_is_several_comment_lines() -> None:
    assert ServerSentEvent(comment="a\nb").encode() == b": a\n: b\n\n"


def test_sse_event_integer_id_is_sent_as_text() -> None:
    assert ServerSentEvent("x", id=7).encode() == b"data: x\nid: 7\n\n"


def test_sse_event_unicode_is_utf8() -> None:
    assert ServerSentEvent("€").encode() == "data: €\n\n".encode()


@pytest.mark.parametrize("bad_id", ["a\nb", "a\rb", "a\0b"])
def test_sse_event_id_with_newline_or_nul_is_refused(bad_id: str) -> None:
    with pytest.raises(ValueError, match="event id"):
        ServerSentEvent("x", id=bad_id)


def test_sse_event_name_with_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="event name"):
        ServerSentEvent("x", event="a\nb")


@pytest.mark.parametrize("bad_retry", [-1, 1.5, "1000", True])
def test_sse_event_retry_must_be_whole_milliseconds(bad_retry: Any) -> None:
    with pytest.raises(ValueError, match="retry must be a whole number"):
        ServerSentEvent("x", retry=bad_retry)


def test_sse_encode_event_str_item_is_one_event() -> None:
    assert encode_event("a\nb") == b"data: a\ndata: b\n\n"


def test_sse_encode_event_list_item_is_json() -> None:
    assert encode_event([1, 2]) == b"data: [1,2]\n\n"


def test_sse_encode_event_other_types_are_refused() -> None:
    with pytest.raises(TypeError, match="must be str, dict, list or ServerSentEvent"):
        encode_event(42)


# The response ---------------------------------------------------------------


async def test_sse_response_exact_messages() -> None:
    async def events() -> AsyncIterator[Any]:
        yield "plain"
        yield {"n": 1}
        yield ServerSentEvent("done", event="end")

    messages = await stream(EventSourceResponse(events(), ping_interval=None))
    assert messages == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
                (b"content-type", b"text/event-stream; charset=utf-8"),
            ],
        },
        body(b"data: plain\n\n"),
        body(b'data: {"n":1}\n\n'),
        body(b"event: end\ndata: done\n\n"),
        END,
    ]


async def test_sse_response_user_headers_override_defaults() -> None:
    response = EventSourceResponse(
        iter(()), headers={"Cache-Control": "no-store", "X-Room": "7"}
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-room"] == "7"
    assert response.headers["x-accel-buffering"] == "no"


async def test_sse_response_sync_iterator_runs_off_the_loop_thread() -> None:
    threads: list[str] = []

    def events() -> Iterator[str]:
        threads.append(threading.current_thread().name)
        yield "from a thread"

    messages = await stream(EventSourceResponse(events(), ping_interval=None))
    assert messages[1] == body(b"data: from a thread\n\n")
    assert threads != [threading.current_thread().name]


async def test_sse_response_pings_while_the_iterator_is_idle() -> None:
    gate = asyncio.Event()

    async def events() -> AsyncIterator[str]:
        yield "first"
        await gate.wait()  # idle until the ping has gone out
        yield "second"

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)
        if message.get("body") == PING:
            gate.set()

    async def receive() -> Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    with anyio.fail_after(5):
        response = EventSourceResponse(events(), ping_interval=0.05)
        await response(make_scope(), receive, send)
    bodies = [m["body"] for m in sent[1:]]
    assert bodies[:2] == [b"data: first\n\n", PING]
    # (a loaded machine may squeeze in another ping; events stay in order)
    assert [b for b in bodies if b != PING] == [
        b"data: first\n\n",
        b"data: second\n\n",
        b"",
    ]


async def test_sse_response_without_ping_interval_never_pings() -> None:
    async def events() -> AsyncIterator[str]:
        await asyncio.sleep(0.1)
        yield "late"

    messages = await stream(EventSourceResponse(events(), ping_interval=None))
    assert PING not in [m.get("body") for m in messages]


@pytest.mark.parametrize("interval", [0, -1])
def test_sse_response_ping_interval_must_be_positive(interval: float) -> None:
    with pytest.raises(ValueError, match="ping_interval must be a positive"):
        EventSourceResponse(iter(()), ping_interval=interval)


async def test_sse_response_head_sends_no_events_and_closes_iterator() -> None:
    closed: list[bool] = []

    async def events() -> AsyncIterator[str]:
        try:
            yield "never sent"
        finally:
            closed.append(True)

    generator = events()
    await anext(generator)  # started, so closing it runs the finally
    messages = await stream(EventSourceResponse(generator), "HEAD")
    assert messages[1:] == [END]
    assert closed == [True]


async def test_sse_response_bad_item_aborts_the_stream() -> None:
    async def events() -> AsyncIterator[Any]:
        yield "fine"
        yield 3.14

    with pytest.raises(TypeError, match="got float"):
        await stream(EventSourceResponse(events(), ping_interval=None))


async def test_sse_response_iterator_error_propagates_after_start() -> None:
    sent: list[Message] = []

    async def events() -> AsyncIterator[str]:
        yield "one"
        raise ConnectionError("feed lost")

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    with pytest.raises(ConnectionError, match="feed lost"):
        await EventSourceResponse(events())(make_scope(), receive, send)
    assert sent[-1] == body(b"data: one\n\n")  # no clean end of body


# Disconnects ----------------------------------------------------------------


def sse_app(events: Any, ping_interval: float | None = 15) -> App:
    app = App()

    @app.get("/events")
    async def feed(request):
        return EventSourceResponse(events(), ping_interval=ping_interval)

    return app


def test_sse_client_disconnect_runs_async_generator_finally() -> None:
    cleaned = threading.Event()

    async def events() -> AsyncIterator[str]:
        try:
            number = 0
            while True:
                yield str(number)
                number += 1
                await asyncio.sleep(0.01)
        finally:
            cleaned.set()

    with TestClient(sse_app(events)) as client:
        with client.stream("GET", "/events") as response:
            chunks = response.iter_raw()
            assert [next(chunks), next(chunks)] == [b"data: 0\n\n", b"data: 1\n\n"]
        assert cleaned.wait(5)


def test_sse_client_disconnect_while_idle_with_pings_closes_generator() -> None:
    cleaned = threading.Event()

    async def events() -> AsyncIterator[str]:
        try:
            yield "hello"
            await asyncio.Event().wait()  # nothing more to say, ever
            yield "never"
        finally:
            cleaned.set()

    with TestClient(sse_app(events, ping_interval=0.01)) as client:
        with client.stream("GET", "/events") as response:
            chunks = response.iter_raw()
            assert next(chunks) == b"data: hello\n\n"
            assert next(chunks) == PING
        assert cleaned.wait(5)


def test_sse_client_disconnect_closes_sync_generator() -> None:
    closed = threading.Event()

    def events() -> Iterator[str]:
        try:
            while True:
                yield "tick"
        finally:
            closed.set()

    with TestClient(sse_app(events)) as client:
        with client.stream("GET", "/events") as response:
            assert next(response.iter_raw()) == b"data: tick\n\n"
        assert closed.wait(5)


async def test_sse_disconnect_while_a_ping_is_being_sent_closes_generator() -> None:
    cleaned: list[bool] = []
    ping_pending = asyncio.Event()

    async def events() -> AsyncIterator[str]:
        try:
            yield "hello"
            await asyncio.Event().wait()  # still awaited while the ping is sent
        finally:
            cleaned.append(True)

    async def send(message: Message) -> None:
        if message.get("body") == PING:
            ping_pending.set()
            await asyncio.Event().wait()  # the client stopped reading

    async def receive() -> Message:
        await ping_pending.wait()
        return {"type": "http.disconnect"}

    with anyio.fail_after(5):
        response = EventSourceResponse(events(), ping_interval=0.01)
        await response(make_scope(), receive, send)
    assert cleaned == [True]


def test_sse_last_event_id_header_reaches_the_handler() -> None:
    app = App()

    @app.get("/events")
    async def resume(request):
        start = int(request.headers.get("last-event-id", "-1")) + 1
        events = (ServerSentEvent(n, id=n) for n in range(start, start + 2))
        return EventSourceResponse(events)

    with TestClient(app) as client:
        response = client.get("/events", headers={"Last-Event-ID": "4"})
    assert response.text == "data: 5\nid: 5\n\ndata: 6\nid: 6\n\n"


async def test_sse_thousand_disconnects_leak_no_tasks() -> None:
    async def events() -> AsyncIterator[str]:
        while True:
            yield "x"
            await asyncio.sleep(0.001)

    await asyncio.sleep(0)
    before = len(asyncio.all_tasks())
    with anyio.fail_after(60):
        for _ in range(1000):
            await _connect_then_leave(EventSourceResponse(events(), ping_interval=1))
    assert len(asyncio.all_tasks()) == before


async def _connect_then_leave(response: Any) -> None:
    """Read one event, then go away."""
    left = asyncio.Event()

    async def receive() -> Message:
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            left.set()

    await response(make_scope(), receive, send)
