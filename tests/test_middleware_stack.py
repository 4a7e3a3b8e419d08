"""The middleware stack: order, options, building once, wrapping error responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _core_helpers import call

import microasgi.core.errors
import microasgi.core.misses
import microasgi.core.results
from microasgi import App, PlainTextResponse, Request, Response
from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


class Tag:
    """Appends its name to an ``x-order`` header and to a shared call log."""

    instances = 0

    def __init__(self, app: ASGIApp, name: str = "tag", log: list[str] | None = None):
        self.app = app
        self.name = name
        self.log = log if log is not None else []
        Tag.instances += 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.log.append(self.name)

        async def send_with_tag(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message["headers"], (b"x-order", self.name.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_tag)


def hello_app(**options: Any) -> App:
    app = App(**options)
    app.add_route("/", lambda request: "hello")
    return app


async def test_middleware_last_added_is_outermost() -> None:
    log: list[str] = []
    app = hello_app()
    app.add_middleware(Tag, name="first", log=log)
    app.add_middleware(Tag, name="second", log=log)
    result = await call(app)
    assert log == ["second", "first"]
    # The innermost middleware sees the start message first.
    assert result.header_list("x-order") == ["first", "second"]


async def test_middleware_first_listed_in_constructor_is_outermost() -> None:
    log: list[str] = []
    app = hello_app(
        middleware=[(Tag, {"name": "outer", "log": log}), (Tag, {"name": "inner"})]
    )
    await call(app)
    assert log == ["outer"]
    result = await call(app)
    assert result.header_list("x-order") == ["inner", "outer"]


async def test_middleware_constructor_accepts_bare_classes() -> None:
    result = await call(hello_app(middleware=[Tag]))
    assert (result.text, result.header("x-order")) == ("hello", "tag")


async def test_middleware_options_are_passed_to_the_class() -> None:
    app = hello_app()
    app.add_middleware(Tag, name="custom")
    assert (await call(app)).header("x-order") == "custom"


async def test_middleware_stack_is_built_once() -> None:
    app = hello_app()
    app.add_middleware(Tag)
    before = Tag.instances
    await call(app)
    await call(app)
    assert Tag.instances == before + 1


async def test_middleware_added_after_first_request_is_refused() -> None:
    app = hello_app()
    await call(app)
    with pytest.raises(RuntimeError) as info:
        app.add_middleware(Tag)
    assert str(info.value) == (
        "add_middleware() called after the app started serving; "
        "add middleware before the first request"
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/missing", 404),
        ("POST", "/", 405),
        ("GET", "/boom", 500),
        ("GET", "/empty", 204),
        ("OPTIONS", "/", 204),
        ("GET", "/", 200),
    ],
)
async def test_middleware_sees_every_response(
    method: str, path: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    app = hello_app(middleware=[Tag])
    app.add_route("/empty", lambda request: None)

    @app.get("/boom")
    async def boom(request: Request) -> Any:
        raise RuntimeError("x")

    result = await call(app, method, path)
    assert (result.status, result.header_list("x-order")) == (status, ["tag"])


def add_header_in_place(app: ASGIApp) -> ASGIApp:
    """Edits the start message's header list itself, as many middlewares do."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"].append((b"x-order", b"tag"))
            await send(message)

        await app(scope, receive, send_with_header)

    return middleware


@pytest.fixture
def restore_shared_responses() -> Iterator[None]:
    """Undo header edits on module-level responses, so one test cannot leak."""
    shared = [
        getattr(module, name, None)
        for module in (
            microasgi.core.errors,
            microasgi.core.misses,
            microasgi.core.results,
        )
        for name in ("NOT_FOUND", "NO_CONTENT", "SERVER_ERROR")
    ]
    saved = [(r, list(r.raw_headers)) for r in shared if isinstance(r, Response)]
    yield
    for response, raw_headers in saved:
        response.raw_headers[:] = raw_headers


@pytest.mark.usefixtures("restore_shared_responses")
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/missing"), ("GET", "/boom"), ("GET", "/empty"), ("OPTIONS", "/")],
)
async def test_middleware_editing_headers_in_place_does_not_leak_across_requests(
    method: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = hello_app(middleware=[add_header_in_place])
    app.add_route("/empty", lambda request: None)
    app.add_route("/boom", lambda request: 1 / 0)
    await call(app, method, path)
    second = await call(app, method, path)
    assert second.header_list("x-order") == ["tag"]


async def test_middleware_can_answer_early() -> None:
    def refuse_all(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            await PlainTextResponse("nope", status_code=403)(scope, receive, send)

        return middleware

    result = await call(hello_app(middleware=[refuse_all]))
    assert (result.status, result.text) == (403, "nope")


async def test_middleware_can_wrap_receive() -> None:
    def upper_body(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            async def receive_upper() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    message = {**message, "body": message["body"].upper()}
                return message

            await app(scope, receive_upper, send)

        return middleware

    app = App(middleware=[upper_body])

    @app.post("/")
    async def echo(request: Request) -> Any:
        return await request.body()

    assert (await call(app, "POST", "/", body=b"shout")).body == b"SHOUT"


async def test_middleware_sees_scope_app() -> None:
    seen: list[Any] = []

    def spy(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope.get("app"))
            await app(scope, receive, send)

        return middleware

    app = hello_app(middleware=[spy])
    await call(app)
    assert seen == [app]
