"""ASGI extensions in-process: pathsend, early hints and trailers, offered or not.

Each test runs the app behind ``validate`` with a scope that lists (or does
not list) the extension, and asserts the exact messages sent. The same
features under real servers are in ``test_extensions_servers.py``.
"""

from __future__ import annotations

import gzip as gzip_module
import os
from pathlib import Path

import anyio
import pytest
from asgi import http_scope
from test_validate import sender

import microasgi.batteries.fileresponse
from microasgi import App, FileResponse, StreamingResponse
from microasgi.batteries.middleware import GZipMiddleware
from microasgi.batteries.staticfiles import StaticFiles
from microasgi.testing.validate import ASGIProtocolError, validate

pytestmark = pytest.mark.anyio

REQUEST = {"type": "http.request", "body": b"", "more_body": False}
CONTENT = b"0123456789" * 100
PATHSEND = {"http.response.pathsend": {}}
EARLY_HINT = {"http.response.early_hint": {}}
TRAILERS = {"http.response.trailers": {}}
PRELOAD = "</app.css>; rel=preload; as=style"


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    return path


def file_app(path: Path) -> App:
    app = App()

    @app.get("/file")
    async def send_file(request):
        return FileResponse(path)

    return app


def types(sent):
    return [message["type"] for message in sent]


async def call(app, path="/", extensions=None, method="GET", headers=()):
    """Run one request through ``validate(app)``; the messages it sent.

    After the request body, ``receive`` waits, like a client that stays.
    """
    scope = http_scope(path, method, extensions=extensions or {})
    scope["headers"] += list(headers)
    script = [REQUEST]
    sent = []

    async def receive():
        if script:
            return script.pop()
        await anyio.sleep_forever()

    async def send(message):
        sent.append(message)

    await validate(app)(scope, receive, send)
    return sent


# http.response.pathsend ----------------------------------------------------------


async def test_file_response_sends_the_path_when_offered(data_file):
    sent = await call(file_app(data_file), "/file", PATHSEND)
    assert types(sent) == ["http.response.start", "http.response.pathsend"]
    assert sent[1]["path"] == os.path.abspath(data_file)
    assert (b"content-length", b"1000") in sent[0]["headers"]


async def test_file_response_streams_when_pathsend_is_not_offered(data_file):
    sent = await call(file_app(data_file), "/file")
    assert "http.response.pathsend" not in types(sent)
    assert b"".join(message.get("body", b"") for message in sent[1:]) == CONTENT


async def test_file_response_streams_a_range_even_when_pathsend_is_offered(data_file):
    sent = await call(
        file_app(data_file), "/file", PATHSEND, headers=[(b"range", b"bytes=0-9")]
    )
    assert sent[0]["status"] == 206
    assert "http.response.pathsend" not in types(sent)
    assert b"".join(message.get("body", b"") for message in sent[1:]) == CONTENT[:10]


async def test_file_response_head_sends_no_path(data_file):
    sent = await call(file_app(data_file), "/file", PATHSEND, method="HEAD")
    assert types(sent) == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == b""


def refuse_to_open(path):
    raise PermissionError(13, "Permission denied", path)


async def test_file_response_pathsend_checks_the_file_before_starting(
    data_file, monkeypatch
):
    monkeypatch.setattr(
        microasgi.batteries.fileresponse, "check_readable", refuse_to_open
    )
    sent = await call(file_app(data_file), "/file", PATHSEND)
    assert sent[0]["status"] == 500
    assert "http.response.pathsend" not in types(sent)


async def test_static_files_unreadable_file_is_a_404_with_pathsend(
    data_file, monkeypatch
):
    monkeypatch.setattr(
        microasgi.batteries.fileresponse, "check_readable", refuse_to_open
    )
    sent = await call(StaticFiles(data_file.parent), "/data.bin", PATHSEND)
    assert (sent[0]["status"], sent[1]["body"]) == (404, b"Not Found")


async def test_static_files_send_the_path_when_offered(data_file):
    static = StaticFiles(data_file.parent)
    sent = await call(static, "/data.bin", PATHSEND)
    assert types(sent) == ["http.response.start", "http.response.pathsend"]
    assert sent[1]["path"] == str(data_file.resolve())


async def test_gzip_hides_pathsend_so_a_file_is_compressed_like_any_body(data_file):
    app = file_app(data_file)
    app.add_middleware(GZipMiddleware, minimum_size=10)
    gzip = [(b"accept-encoding", b"gzip")]
    sent = await call(app, "/file", PATHSEND, headers=gzip)
    head = await call(app, "/file", PATHSEND, method="HEAD", headers=gzip)
    assert "http.response.pathsend" not in types(sent)
    body = b"".join(message.get("body", b"") for message in sent[1:])
    assert gzip_module.decompress(body) == CONTENT
    assert (b"content-encoding", b"gzip") in sent[0]["headers"]
    without_length = [h for h in sent[0]["headers"] if h[0] != b"content-length"]
    assert head[0]["headers"] == without_length  # HEAD gets GET's headers


async def test_gzip_leaves_pathsend_to_clients_without_gzip(data_file):
    app = file_app(data_file)
    app.add_middleware(GZipMiddleware, minimum_size=10)
    sent = await call(app, "/file", PATHSEND)
    assert types(sent) == ["http.response.start", "http.response.pathsend"]


# http.response.early_hint --------------------------------------------------------


def hinting_app() -> App:
    app = App()

    @app.get("/")
    async def page(request):
        sent = await request.send_early_hints([PRELOAD, "</app.js>; rel=preload"])
        return {"hinted": sent}

    @app.get("/crash")
    async def crash(request):
        await request.send_early_hints([PRELOAD])
        raise RuntimeError("boom")

    return app


