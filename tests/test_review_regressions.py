"""Regression tests for bugs found in a review of the package, one per test."""

from __future__ import annotations

import pytest
from asgi import http_scope, run_asgi, websocket_scope

from microasgi import App, BackgroundTask, Response
from microasgi.batteries.middleware import (
    CORSMiddleware,
    GZipMiddleware,
    HTTPSRedirectMiddleware,
)
from microasgi.batteries.wsgi import WSGIApp
from microasgi.core.datastructures import Headers
from microasgi.core.routing import Router
from microasgi.core.types import Receive, Scope, Send
from microasgi.tooling.explain import explain

pytestmark = pytest.mark.anyio

SHARED_HEADERS = [(b"content-type", b"text/plain")]


async def app_with_shared_headers(scope: Scope, receive: Receive, send: Send) -> None:
    """Sends the same header list object on every request."""
    await send(
        {"type": "http.response.start", "status": 200, "headers": SHARED_HEADERS}
    )
    await send({"type": "http.response.body", "body": b"x" * 1000})


@pytest.fixture
def shared_headers() -> list[tuple[bytes, bytes]]:
    SHARED_HEADERS[:] = [(b"content-type", b"text/plain")]
    return SHARED_HEADERS


async def test_request_body_non_ascii_digit_content_length_is_400() -> None:
    app = App()

    @app.post("/echo")
    async def echo(request):
        return await request.body()

    headers = [(b"host", b"testserver"), (b"content-length", "²".encode("latin-1"))]
    scope = http_scope("/echo", "POST", headers=headers)
    sent = await run_asgi(app, scope, [{"type": "http.request", "body": b""}])
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == b"Invalid Content-Length header: '\xc2\xb2'"


async def test_wsgiapp_non_ascii_digit_content_length_is_not_a_crash() -> None:
    def wsgi(environ, start_response):
        start_response("200 OK", [("content-type", "text/plain")])
        return [b"ok"]

    headers = [(b"host", b"testserver"), (b"content-length", "³".encode("latin-1"))]
    scope = http_scope("/", "POST", headers=headers)
    sent = await run_asgi(
        WSGIApp(wsgi),
        scope,
        [{"type": "http.request", "body": b"", "more_body": False}],
    )
    assert sent[0]["status"] == 200


async def test_wsgiapp_content_length_of_thousands_of_digits_is_413() -> None:
    def wsgi(environ, start_response):
        start_response("200 OK", [("content-type", "text/plain")])
        return [b"ok"]

    headers = [(b"host", b"testserver"), (b"content-length", b"9" * 5000)]
    scope = http_scope("/", "POST", headers=headers)
    sent = await run_asgi(
        WSGIApp(wsgi),
        scope,
        [{"type": "http.request", "body": b"x", "more_body": False}],
    )
    assert sent[0]["status"] == 413


def test_response_media_type_with_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        Response("x", media_type="text/html\r\nset-cookie: a=b")


def test_response_media_type_not_latin1_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not latin-1"):
        Response("x", media_type="text/€")


async def test_cors_middleware_leaves_the_apps_header_list_alone(
    shared_headers: list[tuple[bytes, bytes]],
) -> None:
    cors = CORSMiddleware(app_with_shared_headers, allow_origins=["https://a.example"])
    headers = [(b"host", b"testserver"), (b"origin", b"https://a.example")]
    for _ in range(2):
        sent = await run_asgi(cors, http_scope("/", headers=headers), [])
    assert shared_headers == [(b"content-type", b"text/plain")]
    assert sent[0]["headers"].count((b"vary", b"Origin")) == 1


async def test_gzip_middleware_leaves_the_apps_header_list_alone(
    shared_headers: list[tuple[bytes, bytes]],
) -> None:
    gzip = GZipMiddleware(app_with_shared_headers)
    headers = [(b"host", b"testserver"), (b"accept-encoding", b"gzip")]
    sent = await run_asgi(gzip, http_scope("/", headers=headers), [])
    assert shared_headers == [(b"content-type", b"text/plain")]
    assert (b"content-encoding", b"gzip") in sent[0]["headers"]


