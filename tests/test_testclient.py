from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

import microasgi.testing.connection
from microasgi import App, JSONResponse
from microasgi.testing.client import (
    AsyncTestClient,
    AsyncWebSocketTestSession,
    Conversation,
    LifespanError,
    TestClient,
    WebSocketClosedError,
    WebSocketDenialError,
    WebSocketTestSession,
)
from microasgi.testing.validate import ASGIProtocolError

START = {"type": "http.response.start", "status": 200, "headers": []}


@pytest.fixture(autouse=True)
def no_threads_left_behind():
    before = set(threading.enumerate())
    yield
    # Worker threads of the shared thread pools live on by design.
    deadline = time.monotonic() + 2.0
    while True:
        new = [
            thread
            for thread in threading.enumerate()
            if thread not in before and not thread.name.startswith("microasgi")
        ]
        if not new or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert new == []


async def wait_for(event: threading.Event, timeout: float = 5.0) -> None:
    """Let an app on the client's event loop wait for the test's thread."""
    deadline = time.monotonic() + timeout
    while not event.is_set():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never set the event")
        await asyncio.sleep(0.001)


def body(data: bytes, more_body: bool = False):
    return {"type": "http.response.body", "body": data, "more_body": more_body}


async def echo_app(scope, receive, send):
    """Answer with the request body and a header per scope detail."""
    assert scope["type"] == "http"
    chunks = []
    while True:
        message = await receive()
        chunks.append(message["body"])
        if not message["more_body"]:
            break
    headers = [(b"x-method", scope["method"].encode())]
    await send({**START, "headers": headers})
    await send(body(b"|".join(chunks)))


def scope_recorder(scopes):
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        scopes.append(scope)
        await send(START)
        await send(body(b""))

    return app


# HTTP requests


def test_testclient_get_returns_status_headers_and_body():
    with TestClient(echo_app) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.headers["x-method"] == "GET"
    assert response.content == b""


def test_testclient_post_delivers_the_body():
    with TestClient(echo_app) as client:
        response = client.post("/", content=b"payload")
    assert response.content == b"payload"


def test_testclient_streams_the_request_body_in_chunks():
    with TestClient(echo_app) as client:
        response = client.post("/", content=iter([b"a", b"b", b"c"]))
    assert response.content == b"a|b|c"


def test_testclient_builds_the_http_scope():
    scopes = []
    with TestClient(scope_recorder(scopes), root_path="/api") as client:
        client.get("/api/caf%C3%A9%20x?q=1&r=%20", headers={"X-Token": "t"})
    scope = scopes[0]
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert (scope["http_version"], scope["method"], scope["scheme"]) == (
        "1.1",
        "GET",
        "http",
    )
    assert scope["path"] == "/api/café x"
    assert scope["raw_path"] == b"/api/caf%C3%A9%20x"
    assert scope["query_string"] == b"q=1&r=%20"
    assert scope["root_path"] == "/api"
    assert (b"host", b"testserver") in scope["headers"]
    assert (b"x-token", b"t") in scope["headers"]
    assert scope["client"] == ("testclient", 50000)
    assert scope["server"] == ("testserver", 80)


def test_testclient_decodes_invalid_utf8_in_the_path_leniently():
    scopes = []
    with TestClient(scope_recorder(scopes)) as client:
        client.get("/%FF")
    assert scopes[0]["path"] == "/\N{REPLACEMENT CHARACTER}"


def test_testclient_drops_the_body_of_a_head_response():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        await send(body(b"not for HEAD"))

    with TestClient(app) as client:
        assert client.head("/").content == b""


# Streaming responses


def test_testclient_streams_the_response_chunk_by_chunk():
    first_chunk_read = threading.Event()

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        await send(body(b"one", more_body=True))
        await wait_for(first_chunk_read)  # chunk two only after the test read one
        await send(body(b"two"))

    with TestClient(app) as client, client.stream("GET", "/events") as response:
        chunks = response.iter_bytes()
        assert next(chunks) == b"one"
        first_chunk_read.set()
        assert list(chunks) == [b"two"]


