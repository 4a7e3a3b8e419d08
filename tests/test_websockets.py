"""WebSocket: handshake, frames, bad input, errors, and exact ASGI conversations."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest
from asgi import websocket_scope

from microasgi import App, HTTPException, Router, WebSocketDisconnect
from microasgi.core.types import Message
from microasgi.core.websockets import WebSocket, WebSocketState
from microasgi.testing.client import (
    TestClient,
    WebSocketClosedError,
    WebSocketDenialError,
)

pytestmark = pytest.mark.anyio

CONNECT = {"type": "websocket.connect"}
ACCEPT = {"type": "websocket.accept", "subprotocol": None, "headers": []}


def text(data: str) -> Message:
    return {"type": "websocket.receive", "text": data}


def close(code: int = 1000, reason: str = "") -> Message:
    return {"type": "websocket.close", "code": code, "reason": reason}


async def converse(
    app: Any, script: list[Message], scope: dict[str, Any] | None = None
) -> list[Message]:
    """Run ``app`` once: ``receive`` plays ``script``, then waits forever."""
    pending = list(script)
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        await app(scope or websocket_scope("/ws"), receive, send)
    return sent


@pytest.fixture
def app() -> App:
    return App()


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def lenient_client(app: App) -> Iterator[TestClient]:
    """A client that shows what a real one gets when a handler fails."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


# Frames ---------------------------------------------------------------------


def test_websocket_echoes_text(app: App, client: TestClient) -> None:
    @app.websocket("/ws")
    async def echo(ws):
        await ws.accept()
        await ws.send_text(await ws.receive_text())

    with client.websocket_connect("/ws") as ws:
        ws.send_text("héllo")
        assert ws.receive_text() == "héllo"


def test_websocket_echoes_bytes(app: App, client: TestClient) -> None:
    @app.websocket("/ws")
    async def echo(ws):
        await ws.accept()
        await ws.send_bytes(await ws.receive_bytes())

    with client.websocket_connect("/ws") as ws:
        ws.send_bytes(b"\x00\xff")
        assert ws.receive_bytes() == b"\x00\xff"


def test_websocket_echoes_json(app: App, client: TestClient) -> None:
    @app.websocket("/ws")
    async def echo(ws):
        await ws.accept()
        await ws.send_json({"got": await ws.receive_json()})

    with client.websocket_connect("/ws") as ws:
        ws.send_json({"n": [1, 2], "s": "ü"})
        assert ws.receive_text() == '{"got":{"n":[1,2],"s":"ü"}}'