async def test_httpsredirect_websocket_non_latin1_path_is_percent_encoded() -> None:
    redirect = HTTPSRedirectMiddleware(app_with_shared_headers)
    scope = websocket_scope("/chat/é€")
    sent = await run_asgi(redirect, scope, [{"type": "websocket.connect"}])
    assert sent[0] == {
        "type": "websocket.http.response.start",
        "status": 307,
        "headers": [(b"location", b"wss://testserver/chat/%C3%A9%E2%82%AC")],
    }


async def test_background_task_awaits_an_async_callable_object() -> None:
    class Job:
        ran = False

        async def __call__(self) -> None:
            self.ran = True

    job = Job()
    await BackgroundTask(job)()
    assert job.ran


async def test_include_router_keeps_the_routers_own_converter() -> None:
    router = Router(prefix="/tags")
    router.add_converter("slug", r"[a-z-]+")

    @router.get("/{tag:slug}")
    async def show_tag(request, tag):
        return tag

    app = App()
    app.include_router(router)
    sent = await run_asgi(app, http_scope("/tags/red-wine"), [])
    assert sent[1]["body"] == b"red-wine"


def test_include_router_refuses_a_clashing_converter() -> None:
    router = Router()
    router.add_converter("slug", r"[a-z-]+")
    app = App()
    app.add_converter("slug", r"[0-9]+")
    with pytest.raises(ValueError, match="converter 'slug' differs"):
        app.include_router(router)


async def test_app_not_found_handler_request_uses_the_apps_limits() -> None:
    app = App(max_body_size=4)

    @app.exception_handler(404)
    async def not_found(request, exc):
        return Response(str(request.limits.max_body_size), status_code=404)

    sent = await run_asgi(app, http_scope("/missing"), [])
    assert sent[1]["body"] == b"4"


async def test_app_method_not_allowed_handler_request_uses_the_apps_limits() -> None:
    app = App(max_body_size=4)

    @app.get("/items")
    async def items(request):
        return "items"

    @app.exception_handler(405)
    async def not_allowed(request, exc):
        return Response(str(request.limits.max_body_size), status_code=405)

    sent = await run_asgi(app, http_scope("/items", "POST"), [])
    assert sent[1]["body"] == b"4"


def test_headers_with_list_pairs_compare_and_hash() -> None:
    from_lists = Headers([[b"a", b"1"]])
    from_tuples = Headers([(b"a", b"1")])
    assert from_lists == from_tuples
    assert hash(from_lists) == hash(from_tuples)


async def test_server_error_middleware_client_gone_in_middleware_is_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from microasgi import Request

    class ReadsBody:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await Request(scope, receive).body()
            await self.app(scope, receive, send)

    app = App()
    app.add_middleware(ReadsBody)
    script = [
        {"type": "http.request", "body": b"x", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list = []

    async def receive():
        return script.pop(0)

    async def send(message):
        sent.append(message)

    await app(http_scope("/", "POST"), receive, send)
    assert sent == []
    assert "Exception" not in caplog.text


async def test_app_double_slash_redirects_to_root_like_explain_says() -> None:
    app = App()

    @app.get("/")
    async def home(request):
        return "home"

    sent = await run_asgi(app, http_scope("//"), [])
    assert sent[0]["status"] == 307
    assert dict(sent[0]["headers"])[b"location"].endswith(b"/")
    assert explain(app, "GET //").status == 307


def test_unquote_cookie_undoes_quotes_and_escapes() -> None:
    from microasgi.core.http import parse_cookies

    assert parse_cookies(r'a="x\054y"; b="say \"hi\""; c=plain') == {
        "a": "x,y",
        "b": 'say "hi"',
        "c": "plain",
    }


def test_http_exception_refuses_header_injection_at_construction() -> None:
    from microasgi import HTTPException

    with pytest.raises(ValueError, match="CR, LF"):
        HTTPException(401, headers={"www-authenticate": "x\r\nset-cookie: a=1"})
