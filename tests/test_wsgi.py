"""WSGIApp: the PEP 3333 environ, streaming, close(), errors, limits, threads."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sys
import threading
import time
from wsgiref.validate import validator

import httpx
import pytest

from microasgi import App, JSONResponse
from microasgi.batteries.wsgi import RequestTooLargeError, WSGIApp
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio


def http_scope(path="/", *, method="GET", headers=(), root_path="", **extra):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": list(headers),
        "client": ("127.0.0.1", 51000),
        "server": ("testserver", 80),
        **extra,
    }


def post_scope(path="/", headers=(), **extra):
    """A POST whose body comes in chunks (``Transfer-Encoding: chunked``)."""
    headers = [(b"transfer-encoding", b"chunked"), *headers]
    return http_scope(path, method="POST", headers=headers, **extra)


def body_messages(*chunks):
    """http.request messages carrying ``chunks``; the last says no more."""
    if not chunks:
        return [{"type": "http.request", "body": b"", "more_body": False}]
    return [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]


async def call(app, scope, incoming=None, on_send=None):
    """Run ``app`` once, like a server would; return every message it sent.

    After the scripted ``incoming`` messages, ``receive`` waits until the
    response is complete and then reports the disconnect.
    """
    incoming = list(body_messages() if incoming is None else incoming)
    sent = []
    complete = asyncio.Event()

    async def receive():
        if incoming:
            return incoming.pop(0)
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            complete.set()
        if on_send is not None:
            on_send(message)

    await app(scope, receive, send)
    return sent


def capture_environ(seen):
    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


async def environ_for(scope):
    seen = {}
    await call(WSGIApp(capture_environ(seen)), scope)
    return seen


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello"]


# --- environ --------------------------------------------------------------


async def test_wsgi_environ_splits_root_path_into_script_name_and_path_info():
    environ = await environ_for(http_scope("/legacy/users/7", root_path="/legacy"))
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/legacy", "/users/7")


async def test_wsgi_environ_path_info_is_latin1_bytes_as_str():
    scope = http_scope("/café", raw_path=b"/caf%C3%A9")
    environ = await environ_for(scope)
    assert environ["PATH_INFO"] == "/caf\xc3\xa9"
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/café"


async def test_wsgi_environ_path_info_comes_from_raw_path():
    scope = http_scope("/a/b", raw_path=b"/a%2Fb")
    assert (await environ_for(scope))["PATH_INFO"] == "/a/b"


async def test_wsgi_environ_without_raw_path_encodes_path():
    scope = http_scope("/x/é", root_path="/x", raw_path=None)
    assert (await environ_for(scope))["PATH_INFO"] == "/\xc3\xa9"


async def test_wsgi_environ_mount_root_itself_gives_empty_path_info():
    environ = await environ_for(http_scope("/legacy", root_path="/legacy"))
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/legacy", "")


async def test_wsgi_environ_request_line_variables():
    scope = http_scope("/", method="POST", query_string=b"a=1&b=%20")
    environ = await environ_for(scope)
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["QUERY_STRING"] == "a=1&b=%20"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"


async def test_wsgi_environ_server_and_client_addresses():
    environ = await environ_for(http_scope("/"))
    assert environ["SERVER_NAME"] == "testserver"
    assert environ["SERVER_PORT"] == "80"
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["REMOTE_PORT"] == "51000"


async def test_wsgi_environ_https_scheme_and_default_port_without_server():
    environ = await environ_for(http_scope("/", scheme="https", server=None))
    assert environ["wsgi.url_scheme"] == "https"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("localhost", "443")


async def test_wsgi_environ_content_headers_have_no_http_prefix():
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"0")]
    environ = await environ_for(http_scope("/", headers=headers))
    assert environ["CONTENT_TYPE"] == "text/plain"
    assert environ["CONTENT_LENGTH"] == "0"
    assert "HTTP_CONTENT_TYPE" not in environ


async def test_wsgi_environ_joins_repeated_headers_with_commas():
    headers = [(b"accept", b"text/html"), (b"accept", b"*/*")]
    environ = await environ_for(http_scope("/", headers=headers))
    assert environ["HTTP_ACCEPT"] == "text/html, */*"


async def test_wsgi_environ_joins_cookie_headers_with_semicolons():
    headers = [(b"cookie", b"a=1"), (b"cookie", b"b=2")]
    environ = await environ_for(http_scope("/", headers=headers))
    assert environ["HTTP_COOKIE"] == "a=1; b=2"


async def test_wsgi_environ_drops_header_names_with_underscores():
    headers = [(b"x-user", b"alice"), (b"x_user", b"mallory")]
    environ = await environ_for(http_scope("/", headers=headers))
    assert environ["HTTP_X_USER"] == "alice"


async def test_wsgi_environ_wsgi_keys():
    environ = await environ_for(http_scope("/"))
    assert environ["wsgi.version"] == (1, 0)
    assert environ["wsgi.multithread"] is True
    assert environ["wsgi.multiprocess"] is True
    assert environ["wsgi.run_once"] is False


# --- PEP 3333 compliance ----------------------------------------------------


async def test_wsgi_get_passes_wsgiref_validator():
    sent = await call(WSGIApp(validator(hello_app)), http_scope("/"))
    assert sent[0]["status"] == 200
    assert b"".join(message.get("body", b"") for message in sent) == b"Hello"


def echo_lines_app(environ, start_response):
    wsgi_input = environ["wsgi.input"]
    lines = [wsgi_input.readline(), wsgi_input.readline(100)]
    lines += wsgi_input.readlines()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"|".join(lines)]


async def test_wsgi_post_body_passes_wsgiref_validator():
    incoming = body_messages(b"one\ntw", b"o\nthree\n", b"four")
    scope = post_scope()
    sent = await call(WSGIApp(validator(echo_lines_app)), scope, incoming)
    assert sent[1]["body"] == b"one\n|two\n|three\n|four"


def write_callable_app(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written ")
    return [b"yielded"]


async def test_wsgi_write_callable_passes_wsgiref_validator():
    sent = await call(WSGIApp(validator(write_callable_app)), http_scope("/"))
    assert [message.get("body") for message in sent[1:]] == [
        b"written ",
        b"yielded",
        b"",
    ]


# --- streaming and close() ------------------------------------------------


class Stream:
    """A WSGI response body that records whether ``close()`` was called."""

    def __init__(self, chunks, fail_after=None):
        self.chunks = chunks
        self.fail_after = fail_after
        self.closed = False

    def __iter__(self):
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_after:
                raise RuntimeError("boom")
            yield chunk

    def close(self):
        self.closed = True


def stream_app(body, status="200 OK"):
    def app(environ, start_response):
        start_response(status, [("Content-Type", "text/plain")])
        return body

    return app


async def test_wsgi_sends_one_body_message_per_chunk():
    sent = await call(WSGIApp(stream_app(Stream([b"a", b"b"]))), http_scope("/"))
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        },
        {"type": "http.response.body", "body": b"a", "more_body": True},
        {"type": "http.response.body", "body": b"b", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]


async def test_wsgi_streams_each_chunk_before_the_next_is_made():
    first_sent = threading.Event()

    def chunks():
        yield b"first"
        # Only continues once the first chunk has reached the server.
        yield b"second" if first_sent.wait(timeout=2) else b"buffered"

    def on_send(message):
        if message.get("body") == b"first":
            first_sent.set()

    sent = await call(WSGIApp(stream_app(chunks())), http_scope("/"), on_send=on_send)
    assert [message.get("body") for message in sent[1:]] == [b"first", b"second", b""]


async def test_wsgi_empty_chunks_do_not_send_headers():
    body = Stream([b"", b"", b"late"], fail_after=2)
    sent = []
    with pytest.raises(RuntimeError):
        await call(WSGIApp(stream_app(body)), http_scope("/"), on_send=sent.append)
    assert sent == []  # nothing had gone out, so a 500 still can


async def test_wsgi_closes_body_after_response():
    body = Stream([b"a"])
    await call(WSGIApp(stream_app(body)), http_scope("/"))
    assert body.closed


async def test_wsgi_closes_body_when_send_fails():
    body = Stream([b"a", b"b", b"c"])

    def on_send(message):
        if message.get("body") == b"b":
            raise ConnectionResetError("client gone")

    sent = await call(WSGIApp(stream_app(body)), http_scope("/"), on_send=on_send)
    assert [message.get("body") for message in sent[1:]] == [b"a", b"b"]
    assert body.closed


async def test_wsgi_stops_stream_once_client_disconnects():
    produced = []
    closed = threading.Event()

    def endless():
        try:
            while True:
                produced.append(len(produced))
                yield b"tick"
                time.sleep(0.01)
        finally:
            closed.set()

    async def receive():
        if not produced:
            return body_messages()[0]
        return {"type": "http.disconnect"}

    async def send(message):
        pass

    app = WSGIApp(stream_app(endless()))
    await asyncio.wait_for(app(http_scope("/"), receive, send), timeout=5)
    assert closed.is_set()
    assert len(produced) < 50


async def test_wsgi_closes_body_when_it_raises_mid_stream():
    body = Stream([b"a", b"b"], fail_after=1)
    with pytest.raises(RuntimeError, match="boom"):
        await call(WSGIApp(stream_app(body)), http_scope("/"))
    assert body.closed


# --- errors ---------------------------------------------------------------


def failing_app(environ, start_response):
    raise RuntimeError("secret database password")


async def test_wsgi_error_before_start_is_raised_for_the_server_to_answer():
    sent = []
    with pytest.raises(RuntimeError, match="secret database password"):
        await call(WSGIApp(failing_app), http_scope("/"), on_send=sent.append)
    assert sent == []


def mounted(wsgi_app):
    app = App()
    app.mount("/legacy", WSGIApp(wsgi_app))
    return app


async def test_wsgi_error_before_start_in_an_app_is_plain_500_logged_once(caplog):
    with caplog.at_level(logging.ERROR):
        sent = await call(mounted(failing_app), http_scope("/legacy/x"))
    assert sent[0]["status"] == 500
    assert sent[1]["body"] == b"Internal Server Error"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "secret database password" in caplog.text


def test_wsgi_error_before_start_is_raised_by_the_test_client():
    app = App()
    app.mount("/legacy", WSGIApp(failing_app))
    with TestClient(app) as client, pytest.raises(RuntimeError, match="secret"):
        client.get("/legacy/")


async def test_wsgi_error_before_start_goes_to_the_app_500_handler(caplog):
    app = mounted(failing_app)

    @app.exception_handler(500)
    async def server_error(request, exc):
        return JSONResponse({"error": type(exc).__name__}, status_code=500)

    with caplog.at_level(logging.CRITICAL):
        sent = await call(app, http_scope("/legacy/x"))
    assert (sent[0]["status"], sent[1]["body"]) == (500, b'{"error":"RuntimeError"}')


async def test_wsgi_error_after_headers_sent_propagates():
    body = Stream([b"a", b"b"], fail_after=1)
    sent = []
    with pytest.raises(RuntimeError, match="boom"):
        await call(WSGIApp(stream_app(body)), http_scope("/"), on_send=sent.append)
    # The server sees the error and aborts: the body never ends cleanly.
    assert [message.get("more_body") for message in sent] == [None, True]


def exc_info_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise ValueError("bad input")
    except ValueError as exc:
        start_response("400 Bad Request", [("X-Error", str(exc))], sys.exc_info())
        return [b"sorry"]


async def test_wsgi_exc_info_replaces_headers_not_yet_sent():
    sent = await call(WSGIApp(exc_info_app), http_scope("/"))
    assert sent[0] == {
        "type": "http.response.start",
        "status": 400,
        "headers": [(b"x-error", b"bad input")],
    }


def late_exc_info_app(environ, start_response):
    start_response("200 OK", [])
    yield b"partial"
    try:
        raise ValueError("too late")
    except ValueError:
        start_response("500 Internal Server Error", [], sys.exc_info())


async def test_wsgi_exc_info_after_headers_sent_reraises():
    with pytest.raises(ValueError, match="too late"):
        await call(WSGIApp(late_exc_info_app), http_scope("/"))


def start_twice_app(environ, start_response):
    start_response("200 OK", [])
    start_response("201 Created", [])
    return [b""]


@pytest.mark.parametrize(
    "wsgi_app",
    [
        start_twice_app,
        stream_app([b"ok"], status="200"),
        stream_app(["text, not bytes"]),
        lambda environ, start_response: [b"never started"],
    ],
    ids=["start-twice", "bad-status", "str-chunk", "no-start-response"],
)
async def test_wsgi_protocol_mistakes_give_500(wsgi_app, caplog):
    with caplog.at_level(logging.CRITICAL):
        sent = await call(mounted(wsgi_app), http_scope("/legacy/x"))
    assert sent[0]["status"] == 500


def test_wsgi_refuses_non_callable():
    with pytest.raises(TypeError, match="WSGI callable"):
        WSGIApp("app:application")


def test_wsgi_refuses_zero_workers():
    with pytest.raises(ValueError, match="workers must be at least 1"):
        WSGIApp(hello_app, workers=0)


# --- the request body -----------------------------------------------------


async def test_wsgi_input_is_fed_as_the_app_reads():
    log = []

    def app(environ, start_response):
        for _ in range(2):
            log.append(environ["wsgi.input"].read(3))
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    async def receive():
        if not incoming:
            return {"type": "http.disconnect"}
        log.append("receive")
        return incoming.pop(0)

    incoming = body_messages(b"abc", b"def", b"ghi")

    async def send(message):
        pass

    await WSGIApp(app)(post_scope(), receive, send)
    assert log == ["receive", b"abc", "receive", b"def", "receive"]


async def test_wsgi_input_iterates_lines():
    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"|".join(environ["wsgi.input"])]

    incoming = body_messages(b"a\nb", b"b\n", b"c")
    sent = await call(WSGIApp(app), post_scope(), incoming)
    assert sent[1]["body"] == b"a\n|bb\n|c"


async def test_wsgi_input_uses_body_already_read():
    def app(environ, start_response):
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    scope = post_scope(**{"microasgi.body": b"cached"})
    sent = await call(WSGIApp(app), scope, incoming=[])
    assert sent[1]["body"] == b"cached"


async def test_wsgi_declared_body_over_limit_is_413_before_app_runs():
    called = []

    def app(environ, start_response):
        called.append(True)
        return hello_app(environ, start_response)

    headers = [(b"content-length", b"11")]
    scope = http_scope("/", method="POST", headers=headers)
    sent = await call(WSGIApp(app, max_body_size=10), scope)
    assert sent[0]["status"] == 413
    assert b"max_body_size (10 bytes)" in sent[1]["body"]
    assert called == []


async def test_wsgi_streamed_body_over_limit_is_413_while_reading():
    errors = []

    def app(environ, start_response):
        try:
            environ["wsgi.input"].read()
        except RequestTooLargeError as exc:
            errors.append(exc)
        start_response("200 OK", [])
        return [b"ignored"]

    incoming = body_messages(b"123456", b"789012")
    sent = await call(WSGIApp(app, max_body_size=10), post_scope(), incoming)
    assert [message["type"] for message in sent] == [
        "http.response.start",
        "http.response.body",
    ]
    assert sent[0]["status"] == 413
    assert len(errors) == 1


async def test_wsgi_body_error_left_uncaught_still_gives_only_the_413():
    def app(environ, start_response):
        environ["wsgi.input"].read()  # raises RequestTooLargeError
        return hello_app(environ, start_response)

    incoming = body_messages(b"123456", b"789012")
    sent = await call(WSGIApp(app, max_body_size=10), post_scope(), incoming)
    assert [message.get("status") for message in sent] == [413, None]


async def test_wsgi_disconnect_while_reading_sends_nothing():
    def app(environ, start_response):
        environ["wsgi.input"].read()
        return hello_app(environ, start_response)

    incoming = [
        {"type": "http.request", "body": b"part", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent = await call(WSGIApp(app), post_scope(), incoming)
    assert sent == []


# --- threads --------------------------------------------------------------


async def test_wsgi_slow_request_does_not_block_event_loop():
    def slow_app(environ, start_response):
        time.sleep(0.5)
        return hello_app(environ, start_response)

    app = App()
    app.mount("/slow", WSGIApp(slow_app))

    @app.get("/fast")
    async def fast(request):
        return "fast"

    finished = []

    async def get(client, path):
        await client.get(path)
        finished.append(path)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        slow = asyncio.ensure_future(get(client, "/slow"))
        await asyncio.sleep(0.05)  # the slow request is now on its thread
        started = time.monotonic()
        await get(client, "/fast")
        fast_took = time.monotonic() - started
        await slow
    assert finished == ["/fast", "/slow"]
    assert fast_took < 0.3


async def test_wsgi_workers_bound_concurrent_requests():
    running = []
    peak = []
    lock = threading.Lock()

    def app(environ, start_response):
        with lock:
            running.append(1)
            peak.append(len(running))
        time.sleep(0.05)
        with lock:
            running.pop()
        return hello_app(environ, start_response)

    wsgi = WSGIApp(app, workers=2)
    await asyncio.gather(*(call(wsgi, http_scope("/")) for _ in range(6)))
    assert max(peak) == 2


async def test_wsgi_app_sees_context_variables():
    request_id = contextvars.ContextVar("request_id", default="unset")
    seen = []

    def app(environ, start_response):
        seen.append(request_id.get())
        return hello_app(environ, start_response)

    request_id.set("r-42")
    await call(WSGIApp(app), http_scope("/"))
    assert seen == ["r-42"]


async def test_wsgi_cancelled_request_stops_and_closes_the_stream():
    closed = threading.Event()

    def endless():
        try:
            for _ in range(500):  # bounded: 5 seconds at most
                yield b"tick"
                time.sleep(0.01)
        finally:
            closed.set()

    task = asyncio.ensure_future(call(WSGIApp(stream_app(endless())), http_scope("/")))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(closed.wait, 2)


# --- other scopes ---------------------------------------------------------


async def test_wsgi_lifespan_completes_startup_and_shutdown():
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    await WSGIApp(hello_app)({"type": "lifespan"}, receive, send)
    assert sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


async def test_wsgi_websocket_is_closed_before_accept():
    sent = []

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    scope = {**http_scope("/ws"), "type": "websocket"}
    await WSGIApp(hello_app)(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]


# --- a real Flask app, mounted under a prefix -----------------------------


def make_flask_app():
    flask = pytest.importorskip("flask")
    flask_app = flask.Flask(__name__)
    request = flask.request

    @flask_app.get("/hello/<name>")
    def hello(name):
        return f"Hello, {name}!"

    @flask_app.get("/links")
    def links():
        return {
            "path": flask.url_for("hello", name="x"),
            "external": flask.url_for("hello", name="x", _external=True),
        }

    @flask_app.get("/go")
    def go():
        return flask.redirect(flask.url_for("hello", name="again"))

    @flask_app.post("/form")
    def form():
        upload = request.files.get("file")
        return {
            "name": request.form["name"],
            "tags": request.form.getlist("tag"),
            "file": upload.read().decode() if upload else None,
        }

    @flask_app.get("/cookie/set")
    def set_cookie():
        response = flask.make_response("set")
        response.set_cookie("flavour", "oat")
        return response

    @flask_app.get("/cookie/get")
    def get_cookie():
        return request.cookies.get("flavour", "none")

    @flask_app.get("/stream")
    def stream():
        def numbers():
            for number in range(3):
                yield f"{number} {request.path}\n"

        return flask_app.response_class(
            flask.stream_with_context(numbers()), mimetype="text/plain"
        )

    @flask_app.get("/fail")
    def fail():
        raise RuntimeError("flask view failed")

    return flask_app


@pytest.fixture
def legacy():
    """A microasgi App with the Flask app mounted under /legacy."""
    app = App()
    app.mount("/legacy", WSGIApp(make_flask_app()))
    return app


@pytest.fixture
def client(legacy):
    with TestClient(legacy) as client:
        yield client


def test_flask_route_under_prefix(client):
    response = client.get("/legacy/hello/world")
    assert response.status_code == 200
    assert response.text == "Hello, world!"


def test_flask_unknown_route_is_flask_404(client):
    response = client.get("/legacy/nowhere")
    assert response.status_code == 404
    assert "Not Found" in response.text


def test_flask_url_for_includes_prefix(client):
    response = client.get("/legacy/links")
    assert response.json() == {
        "path": "/legacy/hello/x",
        "external": "http://testserver/legacy/hello/x",
    }


def test_flask_redirect_stays_under_prefix(client):
    response = client.get("/legacy/go", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/legacy/hello/again"


def test_flask_urlencoded_form_post(client):
    data = {"name": "Ada", "tag": ["a", "b"]}
    response = client.post("/legacy/form", data=data)
    assert response.json() == {"name": "Ada", "tags": ["a", "b"], "file": None}


def test_flask_multipart_form_post(client):
    files = {"file": ("notes.txt", b"file body", "text/plain")}
    response = client.post("/legacy/form", data={"name": "Ada"}, files=files)
    assert response.json() == {"name": "Ada", "tags": [], "file": "file body"}


def test_flask_cookie_round_trip(client):
    set_response = client.get("/legacy/cookie/set")
    assert "flavour=oat" in set_response.headers["set-cookie"]
    response = client.get("/legacy/cookie/get")
    assert response.text == "oat"


async def test_flask_streamed_response_is_sent_chunk_by_chunk(legacy):
    sent = await call(legacy, http_scope("/legacy/stream"))
    assert [message.get("body") for message in sent[1:]] == [
        b"0 /stream\n",
        b"1 /stream\n",
        b"2 /stream\n",
        b"",
    ]
    assert [message.get("more_body") for message in sent[1:]] == [
        True,
        True,
        True,
        False,
    ]


def test_flask_view_error_is_flask_500(client, caplog):
    with caplog.at_level(logging.CRITICAL):
        response = client.get("/legacy/fail")
    assert response.status_code == 500
    assert "flask view failed" not in response.text


# --- under a real server --------------------------------------------------


@contextlib.contextmanager
def serve(app):
    """Run ``app`` under uvicorn on a free local port, in a thread."""
    uvicorn = pytest.importorskip("uvicorn")
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "uvicorn did not start within 5 seconds"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_wsgi_under_uvicorn_streams_before_the_body_is_done():
    first_received = threading.Event()

    def chunks():
        yield b"first;"
        yield b"second" if first_received.wait(timeout=3) else b"buffered"

    with (
        serve(WSGIApp(stream_app(chunks()))) as url,
        httpx.stream("GET", url, timeout=5) as response,
    ):
        pieces = []
        for piece in response.iter_raw():
            pieces.append(piece)
            first_received.set()
    assert b"".join(pieces) == b"first;second"


def test_wsgi_under_uvicorn_closes_body_when_client_leaves():
    closed = threading.Event()

    def endless():
        try:
            for _ in range(500):  # bounded: 5 seconds at most
                yield b"tick\n"
                time.sleep(0.01)
        finally:
            closed.set()

    with serve(WSGIApp(stream_app(endless()))) as url:
        with httpx.stream("GET", url, timeout=5) as response:
            next(response.iter_raw())
        assert closed.wait(timeout=3)
