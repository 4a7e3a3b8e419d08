"""Responses: exact ASGI messages, conversions, cookies, redirects, streaming."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from _core_helpers import call, make_scope, run

from microasgi import (
    App,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Request,
    Response,
    StreamingResponse,
)

pytestmark = pytest.mark.anyio

START = "http.response.start"
BODY = "http.response.body"


async def send_response(response: Response, method: str = "GET") -> list[Any]:
    return (await run(response, make_scope(method))).messages


async def test_response_bytes_exact_messages() -> None:
    assert await send_response(Response(b"hi")) == [
        {"type": START, "status": 200, "headers": [(b"content-length", b"2")]},
        {"type": BODY, "body": b"hi"},
    ]


async def test_plaintext_response_exact_messages() -> None:
    assert await send_response(PlainTextResponse("h\u00e9", status_code=201)) == [
        {
            "type": START,
            "status": 201,
            "headers": [
                (b"content-length", b"3"),
                (b"content-type", b"text/plain; charset=utf-8"),
            ],
        },
        {"type": BODY, "body": "h\u00e9".encode()},
    ]


async def test_html_response_content_type() -> None:
    response = HTMLResponse("<p>x</p>")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.body == b"<p>x</p>"


async def test_json_response_exact_messages() -> None:
    assert await send_response(JSONResponse({"a": [1, "\u00e9"]})) == [
        {
            "type": START,
            "status": 200,
            "headers": [
                (b"content-length", b"14"),
                (b"content-type", b"application/json"),
            ],
        },
        {"type": BODY, "body": '{"a":[1,"\u00e9"]}'.encode()},
    ]


def test_json_response_refuses_nan() -> None:
    with pytest.raises(ValueError):
        JSONResponse({"x": float("nan")})


def test_response_refuses_dict_content() -> None:
    with pytest.raises(TypeError, match="use JSONResponse"):
        Response({"a": 1})


def test_response_given_headers_come_first_then_entity_headers() -> None:
    response = PlainTextResponse("x", headers={"X-Id": "7"})
    assert response.raw_headers == [
        (b"x-id", b"7"),
        (b"content-length", b"1"),
        (b"content-type", b"text/plain; charset=utf-8"),
    ]


def test_response_explicit_content_type_is_kept() -> None:
    response = PlainTextResponse("x", headers={"Content-Type": "text/csv"})
    assert response.headers.getlist("content-type") == ["text/csv"]


def test_response_media_type_gets_charset_for_text() -> None:
    assert Response("a,b", media_type="text/csv").headers["content-type"] == (
        "text/csv; charset=utf-8"
    )


def test_response_subclass_charset_and_media_type_reach_the_header() -> None:
    # The common case uses a Content-Type computed once per class; a charset
    # set on the instance, or a media type given, must still win.
    class Latin1Text(PlainTextResponse):
        def __init__(self, content: str) -> None:
            self.charset = "latin-1"
            super().__init__(content)

    class Csv(Response):
        media_type = "text/csv"

    assert Latin1Text("h\u00e9").raw_headers == [
        (b"content-length", b"2"),
        (b"content-type", b"text/plain; charset=latin-1"),
    ]
    assert Csv("a").headers["content-type"] == "text/csv; charset=utf-8"
    response = PlainTextResponse("a", media_type="text/markdown")
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"


async def test_response_204_has_no_content_length() -> None:
    assert await send_response(Response(status_code=204)) == [
        {"type": START, "status": 204, "headers": []},
        {"type": BODY, "body": b""},
    ]


async def test_response_head_sends_headers_without_body() -> None:
    messages = await send_response(PlainTextResponse("hello"), "HEAD")
    assert messages[0]["headers"][0] == (b"content-length", b"5")
    assert messages[1] == {"type": BODY, "body": b""}


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({"X-A": "1\r\nSet-Cookie: evil=1"}, "CR, LF"),
        ({"X-A": "1\nb"}, "CR, LF"),
        ({"X-A\r\nB": "1"}, "invalid header name"),
        ({"X A": "1"}, "invalid header name"),
    ],
)
def test_response_refuses_header_injection(headers: dict[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Response(b"", headers=headers)


def test_response_headers_set_refuses_crlf() -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        Response(b"").headers["x-a"] = "a\r\nb"


@pytest.mark.parametrize(
    ("result", "status", "content_type", "body"),
    [
        ("hi", 200, "text/plain; charset=utf-8", b"hi"),
        (b"\x00\x01", 200, "application/octet-stream", b"\x00\x01"),
        ({"a": 1}, 200, "application/json", b'{"a":1}'),
        ([1, 2], 200, "application/json", b"[1,2]"),
        (None, 204, None, b""),
    ],
)
async def test_handler_return_value_conversion(
    result: Any, status: int, content_type: str | None, body: bytes
) -> None:
    app = App()
    app.add_route("/", lambda request: result)
    sent = await call(app)
    assert (sent.status, sent.header("content-type"), sent.body) == (
        status,
        content_type,
        body,
    )


async def test_handler_none_gives_204_without_content_length() -> None:
    app = App()
    app.add_route("/", lambda request: None)
    assert (await call(app)).raw_headers == []


async def test_handler_response_is_sent_as_is() -> None:
    app = App()
    app.add_route("/", lambda request: PlainTextResponse("made", status_code=202))
    sent = await call(app)
    assert (sent.status, sent.body) == (202, b"made")


async def test_handler_unsupported_return_is_500_logged_naming_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.get("/")
    async def answer(request: Request) -> Any:
        return 42

    sent = await call(app)
    assert (sent.status, sent.body) == (500, b"Internal Server Error")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, TypeError)
    assert str(error).startswith("handler 'answer' returned int (42); return a")


def test_set_cookie_defaults() -> None:
    response = Response(b"")
    response.set_cookie("theme", "dark")
    assert response.headers["set-cookie"] == "theme=dark; Path=/; SameSite=Lax"


def test_set_cookie_every_attribute() -> None:
    response = Response(b"")
    response.set_cookie(
        "sid",
        "abc",
        max_age=3600,
        expires=datetime(2030, 1, 1, tzinfo=timezone.utc),
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="strict",
        partitioned=True,
    )
    assert response.headers["set-cookie"] == (
        "sid=abc; Max-Age=3600; expires=Tue, 01 Jan 2030 00:00:00 GMT; Path=/app; "
        "Domain=example.com; SameSite=Strict; Secure; HttpOnly; Partitioned"
    )


@pytest.mark.parametrize("seconds", [3600, -60])
def test_set_cookie_int_expires_is_seconds_from_now(seconds: int) -> None:
    response = Response(b"")
    response.set_cookie("sid", "abc", expires=seconds)
    header = response.headers["set-cookie"]
    expires = parsedate_to_datetime(header.split("expires=")[1].split(";")[0])
    expected = time.time() + seconds
    assert abs(expires.timestamp() - expected) < 5, header


def test_set_cookie_datetime_expires_is_that_moment() -> None:
    response = Response(b"")
    moment = datetime(2030, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    response.set_cookie("sid", "abc", expires=moment)
    assert "expires=Tue, 01 Jan 2030 10:00:00 GMT" in response.headers["set-cookie"]


def test_set_cookie_samesite_none_omitted() -> None:
    response = Response(b"")
    response.set_cookie("a", "1", samesite=None, path=None)
    assert response.headers["set-cookie"] == "a=1"


def test_set_cookie_twice_sends_two_headers() -> None:
    response = Response(b"")
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    assert [v.split(";")[0] for v in response.headers.getlist("set-cookie")] == [
        "a=1",
        "b=2",
    ]


def test_delete_cookie_expires_it() -> None:
    response = Response(b"")
    response.delete_cookie("sid", path="/app")
    assert response.headers["set-cookie"] == (
        "sid=; Max-Age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/app; "
        "SameSite=Lax"
    )


@pytest.mark.parametrize("name", ["a b", "a;b", "a=b", "a\r\nb", ""])
def test_set_cookie_refuses_invalid_name(name: str) -> None:
    with pytest.raises(ValueError, match="invalid cookie name"):
        Response(b"").set_cookie(name, "v")


@pytest.mark.parametrize("value", ["a;b", "a b", "a\r\nb", '"q"', "a,b", "a\\b"])
def test_set_cookie_refuses_invalid_value(value: str) -> None:
    with pytest.raises(ValueError, match="invalid value for cookie 'k'"):
        Response(b"").set_cookie("k", value)


@pytest.mark.parametrize(
    ("option", "value"), [("path", "/a;b"), ("domain", "x\r\ny"), ("samesite", "bad")]
)
def test_set_cookie_refuses_invalid_attribute(option: str, value: Any) -> None:
    with pytest.raises(ValueError):
        Response(b"").set_cookie("k", "v", **{option: value})


async def test_redirect_response_exact_messages() -> None:
    assert await send_response(RedirectResponse("/login?next=/a")) == [
        {
            "type": START,
            "status": 307,
            "headers": [(b"content-length", b"0"), (b"location", b"/login?next=/a")],
        },
        {"type": BODY, "body": b""},
    ]


def test_redirect_response_status_code() -> None:
    assert RedirectResponse("/x", status_code=303).status_code == 303


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/a\r\nSet-Cookie: x=1", "/a%0D%0ASet-Cookie:%20x=1"),
        ("/caf\u00e9", "/caf%C3%A9"),
        ("/a%20b", "/a%20b"),
        ("https://example.com/p?q=1#f", "https://example.com/p?q=1#f"),
    ],
)
def test_redirect_response_encodes_location(url: str, location: str) -> None:
    assert RedirectResponse(url).headers["location"] == location


# Streaming ------------------------------------------------------------------


class Ticker:
    """An endless sync iterator that records whether it was closed."""

    def __init__(self) -> None:
        self.closed = False
        self.steps = 0

    def __iter__(self) -> Ticker:
        return self

    def __next__(self) -> bytes:
        self.steps += 1
        time.sleep(0.001)
        return b"tick"

    def close(self) -> None:
        self.closed = True


async def test_streaming_response_async_iterator_exact_messages() -> None:
    async def chunks() -> AsyncIterator[str | bytes]:
        yield "a\u00e9"
        yield b"b"

    response = StreamingResponse(chunks(), media_type="text/plain")
    assert await send_response(response) == [
        {
            "type": START,
            "status": 200,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        },
        {"type": BODY, "body": "a\u00e9".encode(), "more_body": True},
        {"type": BODY, "body": b"b", "more_body": True},
        {"type": BODY, "body": b""},
    ]


async def test_streaming_response_sync_iterator_exact_messages() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"1"
        yield b"2"

    assert await send_response(StreamingResponse(chunks(), status_code=201)) == [
        {"type": START, "status": 201, "headers": []},
        {"type": BODY, "body": b"1", "more_body": True},
        {"type": BODY, "body": b"2", "more_body": True},
        {"type": BODY, "body": b""},
    ]


async def test_streaming_response_empty_iterator_sends_final_body() -> None:
    messages = await send_response(StreamingResponse(iter([])))
    assert messages[1:] == [{"type": BODY, "body": b""}]


async def test_streaming_response_disconnect_runs_async_generator_finally() -> None:
    finished: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield b"first"
            await asyncio.Event().wait()  # blocks until cancelled
            yield b"never"
        finally:
            finished.append("finally")

    result = await run(StreamingResponse(chunks()), make_scope(), disconnect_after=1)
    assert finished == ["finally"]
    assert result.messages[1:] == [{"type": BODY, "body": b"first", "more_body": True}]


async def test_streaming_response_disconnect_closes_endless_async_generator() -> None:
    finished: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"x"
                await asyncio.sleep(0)
        finally:
            finished.append("finally")

    result = await run(StreamingResponse(chunks()), make_scope(), disconnect_after=3)
    assert finished == ["finally"]
    assert all(message.get("more_body") for message in result.messages[1:])


async def test_streaming_response_disconnect_closes_sync_iterator() -> None:
    ticker = Ticker()
    result = await run(StreamingResponse(ticker), make_scope(), disconnect_after=2)
    assert ticker.closed
    assert all(message.get("more_body") for message in result.messages[1:])


async def test_streaming_response_iterator_error_after_start_propagates() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ValueError("broken stream")

    sent: list[Any] = []

    async def receive() -> Any:
        await asyncio.Event().wait()

    async def send(message: Any) -> None:
        sent.append(message)

    with pytest.raises(ValueError, match="broken stream"):
        await StreamingResponse(chunks())(make_scope(), receive, send)
    assert [m["type"] for m in sent] == [START, BODY]
    assert sent[1]["more_body"] is True


async def test_streaming_response_sync_iterator_error_propagates() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"partial"
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        await send_response(StreamingResponse(chunks()))


async def test_streaming_response_head_sends_no_body_and_closes() -> None:
    ticker = Ticker()
    messages = await send_response(StreamingResponse(ticker), "HEAD")
    assert messages[1:] == [{"type": BODY, "body": b""}]
    assert (ticker.steps, ticker.closed) == (0, True)
