"""Errors: HTTPException, exception handlers, the default 500, debug page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from _core_helpers import Result, call, json_headers, make_scope, run

from microasgi import (
    App,
    HTTPException,
    JSONResponse,
    Request,
    StreamingResponse,
)
from microasgi.batteries.fileresponse import FileResponse
from microasgi.core.errors import ServerErrorMiddleware
from microasgi.core.types import Receive, Scope, Send

pytestmark = pytest.mark.anyio


class AppError(Exception):
    pass


class MissingError(AppError):
    pass


def raising_app(exc: BaseException, **options: Any) -> App:
    app = App(**options)

    @app.get("/boom")
    async def boom(request: Request) -> Any:
        raise exc

    return app


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_http_exception_detail_defaults_to_phrase() -> None:
    exc = HTTPException(404)
    assert (exc.status_code, exc.detail, exc.headers) == (404, "Not Found", None)
    assert str(exc) == "404: Not Found"
    assert repr(exc) == "HTTPException(status_code=404, detail='Not Found')"


async def test_http_exception_becomes_plain_text_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await call(raising_app(HTTPException(404, "No such item")), "GET", "/boom")
    assert (result.status, result.text) == (404, "No such item")
    assert result.header("content-type") == "text/plain; charset=utf-8"
    assert errors(caplog) == []


async def test_http_exception_headers_are_sent() -> None:
    exc = HTTPException(401, headers={"WWW-Authenticate": "Bearer"})
    result = await call(raising_app(exc), "GET", "/boom")
    assert (result.status, result.header("www-authenticate")) == (401, "Bearer")


async def test_exception_handler_by_status_for_raised_404() -> None:
    app = raising_app(HTTPException(404, "gone"))

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Any) -> Any:
        return JSONResponse({"error": exc.detail}, status_code=404)

    result = await call(app, "GET", "/boom")
    assert (result.status, result.body) == (404, b'{"error":"gone"}')


async def test_exception_handler_by_status_for_unknown_path() -> None:
    app = App()

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Any) -> Any:
        return JSONResponse({"missing": request.path}, status_code=404)

    result = await call(app, "GET", "/nowhere")
    assert (result.status, result.body) == (404, b'{"missing":"/nowhere"}')


async def test_exception_handler_by_status_for_405_gets_allow() -> None:
    app = App()
    app.add_route("/only-get", lambda request: "x")

    @app.exception_handler(405)
    async def not_allowed(request: Request, exc: Any) -> Any:
        return JSONResponse({"allow": exc.headers["allow"]}, 405, exc.headers)

    result = await call(app, "POST", "/only-get")
    assert result.status == 405
    assert result.body == b'{"allow":"GET, HEAD, OPTIONS"}'
    assert result.header("allow") == "GET, HEAD, OPTIONS"


async def test_exception_handler_by_status_500_for_unhandled_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = raising_app(RuntimeError("db down"))

    @app.exception_handler(500)
    async def server_error(request: Request, exc: Any) -> Any:
        return JSONResponse({"error": type(exc).__name__}, status_code=500)

    result = await call(app, "GET", "/boom")
    assert (result.status, result.body) == (500, b'{"error":"RuntimeError"}')
    assert len(errors(caplog)) == 1


async def test_exception_handler_by_class_follows_mro() -> None:
    app = raising_app(MissingError("id 3"))

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: Any) -> Any:
        return JSONResponse({"error": str(exc)}, status_code=418)

    result = await call(app, "GET", "/boom")
    assert (result.status, result.body) == (418, b'{"error":"id 3"}')


async def test_exception_handler_most_specific_class_wins() -> None:
    app = raising_app(MissingError())
    app.add_exception_handler(AppError, lambda request, exc: "general")
    app.add_exception_handler(MissingError, lambda request, exc: "specific")
    assert (await call(app, "GET", "/boom")).text == "specific"


async def test_exception_handler_sync_handler_and_converted_result() -> None:
    app = raising_app(AppError())

    @app.exception_handler(AppError)
    def app_error(request: Request, exc: Any) -> Any:
        return {"handled": True}

    result = await call(app, "GET", "/boom")
    assert (result.status, result.body) == (200, b'{"handled":true}')


async def test_exception_handler_for_http_exception_class() -> None:
    app = raising_app(HTTPException(403))
    app.add_exception_handler(HTTPException, lambda request, exc: str(exc))
    assert (await call(app, "GET", "/boom")).text == "403: Forbidden"


def catch_all_app() -> App:
    """An app with a handler for Exception, and routes that fail as clients do."""
    app = App(max_body_size=4)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Any:
        return JSONResponse({"error": "crashed"}, status_code=500)

    @app.post("/items")
    async def create(request: Request) -> Any:
        return await request.json()

    @app.get("/items/{item_id:int}")
    async def show(request: Request, item_id: int) -> Any:
        raise HTTPException(404, "No such item")

    return app


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/nowhere", b"", 404),
        ("GET", "/items/3", b"", 404),
        ("DELETE", "/items", b"", 405),
        ("POST", "/items", b"{", 400),
        ("POST", "/items", b"[1, 2, 3]", 413),
    ],
)
async def test_exception_handler_for_exception_keeps_http_errors(
    method: str, path: str, body: bytes, status: int
) -> None:
    result = await call(
        catch_all_app(), method, path, body=body, headers=json_headers()
    )
    assert result.status == status


async def test_exception_handler_for_exception_still_catches_errors() -> None:
    app = raising_app(AppError("broken"))
    app.add_exception_handler(Exception, lambda request, exc: f"caught {exc}")
    assert (await call(app, "GET", "/boom")).text == "caught broken"


async def test_exception_handler_for_http_exception_subclass() -> None:
    class PaymentError(HTTPException):
        pass

    app = raising_app(PaymentError(402))
    app.add_exception_handler(Exception, lambda request, exc: "too general")
    app.add_exception_handler(PaymentError, lambda request, exc: "pay first")
    assert (await call(app, "GET", "/boom")).text == "pay first"


def test_exception_handler_refuses_other_keys() -> None:
    with pytest.raises(TypeError, match="status code or an exception class"):
        App().add_exception_handler(cast(Any, "404"), lambda request, exc: "x")


async def test_exception_handler_that_fails_gives_default_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = raising_app(AppError())

    @app.exception_handler(AppError)
    async def broken(request: Request, exc: Any) -> Any:
        raise KeyError("handler bug")

    result = await call(app, "GET", "/boom")
    assert (result.status, result.text) == (500, "Internal Server Error")
    assert any("Exception handler" in r.getMessage() for r in errors(caplog))


async def test_unhandled_error_is_500_without_leaking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await call(raising_app(RuntimeError("password=hunter2")), "GET", "/boom")
    assert result.status == 500
    assert result.text == "Internal Server Error"
    assert result.header("content-type") == "text/plain; charset=utf-8"


async def test_unhandled_error_is_logged_with_handler_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    await call(raising_app(RuntimeError("kaput")), "GET", "/boom")
    [record] = errors(caplog)
    assert record.getMessage() == "Exception in handler 'boom' for GET /boom"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "kaput"


async def test_debug_mode_shows_escaped_traceback_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = raising_app(ValueError("<b>bad</b>"), debug=True)
    result = await call(app, "GET", "/boom")
    assert result.status == 500
    assert result.header("content-type") == "text/html; charset=utf-8"
    assert "ValueError: &lt;b&gt;bad&lt;/b&gt;" in result.text
    assert "Traceback (most recent call last)" in result.text
    assert "<b>bad</b>" not in result.text


async def failing_stream() -> AsyncIterator[bytes]:
    yield b"partial"
    raise RuntimeError("mid-stream")


@pytest.mark.parametrize("with_middleware", [False, True])
async def test_error_after_response_start_propagates_without_second_start(
    with_middleware: bool,
) -> None:
    def passthrough(app: Any) -> Any:
        return app

    app = App(middleware=[passthrough] if with_middleware else [])
    app.add_route("/s", lambda request: StreamingResponse(failing_stream()))
    result = Result()
    with pytest.raises(RuntimeError, match="mid-stream"):
        await run(app, make_scope("GET", "/s"), result=result)
    assert [m["type"] for m in result.messages] == [
        "http.response.start",
        "http.response.body",
    ]
    assert result.messages[1]["more_body"] is True


async def test_server_error_middleware_answers_500_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("before start")

    result = await run(ServerErrorMiddleware(broken), make_scope("GET", "/x"))
    assert (result.status, result.text) == (500, "Internal Server Error")
    [record] = errors(caplog)
    assert "GET /x" in record.getMessage()


async def test_server_error_middleware_debug_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("visible")

    middleware = ServerErrorMiddleware(broken, debug=True)
    result = await run(middleware, make_scope())
    assert "RuntimeError: visible" in result.text


async def test_server_error_middleware_passes_other_scopes_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    await run(ServerErrorMiddleware(inner), {"type": "lifespan"}, [])
    assert seen == ["lifespan"]


async def test_error_in_middleware_before_start_gives_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_middleware(app: Any) -> Any:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            raise RuntimeError("middleware bug")

        return middleware

    app = App(middleware=[broken_middleware])
    app.add_route("/", lambda request: "x")
    result = await call(app)
    assert (result.status, result.text) == (500, "Internal Server Error")


async def test_error_in_mounted_app_gives_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("mounted bug")

    app = App()
    app.mount("/legacy", broken)
    result = await call(app, "GET", "/legacy/x")
    assert (result.status, result.text) == (500, "Internal Server Error")
    assert len(errors(caplog)) == 1


@pytest.mark.parametrize("status", [204, 304])
async def test_http_exception_without_body_status_sends_no_body(status: int) -> None:
    result = await call(raising_app(HTTPException(status)), "GET", "/boom")
    assert result.status == status
    assert result.body == b""
    assert result.header("content-length") is None


# The app's 500 handler answers every unhandled error ----------------------------


def with_json_500(app: App) -> App:
    @app.exception_handler(500)
    async def server_error(request: Request, exc: Any) -> Any:
        return JSONResponse({"error": type(exc).__name__}, status_code=500)

    return app


def raising_middleware(app: Any) -> Any:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raise AppError("middleware bug")
        await app(scope, receive, send)

    return middleware


async def test_error_in_middleware_goes_to_the_500_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = with_json_500(App(middleware=[raising_middleware]))
    app.add_route("/", lambda request: "x")
    result = await call(app)
    assert (result.status, result.body) == (500, b'{"error":"AppError"}')
    assert len(errors(caplog)) == 1


async def test_error_in_middleware_goes_to_an_exception_class_handler() -> None:
    app = App(middleware=[raising_middleware])
    app.add_route("/", lambda request: "x")

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: Any) -> Any:
        return JSONResponse({"caught": str(exc)}, status_code=503)

    result = await call(app)
    assert (result.status, result.body) == (503, b'{"caught":"middleware bug"}')


async def test_error_in_mounted_asgi_app_goes_to_the_500_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise AppError("mounted bug")

    app = with_json_500(App())
    app.mount("/legacy", broken)
    result = await call(app, "GET", "/legacy/x")
    assert (result.status, result.body) == (500, b'{"error":"AppError"}')
    assert len(errors(caplog)) == 1


async def test_error_in_mounted_app_handler_goes_to_the_outer_500_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = with_json_500(App())
    app.mount("/sub", raising_app(AppError("sub bug")))
    result = await call(app, "GET", "/sub/boom")
    assert (result.status, result.body) == (500, b'{"error":"AppError"}')
    assert len(errors(caplog)) == 1


async def test_mounted_app_own_handler_wins_over_the_outer_one() -> None:
    sub = raising_app(AppError("sub bug"))

    @sub.exception_handler(500)
    async def sub_error(request: Request, exc: Any) -> Any:
        return JSONResponse({"from": "sub"}, status_code=500)

    app = with_json_500(App())
    app.mount("/sub", sub)
    result = await call(app, "GET", "/sub/boom")
    assert result.body == b'{"from":"sub"}'


async def test_missing_file_in_file_response_goes_to_the_500_handler(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = with_json_500(App())
    app.add_route("/file", lambda request: FileResponse(tmp_path / "gone.txt"))
    result = await call(app, "GET", "/file")
    assert (result.status, result.body) == (500, b'{"error":"FileNotFoundError"}')
    assert len(errors(caplog)) == 1


async def test_failing_500_handler_for_a_middleware_error_gives_plain_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(middleware=[raising_middleware])
    app.add_route("/", lambda request: "x")

    @app.exception_handler(500)
    async def server_error(request: Request, exc: Any) -> Any:
        raise RuntimeError("handler bug")

    result = await call(app)
    assert (result.status, result.text) == (500, "Internal Server Error")


async def test_http_exception_in_middleware_keeps_its_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def denying_middleware(app: Any) -> Any:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            raise HTTPException(403, "No entry")

        return middleware

    app = App(middleware=[denying_middleware])
    app.add_route("/", lambda request: "x")
    result = await call(app)
    assert (result.status, result.text) == (403, "No entry")
    assert errors(caplog) == []