def test_testclient_early_close_sends_http_disconnect():
    received = []

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await receive()
        await send(START)
        await send(body(b"one", more_body=True))
        received.append(await receive())

    with TestClient(app) as client:
        with client.stream("GET", "/") as response:
            assert next(response.iter_bytes()) == b"one"
        assert received == [{"type": "http.disconnect"}]


def test_testclient_send_after_the_client_left_raises_oserror():
    errors = []

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        try:
            while True:
                await send(body(b"tick", more_body=True))
        except OSError as exc:
            errors.append(exc)

    with TestClient(app) as client:
        with client.stream("GET", "/") as response:
            next(response.iter_bytes())
        assert len(errors) == 1


def test_testclient_cancels_an_app_that_ignores_the_disconnect(monkeypatch):
    monkeypatch.setattr(microasgi.testing.connection, "CLOSE_GRACE_SECONDS", 0.05)
    cancelled = threading.Event()

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        await send(body(b"one", more_body=True))
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with TestClient(app) as client:
        with client.stream("GET", "/") as response:
            next(response.iter_bytes())
        assert cancelled.is_set()


def test_testclient_waits_for_work_after_the_response():
    finished = []

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        await send(body(b"done"))
        await asyncio.sleep(0.01)  # a background task
        finished.append(True)

    with TestClient(app) as client:
        client.get("/")
        assert finished == [True]


def test_testclient_times_out_an_app_that_never_answers():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await asyncio.sleep(60)

    with TestClient(app, timeout=0.05) as client, pytest.raises(httpx.ReadTimeout):
        client.get("/")


# Server exceptions


async def fail_before_start(scope, receive, send):
    assert scope["type"] == "http"
    raise ValueError("broken handler")


async def fail_after_start(scope, receive, send):
    assert scope["type"] == "http"
    await send(START)
    await send(body(b"partial", more_body=True))
    raise ValueError("broken stream")


def test_testclient_raises_an_error_before_the_start():
    with (
        TestClient(fail_before_start) as client,
        pytest.raises(ValueError, match="broken handler"),
    ):
        client.get("/")


def test_testclient_raises_an_error_after_the_start_from_the_body():
    with TestClient(fail_after_start) as client, client.stream("GET", "/") as response:
        assert response.status_code == 200
        with pytest.raises(ValueError, match="broken stream"):
            response.read()


