"""Tracing: recording one request's ASGI conversation, and printing it."""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from typing import Any

import pytest

from microasgi import App, StreamingResponse
from microasgi.core.types import Message, Receive, Scope, Send
from microasgi.testing.conversation import Conversation, Event, format_conversation
from microasgi.tooling.trace import (
    Trace,
    TraceRequest,
    build_scope,
    format_trace,
    trace,
    trace_json,
)

pytestmark = pytest.mark.anyio


def normalise(text: str) -> str:
    """Timestamps vary from run to run: replace each with T, keeping columns."""
    text = re.sub(r"(?m)^ *\d+\.\d{3} ms", "T ms".rjust(12), text)
    return re.sub(r"after \d+\.\d{3} ms", "after T ms", text)


def hello_app() -> App:
    app = App()

    @app.get("/")
    async def hello(request):
        return "Hello, World!"

    @app.post("/echo")
    async def echo(request):
        return await request.body()

    return app


async def raw_echo(scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": message["body"]})


def kinds(result: Trace) -> list[tuple[str, str]]:
    events = result.conversation.events
    return [(event.direction, event.message["type"]) for event in events]


# The printer ---------------------------------------------------------------

GOLDEN_CONVERSATION = """\
scope
  type     'http'
  method   'POST'
  path     '/echo'
  headers  host: testserver
           content-length: 2

    0.000 ms  receive  http.request
                         body       b'hi' (2 bytes)
                         more_body  False
    1.500 ms  send     http.response.start
                         status   200
                         headers  content-type: text/plain
   12.250 ms  send     http.response.body
                         body       b'hi' (2 bytes)
                         more_body  False (default)"""


def golden_conversation() -> Conversation:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/echo",
        "headers": [(b"host", b"testserver"), (b"content-length", b"2")],
    }
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain")],
    }
    events = [
        Event(
            0.0, "receive", {"type": "http.request", "body": b"hi", "more_body": False}
        ),
        Event(0.0015, "send", start),
        Event(0.01225, "send", {"type": "http.response.body", "body": b"hi"}),
    ]
    return Conversation(scope, events)


def test_format_conversation_golden_text() -> None:
    assert format_conversation(golden_conversation()) == GOLDEN_CONVERSATION


def test_format_conversation_plain_has_no_escape_codes() -> None:
    assert "\033[" not in format_conversation(golden_conversation())


def test_format_conversation_color_marks_directions() -> None:
    text = format_conversation(golden_conversation(), color=True)
    assert "\033[36mreceive\033[0m" in text
    assert "\033[32msend   \033[0m" in text


def test_format_conversation_color_strips_to_the_plain_text() -> None:
    text = format_conversation(golden_conversation(), color=True)
    assert re.sub(r"\033\[[0-9;]*m", "", text) == GOLDEN_CONVERSATION


def test_format_conversation_truncates_long_bodies_with_a_byte_count() -> None:
    body = {"type": "http.response.body", "body": b"x" * 500}
    conversation = Conversation({"type": "http"}, [Event(0, "send", body)])
    text = format_conversation(conversation, body_limit=10)
    assert "body       b'xxxxxxxxxx'... (500 bytes, first 10 shown)" in text


def test_format_conversation_body_limit_zero_shows_everything() -> None:
    body = {"type": "http.response.body", "body": b"x" * 500}
    conversation = Conversation({"type": "http"}, [Event(0, "send", body)])
    assert repr(b"x" * 500) + " (500 bytes)" in format_conversation(
        conversation, body_limit=0
    )


def test_format_conversation_flags_a_breach_under_its_message() -> None:
    start = {"type": "http.response.start", "status": 200}
    body = {"type": "http.response.body", "body": "hi"}
    conversation = Conversation(
        {"type": "http"}, [Event(0, "send", start), Event(0, "send", body)]
    )
    lines = format_conversation(conversation).splitlines()
    flag = lines.index(
        "                       !! ASGI breach: 'http.response.body' field 'body' "
        "must be bytes, got str ('hi')"
    )
    assert lines[flag - 1].strip() == "more_body  False (default)"


def test_format_conversation_shows_a_message_that_is_not_a_dict() -> None:
    not_a_dict: Any = ["oops"]
    conversation = Conversation({"type": "http"}, [Event(0, "send", not_a_dict)])
    text = format_conversation(conversation)
    assert "send     ['oops']" in text
    assert "!! ASGI breach: a message must be a dict" in text


def test_format_conversation_prints_bad_headers_as_given() -> None:
    start = {"type": "http.response.start", "status": 200, "headers": [("a", "b")]}
    conversation = Conversation({"type": "http"}, [Event(0, "send", start)])
    assert "headers  [('a', 'b')]" in format_conversation(conversation)


def test_conversation_record_keeps_a_copy() -> None:
    conversation = Conversation({"type": "http"})
    message: Message = {"type": "http.response.body", "body": b"a"}
    conversation.record("send", message)
    message["body"] = b"changed"
    assert conversation.events[0].message["body"] == b"a"


