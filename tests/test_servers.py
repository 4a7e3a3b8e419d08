"""microasgi under real servers, over real sockets on 127.0.0.1.

Every test runs under each server in ``servers.KINDS`` (uvicorn with the h11
and the httptools parser, hypercorn, daphne, granian; a server that is not
installed is skipped). The reliability app (``tests/apps/reliability_app.py``)
and the examples are served by a subprocess per module and server, and driven
by httpx, the ``websockets`` client, and a raw socket client for requests no
well-behaved client sends: malformed request lines, bad chunked encoding,
lying Content-Length, bytes trickled in slowly.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import anyio
import httpx
import pytest
from servers import (
    ROOT,
    RawConnection,
    RawResponse,
    Server,
    http_client,
    known_failure,
    serve,
    serve_all,
    server_params,
)
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.anyio

EXAMPLES = ROOT / "examples"
DAPHNE_BUFFERS_BODY = "daphne reads the whole body before it calls the app"
GRANIAN_500 = (
    "granian answers 500 itself when the client's body breaks off and the app, "
    "told the client is gone, sends nothing"
)


@pytest.fixture(scope="module", params=server_params())
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with serve(request.param) as running:
        yield running


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(server) as client:
        yield client


async def raw(server: Server, data: bytes) -> RawResponse | None:
    """Send ``data`` on a new connection; the first response, if any."""
    connection = await RawConnection.open(server.address)
    try:
        await connection.send(data)
        return await connection.read_response()
    finally:
        await connection.close()


async def assert_still_serving(server: Server) -> None:
    response = await raw(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response is not None
    assert (response.status, response.body) == (200, b"Hello, World!")


def refused(response: RawResponse | None) -> bool:
    """A client's mistake: answered with a 4xx, or the connection closed."""
    return response is None or 400 <= response.status < 500


# The reliability app, through httpx -------------------------------------------