def test_testclient_turns_an_error_before_the_start_into_a_500():
    with TestClient(fail_before_start, raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_testclient_drops_the_connection_on_an_error_after_the_start():
    with (
        TestClient(fail_after_start, raise_server_exceptions=False) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get("/")


# Errors an App answers with 500 ------------------------------------------------


class BrokenError(Exception):
    pass


def broken_app(**options) -> App:
    app = App(**options)

    @app.get("/handler")
    async def handler(request):
        raise BrokenError("in the handler")

    @app.websocket("/ws")
    async def websocket(ws):
        await ws.accept()
        raise BrokenError("in the websocket handler")

    return app


def failing_middleware(app):
    async def middleware(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/middleware":
            raise BrokenError("in a middleware")
        await app(scope, receive, send)

    return middleware


def test_testclient_raises_a_handler_error_of_an_app():
    with TestClient(broken_app()) as client:
        with pytest.raises(BrokenError, match="in the handler"):
            client.get("/handler")
        assert client.get("/nowhere").status_code == 404  # the client still works


@pytest.mark.anyio
async def test_async_testclient_raises_a_handler_error_of_an_app():
    async with AsyncTestClient(broken_app()) as client:
        with pytest.raises(BrokenError, match="in the handler"):
            await client.get("/handler")


def test_testclient_raises_a_middleware_error_of_an_app():
    app = broken_app(middleware=[failing_middleware])
    with TestClient(app) as client, pytest.raises(BrokenError, match="middleware"):
        client.get("/middleware")


def test_testclient_raises_an_error_of_a_mounted_app():
    outer = App()
    outer.mount("/inner", broken_app())
    with TestClient(outer) as client, pytest.raises(BrokenError, match="handler"):
        client.get("/inner/handler")


def test_testclient_raises_a_websocket_handler_error():
    with (
        TestClient(broken_app()) as client,
        pytest.raises(BrokenError, match="websocket handler"),
        client.websocket_connect("/ws") as ws,
    ):
        ws.receive_text()


@pytest.mark.parametrize("path", ["/handler", "/middleware"])
def test_testclient_without_server_exceptions_returns_the_500(path):
    app = broken_app(middleware=[failing_middleware])
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(path)
    assert (response.status_code, response.text) == (500, "Internal Server Error")


def test_testclient_does_not_raise_an_error_the_app_handled():
    app = broken_app()

    @app.exception_handler(BrokenError)
    async def broken(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=500)

    with TestClient(app) as client:
        response = client.get("/handler")
    assert (response.status_code, response.json()) == (500, {"error": "in the handler"})


def test_testclient_validates_the_app_by_default():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        await send({"type": "http.response.body", "body": "text"})

    with TestClient(app) as client, pytest.raises(ASGIProtocolError, match="bytes"):
        client.get("/")


def test_testclient_can_skip_validation():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send({**START, "headers": [(b"X-Upper", b"1")]})
        await send(body(b""))

    with TestClient(app, validate=False) as client:
        assert client.get("/").headers["x-upper"] == "1"


def test_testclient_raises_for_an_app_that_returns_without_a_response():
    async def app(scope, receive, send):
        assert scope["type"] == "http"

    with (
        TestClient(app, validate=False) as client,
        pytest.raises(RuntimeError, match="returned without starting the response"),
    ):
        client.get("/")


def test_testclient_raises_an_app_error_from_cleanup_after_the_client_left():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        await send(body(b"one", more_body=True))
        await receive()
        await receive()  # 'http.disconnect'
        raise ValueError("cleanup failed")

    with (
        TestClient(app) as client,
        pytest.raises(ValueError, match="cleanup"),
        client.stream("GET", "/") as response,
    ):
        next(response.iter_bytes())


def test_testclient_ignores_errors_caused_by_the_client_leaving():
    class StreamAborted(Exception):
        pass

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        try:
            while True:
                await send(body(b"tick", more_body=True))
        except OSError as exc:
            raise StreamAborted from exc

    with TestClient(app) as client, client.stream("GET", "/") as response:
        assert next(response.iter_bytes()) == b"tick"


def test_testclient_times_out_a_background_task_that_never_ends():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        await send(body(b"done"))
        await asyncio.sleep(60)

    with (
        TestClient(app, timeout=0.05) as client,
        pytest.raises(TimeoutError, match="background task"),
    ):
        client.get("/")


# Lifespan and state


def lifespan_app(log, fail=None):
    """Record lifespan events; put a value into the state; answer requests with it."""

    async def app(scope, receive, send):
        if scope["type"] == "http":
            await send(START)
            await send(body(scope["state"]["greeting"].encode()))
            scope["state"]["greeting"] = "changed by a request"
            return
        while True:
            event = (await receive())["type"]
            log.append(event)
            if event == "lifespan.startup" and fail:
                await send({"type": "lifespan.startup.failed", "message": fail})
                return
            if event == "lifespan.startup":
                scope["state"]["greeting"] = "hello"
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    return app


def test_testclient_runs_lifespan_startup_and_shutdown():
    log = []
    with TestClient(lifespan_app(log)):
        assert log == ["lifespan.startup"]
    assert log == ["lifespan.startup", "lifespan.shutdown"]


def test_testclient_passes_a_copy_of_the_lifespan_state_to_requests():
    with TestClient(lifespan_app([])) as client:
        assert client.get("/").text == "hello"
        assert client.get("/").text == "hello"


def test_testclient_raises_the_startup_failure_message():
    with (
        pytest.raises(LifespanError, match="database is down") as caught,
        TestClient(lifespan_app([], fail="database is down")),
    ):
        pass
    assert caught.value.message == "database is down"


def test_testclient_continues_when_the_app_has_no_lifespan():
    with TestClient(echo_app) as client:
        assert client.post("/", content=b"ok").content == b"ok"


def test_testclient_raises_the_shutdown_failure_message():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.failed", "message": "flush failed"})

    with pytest.raises(LifespanError, match="flush failed"), TestClient(app):
        pass


def test_testclient_times_out_a_lifespan_that_never_answers():
    async def app(scope, receive, send):
        await receive()
        await asyncio.sleep(60)

    with (
        pytest.raises(TimeoutError, match=r"did not answer 'lifespan\.startup'"),
        TestClient(app, timeout=0.05),
    ):
        pass


# WebSockets


async def websocket_echo(scope, receive, send):
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({**message, "type": "websocket.send"})


def test_websocket_echoes_text_bytes_and_json():
    with TestClient(websocket_echo) as client, client.websocket_connect("/ws") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_bytes() == b"\x00\x01"
        ws.send_json({"n": 1})
        assert ws.receive_json() == {"n": 1}
        ws.send_json([1, 2], mode="binary")
        assert ws.receive_json(mode="binary") == [1, 2]


def test_websocket_builds_the_websocket_scope():
    scopes = []

    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        scopes.append(scope)
        await receive()
        await send({"type": "websocket.close"})

    with (
        TestClient(app) as client,
        pytest.raises(WebSocketDenialError),
        client.websocket_connect("/ws/room%201?x=1", subprotocols=["v1"]),
    ):
        pass
    scope = scopes[0]
    assert (scope["scheme"], scope["path"], scope["query_string"]) == (
        "ws",
        "/ws/room 1",
        b"x=1",
    )
    assert scope["subprotocols"] == ["v1"]
    assert (b"sec-websocket-protocol", b"v1") in scope["headers"]
    assert "method" not in scope


def test_websocket_accepts_a_subprotocol_with_headers():
    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        accept = {"type": "websocket.accept", "subprotocol": scope["subprotocols"][1]}
        await send({**accept, "headers": [(b"x-room", b"1")]})
        await receive()

    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", subprotocols=["v1", "v2"]) as ws,
    ):
        assert ws.accepted_subprotocol == "v2"
        assert ws.extra_headers == [(b"x-room", b"1")]


def test_websocket_close_before_accept_is_denied_with_403():
    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.close"})

    with (
        TestClient(app) as client,
        pytest.raises(WebSocketDenialError) as caught,
        client.websocket_connect("/ws"),
    ):
        pass
    assert caught.value.status_code == 403
    assert caught.value.body == b""


def test_websocket_denial_response_carries_status_headers_and_body():
    async def app(scope, receive, send):
        assert "websocket.http.response" in scope["extensions"]
        headers = [(b"content-type", b"text/plain")]
        start = {"type": "websocket.http.response.start", "status": 401}
        await send({**start, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": b"log in"})

    with (
        TestClient(app) as client,
        pytest.raises(WebSocketDenialError) as caught,
        client.websocket_connect("/ws"),
    ):
        pass
    assert caught.value.status_code == 401
    assert caught.value.headers["content-type"] == "text/plain"
    assert caught.value.body == b"log in"


def test_websocket_server_close_exposes_code_and_reason():
    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4001, "reason": "go away"})

    with (
        TestClient(app) as client,
        client.websocket_connect("/ws") as ws,
        pytest.raises(WebSocketClosedError) as caught,
    ):
        ws.receive_text()
    assert (caught.value.code, caught.value.reason) == (4001, "go away")


def test_websocket_receive_times_out_with_a_clear_message():
    with (
        TestClient(websocket_echo) as client,
        client.websocket_connect("/ws", timeout=0.05) as ws,
        pytest.raises(TimeoutError, match="no WebSocket message within"),
    ):
        ws.receive_text()


def test_websocket_leaving_the_block_sends_disconnect_1000():
    received = []

    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        received.append(await receive())

    with TestClient(app) as client:
        with client.websocket_connect("/ws"):
            pass
        assert received == [
            {"type": "websocket.disconnect", "code": 1000, "reason": ""}
        ]


def test_websocket_raises_an_app_error_from_receive():
    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        raise ValueError("broken socket")

    with (
        TestClient(app) as client,
        client.websocket_connect("/ws") as ws,
        pytest.raises(ValueError, match="broken socket"),
    ):
        ws.receive_text()


def test_websocket_app_that_ends_before_the_handshake_is_denied_with_500():
    async def app(scope, receive, send):
        assert scope["type"] == "websocket"

    with (
        TestClient(app) as client,
        pytest.raises(WebSocketDenialError) as caught,
        client.websocket_connect("/ws"),
    ):
        pass
    assert caught.value.status_code == 500


def test_websocket_app_error_without_raising_reads_as_abnormal_close():
    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        raise ValueError("broken socket")

    with (
        TestClient(app, raise_server_exceptions=False) as client,
        client.websocket_connect("/ws") as ws,
        pytest.raises(WebSocketClosedError) as caught,
    ):
        ws.receive()
    assert caught.value.code == 1006


def test_websocket_send_after_the_app_closed_raises():
    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1001})

    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        with pytest.raises(WebSocketClosedError):
            ws.receive_text()
        with pytest.raises(WebSocketClosedError) as caught:
            ws.send_text("late")
        assert caught.value.code == 1001