async def test_early_hints_are_sent_before_the_response_when_offered():
    sent = await call(hinting_app(), "/", EARLY_HINT)
    assert sent[0] == {
        "type": "http.response.early_hint",
        "links": [PRELOAD.encode(), b"</app.js>; rel=preload"],
    }
    assert types(sent[1:]) == ["http.response.start", "http.response.body"]
    assert sent[2]["body"] == b'{"hinted":true}'


async def test_early_hints_are_a_no_op_when_not_offered():
    sent = await call(hinting_app(), "/")
    assert types(sent) == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == b'{"hinted":false}'


async def test_early_hints_refuse_a_link_that_would_split_the_header(caplog):
    app = App()

    @app.get("/")
    async def page(request):
        await request.send_early_hints(["</a.css>\r\nx-evil: 1"])

    sent = await call(app, "/", EARLY_HINT)  # the handler's bug: a logged 500
    assert types(sent) == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 500
    assert "contains CR, LF" in caplog.text


async def test_a_crash_after_early_hints_still_gets_a_500():
    app = hinting_app()
    app.add_middleware(GZipMiddleware)  # puts ServerErrorMiddleware outside
    sent = await call(app, "/crash", EARLY_HINT)
    assert types(sent) == [
        "http.response.early_hint",
        "http.response.start",
        "http.response.body",
    ]
    assert sent[1]["status"] == 500


async def test_gzip_lets_early_hints_ahead_and_still_compresses():
    app = App()

    @app.get("/")
    async def page(request):
        await request.send_early_hints([PRELOAD])
        return "x" * 1000

    app.add_middleware(GZipMiddleware)
    sent = await call(app, "/", EARLY_HINT, headers=[(b"accept-encoding", b"gzip")])
    assert types(sent)[0] == "http.response.early_hint"
    assert (b"content-encoding", b"gzip") in sent[1]["headers"]


# http.response.trailers -------------------------------------------------------


def trailer_app() -> App:
    app = App()

    @app.get("/")
    async def stream(request):
        sizes = []

        async def chunks():
            for chunk in (b"hello ", b"world"):
                sizes.append(len(chunk))
                yield chunk

        async def checksum():
            return {"x-bytes": str(sum(sizes))}

        return StreamingResponse(chunks(), trailers=checksum)

    @app.get("/sync")
    async def stream_sync(request):
        return StreamingResponse([b"a"], trailers=lambda: {"x-done": "yes"})

    return app


async def test_streaming_response_sends_trailers_when_offered():
    sent = await call(trailer_app(), "/", TRAILERS)
    assert sent[0]["trailers"] is True
    assert sent[-1] == {
        "type": "http.response.trailers",
        "headers": [(b"x-bytes", b"11")],
        "more_trailers": False,
    }
    assert sent[-2] == {"type": "http.response.body", "body": b""}


async def test_streaming_response_takes_a_sync_trailers_function():
    sent = await call(trailer_app(), "/sync", TRAILERS)
    assert sent[-1]["headers"] == [(b"x-done", b"yes")]


async def test_streaming_response_leaves_trailers_out_when_not_offered():
    sent = await call(trailer_app(), "/")
    assert "trailers" not in sent[0]
    assert "http.response.trailers" not in types(sent)
    assert b"".join(message.get("body", b"") for message in sent[1:]) == b"hello world"


async def test_streaming_response_head_sends_no_trailers():
    sent = await call(trailer_app(), "/", TRAILERS, method="HEAD")
    assert types(sent) == ["http.response.start", "http.response.body"]
    assert "trailers" not in sent[0]


async def test_gzip_passes_trailers_after_the_compressed_body():
    app = trailer_app()
    app.add_middleware(GZipMiddleware)
    sent = await call(app, "/", TRAILERS, headers=[(b"accept-encoding", b"gzip")])
    assert (b"content-encoding", b"gzip") in sent[0]["headers"]
    assert sent[-1]["type"] == "http.response.trailers"
    assert sent[-1]["headers"] == [(b"x-bytes", b"11")]


# validate knows each extension ----------------------------------------------


START = {"type": "http.response.start", "status": 200, "headers": []}
BODY = {"type": "http.response.body", "body": b""}
HINT = {"type": "http.response.early_hint", "links": [b"</a.css>; rel=preload"]}


@pytest.mark.parametrize(
    ("messages", "extensions", "breach"),
    [
        ((HINT, START, BODY), {}, "needs the 'http.response.early_hint' extension"),
        ((START, HINT, BODY), EARLY_HINT, "hints must come before the response"),
        (
            ({"type": "http.response.early_hint", "links": ["</a.css>"]}, START, BODY),
            EARLY_HINT,
            "'links' item 0 must be bytes",
        ),
        (
            ({"type": "http.response.early_hint", "links": b"</a.css>"}, START, BODY),
            EARLY_HINT,
            "'links' must be a list of Link values as bytes",
        ),
        (
            ({"type": "http.response.early_hint"}, START, BODY),
            EARLY_HINT,
            "missing the required field 'links'",
        ),
        (
            ({**START, "trailers": True}, BODY),
            {},
            "did not list 'http.response.trailers'",
        ),
        (
            (START, {"type": "http.response.pathsend", "path": "/etc/hostname"}),
            {},
            "needs the 'http.response.pathsend' extension",
        ),
    ],
    ids=[
        "hint-not-offered",
        "hint-after-start",
        "hint-str-link",
        "hint-links-not-a-list",
        "hint-without-links",
        "trailers-not-offered",
        "pathsend-not-offered",
    ],
)
async def test_validate_checks_extension_messages(messages, extensions, breach):
    with pytest.raises(ASGIProtocolError, match=breach.replace("(", r"\(")):
        await call(sender(*messages), "/", extensions)