def test_websocket_receive_json_accepts_a_binary_frame(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def echo(ws):
        await ws.accept()
        await ws.send_json(await ws.receive_json())

    with client.websocket_connect("/ws") as ws:
        ws.send_json([1, "two"], mode="binary")
        assert ws.receive_json() == [1, "two"]


def test_websocket_iter_text_ends_quietly_on_disconnect(
    app: App, client: TestClient
) -> None:
    received: list[str] = []
    finished = asyncio.Event()

    @app.websocket("/ws")
    async def collect(ws):
        await ws.accept()
        async for item in ws.iter_text():
            received.append(item)
        finished.set()

    with client.websocket_connect("/ws") as ws:
        ws.send_text("a")
        ws.send_text("b")
    assert received == ["a", "b"]
    assert finished.is_set()


def test_websocket_iter_bytes_and_iter_json_end_on_disconnect(
    app: App, client: TestClient
) -> None:
    received: list[Any] = []

    @app.websocket("/ws")
    async def collect(ws):
        await ws.accept()
        async for item in ws.iter_bytes():
            received.append(item)
            break
        async for item in ws.iter_json():
            received.append(item)

    with client.websocket_connect("/ws") as ws:
        ws.send_bytes(b"raw")
        ws.send_json({"a": 1})
    assert received == [b"raw", {"a": 1}]


def test_websocket_disconnect_carries_code_and_reason(
    app: App, client: TestClient
) -> None:
    seen: list[tuple[int, str]] = []

    @app.websocket("/ws")
    async def wait(ws):
        await ws.accept()
        try:
            await ws.receive_text()
        except WebSocketDisconnect as exc:
            seen.append((exc.code, exc.reason))
            raise

    with client.websocket_connect("/ws") as ws:
        ws.close(4001, "bye now")
    assert seen == [(4001, "bye now")]


# Connection details ---------------------------------------------------------


def test_websocket_path_params_are_keyword_arguments(
    app: App, client: TestClient
) -> None:
    @app.websocket("/rooms/{room}/{seat:int}")
    async def seat(ws, room: str, seat: int):
        await ws.accept()
        await ws.send_json([room, seat, ws.path_params])

    with client.websocket_connect("/rooms/blue/7") as ws:
        assert ws.receive_json() == ["blue", 7, {"room": "blue", "seat": 7}]


def test_websocket_exposes_query_headers_cookies_and_client(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def details(ws):
        await ws.accept()
        await ws.send_json(
            {
                "q": ws.query_params.getlist("q"),
                "header": ws.headers["x-token"],
                "cookie": ws.cookies["session"],
                "client": ws.client.host,
                "path": ws.path,
            }
        )

    headers = {"x-token": "t0k", "cookie": "session=abc"}
    with client.websocket_connect("/ws?q=1&q=2", headers=headers) as ws:
        assert ws.receive_json() == {
            "q": ["1", "2"],
            "header": "t0k",
            "cookie": "abc",
            "client": "testclient",
            "path": "/ws",
        }


def test_websocket_state_is_per_connection(app: App, client: TestClient) -> None:
    @app.websocket("/ws")
    async def count(ws):
        ws.state.hits = getattr(ws.state, "hits", 0) + 1
        await ws.accept()
        await ws.send_json(ws.state.hits)

    for _ in range(2):
        with client.websocket_connect("/ws") as ws:
            assert ws.receive_json() == 1


def test_websocket_accept_sends_subprotocol_and_headers(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def pick(ws):
        offered = ws.scope["subprotocols"]
        await ws.accept(subprotocol=offered[-1], headers={"x-server": "micro"})

    with client.websocket_connect("/ws", subprotocols=["v1", "v2"]) as ws:
        assert ws.accepted_subprotocol == "v2"
        assert (b"x-server", b"micro") in ws.extra_headers


def test_websocket_router_routes_are_included(app: App, client: TestClient) -> None:
    router = Router(prefix="/api")

    @router.websocket("/live")
    async def live(ws):
        await ws.accept()
        await ws.send_text("from router")

    app.include_router(router)
    with client.websocket_connect("/api/live") as ws:
        assert ws.receive_text() == "from router"


# Bad frames -----------------------------------------------------------------


def test_websocket_receive_text_on_binary_frame_closes_1003(
    app: App, client: TestClient
) -> None:
    seen: list[int] = []

    @app.websocket("/ws")
    async def wants_text(ws):
        await ws.accept()
        try:
            await ws.receive_text()
        except WebSocketDisconnect as exc:
            seen.append(exc.code)

    with client.websocket_connect("/ws") as ws:
        ws.send_bytes(b"\x01")
        with pytest.raises(WebSocketClosedError) as closed:
            ws.receive()
    assert closed.value.code == 1003
    assert closed.value.reason == "expected a text frame, got a binary frame"
    assert seen == [1003]


def test_websocket_receive_bytes_on_text_frame_closes_1003(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def wants_bytes(ws):
        await ws.accept()
        async for _ in ws.iter_bytes():
            pass

    with client.websocket_connect("/ws") as ws:
        ws.send_text("not bytes")
        with pytest.raises(WebSocketClosedError) as closed:
            ws.receive()
    assert closed.value.code == 1003
    assert closed.value.reason == "expected a binary frame, got a text frame"


def test_websocket_invalid_json_closes_1007_with_the_parse_error(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def wants_json(ws):
        await ws.accept()
        async for _ in ws.iter_json():
            pass

    with client.websocket_connect("/ws") as ws:
        ws.send_text("{not json")
        with pytest.raises(WebSocketClosedError) as closed:
            ws.receive()
    assert closed.value.code == 1007
    assert closed.value.reason.startswith("invalid JSON: Expecting property name")


def test_websocket_invalid_utf8_json_bytes_closes_1007(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def wants_json(ws):
        await ws.accept()
        await ws.receive_json()

    with client.websocket_connect("/ws") as ws:
        ws.send_bytes(b"\xff\xfe")
        with pytest.raises(WebSocketClosedError) as closed:
            ws.receive()
    assert closed.value.code == 1007


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_websocket_json_constants_close_1007_as_request_json_refuses_them(
    app: App, client: TestClient, text: str
) -> None:
    @app.websocket("/ws")
    async def wants_json(ws):
        await ws.accept()
        await ws.send_json({"got": repr(await ws.receive_json())})

    with client.websocket_connect("/ws") as ws:
        ws.send_text(text)
        with pytest.raises(WebSocketClosedError) as closed:
            ws.receive()
    assert closed.value.code == 1007
    assert "is not valid JSON" in closed.value.reason


def test_websocket_long_close_reason_is_shortened_to_fit_a_frame(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def wants_json(ws):
        await ws.accept()
        await ws.receive_json()

    with client.websocket_connect("/ws") as ws:
        ws.send_text("[" + "1," * 200 + "x]")
        with pytest.raises(WebSocketClosedError) as closed:
            ws.receive()
    assert len(closed.value.reason.encode()) <= 123
    assert closed.value.reason.startswith("invalid JSON")


# Denied handshakes ----------------------------------------------------------


def test_websocket_close_before_accept_denies_with_403(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def refuse(ws):
        await ws.close()

    with pytest.raises(WebSocketDenialError) as denied, client.websocket_connect("/ws"):
        pass
    assert denied.value.status_code == 403


def test_websocket_handler_that_never_accepts_is_denied_not_hung(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def forgetful(ws):
        return None

    with pytest.raises(WebSocketDenialError) as denied, client.websocket_connect("/ws"):
        pass
    assert denied.value.status_code == 403


def test_websocket_http_exception_before_accept_sends_its_status_and_detail(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def guarded(ws):
        raise HTTPException(401, "token required", headers={"www-authenticate": "x"})

    with pytest.raises(WebSocketDenialError) as denied, client.websocket_connect("/ws"):
        pass
    assert denied.value.status_code == 401
    assert denied.value.body == b"token required"
    assert denied.value.headers["www-authenticate"] == "x"
    assert denied.value.headers["content-type"] == "text/plain; charset=utf-8"


async def test_websocket_http_exception_without_extension_closes() -> None:
    app = App()

    @app.websocket("/ws")
    async def guarded(ws):
        raise HTTPException(401)

    scope = websocket_scope("/ws", extensions={})
    assert await converse(app, [CONNECT], scope) == [close()]


async def test_websocket_denial_message_sequence_uses_the_extension() -> None:
    app = App()

    @app.websocket("/ws")
    async def guarded(ws):
        raise HTTPException(404, "no such room")

    assert await converse(app, [CONNECT]) == [
        {
            "type": "websocket.http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"12"),
            ],
        },
        {"type": "websocket.http.response.body", "body": b"no such room"},
    ]


def test_websocket_http_exception_after_accept_closes_1008(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def guarded(ws):
        await ws.accept()
        raise HTTPException(403, "not in this room")

    with (
        client.websocket_connect("/ws") as ws,
        pytest.raises(WebSocketClosedError) as e,
    ):
        ws.receive()
    assert (e.value.code, e.value.reason) == (1008, "not in this room")


# Errors ---------------------------------------------------------------------


def add_broken_handler(app: App) -> None:
    @app.websocket("/ws")
    async def broken(ws):
        await ws.accept()
        raise RuntimeError("database gone")


def test_websocket_unhandled_error_closes_1011_and_is_logged(
    app: App, lenient_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    add_broken_handler(app)
    with (
        lenient_client.websocket_connect("/ws") as ws,
        pytest.raises(WebSocketClosedError) as e,
    ):
        ws.receive()
    assert e.value.code == 1011
    [record] = [r for r in caplog.records if r.name == "microasgi"]
    assert record.levelno == logging.ERROR
    assert "'broken'" in record.getMessage()
    assert str(record.exc_info[1]) == "database gone"


def test_websocket_error_before_accept_denies_with_500(
    app: App, lenient_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def broken(ws):
        raise KeyError("config")

    with (
        pytest.raises(WebSocketDenialError) as denied,
        lenient_client.websocket_connect("/ws"),
    ):
        pass
    assert denied.value.status_code == 500
    assert denied.value.body == b"Internal Server Error"
    assert "Exception in WebSocket handler 'broken'" in caplog.text


def test_websocket_unhandled_error_is_raised_in_the_test(
    app: App, client: TestClient
) -> None:
    add_broken_handler(app)
    with (
        pytest.raises(RuntimeError, match="database gone"),
        client.websocket_connect("/ws") as ws,
    ):
        ws.receive()


def test_websocket_exception_handler_is_called_with_ws_and_exc(
    app: App, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    class QuotaError(Exception):
        pass

    @app.exception_handler(QuotaError)
    async def over_quota(ws, exc):
        await ws.close(4029, f"over quota: {exc}")

    @app.websocket("/ws")
    async def limited(ws):
        await ws.accept()
        raise QuotaError("10/min")

    with (
        client.websocket_connect("/ws") as ws,
        pytest.raises(WebSocketClosedError) as e,
    ):
        ws.receive()
    assert (e.value.code, e.value.reason) == (4029, "over quota: 10/min")


def test_websocket_failing_exception_handler_is_logged_and_closes_1011(
    app: App, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.exception_handler(ValueError)
    def clumsy(ws, exc):
        raise TypeError("handler bug")

    @app.websocket("/ws")
    async def broken(ws):
        await ws.accept()
        raise ValueError("first")

    with (
        client.websocket_connect("/ws") as ws,
        pytest.raises(WebSocketClosedError) as e,
    ):
        ws.receive()
    assert e.value.code == 1011
    assert "Exception handler" in caplog.text
    assert "handler bug" in caplog.text


def test_websocket_status_code_handlers_are_not_used(
    app: App, lenient_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[Any] = []
    app.add_exception_handler(500, lambda request, exc: called.append(exc))

    @app.websocket("/ws")
    async def broken(ws):
        await ws.accept()
        raise RuntimeError("x")

    with (
        lenient_client.websocket_connect("/ws") as ws,
        pytest.raises(WebSocketClosedError),
    ):
        ws.receive()
    assert called == []


def test_websocket_sync_handler_is_refused_at_registration(app: App) -> None:
    def blocking(ws):
        return None

    with pytest.raises(TypeError, match="is a plain def; write it as: async def"):
        app.websocket("/ws")(blocking)


def test_websocket_goes_through_middleware() -> None:
    app = App()
    seen: list[str] = []

    class Recorder:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            async def send_and_record(message):
                if scope["type"] == "websocket":
                    seen.append(message["type"])
                await send(message)

            await self.app(scope, receive, send_and_record)

    app.add_middleware(Recorder)

    @app.websocket("/ws")
    async def hello(ws):
        await ws.accept()
        await ws.send_text("hi")

    with TestClient(app) as other, other.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hi"
    assert seen == ["websocket.accept", "websocket.send", "websocket.close"]


# Exact conversations and protocol order ---------------------------------------


async def test_websocket_echo_exact_message_sequence() -> None:
    app = App()

    @app.websocket("/ws")
    async def echo(ws):
        await ws.accept()
        async for item in ws.iter_text():
            await ws.send_text(item.upper())

    script = [CONNECT, text("a"), {"type": "websocket.disconnect", "code": 1001}]
    assert await converse(app, script) == [
        ACCEPT,
        {"type": "websocket.send", "text": "A"},
    ]


async def test_websocket_handler_returning_after_accept_closes_1000() -> None:
    app = App()

    @app.websocket("/ws")
    async def brief(ws):
        await ws.accept()

    assert await converse(app, [CONNECT]) == [ACCEPT, close(1000)]


async def test_websocket_client_gone_before_connect_runs_no_handler() -> None:
    app = App()
    calls: list[WebSocket] = []

    @app.websocket("/ws")
    async def never(ws):
        calls.append(ws)

    script = [{"type": "websocket.disconnect", "code": 1006}]
    assert await converse(app, script) == []
    assert calls == []


async def test_websocket_first_message_must_be_connect() -> None:
    ws = WebSocket(websocket_scope(), _script([text("early")]), _discard)
    with pytest.raises(RuntimeError, match=r"expected 'websocket\.connect' first"):
        await ws.accept()


async def test_websocket_receive_before_accept_is_refused() -> None:
    ws = WebSocket(websocket_scope(), _script([CONNECT]), _discard)
    with pytest.raises(RuntimeError, match=r"accept\(\) before receiving"):
        await ws.receive_text()


async def test_websocket_send_before_accept_is_refused() -> None:
    ws = WebSocket(websocket_scope(), _script([CONNECT]), _discard)
    with pytest.raises(RuntimeError, match="WebSocket that is connecting"):
        await ws.send_text("too soon")


async def test_websocket_accept_twice_is_refused() -> None:
    ws = WebSocket(websocket_scope(), _script([CONNECT]), _discard)
    await ws.accept()
    with pytest.raises(RuntimeError, match="accept"):
        await ws.accept()


async def test_websocket_send_after_close_is_refused() -> None:
    ws = WebSocket(websocket_scope(), _script([CONNECT]), _discard)
    await ws.accept()
    await ws.close()
    with pytest.raises(RuntimeError, match="WebSocket that is closed"):
        await ws.send_text("late")
    assert ws.application_state is WebSocketState.CLOSED


async def test_websocket_send_to_departed_client_raises_disconnect() -> None:
    async def send(message: Message) -> None:
        if message["type"] == "websocket.send":
            raise OSError("connection reset")

    ws = WebSocket(websocket_scope(), _script([CONNECT]), send)
    await ws.accept()
    with pytest.raises(WebSocketDisconnect) as gone:
        await ws.send_text("anyone?")
    assert gone.value.code == 1006
    assert ws.client_state is WebSocketState.CLOSED


async def test_websocket_receive_after_disconnect_raises_again() -> None:
    script = [CONNECT, {"type": "websocket.disconnect", "code": 1001}]
    ws = WebSocket(websocket_scope(), _script(script), _discard)
    await ws.accept()
    for _ in range(2):
        with pytest.raises(WebSocketDisconnect) as gone:
            await ws.receive_text()
        assert gone.value.code == 1001


async def test_websocket_close_reason_too_long_is_a_value_error() -> None:
    ws = WebSocket(websocket_scope(), _script([CONNECT]), _discard)
    await ws.accept()
    with pytest.raises(ValueError, match="at most 123"):
        await ws.close(1000, "x" * 124)


# Many connections -------------------------------------------------------------


async def test_websocket_thousand_connect_disconnect_cycles_leak_no_tasks() -> None:
    app = App()

    @app.websocket("/ws")
    async def echo(ws):
        await ws.accept()
        async for item in ws.iter_text():
            await ws.send_text(item)

    await asyncio.sleep(0)
    before = len(asyncio.all_tasks())
    with anyio.fail_after(60):
        for number in range(1000):
            to_app: asyncio.Queue[Message] = asyncio.Queue()
            from_app: asyncio.Queue[Message] = asyncio.Queue()
            to_app.put_nowait(CONNECT)
            task = asyncio.create_task(
                app(websocket_scope("/ws"), to_app.get, from_app.put)
            )
            assert (await from_app.get())["type"] == "websocket.accept"
            if number % 2:
                to_app.put_nowait(text("ping"))
                assert (await from_app.get())["text"] == "ping"
            to_app.put_nowait({"type": "websocket.disconnect", "code": 1001})
            await task
    assert len(asyncio.all_tasks()) == before


def _script(messages: list[Message]) -> Any:
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0)

    return receive


async def _discard(message: Message) -> None:
    return None


# The how-to example and its page ---------------------------------------------------

ROOT = Path(__file__).parent.parent


def load_howto() -> ModuleType:
    path = ROOT / "examples" / "websockets_howto.py"
    spec = importlib.util.spec_from_file_location("websockets_howto", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def howto() -> Iterator[TestClient]:
    with TestClient(load_howto().app) as client:
        yield client


def test_websocket_howto_echo(howto: TestClient) -> None:
    with howto.websocket_connect("/echo") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi"


def test_websocket_howto_guard_refuses_an_unknown_token(howto: TestClient) -> None:
    with (
        pytest.raises(WebSocketDenialError) as denied,
        howto.websocket_connect("/private?token=nope"),
    ):
        pass
    assert (denied.value.status_code, denied.value.body) == (401, b"unknown token")


def test_websocket_howto_guard_greets_a_known_token(howto: TestClient) -> None:
    with howto.websocket_connect("/private?token=s3cret") as ws:
        assert ws.receive_json() == {"hello": "ada"}


def test_websocket_howto_exception_handler_closes_1008(
    howto: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with howto.websocket_connect("/limited") as ws:
        for number in range(3):
            ws.send_text(str(number))
            assert ws.receive_text() == str(number)
        ws.send_text("one too many")
        with pytest.raises(WebSocketClosedError) as closed:
            ws.receive()
    assert (closed.value.code, closed.value.reason) == (1008, "slow down")


def test_websocket_howto_docs_snippets_exist() -> None:
    doc = ROOT / "docs" / "how-to" / "websockets.md"
    includes = re.findall(r'--8<-- "([^"]+)"', doc.read_text())
    assert len(includes) == 5
    for include in includes:
        path, _, section = include.partition(":")
        text = (ROOT / path).read_text()
        assert f"--8<-- [start:{section}]" in text, include
        assert f"--8<-- [end:{section}]" in text, include