def test_websocket_receive_text_rejects_a_binary_message():
    with TestClient(websocket_echo) as client, client.websocket_connect("/ws") as ws:
        ws.send_bytes(b"raw")
        with pytest.raises(TypeError, match="expected text from the app, got b'raw'"):
            ws.receive_text()


def test_websocket_json_rejects_an_unknown_mode():
    with (
        TestClient(websocket_echo) as client,
        client.websocket_connect("/ws") as ws,
        pytest.raises(ValueError, match="mode must be 'text' or 'binary'"),
    ):
        ws.send_json({}, mode="xml")


def test_websocket_close_sends_the_clients_code_and_reason():
    received = []

    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        received.append(await receive())

    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        ws.close(code=4000, reason="done")
    assert received == [
        {"type": "websocket.disconnect", "code": 4000, "reason": "done"}
    ]


# WebSockets from the async client: the same API, awaited


@pytest.mark.anyio
async def test_async_websocket_echoes_text_bytes_and_json():
    async with (
        AsyncTestClient(websocket_echo) as client,
        client.websocket_connect("/ws") as ws,
    ):
        await ws.send_text("hi")
        assert await ws.receive_text() == "hi"
        await ws.send_bytes(b"\x00\x01")
        assert await ws.receive_bytes() == b"\x00\x01"
        await ws.send_json({"n": 1})
        assert await ws.receive_json() == {"n": 1}
        await ws.send_json([1, 2], mode="binary")
        assert await ws.receive_json(mode="binary") == [1, 2]
    assert client.last_conversation is not None
    assert client.last_conversation.scope["type"] == "websocket"


