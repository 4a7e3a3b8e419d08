"""What microasgi logs, and how its lines look under a real server."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from microasgi import App, HTTPException, JSONResponse, PlainTextResponse, Request
from microasgi.core.logs import DefaultHandler, ServerStyleFormatter
from tests._core_helpers import call
from tests.servers import (
    START_TIMEOUT,
    discard,
    serve,
    server_params,
    start,
    wait_until_serving,
)

pytestmark = pytest.mark.anyio

LOGGING_APP = Path(__file__).resolve().parent / "apps" / "logging_app.py"


class BadInputError(Exception):
    pass


def app_answering_bad_input(status_code: int) -> App:
    app = App()

    @app.exception_handler(BadInputError)
    async def bad_input(request: Request, exc: BadInputError) -> PlainTextResponse:
        return PlainTextResponse(str(exc), status_code=status_code)

    @app.get("/items")
    async def items(request: Request) -> str:
        raise BadInputError("no such colour")

    return app


def microasgi_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "microasgi"]


async def test_logs_error_answered_with_4xx_is_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="microasgi")
    result = await call(app_answering_bad_input(422), "GET", "/items")
    assert result.status == 422
    [record] = microasgi_records(caplog)
    assert record.levelno == logging.DEBUG
    assert record.exc_info is None
    assert record.getMessage() == (
        "BadInputError in handler 'items' for GET /items answered 422 "
        "by its exception handler"
    )


async def test_logs_error_answered_with_5xx_is_an_error_with_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await call(app_answering_bad_input(503), "GET", "/items")
    assert result.status == 503
    [record] = microasgi_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.getMessage() == "Exception in handler 'items' for GET /items"


async def test_logs_unhandled_error_is_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.get("/")
    async def crash(request: Request) -> str:
        raise RuntimeError("boom")

    assert (await call(app)).status == 500
    [record] = microasgi_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


async def test_logs_http_exception_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="microasgi")
    app = App()

    @app.exception_handler(409)
    async def conflict(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=409)

    @app.post("/")
    async def create(request: Request) -> str:
        raise HTTPException(409, "already exists")

    assert (await call(app, "POST")).status == 409
    assert microasgi_records(caplog) == []


async def test_logs_failing_exception_handler_logs_both_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.exception_handler(BadInputError)
    async def broken(request: Request, exc: BadInputError) -> str:
        raise KeyError("oops")

    @app.get("/")
    async def items(request: Request) -> str:
        raise BadInputError("x")

    assert (await call(app)).status == 500
    messages = [record.getMessage() for record in microasgi_records(caplog)]
    assert messages[0] == "Exception in handler 'items' for GET /"
    assert messages[1].startswith("Exception handler <function")


def make_record(level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("microasgi", level, __file__, 1, message, None, None)


@pytest.mark.parametrize(
    ("level", "line"),
    [
        (logging.INFO, "INFO:     started"),
        (logging.WARNING, "WARNING:  started"),
        (logging.ERROR, "ERROR:    started"),
        (logging.CRITICAL, "CRITICAL: started"),
    ],
)
def test_logs_format_has_uvicorns_shape(level: int, line: str) -> None:
    assert ServerStyleFormatter().format(make_record(level, "started")) == line


def test_logs_default_handler_writes_while_logging_is_unconfigured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    DefaultHandler().handle(make_record(logging.ERROR, "boom"))
    assert capsys.readouterr().err == "ERROR:    boom\n"


def test_logs_default_handler_steps_aside_once_logging_is_configured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [logging.NullHandler()])
    DefaultHandler().handle(make_record(logging.ERROR, "boom"))
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("server_name", server_params("uvicorn-h11"))
def test_logs_under_uvicorn_have_a_level_and_only_5xx_are_errors(
    server_name: str,
) -> None:
    with serve(server_name, LOGGING_APP) as server:
        with httpx.Client(base_url=server.url, trust_env=False, timeout=5) as client:
            assert client.get("/bad").status_code == 400
            assert client.get("/crash").status_code == 500
        expected = "ERROR:    Exception in handler 'crash' for GET /crash\n"
        assert server.wait_for_log(expected) == 1
        log = server.log()
    assert log.count("Traceback (most recent call last)") == 1
    assert "RuntimeError: the disk is on fire" in log
    assert "BadInputError" not in log
    assert "no such colour" not in log


# The logging configuration docs/how-to/deploying.md shows (less the time, so
# that lines can be matched), as uvicorn reads it.
LOG_CONFIG = """\
version: 1
disable_existing_loggers: false
formatters:
  plain:
    format: "%(levelname)s %(name)s: %(message)s"
handlers:
  stderr:
    class: logging.StreamHandler
    formatter: plain
root:
  level: INFO
  handlers: [stderr]
"""


@pytest.mark.parametrize("server_name", server_params("uvicorn-h11"))
def test_logs_under_uvicorn_log_config_go_through_it_once(
    server_name: str, tmp_path: Path
) -> None:
    config = tmp_path / "logging.yaml"
    config.write_text(LOG_CONFIG)
    server = start(server_name, LOGGING_APP, options=["--log-config", str(config)])
    try:
        wait_until_serving(server, "/", START_TIMEOUT)
        with httpx.Client(base_url=server.url, trust_env=False, timeout=5) as client:
            assert client.get("/crash").status_code == 500
        expected = "ERROR microasgi: Exception in handler 'crash' for GET /crash\n"
        assert server.wait_for_log(expected) == 1
        log = server.log()
    finally:
        discard(server)
    assert log.count("Traceback (most recent call last)") == 1
    assert "ERROR:    " not in log  # the default handler stepped aside
