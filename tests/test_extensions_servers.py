"""ASGI extensions under real servers: used where offered, a fallback elsewhere.

Which server offers what (on the versions in the dev extra): granian offers
``http.response.pathsend``; hypercorn offers ``http.response.early_hint`` and
``http.response.trailers`` on HTTP/2 connections (cleartext, with prior
knowledge, here); uvicorn and daphne offer none of the three. The app
(``tests/apps/extensions_app.py``) reports what it was offered and which
messages it sent, so each test checks both what the client got and how.
HTTP/2 is spoken with the ``h2`` package (a dependency of hypercorn), since
httpx shows neither 103 responses nor trailers.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from servers import RawConnection, Server, serve, server_params

pytestmark = pytest.mark.anyio

APP = Path(__file__).parent / "apps" / "extensions_app.py"
CONTENT = bytes(range(256)) * 4096  # 1 MiB
OFFERS_PATHSEND = {"granian"}


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("extensions")
    (path / "data.bin").write_bytes(CONTENT)
    return path


@pytest.fixture(scope="module", params=server_params())
def server(request: pytest.FixtureRequest, directory: Path) -> Iterator[Server]:
    with serve(request.param, APP, {"EXTENSIONS_DIR": str(directory)}) as running:
        yield running


def seen(server: Server, path: str) -> dict[str, list[str]]:
    """What the app was offered for ``path`` and which messages it sent."""
    response = httpx.get(f"{server.url}/sent", params={"path": path}, timeout=5)
    return dict(response.json())


# http.response.pathsend: granian offers it; the others stream ---------------------


@pytest.mark.parametrize("path", ["/file", "/static/data.bin"])
def test_pathsend_sends_the_file_where_offered_else_streams(server, path):
    response = httpx.get(server.url + path, timeout=10, trust_env=False)
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-length"] == str(len(CONTENT))
    record = seen(server, path)
    offered = "http.response.pathsend" in record["offered"]
    assert offered == (server.kind.name in OFFERS_PATHSEND)
    if offered:
        assert record["sent"] == ["http.response.start", "http.response.pathsend"]
    else:
        assert "http.response.pathsend" not in record["sent"]
        assert record["sent"][-1] == "http.response.body"


def test_pathsend_a_range_is_streamed_even_where_offered(server):
    headers = {"range": "bytes=10-19"}
    response = httpx.get(server.url + "/file", headers=headers, timeout=10)
    assert response.status_code == 206
    assert response.content == CONTENT[10:20]
    assert "http.response.pathsend" not in seen(server, "/file")["sent"]


# Early hints and trailers: hypercorn over HTTP/2 ----------------------------------


@dataclass
class H2Response:
    informational: list[list[tuple[str, str]]] = field(default_factory=list)
    status: int = 0
    body: bytes = b""
    trailers: list[tuple[str, str]] = field(default_factory=list)


def h2_get(server: Server, path: str, headers=(), timeout: float = 5.0) -> H2Response:
    """One GET over a cleartext HTTP/2 connection (prior knowledge)."""
    from h2.config import H2Configuration
    from h2.connection import H2Connection
    from h2.events import (
        DataReceived,
        InformationalResponseReceived,
        ResponseReceived,
        StreamEnded,
        StreamReset,
        TrailersReceived,
    )

    config = H2Configuration(client_side=True, header_encoding="utf-8")
    connection = H2Connection(config)
    result = H2Response()
    with socket.create_connection(server.address, timeout=timeout) as sock:
        connection.initiate_connection()
        request = [(":method", "GET"), (":path", path), (":scheme", "http"),
                   (":authority", f"127.0.0.1:{server.port}"), *headers]  # fmt: skip
        connection.send_headers(1, request, end_stream=True)
        sock.sendall(connection.data_to_send())
        deadline = time.monotonic() + timeout
        ended = False
        while not ended and time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            for event in connection.receive_data(data):
                if isinstance(event, InformationalResponseReceived):
                    result.informational.append(list(event.headers))
                elif isinstance(event, ResponseReceived):
                    result.status = int(dict(event.headers)[":status"])
                elif isinstance(event, DataReceived):
                    result.body += event.data
                    connection.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id
                    )
                elif isinstance(event, TrailersReceived):
                    result.trailers = list(event.headers)
                elif isinstance(event, StreamEnded | StreamReset):
                    ended = True
            sock.sendall(connection.data_to_send())
    assert ended, f"no complete HTTP/2 response to {path} within {timeout}s"
    return result


@pytest.fixture(scope="module")
def hypercorn(directory: Path) -> Iterator[Server]:
    """hypercorn, which offers both on HTTP/2 (skipped if not installed)."""
    with serve("hypercorn", APP, {"EXTENSIONS_DIR": str(directory)}) as running:
        yield running


def test_early_hints_reach_an_http2_client_of_hypercorn(hypercorn):
    response = h2_get(hypercorn, "/hints")
    assert [dict(headers)[":status"] for headers in response.informational] == ["103"]
    links = [value for name, value in response.informational[0] if name == "link"]
    assert links == ["</app.css>; rel=preload; as=style", "</app.js>; rel=preload"]
    assert (response.status, json.loads(response.body)) == (200, {"hinted": True})
    assert seen(hypercorn, "/hints")["sent"][0] == "http.response.early_hint"


def test_trailers_reach_an_http2_client_of_hypercorn(hypercorn):
    response = h2_get(hypercorn, "/trailers", [("te", "trailers")])
    assert (response.status, response.body) == (200, b"hello world")
    assert response.trailers == [("x-bytes", "11")]
    assert seen(hypercorn, "/trailers")["sent"][-1] == "http.response.trailers"


@pytest.mark.parametrize("name", server_params("uvicorn-h11", "hypercorn", "daphne"))
async def test_early_hints_and_trailers_fall_back_over_http1(name, directory):
    """On HTTP/1.1 no server here offers them: no 103, no trailers, same body."""
    with serve(name, APP, {"EXTENSIONS_DIR": str(directory)}) as server:
        connection = await RawConnection.open(server.address)
        try:
            hints = await connection.request("GET", "/hints")
            streamed = await connection.request("GET", "/trailers")
        finally:
            await connection.close()
        assert hints is not None and streamed is not None
        assert (hints.status, json.loads(hints.body)) == (200, {"hinted": False})
        assert (streamed.status, streamed.body) == (200, b"hello world")
        assert "http.response.early_hint" not in seen(server, "/hints")["sent"]
        assert "http.response.trailers" not in seen(server, "/trailers")["sent"]