@pytest.mark.anyio
async def test_async_websocket_accepts_a_subprotocol_with_headers():
    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        accept = {"type": "websocket.accept", "subprotocol": scope["subprotocols"][1]}
        await send({**accept, "headers": [(b"x-room", b"1")]})
        await receive()

    async with (
        AsyncTestClient(app) as client,
        client.websocket_connect(
            "/ws", subprotocols=["v1", "v2"], headers={"x-user": "ada"}
        ) as ws,
    ):
        assert ws.accepted_subprotocol == "v2"
        assert ws.extra_headers == [(b"x-room", b"1")]


@pytest.mark.anyio
async def test_async_websocket_denial_response_is_raised():
    async def app(scope, receive, send):
        start = {"type": "websocket.http.response.start", "status": 401}
        await send({**start, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "websocket.http.response.body", "body": b"log in"})

    async with AsyncTestClient(app) as client:
        with pytest.raises(WebSocketDenialError) as caught:
            async with client.websocket_connect("/ws"):
                pass
    assert (caught.value.status_code, caught.value.body) == (401, b"log in")


@pytest.mark.anyio
async def test_async_websocket_server_close_and_client_close():
    received = []

    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "bye"})
        received.append(await receive())

    async with (
        AsyncTestClient(app) as client,
        client.websocket_connect("/ws") as ws,
    ):
        assert await ws.receive_text() == "bye"
        await ws.close(code=4000, reason="done")
        with pytest.raises(WebSocketClosedError) as caught:
            await ws.send_text("late")
    assert caught.value.code == 4000
    assert received == [
        {"type": "websocket.disconnect", "code": 4000, "reason": "done"}
    ]


@pytest.mark.anyio
async def test_async_websocket_raises_a_handler_error():
    async with (
        AsyncTestClient(broken_app()) as client,
        client.websocket_connect("/ws") as ws,
    ):
        with pytest.raises(BrokenError, match="websocket handler"):
            await ws.receive_text()