def test_format_conversation_prints_a_test_client_conversation() -> None:
    from microasgi.testing.client import TestClient

    with TestClient(hello_app()) as client:
        response = client.post("/echo", content=b"ping")
    text = format_conversation(response.extensions["microasgi.conversation"])
    events = text.split("\n\n", 1)[1]
    assert normalise(events) == (
        "        T ms  receive  http.request\n"
        "                         body       b'ping' (4 bytes)\n"
        "                         more_body  False\n"
        "        T ms  send     http.response.start\n"
        "                         status   200\n"
        "                         headers  content-length: 4\n"
        "                                  content-type: application/octet-stream\n"
        "        T ms  send     http.response.body\n"
        "                         body       b'ping' (4 bytes)\n"
        "                         more_body  False (default)"
    )


# Running a request ---------------------------------------------------------

GOLDEN_HELLO = """\
scope
  type          'http'
  asgi          {'version': '3.0', 'spec_version': '2.4'}
  http_version  '1.1'
  method        'GET'
  scheme        'http'
  path          '/'
  raw_path      b'/'
  query_string  b''
  root_path     ''
  headers       host: testserver
  client        ('127.0.0.1', 50000)
  server        ('testserver', 80)
  extensions    {}

     unread:  receive  http.request
                         body       b'' (0 bytes)
                         more_body  False
        T ms  send     http.response.start
                         status   200
                         headers  content-length: 13
                                  content-type: text/plain; charset=utf-8
        T ms  send     http.response.body
                         body       b'Hello, World!' (13 bytes)
                         more_body  False (default)
extensions offered by the server: none; used by the app: none
the app returned after T ms
unread: the server had this ready, but the app never called receive()"""


async def test_trace_golden_text_for_hello() -> None:
    [result] = await trace(hello_app(), TraceRequest("GET", "/"))
    assert normalise(format_trace(result)) == GOLDEN_HELLO


async def test_trace_records_the_body_the_app_receives() -> None:
    [result] = await trace(raw_echo, TraceRequest("POST", "/", body=b"hello"))
    assert kinds(result) == [
        ("receive", "http.request"),
        ("send", "http.response.start"),
        ("send", "http.response.body"),
    ]
    assert result.conversation.events[0].message == {
        "type": "http.request",
        "body": b"hello",
        "more_body": False,
    }
    assert result.unread == []


async def test_trace_times_increase() -> None:
    [result] = await trace(raw_echo, TraceRequest("POST", "/", body=b"x"))
    times = [event.t for event in result.conversation.events]
    assert times == sorted(times)
    assert result.duration is not None
    assert result.duration >= times[-1]


async def test_trace_disconnect_comes_after_the_response() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})
        await receive()

    [result] = await trace(app, TraceRequest("GET", "/"))
    assert kinds(result)[-1] == ("receive", "http.disconnect")


async def test_trace_records_every_streamed_chunk() -> None:
    app = App()

    @app.get("/stream")
    async def stream(request):
        async def chunks():
            yield "a"
            yield "b"

        return StreamingResponse(chunks(), media_type="text/plain")

    [result] = await trace(app, TraceRequest("GET", "/stream"))
    bodies = [
        (event.message["body"], event.message.get("more_body", False))
        for event in result.conversation.events
        if event.message["type"] == "http.response.body"
    ]
    assert bodies == [(b"a", True), (b"b", True), (b"", False)]


async def test_trace_keeps_the_app_error() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    [result] = await trace(app, TraceRequest("GET", "/"))
    assert isinstance(result.error, ValueError)
    assert "the app raised ValueError: boom after" in format_trace(result)


async def test_trace_cancels_an_app_that_never_finishes() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(10)

    [result] = await trace(app, TraceRequest("GET", "/"), timeout=0.05)
    assert result.timed_out
    assert "so it was cancelled" in format_trace(result)


async def test_trace_flags_an_app_that_returned_without_a_response() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    [result] = await trace(app, TraceRequest("GET", "/"))
    assert format_trace(result).splitlines()[-2] == (
        "!! ASGI breach: the app returned without sending 'http.response.start'; "
        "every HTTP request needs a response"
    )


async def test_trace_websocket_script() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message["text"].upper()})

    request = TraceRequest(target="/ws", websocket=True, texts=["a", "b"])
    [result] = await trace(app, request)
    assert [event.message for event in result.conversation.events] == [
        {"type": "websocket.connect"},
        {"type": "websocket.accept"},
        {"type": "websocket.receive", "text": "a"},
        {"type": "websocket.send", "text": "A"},
        {"type": "websocket.receive", "text": "b"},
        {"type": "websocket.send", "text": "B"},
        {"type": "websocket.disconnect", "code": 1000, "reason": ""},
    ]


async def test_trace_websocket_close_ends_the_script() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 4000})
        await receive()

    request = TraceRequest(target="/ws", websocket=True, texts=["never sent"])
    [result] = await trace(app, request)
    assert result.conversation.events[-1].message == {
        "type": "websocket.disconnect",
        "code": 4000,
        "reason": "",
    }


