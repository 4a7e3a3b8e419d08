"""HTTPSRedirectMiddleware: http -> https and ws -> wss."""

from __future__ import annotations

import pytest
from asgi import http_scope, run_asgi, websocket_scope

from microasgi.batteries.middleware import HTTPSRedirectMiddleware

pytestmark = pytest.mark.anyio


def make_scope(scheme="http", host="example.com", path="/items", **extra):
    make = websocket_scope if scheme.startswith("ws") else http_scope
    headers = [(b"host", host.encode())]
    scope = make(path, headers=headers, query_string=b"page=2", **extra)
    scope["scheme"] = scheme
    return scope


async def call(app, scope):
    first = "http.request" if scope["type"] == "http" else "websocket.connect"
    return await run_asgi(app, scope, [{"type": first}])


async def ok_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def location(sent):
    return dict(sent[0]["headers"])[b"location"].decode()


async def test_httpsredirect_sends_http_to_https_with_307():
    sent = await call(HTTPSRedirectMiddleware(ok_app), make_scope())
    assert sent[0]["status"] == 307
    assert location(sent) == "https://example.com/items?page=2"


async def test_httpsredirect_keeps_encoded_characters_of_the_path():
    scope = make_scope(path="/files/a?b#c/d", raw_path=b"/files/a%3Fb%23c%2Fd")
    sent = await call(HTTPSRedirectMiddleware(ok_app), scope)
    assert location(sent) == "https://example.com/files/a%3Fb%23c%2Fd?page=2"


async def test_httpsredirect_drops_the_default_port():
    scope = make_scope(host="example.com:80")
    sent = await call(HTTPSRedirectMiddleware(ok_app), scope)
    assert location(sent) == "https://example.com/items?page=2"


async def test_httpsredirect_keeps_another_port():
    scope = make_scope(host="example.com:8080")
    sent = await call(HTTPSRedirectMiddleware(ok_app), scope)
    assert location(sent) == "https://example.com:8080/items?page=2"


async def test_httpsredirect_lets_https_through():
    sent = await call(HTTPSRedirectMiddleware(ok_app), make_scope("https"))
    assert sent[0]["status"] == 200


async def test_httpsredirect_redirects_ws_to_wss_when_the_server_can():
    scope = make_scope("ws", path="/chat")  # offers websocket.http.response
    sent = await call(HTTPSRedirectMiddleware(ok_app), scope)
    assert sent == [
        {
            "type": "websocket.http.response.start",
            "status": 307,
            "headers": [(b"location", b"wss://example.com/chat?page=2")],
        },
        {"type": "websocket.http.response.body", "body": b""},
    ]


async def test_httpsredirect_closes_ws_when_the_server_cannot_redirect():
    scope = make_scope("ws", extensions={})
    sent = await call(HTTPSRedirectMiddleware(ok_app), scope)
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


async def test_httpsredirect_lets_wss_through():
    seen = []

    async def ws_app(scope, receive, send):
        seen.append(scope["scheme"])

    await call(HTTPSRedirectMiddleware(ws_app), make_scope("wss"))
    assert seen == ["wss"]


async def test_httpsredirect_passes_lifespan_through():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    await HTTPSRedirectMiddleware(inner)({"type": "lifespan"}, None, None)
    assert seen == ["lifespan"]