@pytest.mark.anyio
async def test_async_websocket_receive_times_out_with_a_clear_message():
    async with (
        AsyncTestClient(websocket_echo) as client,
        client.websocket_connect("/ws", timeout=0.05) as ws,
    ):
        with pytest.raises(TimeoutError, match="no WebSocket message within"):
            await ws.receive_text()


def test_websocket_sessions_offer_the_same_methods():
    def methods(cls):
        return {
            name
            for name, value in vars(cls).items()
            if callable(value) and not name.startswith("_")
        }

    assert methods(WebSocketTestSession) == methods(AsyncWebSocketTestSession)
    assert len(methods(WebSocketTestSession)) == 9


# Recorded conversations


def test_testclient_records_the_conversation():
    with TestClient(echo_app) as client:
        response = client.post("/items", content=b"x")
    conversation = response.extensions["microasgi.conversation"]
    assert isinstance(conversation, Conversation)
    assert client.last_conversation is conversation
    assert conversation.scope["path"] == "/items"
    steps = [(event.direction, event.message["type"]) for event in conversation.events]
    assert steps == [
        ("receive", "http.request"),
        ("send", "http.response.start"),
        ("send", "http.response.body"),
    ]
    times = [event.t for event in conversation.events]
    assert times == sorted(times)


def test_testclient_records_a_websocket_conversation():
    with TestClient(websocket_echo) as client:
        with client.websocket_connect("/ws") as ws:
            ws.send_text("hi")
            ws.receive_text()
        conversation = client.last_conversation
    assert conversation is not None
    assert conversation.scope["type"] == "websocket"
    assert [event.message["type"] for event in conversation.events] == [
        "websocket.connect",
        "websocket.accept",
        "websocket.receive",
        "websocket.send",
        "websocket.disconnect",
    ]


# The async client


@pytest.mark.anyio
async def test_async_testclient_sends_requests_on_the_callers_loop():
    async with AsyncTestClient(echo_app) as client:
        response = await client.post("/", content=b"async")
    assert response.content == b"async"


@pytest.mark.anyio
async def test_async_testclient_streams_the_response():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send(START)
        await send(body(b"one", more_body=True))
        await send(body(b"two"))

    async with AsyncTestClient(app) as client, client.stream("GET", "/") as response:
        assert [chunk async for chunk in response.aiter_bytes()] == [b"one", b"two"]


@pytest.mark.anyio
async def test_async_testclient_runs_lifespan():
    log = []
    async with AsyncTestClient(lifespan_app(log)) as client:
        assert (await client.get("/")).text == "hello"
    assert log == ["lifespan.startup", "lifespan.shutdown"]


@pytest.mark.anyio
async def test_async_testclient_early_close_sends_http_disconnect():
    received = []

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await receive()
        await send(START)
        await send(body(b"one", more_body=True))
        received.append(await receive())

    async with AsyncTestClient(app) as client, client.stream("GET", "/") as response:
        async for chunk in response.aiter_bytes():
            assert chunk == b"one"
            break
    assert received == [{"type": "http.disconnect"}]


@pytest.mark.anyio
async def test_async_testclient_body_survives_a_cancelled_receive():
    # is_disconnected() cancels a receive() that has nothing ready yet.
    app = App()

    @app.post("/")
    async def echo(request):
        assert not await request.is_disconnected()
        return await request.body()

    async def trickle():
        for chunk in (b"a", b"b", b"c"):
            await asyncio.sleep(0.01)
            yield chunk

    async with AsyncTestClient(app) as client:
        response = await client.post("/", content=trickle())
    assert response.content == b"abc"


@pytest.mark.anyio
async def test_async_testclient_closes_a_request_body_the_app_never_read():
    closed = asyncio.Event()
    app = App()

    @app.post("/")
    async def ignore(request):
        assert not await request.is_disconnected()  # starts a chunk fetch
        return "ignored"

    async def endless():
        try:
            while True:
                await asyncio.sleep(0.01)
                yield b"x"
        finally:
            closed.set()

    async with AsyncTestClient(app) as client:
        response = await client.post("/", content=endless())
    assert response.text == "ignored"
    assert closed.is_set()