async def test_trace_lifespan_runs_around_the_request() -> None:
    @asynccontextmanager
    async def lifespan(app):
        yield {"db": "ready"}

    app = App(lifespan=lifespan)

    @app.get("/")
    async def home(request):
        return request.state.db

    request_trace, lifespan_trace = await trace(
        app, TraceRequest("GET", "/"), lifespan=True
    )
    assert request_trace.conversation.scope["state"] == {"db": "ready"}
    body = request_trace.conversation.events[-1].message["body"]
    assert body == b"ready"
    assert [event.message["type"] for event in lifespan_trace.conversation.events] == [
        "lifespan.startup",
        "lifespan.startup.complete",
        "lifespan.shutdown",
        "lifespan.shutdown.complete",
    ]


async def test_trace_failed_startup_skips_the_request() -> None:
    app = App()

    @app.on_startup
    def fail() -> None:
        raise RuntimeError("no database")

    traces = await trace(app, TraceRequest("GET", "/"), lifespan=True)
    assert [trace.conversation.scope["type"] for trace in traces] == ["lifespan"]
    reply = traces[0].conversation.events[-1].message
    assert reply == {
        "type": "lifespan.startup.failed",
        "message": "RuntimeError: no database",
    }


async def test_trace_lifespan_is_optional_for_apps_without_it() -> None:
    async def http_only(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise RuntimeError("this app only speaks HTTP")
        await raw_echo(scope, receive, send)

    request_trace, lifespan_trace = await trace(
        http_only, TraceRequest("POST", "/", body=b"x"), lifespan=True
    )
    assert isinstance(lifespan_trace.error, RuntimeError)
    assert "state" not in request_trace.conversation.scope
    assert kinds(request_trace)[0] == ("receive", "http.request")


# The scope -----------------------------------------------------------------


def test_build_scope_splits_path_and_query() -> None:
    scope = build_scope(TraceRequest("get", "/a%20b/c?x=1&y=%2F"))
    assert scope["method"] == "GET"
    assert (scope["path"], scope["raw_path"]) == ("/a b/c", b"/a%20b/c")
    assert scope["query_string"] == b"x=1&y=%2F"


def test_build_scope_percent_encodes_raw_path() -> None:
    scope = build_scope(TraceRequest("GET", "/café"))
    assert (scope["path"], scope["raw_path"]) == ("/café", b"/caf%C3%A9")


def test_build_scope_adds_host_and_content_length() -> None:
    request = TraceRequest("POST", "/", body=b"abc", headers=[(b"x-a", b"1")])
    assert build_scope(request)["headers"] == [
        (b"host", b"testserver"),
        (b"x-a", b"1"),
        (b"content-length", b"3"),
    ]


def test_build_scope_takes_host_and_scheme_from_a_url() -> None:
    scope = build_scope(TraceRequest("GET", "https://example.com:8443/x"))
    assert scope["headers"] == [(b"host", b"example.com:8443")]
    assert (scope["scheme"], scope["server"]) == ("https", ("example.com", 8443))


def test_build_scope_websocket_has_no_method() -> None:
    scope = build_scope(TraceRequest(target="/ws", websocket=True))
    assert scope["type"] == "websocket"
    assert "method" not in scope
    assert scope["subprotocols"] == []


def test_build_scope_refuses_a_relative_path() -> None:
    with pytest.raises(ValueError, match="did you mean '/items'"):
        build_scope(TraceRequest("GET", "items"))


# JSON ----------------------------------------------------------------------


async def test_trace_json_has_events_breaches_and_outcome() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": "text"})

    [result] = await trace(app, TraceRequest("GET", "/"))
    data = trace_json(result)
    assert data["scope"]["raw_path"] == "/"
    assert [event["breach"] for event in data["events"]] == [
        None,
        "'http.response.body' field 'body' must be bytes, got str ('text')",
    ]
    assert data["outcome"]["error"] is None
    assert data["outcome"]["unread"] == [
        {"type": "http.request", "body": "", "more_body": False}
    ]


# Extensions ----------------------------------------------------------------


def hinting_app() -> App:
    app = App()

    @app.get("/")
    async def index(request: Any) -> str:
        await request.send_early_hints(["</a.css>; rel=preload"])
        return "hi"

    return app


async def test_trace_names_the_extensions_offered_and_used() -> None:
    offered = ["http.response.early_hint", "http.response.pathsend"]
    [result] = await trace(hinting_app(), TraceRequest("GET", "/", extensions=offered))
    assert result.conversation.scope["extensions"] == {name: {} for name in offered}
    assert (
        "extensions offered by the server: http.response.early_hint, "
        "http.response.pathsend; used by the app: http.response.early_hint"
    ) in format_trace(result)
    assert trace_json(result)["extensions"] == {
        "offered": offered,
        "used": ["http.response.early_hint"],
    }


async def test_trace_offers_no_extension_unless_asked() -> None:
    [result] = await trace(hinting_app(), TraceRequest("GET", "/"))
    assert kinds(result)[0] == ("send", "http.response.start")
    assert "offered by the server: none; used by the app: none" in format_trace(result)


async def test_trace_websocket_offers_the_denial_response() -> None:
    scope = build_scope(TraceRequest(target="/ws", websocket=True))
    assert scope["extensions"] == {"websocket.http.response": {}}
