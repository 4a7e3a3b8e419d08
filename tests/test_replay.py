"""Record a conversation to a file and replay it against an app, message by message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_cli import run_cli

from microasgi import App, StreamingResponse
from microasgi.testing.client import TestClient
from microasgi.testing.replay import (
    Recording,
    RecordingError,
    assert_replays,
    decode,
    encode,
    load,
    replay,
    save,
)
from microasgi.tooling.trace import TraceRequest, trace

pytestmark = pytest.mark.anyio

APP_SOURCE = """\
from microasgi import App

app = App()

@app.post("/shout")
async def shout(request):
    return (await request.body()).upper()
"""


def make_app(suffix: bytes = b"") -> App:
    app = App()

    @app.post("/shout")
    async def shout(request: Any) -> bytes:
        return (await request.body()).upper() + suffix

    @app.get("/count")
    async def count(request: Any) -> StreamingResponse:
        return StreamingResponse(f"{number}\n" for number in range(3))

    @app.websocket("/ws")
    async def echo(ws: Any) -> None:
        await ws.accept()
        async for text in ws.iter_text():
            await ws.send_text(text + suffix.decode())

    return app


async def recorded(request: TraceRequest, app: App | None = None) -> Recording:
    [result] = await trace(app or make_app(), request)
    return Recording.of(result.conversation)


def test_encode_tags_bytes_and_decode_brings_them_back() -> None:
    value = {"body": b"caf\xc3\xa9", "raw": b"\xff\x00", "pairs": [(b"a", b"b")]}
    data = encode(value)
    assert data == {
        "body": {"$bytes": "café"},
        "raw": {"$base64": "/wA="},
        "pairs": [[{"$bytes": "a"}, {"$bytes": "b"}]],
    }
    assert decode(json.loads(json.dumps(data))) == {**value, "pairs": [[b"a", b"b"]]}


async def test_save_and_load_keep_scope_and_messages(tmp_path: Path) -> None:
    recording = await recorded(TraceRequest("POST", "/shout", body=b"hi"))
    save(recording, tmp_path / "conv.json")
    loaded = load(tmp_path / "conv.json")
    assert loaded.scope == recording.scope
    assert loaded.received == recording.received
    assert [encode(message) for message in loaded.sent] == [
        encode(message) for message in recording.sent
    ]
    assert loaded.order == ["receive", "send", "send"]


async def test_save_writes_one_event_a_line(tmp_path: Path) -> None:
    save(await recorded(TraceRequest("POST", "/shout", body=b"hi")), tmp_path / "c")
    lines = (tmp_path / "c").read_text().splitlines()
    assert (
        '    {"direction": "receive", "message": {"type": "http.request", '
        in (lines[-5])
    )
    assert lines[-1] == "}"


async def test_replay_of_the_same_app_finds_no_difference() -> None:
    recording = await recorded(TraceRequest("POST", "/shout", body=b"hi"))
    assert await replay(make_app(), recording) == []


async def test_replay_names_each_difference() -> None:
    recording = await recorded(TraceRequest("POST", "/shout", body=b"hi"))
    assert await replay(make_app(suffix=b"!"), recording) == [
        "message 1 (http.response.start): header changed: content-length: 2 -> 3",
        "message 2 (http.response.body): body was b'HI', now b'HI!'",
    ]


async def test_replay_names_missing_and_extra_messages() -> None:
    recording = await recorded(TraceRequest("POST", "/shout", body=b"hi"))
    recording.sent.append({"type": "http.response.body", "body": b"x"})
    found = await replay(make_app(), recording)
    assert found == [
        "the app sent 2 messages, the recording has 3; it never sent: "
        "http.response.body"
    ]


async def test_replay_hands_out_a_disconnect_only_after_the_response() -> None:
    recording = await recorded(TraceRequest("GET", "/count"))
    assert recording.received[-1] == {"type": "http.disconnect"}
    assert len(recording.sent) == 5  # start, three chunks, the end: nothing cut
    assert await replay(make_app(), recording) == []


async def test_replay_a_websocket_session() -> None:
    request = TraceRequest(target="/ws", websocket=True, texts=["a", "b"])
    recording = await recorded(request)
    assert await replay(make_app(), recording) == []
    assert await replay(make_app(suffix=b"?"), recording) == [
        "message 2 (websocket.send): text was 'a', now 'a?'",
        "message 3 (websocket.send): text was 'b', now 'b?'",
    ]


async def test_replay_ignores_the_date_header_and_others_named() -> None:
    recording = await recorded(TraceRequest("POST", "/shout", body=b"hi"))
    recording.sent[0]["headers"] = [
        *recording.sent[0]["headers"],
        (b"date", b"yesterday"),
        (b"x-request-id", b"1"),
    ]
    found = await replay(make_app(), recording, ignore_headers=["date", "X-Request-Id"])
    assert found == []


def test_a_test_client_conversation_replays() -> None:
    with TestClient(make_app()) as client:
        response = client.post("/shout", content=b"bug")
    recording = Recording.of(response.extensions["microasgi.conversation"])
    assert_replays(make_app(), recording)
    with pytest.raises(AssertionError, match="body was b'BUG', now b'BUG!'"):
        assert_replays(make_app(suffix=b"!"), recording)


def test_a_test_client_conversation_of_a_500_saves_and_replays(tmp_path: Path) -> None:
    app = App()

    @app.get("/crash")
    async def crash(request: Any) -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/crash")
    assert response.status_code == 500
    recording = Recording.of(response.extensions["microasgi.conversation"])
    # The test client's error hook is no part of what a server offers.
    assert "microasgi.server_errors" not in recording.scope["extensions"]
    save(recording, tmp_path / "crash.json")
    assert_replays(app, tmp_path / "crash.json")


def test_load_refuses_a_file_that_is_no_recording(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(RecordingError, match="write one with microasgi trace"):
        load(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(RecordingError, match="is not JSON"):
        load(tmp_path / "broken.json")


def test_cli_trace_save_writes_a_recording_a_test_replays(tmp_path: Path) -> None:
    (tmp_path / "shouter.py").write_text(APP_SOURCE)
    result = run_cli(
        "trace", "shouter.py", "POST", "/shout", "-d", "hey", "--save", "conv.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "saved the conversation to conv.json" in result.stderr
    recording = load(tmp_path / "conv.json")
    assert recording.sent[-1]["body"] == b"HEY"
    assert_replays(make_app(), recording)


async def test_replay_runs_the_lifespan_around_the_request() -> None:
    app = App()

    @app.on_startup
    def connect() -> None:
        app.state.greeting = "hello"

    @app.get("/")
    async def greet(request: Any) -> str:
        return request.app.state.greeting

    results = await trace(app, TraceRequest("GET", "/"), lifespan=True)
    recording = Recording.of(results[0].conversation)
    assert recording.sent[-1]["body"] == b"hello"
    del app.state.greeting
    assert await replay(app, recording) == []
    del app.state.greeting
    found = await replay(app, recording, lifespan=False)  # startup never ran
    assert "message 1 (http.response.start): status was 200, now 500" in found
