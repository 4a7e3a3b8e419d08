"""App: the ASGI callable, mounts with root_path, scope keys, run()."""

from __future__ import annotations

import functools
from typing import Any, cast

import pytest
from _core_helpers import call, make_scope, run

from microasgi import App, Request, Router
from microasgi.core.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


def recording_app(seen: list[Scope]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"mounted"})

    return app


async def test_app_hello_world() -> None:
    app = App()

    @app.get("/")
    async def hello(request: Request) -> Any:
        return "Hello, World!"

    result = await call(app)
    assert result.messages == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", b"13"),
                (b"content-type", b"text/plain; charset=utf-8"),
            ],
        },
        {"type": "http.response.body", "body": b"Hello, World!"},
    ]


async def test_app_sets_scope_app_and_path_params() -> None:
    app = App()
    seen: list[Any] = []

    @app.get("/items/{n:int}")
    async def item(request: Request, n: Any) -> Any:
        seen.append((request.app, request.scope["path_params"]))
        return "x"

    await call(app, "GET", "/items/3")
    assert seen == [(app, {"n": 3})]


async def test_app_refuses_unknown_scope_type() -> None:
    with pytest.raises(ValueError, match="unsupported ASGI scope type 'mystery'"):
        await run(App(), {"type": "mystery"}, [])


async def test_app_unknown_websocket_path_is_closed() -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = make_scope(path="/nowhere", type="websocket")
    await App()(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]


async def test_app_mount_sets_path_and_root_path_per_asgi_spec() -> None:
    seen: list[Scope] = []
    app = App()
    app.mount("/legacy", recording_app(seen))
    result = await call(app, "GET", "/legacy/a/b")
    assert result.body == b"mounted"
    assert (seen[0]["path"], seen[0]["root_path"]) == ("/legacy/a/b", "/legacy")


async def test_app_mount_matches_its_exact_prefix() -> None:
    seen: list[Scope] = []
    app = App()
    app.mount("/legacy", recording_app(seen))
    await call(app, "GET", "/legacy")
    assert seen[0]["path"] == "/legacy"
    assert (await call(app, "GET", "/legacyx")).status == 404


async def test_app_mount_extends_an_existing_root_path() -> None:
    seen: list[Scope] = []
    app = App()
    app.mount("/legacy", recording_app(seen))
    await call(app, "GET", "/outer/legacy/x", root_path="/outer")
    assert (seen[0]["path"], seen[0]["root_path"]) == (
        "/outer/legacy/x",
        "/outer/legacy",
    )


async def test_app_mount_does_not_change_the_parent_scope() -> None:
    app = App()
    app.mount("/legacy", recording_app([]))
    scope = make_scope("GET", "/legacy/x")
    await run(app, scope)
    assert scope["root_path"] == ""


async def test_app_mounted_app_routes_relative_to_its_root_path() -> None:
    sub = App()

    @sub.get("/items/{n:int}")
    async def item(request: Request, n: Any) -> Any:
        return {"n": n, "path": request.path}

    app = App()
    app.mount("/sub", sub)
    result = await call(app, "GET", "/sub/items/2")
    assert (result.status, result.body) == (200, b'{"n":2,"path":"/sub/items/2"}')
    assert (await call(app, "GET", "/sub/nope")).status == 404


async def test_app_mounted_app_request_url_is_not_doubled() -> None:
    sub = App()
    sub.add_route("/where", lambda request: str(request.url))
    app = App()
    app.mount("/sub", sub)
    result = await call(app, "GET", "/sub/where")
    assert result.text == "http://testserver/sub/where"


async def test_app_mounted_app_slash_redirect_keeps_prefix_once() -> None:
    sub = App()
    sub.add_route("/items", lambda request: "x")
    app = App()
    app.mount("/sub", sub)
    result = await call(app, "GET", "/sub/items/")
    assert result.status == 307
    assert result.header("location") == "http://testserver/sub/items"


async def test_app_longest_mount_prefix_wins() -> None:
    short: list[Scope] = []
    long: list[Scope] = []
    app = App()
    app.mount("/a", recording_app(short))
    app.mount("/a/b", recording_app(long))
    await call(app, "GET", "/a/b/c")
    assert (len(short), long[0]["root_path"]) == (0, "/a/b")


async def test_app_routes_beat_mounts() -> None:
    app = App()
    app.mount("/static", recording_app([]))
    app.add_route("/static/special", lambda request: "route")
    assert (await call(app, "GET", "/static/special")).text == "route"


async def test_app_mount_through_router_prefix() -> None:
    seen: list[Scope] = []
    router = Router(prefix="/api")
    router.mount("/v1", recording_app(seen))
    app = App()
    app.include_router(router)
    await call(app, "GET", "/api/v1/x")
    assert seen[0]["root_path"] == "/api/v1"


def test_app_mount_refuses_prefix_without_slash() -> None:
    with pytest.raises(ValueError, match="did you mean '/legacy'"):
        App().mount("legacy", recording_app([]))


def test_app_mount_refuses_non_callable() -> None:
    with pytest.raises(TypeError, match="needs an ASGI app"):
        App().mount("/x", cast(Any, "not an app"))


def test_app_run_serves_with_uvicorn_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(
        "microasgi.core.serving.serve",
        lambda app, **options: calls.append((app, options)),
    )
    app = App()
    app.run(port=9000, log_level="warning")
    assert calls == [
        (
            app,
            {
                "host": "127.0.0.1",
                "port": 9000,
                "reload": False,
                "log_level": "warning",
            },
        )
    ]


def test_app_limits_come_from_settings() -> None:
    app = App(max_body_size=10, max_fields=2, max_files=1, max_part_size=5)
    limits = app.limits
    assert (limits.max_body_size, limits.max_fields, limits.max_files) == (10, 2, 1)
    assert limits.max_part_size == 5


def test_app_refuses_negative_limit() -> None:
    with pytest.raises(ValueError, match="max_fields must be a non-negative int"):
        App(max_fields=-1)


async def test_app_async_callable_object_handler_is_awaited() -> None:
    class Greeter:
        async def __call__(self, request: Request, name: str) -> str:
            return f"hi {name}"

    app = App()
    app.add_route("/hi/{name}", Greeter())
    assert (await call(app, "GET", "/hi/ada")).text == "hi ada"


async def test_app_partial_of_async_handler_is_awaited() -> None:
    async def greet(greeting: str, request: Request) -> str:
        return greeting

    app = App()
    app.add_route("/", functools.partial(greet, "hello"))
    assert (await call(app)).text == "hello"


async def test_app_client_gone_while_reading_body_sends_nothing_and_logs_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.post("/upload")
    async def upload(request: Request) -> str:
        await request.body()
        return "never sent"

    scope = make_scope("POST", "/upload")
    script: list[Message] = [
        {"type": "http.request", "body": b"part", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return script.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent == []
    assert "Exception in handler" not in caplog.text
