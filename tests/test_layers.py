"""trace --layers: the conversation at every middleware boundary, and its changes."""

from __future__ import annotations

from typing import Any

import pytest

from microasgi import App
from microasgi.layers import format_layers, layer_changes, mermaid
from microasgi.middleware import GZipMiddleware, SessionMiddleware
from microasgi.middleware.trustedhost import TrustedHostMiddleware
from microasgi.trace import TraceRequest, trace, trace_json

pytestmark = pytest.mark.anyio

GZIP = [(b"accept-encoding", b"gzip")]


class AddHeader:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_with_header(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [*message["headers"], (b"x-layer", b"yes")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


class SwallowHints:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_without_hints(message: Any) -> None:
            if message["type"] != "http.response.early_hint":
                await send(message)

        await self.app(scope, receive, send_without_hints)


class ShoutBody:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def receive_shouted() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                message = {**message, "body": message["body"].upper() + b"!"}
            return message

        await self.app(scope, receive_shouted, send)


def make_app(*middleware: Any, **options: Any) -> App:
    app = App()
    for cls in middleware:
        app.add_middleware(cls, **options.get(cls.__name__, {}))

    @app.get("/")
    async def index(request: Any) -> str:
        await request.send_early_hints(["</a.css>; rel=preload"])
        return "hello " * 100

    @app.post("/echo")
    async def echo(request: Any) -> bytes:
        return await request.body()

    return app


async def traced(app: App, request: TraceRequest) -> Any:
    [result] = await trace(app, request, layers=True)
    return result


async def test_layers_name_every_boundary_outermost_first() -> None:
    result = await traced(make_app(AddHeader, GZipMiddleware), TraceRequest())
    names = [layer.name for layer in result.layers]
    assert names == ["ServerErrorMiddleware", "GZipMiddleware", "AddHeader",
                     "App.dispatch"]  # fmt: skip


async def test_layers_show_a_header_added_and_a_body_compressed() -> None:
    app = make_app(AddHeader, GZipMiddleware)
    result = await traced(app, TraceRequest(headers=GZIP))
    errors, gzip, add_header, dispatch = result.layers
    assert layer_changes(errors, gzip) == []
    assert layer_changes(add_header, dispatch) == [
        "send http.response.start: header added: x-layer: yes"
    ]
    assert layer_changes(gzip, add_header) == [
        "send http.response.start: header added: content-encoding: gzip",
        "send http.response.start: header added: vary: Accept-Encoding",
        "send http.response.start: header changed: content-length: 600 -> 32",
        "send http.response.body: body compressed: 600 -> 32 bytes",
    ]


async def test_layers_show_a_swallowed_message() -> None:
    request = TraceRequest(extensions=["http.response.early_hint"])
    result = await traced(make_app(SwallowHints), request)
    swallow, dispatch = result.layers[1:]
    assert layer_changes(swallow, dispatch) == [
        "send http.response.early_hint: swallowed"
    ]


async def test_layers_show_a_changed_request_body() -> None:
    request = TraceRequest("POST", "/echo", body=b"hi")
    result = await traced(make_app(ShoutBody), request)
    shout, dispatch = result.layers[1:]
    assert layer_changes(shout, dispatch) == [
        "receive http.request: body changed: 2 -> 3 bytes"
    ]


async def test_layers_show_a_scope_key_added() -> None:
    options = {"SessionMiddleware": {"secret_key": "s" * 32}}
    result = await traced(make_app(SessionMiddleware, **options), TraceRequest())
    session, dispatch = result.layers[1:]
    assert "scope: added 'session'" in layer_changes(session, dispatch)


async def test_layers_show_a_layer_that_answered_by_itself() -> None:
    options = {"TrustedHostMiddleware": {"allowed_hosts": ["example.com"]}}
    result = await traced(make_app(TrustedHostMiddleware, **options), TraceRequest())
    trusted, dispatch = result.layers[1:]
    assert dispatch.conversation is None
    assert layer_changes(trusted, dispatch) == [
        "answered by itself; the layers inside were never called",
        "send http.response.start (400): added by this layer",
        "send http.response.body (19 bytes): added by this layer",
    ]
    assert "never called" in format_layers(result.layers)


async def test_format_layers_nests_each_layer_with_its_changes() -> None:
    result = await traced(make_app(AddHeader), TraceRequest())
    assert format_layers(result.layers) == (
        "server\n"
        "  ServerErrorMiddleware\n"
        "    passed everything through unchanged\n"
        "    AddHeader\n"
        "      send http.response.start: header added: x-layer: yes\n"
        "      App.dispatch\n"
        "        send     http.response.start (200)\n"
        "        send     http.response.body (600 bytes)"
    )


async def test_mermaid_orders_arrows_across_boundaries() -> None:
    result = await traced(make_app(AddHeader), TraceRequest())
    lines = mermaid(result.layers).splitlines()
    assert lines[:4] == [
        "sequenceDiagram",
        "    participant P0 as Server",
        "    participant P1 as ServerErrorMiddleware",
        "    participant P2 as AddHeader",
    ]
    arrows = [line.strip() for line in lines if "->>" in line]
    assert arrows[:3] == [
        "P3-->>P2: http.response.start (200)",
        "P2-->>P1: http.response.start (200)",
        "P1-->>P0: http.response.start (200)",
    ]
    assert (
        "    Note over P2: send http.response.start: header added: x-layer: yes"
        in lines
    )


async def test_mermaid_of_a_plain_trace_has_server_and_app() -> None:
    [result] = await trace(make_app(), TraceRequest("POST", "/echo", body=b"hi"))
    assert mermaid(result.as_layers()).splitlines()[1:] == [
        "    participant P0 as Server",
        "    participant P1 as app",
        "    P0->>P1: http.request (2 bytes)",
        "    P1-->>P0: http.response.start (200)",
        "    P1-->>P0: http.response.body (2 bytes)",
    ]


async def test_layers_need_a_microasgi_app() -> None:
    async def raw(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    with pytest.raises(TypeError, match="microasgi App only, not for function"):
        await trace(raw, TraceRequest(), layers=True)


async def test_trace_json_lists_each_layer_and_its_changes() -> None:
    result = await traced(make_app(AddHeader), TraceRequest())
    assert trace_json(result)["layers"] == [
        {"name": "ServerErrorMiddleware", "changes": []},
        {
            "name": "AddHeader",
            "changes": ["send http.response.start: header added: x-layer: yes"],
        },
        {"name": "App.dispatch", "changes": []},
    ]
