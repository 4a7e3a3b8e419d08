"""GZipMiddleware: whole and streamed bodies, what it skips, Accept-Encoding."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest
from asgi import http_scope, run_asgi

from microasgi import App, PlainTextResponse, StreamingResponse
from microasgi.batteries.fileresponse import FileResponse
from microasgi.batteries.middleware import GZipMiddleware
from microasgi.batteries.middleware.gzip import accepts_gzip
from microasgi.core.datastructures import Headers
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio

BIG = b"microasgi " * 100  # 1,000 bytes, compresses well


def gzip_scope(accept_encoding="gzip"):
    if accept_encoding is None:
        return http_scope("/", headers=[])
    return http_scope("/", headers=[(b"accept-encoding", accept_encoding.encode())])


async def call(app, scope):
    return await run_asgi(app, scope, [{"type": "http.request"}])


def body_app(*chunks, headers=((b"content-type", b"text/plain"),), status=200):
    """Send ``chunks`` as body messages; the last one ends the body."""

    async def app(scope, receive, send):
        await send(
            {"type": "http.response.start", "status": status, "headers": list(headers)}
        )
        for index, chunk in enumerate(chunks):
            more_body = index < len(chunks) - 1
            await send(
                {"type": "http.response.body", "body": chunk, "more_body": more_body}
            )

    return app


def sized(body, content_type=b"text/plain"):
    return [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]


# --- whole bodies ---------------------------------------------------------


async def test_gzip_compresses_a_large_body():
    app = GZipMiddleware(body_app(BIG, headers=sized(BIG)))
    sent = await call(app, gzip_scope())
    compressed = sent[1]["body"]
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-encoding", b"gzip"),
                (b"vary", b"Accept-Encoding"),
                (b"content-length", b"%d" % len(compressed)),
            ],
        },
        {"type": "http.response.body", "body": compressed, "more_body": False},
    ]
    assert gzip.decompress(compressed) == BIG


async def test_gzip_leaves_a_small_body_alone():
    app = GZipMiddleware(body_app(b"tiny", headers=sized(b"tiny")))
    sent = await call(app, gzip_scope())
    assert sent == [
        {"type": "http.response.start", "status": 200, "headers": sized(b"tiny")},
        {"type": "http.response.body", "body": b"tiny", "more_body": False},
    ]


async def test_gzip_minimum_size_is_configurable():
    app = GZipMiddleware(body_app(b"tiny"), minimum_size=4)
    sent = await call(app, gzip_scope())
    assert gzip.decompress(sent[1]["body"]) == b"tiny"


async def test_gzip_never_compresses_an_empty_body():
    app = GZipMiddleware(body_app(b"", headers=[], status=204), minimum_size=0)
    sent = await call(app, gzip_scope())
    assert sent[0]["headers"] == []


async def test_gzip_skips_clients_that_do_not_accept_it():
    app = GZipMiddleware(body_app(BIG))
    sent = await call(app, gzip_scope(accept_encoding=None))
    assert sent[1]["body"] == BIG


async def test_gzip_skips_already_encoded_responses():
    headers = [(b"content-encoding", b"br")]
    app = GZipMiddleware(body_app(BIG, headers=headers))
    sent = await call(app, gzip_scope())
    assert sent[0]["headers"] == headers
    assert sent[1]["body"] == BIG


async def test_gzip_weakens_a_strong_etag():
    headers = [(b"etag", b'"v1"')]
    sent = await call(GZipMiddleware(body_app(BIG, headers=headers)), gzip_scope())
    assert (b"etag", b'W/"v1"') in sent[0]["headers"]


async def test_gzip_adds_to_an_existing_vary():
    headers = [(b"vary", b"Cookie")]
    sent = await call(GZipMiddleware(body_app(BIG, headers=headers)), gzip_scope())
    vary = [value for name, value in sent[0]["headers"] if name == b"vary"]
    assert vary == [b"Cookie", b"Accept-Encoding"]


# --- streamed bodies ------------------------------------------------------


async def test_gzip_compresses_each_streamed_chunk_as_it_arrives():
    chunks = [b"first " * 10, b"second " * 10, b"third"]
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"135")]
    sent = await call(GZipMiddleware(body_app(*chunks, headers=headers)), gzip_scope())
    assert sent[0] == {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", b"text/plain"),
            (b"content-encoding", b"gzip"),
            (b"vary", b"Accept-Encoding"),
        ],
    }
    assert [message["more_body"] for message in sent[1:]] == [True, True, False]
    # Each compressed message decodes to its own input chunk on arrival.
    decoder = zlib.decompressobj(31)
    pieces = [decoder.decompress(message["body"]) for message in sent[1:]]
    assert pieces == chunks
    assert decoder.eof


async def test_gzip_streams_even_when_the_first_chunk_is_small():
    sent = await call(GZipMiddleware(body_app(b"a", b"b")), gzip_scope())
    assert (b"content-encoding", b"gzip") in sent[0]["headers"]
    assert gzip.decompress(b"".join(message["body"] for message in sent[1:])) == b"ab"


async def test_gzip_sends_each_chunk_before_the_next_is_made():
    first_out = asyncio.Event()

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        await asyncio.wait_for(first_out.wait(), timeout=2)
        await send({"type": "http.response.body", "body": b"two", "more_body": False})

    sent = []

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body":
            first_out.set()

    await GZipMiddleware(app)(gzip_scope(), None, send)
    assert [message["more_body"] for message in sent[1:]] == [True, False]


async def test_gzip_passes_empty_stream_messages_through():
    sent = await call(GZipMiddleware(body_app(b"a", b"", b"b")), gzip_scope())
    assert sent[2] == {"type": "http.response.body", "body": b"", "more_body": True}


async def test_gzip_never_touches_event_streams():
    headers = [(b"content-type", b"text/event-stream")]
    app = GZipMiddleware(body_app(b"data: 1\n\n", b"data: 2\n\n", headers=headers))
    sent = await call(app, gzip_scope())
    assert sent[0]["headers"] == headers
    assert [message["body"] for message in sent[1:]] == [b"data: 1\n\n", b"data: 2\n\n"]


async def test_gzip_passes_other_scopes_through():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    await GZipMiddleware(inner)({"type": "lifespan"}, None, None)
    assert seen == ["lifespan"]


def test_gzip_compresslevel_is_checked():
    with pytest.raises(ValueError, match="compresslevel must be 0 to 9"):
        GZipMiddleware(body_app(), compresslevel=10)


# --- Accept-Encoding ------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, *;q=1", False),
        ("*", True),
        ("*;q=0", False),
        ("br, deflate", False),
        ("identity", False),
        ("gzip;q=nonsense", False),
        ("", False),
    ],
)
def test_gzip_reads_accept_encoding_quality(accept_encoding, expected):
    headers = Headers([(b"accept-encoding", accept_encoding.encode())])
    assert accepts_gzip(headers) is expected


async def test_gzip_q_zero_leaves_the_body_alone():
    sent = await call(GZipMiddleware(body_app(BIG)), gzip_scope("gzip;q=0"))
    assert sent[1]["body"] == BIG


# --- partial content and HEAD ---------------------------------------------


def file_app(tmp_path):
    """An App serving a 4,000-byte, well-compressing file, and the same text."""
    path = tmp_path / "big.txt"
    path.write_bytes(BIG * 4)
    app = App()
    app.add_middleware(GZipMiddleware)

    @app.get("/file")
    async def file(request):
        return FileResponse(path)

    @app.get("/text")
    async def text(request):
        return PlainTextResponse((BIG * 4).decode())

    @app.get("/stream")
    async def stream(request):
        return StreamingResponse(iter([BIG, BIG]), media_type="text/plain")

    return app


async def test_gzip_never_compresses_a_partial_file_response(tmp_path):
    with TestClient(file_app(tmp_path)) as client:
        response = client.get("/file", headers={"range": "bytes=10-1009"})
    assert response.status_code == 206
    assert "content-encoding" not in response.headers
    assert response.headers["content-range"] == "bytes 10-1009/4000"
    assert response.headers["content-length"] == "1000"
    assert response.content == (BIG * 4)[10:1010]


@pytest.mark.parametrize(
    ("status", "headers"),
    [(206, [(b"content-range", b"bytes 0-999/5000")]),
     (200, [(b"content-range", b"bytes 0-999/5000")]),
     (206, [])],
)  # fmt: skip
async def test_gzip_never_compresses_206_or_content_range(status, headers):
    app = GZipMiddleware(body_app(BIG, headers=sized(BIG) + headers, status=status))
    sent = await call(app, gzip_scope())
    assert sent[0]["headers"] == sized(BIG) + headers
    assert sent[1]["body"] == BIG


@pytest.mark.parametrize("path", ["/file", "/text", "/stream"])
async def test_gzip_head_gets_the_headers_of_get(tmp_path, path):
    with TestClient(file_app(tmp_path)) as client:
        get = client.get(path)
        head = client.head(path)
    assert get.headers["content-encoding"] == "gzip"
    assert head.content == b""
    # A HEAD has no body to compress, so it cannot know the compressed length:
    # RFC 9110 (9.3.2) lets it leave Content-Length out, and forbids a wrong one.
    get_headers = {k: v for k, v in get.headers.items() if k != "content-length"}
    assert dict(head.headers) == get_headers


async def test_gzip_head_of_a_small_body_is_left_alone_like_its_get(tmp_path):
    app = App()
    app.add_middleware(GZipMiddleware)
    app.add_route("/", lambda request: "tiny")
    with TestClient(app) as client:
        get, head = client.get("/"), client.head("/")
    assert "content-encoding" not in get.headers
    assert dict(head.headers) == dict(get.headers)


@pytest.mark.parametrize("status", [204, 304])
async def test_gzip_head_of_a_bodiless_status_is_left_alone(status):
    headers = [(b"etag", b'"x"')]
    app = GZipMiddleware(body_app(b"", headers=headers, status=status))
    sent = await call(app, gzip_scope() | {"method": "HEAD"})
    assert sent[0]["headers"] == headers