async def test_servers_plaintext_hello(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert (response.status_code, response.text) == (200, "Hello, World!")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


async def test_servers_head_sends_headers_without_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.head("/")
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "13"


async def test_servers_json_echo(client: httpx.AsyncClient) -> None:
    response = await client.post("/json", json={"name": "Zoë", "tags": [1, 2]})
    assert response.status_code == 200
    assert response.json() == {"received": {"name": "Zoë", "tags": [1, 2]}}


async def test_servers_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/json", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.text.startswith("Invalid JSON")


async def test_servers_form_upload_arrives_whole(client: httpx.AsyncClient) -> None:
    data = bytes(range(256)) * 1200  # 300 KiB: spooled past memory
    response = await client.post(
        "/upload", data={"title": "a file"}, files={"file": ("blob.bin", data)}
    )
    assert response.status_code == 200
    assert response.json() == {
        "title": "a file",
        "file": {
            "filename": "blob.bin",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    }


async def test_servers_body_over_limit_is_413_before_it_is_sent(
    server: Server,
) -> None:
    # Only the headers go out: the Content-Length alone earns the 413. (With
    # the body in flight, an early answer races the upload, as HTTP allows.)
    known_failure(server, "daphne", DAPHNE_BUFFERS_BODY)
    response = await raw(
        server, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n"
    )
    assert response is not None
    assert response.status == 413
    assert b"max_body_size" in response.body


async def test_servers_stream_arrives_in_order(client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/stream", params={"count": 200}) as response:
        assert response.headers.get("content-length") is None
        text = (await response.aread()).decode()
    assert text == "".join(f"line {number}\n" for number in range(200))


async def test_servers_sync_iterator_stream(client: httpx.AsyncClient) -> None:
    response = await client.get("/stream/sync", params={"count": 50})
    assert response.text == "".join(f"sync line {n}\n" for n in range(50))


async def test_servers_streaming_response_reads_the_whole_request_body(
    client: httpx.AsyncClient,
) -> None:
    # The response's disconnect watcher must not take body messages meant for
    # the generator's request.stream().
    chunks = [b"c%d;" % number for number in range(20)]

    async def trickle() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk
            await anyio.sleep(0.005)

    with anyio.fail_after(10):
        response = await client.post("/stream/echo", content=trickle())
    assert (response.status_code, response.content) == (200, b"".join(chunks))


@pytest.mark.parametrize("name", ["a?b", "a#b", "caf\u00e9"])
async def test_servers_slash_redirect_keeps_the_path_encoded(
    client: httpx.AsyncClient, name: str
) -> None:
    encoded = quote(name, safe="")
    response = await client.get(f"/files/{encoded}")
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"/files/{encoded}/")
    followed = await client.get(response.headers["location"])
    assert (followed.status_code, followed.text) == (200, name)


async def test_servers_sse_events_are_framed(client: httpx.AsyncClient) -> None:
    response = await client.get("/sse", params={"count": 2})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == (
        "event: tick\ndata: event 0\nid: 0\n\nevent: tick\ndata: event 1\nid: 1\n\n"
    )


async def test_servers_sync_handler_runs_on_pool(client: httpx.AsyncClient) -> None:
    response = await client.get("/sync")
    assert response.status_code == 200
    assert response.json()["thread"].startswith("microasgi")


async def test_servers_wsgi_mount(client: httpx.AsyncClient) -> None:
    response = await client.get("/wsgi/hello")
    assert (response.status_code, response.text) == (200, "wsgi /wsgi/hello")


async def test_servers_websocket_echo_text_and_bytes(server: Server) -> None:
    async with connect(f"{server.ws_url}/ws/echo", proxy=None) as ws:
        with anyio.fail_after(5):
            await ws.send("héllo")
            assert await ws.recv() == "héllo"
            await ws.send(b"\x00\xff")
            assert await ws.recv() == b"\x00\xff"


async def test_servers_websocket_unknown_path_is_refused(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(f"{server.ws_url}/ws/nowhere", proxy=None):
            pass
    assert refusal.value.response.status_code == 403


# Raw sockets: what a well-behaved client never sends ----------------------------


@pytest.mark.parametrize(
    "request_line",
    [b"GARBAGE", b"GET / HTTP/1.1 extra", b"\x00\x01\x02 / HTTP/1.1"],
)
async def test_servers_malformed_request_line_is_refused(
    server: Server, request_line: bytes
) -> None:
    response = await raw(server, request_line + b"\r\nHost: x\r\n\r\n")
    assert refused(response)
    await assert_still_serving(server)


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\nhello\r\n0\r\n\r\n", b"3\r\nhello\r\n0\r\n\r\n", b"-5\r\nhello\r\n"],
    ids=["size-not-hex", "chunk-longer-than-size", "negative-size"],
)
async def test_servers_bad_chunked_encoding_is_refused(
    server: Server, chunks: bytes
) -> None:
    known_failure(server, "granian", GRANIAN_500)
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert refused(await raw(server, head + chunks))
    await assert_still_serving(server)


async def test_servers_chunked_body_in_pieces(server: Server) -> None:
    connection = await RawConnection.open(server.address)
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    await connection.trickle(head + b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 7, 0.005)
    response = await connection.read_response()
    await connection.close()
    assert response is not None
    assert (response.status, response.body) == (200, b"hello world")


async def test_servers_content_length_shorter_than_body(server: Server) -> None:
    # The bytes past Content-Length are the next request, not more body.
    connection = await RawConnection.open(server.address)
    await connection.send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
        b"helloGET / HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    first = await connection.read_response()
    second = await connection.read_response()
    await connection.close()
    assert first is not None and second is not None
    assert (first.status, first.body) == (200, b"hello")
    assert (second.status, second.body) == (200, b"Hello, World!")


async def test_servers_content_length_longer_than_body(server: Server) -> None:
    known_failure(server, "granian", GRANIAN_500)
    connection = await RawConnection.open(server.address)
    await connection.send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhello"
    )
    connection.writer.write_eof()  # the promised 95 bytes never come
    response = await connection.read_response()
    await connection.close()
    assert refused(response)
    await assert_still_serving(server)


async def test_servers_slow_sender_body_trickled(server: Server) -> None:
    body = b"0123456789" * 30
    connection = await RawConnection.open(server.address)
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n"
    await connection.send(head)
    await connection.trickle(body, 20, 0.01)
    response = await connection.read_response()
    await connection.close()
    assert response is not None
    assert (response.status, response.body) == (200, body)


async def test_servers_request_sent_byte_by_byte(server: Server) -> None:
    connection = await RawConnection.open(server.address)
    request = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello there"
    await connection.trickle(request, 1, 0.001)
    response = await connection.read_response()
    await connection.close()
    assert response is not None
    assert (response.status, response.body) == (200, b"hello there")


async def test_servers_pipelined_requests_answered_in_order(server: Server) -> None:
    connection = await RawConnection.open(server.address)
    request = b"GET /stream?count=%d HTTP/1.1\r\nHost: x\r\n\r\n"
    await connection.send(b"".join(request % count for count in range(1, 6)))
    responses = [await connection.read_response() for _ in range(5)]
    await connection.close()
    lines = [response.body.count(b"\n") if response else 0 for response in responses]
    assert lines == [1, 2, 3, 4, 5]


# The examples ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=server_params())
def examples(request: pytest.FixtureRequest) -> Iterator[dict[str, Server]]:
    apps = {"hello": "/", "todo_api": "/todos", "upload": "/"}
    files = [(EXAMPLES / f"{name}.py", path) for name, path in apps.items()]
    with serve_all(request.param, files) as running:
        yield dict(zip(apps, running, strict=True))


async def test_servers_example_hello(examples: dict[str, Server]) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.get(examples["hello"].url)
    assert (response.status_code, response.text) == (200, "Hello, World!")


async def test_servers_example_todo_api_round_trip(
    examples: dict[str, Server],
) -> None:
    async with httpx.AsyncClient(
        base_url=examples["todo_api"].url, trust_env=False
    ) as client:
        created = await client.post("/todos", json={"title": "Write tests"})
        assert created.status_code == 201
        location = created.headers["location"]
        updated = await client.patch(location, json={"done": True})
        assert updated.json()["done"] is True
        assert (await client.delete(location)).status_code == 204
        missing = await client.get(location)
    assert missing.status_code == 404
    assert missing.json() == {"error": f"No to-do with id {created.json()['id']}"}


async def test_servers_example_upload(examples: dict[str, Server]) -> None:
    files = [("files", ("a.txt", b"aaa")), ("files", ("b.txt", b"bb"))]
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(
            examples["upload"].url + "/upload", data={"name": "Ada"}, files=files
        )
    assert response.status_code == 200
    assert "Ada uploaded 2 file(s)" in response.text
    assert "a.txt: 3 bytes" in response.text
