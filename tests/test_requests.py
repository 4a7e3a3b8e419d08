"""Request: scope accessors, URL safety, body, JSON, limits and disconnects."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _core_helpers import body_messages, call, json_headers, make_scope, run

import microasgi.core.requests
from microasgi import App, HTTPException, Request
from microasgi.core.datastructures import Address, Limits
from microasgi.core.exceptions import ClientDisconnect
from microasgi.core.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


def scripted(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0)

    return receive


def make_request(body: bytes | list[bytes] = b"", **scope: Any) -> Request:
    return Request(make_scope(**scope), scripted(body_messages(body)))


def echo_app(reader: str = "body", **options: Any) -> App:
    """An app whose POST / answers with what ``reader`` gives back."""
    app = App(**options)

    @app.post("/")
    async def echo(request: Request) -> Any:
        value = await getattr(request, reader)()
        return value if isinstance(value, bytes) else {"value": value}

    return app


def test_request_method_and_path() -> None:
    request = make_request(method="PATCH", path="/a/b")
    assert (request.method, request.path) == ("PATCH", "/a/b")


def test_request_url_parts() -> None:
    request = make_request(
        path="/p", query=b"x=1", headers=[(b"host", b"example.com:8000")]
    )
    url = request.url
    assert (url.scheme, url.netloc, url.path, url.query) == (
        "http",
        "example.com:8000",
        "/p",
        "x=1",
    )
    assert str(url) == "http://example.com:8000/p?x=1"


def test_request_url_uses_server_when_host_header_missing() -> None:
    request = make_request(headers=[(b"host", b"")], server=("10.0.0.1", 8080))
    assert request.url.netloc == "10.0.0.1:8080"


def test_request_url_drops_default_port_of_server() -> None:
    request = make_request(
        headers=[(b"host", b"")], scheme="https", server=("example.org", 443)
    )
    assert str(request.url) == "https://example.org/"


@pytest.mark.parametrize(
    "host", [b"evil.com/steal", b"a@evil.com", b"evil.com?x", b"evil.com#x"]
)
def test_request_url_ignores_malformed_host_header(host: bytes) -> None:
    request = make_request(headers=[(b"host", host)])
    assert request.url.hostname == "testserver"


@pytest.mark.parametrize("path", ["@evil.com/x", "evil.com", ":80@evil.com"])
def test_request_url_path_without_slash_cannot_steer_hostname(path: str) -> None:
    request = make_request(path=path)
    assert request.url.hostname == "testserver"
    assert request.url.path == "/" + path


def test_request_url_uses_the_first_of_two_host_headers() -> None:
    request = make_request(headers=[(b"host", b"a.example"), (b"host", b"b.example")])
    assert request.url.netloc == "a.example"


def test_request_url_unknown_scheme_falls_back_to_http() -> None:
    assert make_request(scheme="javascript").url.scheme == "http"


@pytest.mark.parametrize(
    ("path", "raw_path", "expected"),
    [
        ("/files/a?b", b"/files/a%3Fb", "/files/a%3Fb"),
        ("/files/a#b", b"/files/a%23b", "/files/a%23b"),
        ("/files/a/b", b"/files/a%2Fb", "/files/a%2Fb"),
        ("/caf\u00e9", "/caf\u00e9".encode(), "/caf%C3%A9"),  # raw UTF-8 bytes
        ("/a b", b"/a b", "/a%20b"),
    ],
)
def test_request_url_path_comes_from_raw_path(
    path: str, raw_path: bytes, expected: str
) -> None:
    request = make_request(path=path, raw_path=raw_path)
    assert request.url.path == expected
    assert str(request.url) == f"http://testserver{expected}"


def test_request_url_without_raw_path_encodes_query_and_fragment_marks() -> None:
    scope = make_scope(path="/files/a?b#c")
    del scope["raw_path"]
    assert Request(scope, scripted([])).url.path == "/files/a%3Fb%23c"


def test_request_url_ignores_a_raw_path_that_no_longer_matches_path() -> None:
    # A middleware rewrote "path" and left "raw_path" as the server sent it.
    request = make_request(path="/new", raw_path=b"/old")
    assert request.url.path == "/new"


def test_request_url_adds_root_path_to_raw_path_when_path_lacks_it() -> None:
    # Some servers send root_path without prefixing path (nor raw_path).
    request = make_request(path="/a?b", raw_path=b"/a%3Fb", root_path="/pre")
    assert request.url.path == "/pre/a%3Fb"


def test_request_url_in_mounted_app_is_the_full_path() -> None:
    # Per the ASGI spec, "path" already includes "root_path".
    request = make_request(path="/sub/items", root_path="/sub")
    assert request.url.path == "/sub/items"


def test_request_headers_case_insensitive_and_multi_valued() -> None:
    request = make_request(headers=[(b"x-tag", b"a"), (b"x-tag", b"b")])
    assert request.headers["X-Tag"] == "a"
    assert request.headers.getlist("x-TAG") == ["a", "b"]


def test_request_query_params_getlist() -> None:
    request = make_request(query=b"tag=a&tag=b&page=2")
    assert request.query_params.getlist("tag") == ["a", "b"]
    assert request.query_params["page"] == "2"


def test_request_query_params_bad_encoding_is_lenient() -> None:
    request = make_request(query=b"q=%ff%zz&r=\xc3")
    assert request.query_params["q"] == "\ufffd%zz"
    assert request.query_params["r"] == "\ufffd"


def test_request_cookies_parsed_leniently() -> None:
    cookie = b'a=1; bad; b="quoted"; ; c=x=y; =empty'
    request = make_request(headers=[(b"cookie", cookie)])
    assert request.cookies == {"a": "1", "": "empty", "b": "quoted", "c": "x=y"}


def test_request_cookies_come_from_every_cookie_header() -> None:
    # HTTP/2 clients send each cookie in a header of its own.
    headers = [(b"cookie", b"a=1"), (b"cookie", b"b=2; c=3")]
    assert make_request(headers=headers).cookies == {"a": "1", "b": "2", "c": "3"}


def test_request_cookies_empty_without_header() -> None:
    assert make_request().cookies == {}


def test_request_client_is_an_address() -> None:
    client = make_request().client
    assert client == Address("127.0.0.1", 50000)
    assert (client.host, client.port) == ("127.0.0.1", 50000)


def test_request_client_none_when_absent() -> None:
    assert make_request(client=None).client is None


def test_request_state_reads_scope_state() -> None:
    request = make_request(state={"db": "conn"})
    assert request.state.db == "conn"
    request.state.user = "ada"
    assert request.scope["state"]["user"] == "ada"


def test_request_app_and_path_params_come_from_scope() -> None:
    marker = object()
    request = make_request(app=marker, path_params={"n": 1})
    assert request.app is marker
    assert request.path_params == {"n": 1}


def test_request_session_without_middleware_explains() -> None:
    with pytest.raises(RuntimeError, match="SessionMiddleware"):
        _ = make_request().session


async def test_request_body_joins_chunks() -> None:
    assert await make_request([b"he", b"ll", b"o"]).body() == b"hello"


async def test_request_body_readable_twice() -> None:
    request = make_request(b"data")
    assert await request.body() == b"data"
    assert await request.body() == b"data"


async def test_request_stream_yields_chunks_as_sent() -> None:
    request = make_request([b"a", b"", b"b"])
    assert [chunk async for chunk in request.stream()] == [b"a", b"b"]


async def test_request_stream_twice_replays_the_body() -> None:
    request = make_request([b"a", b"b"])
    assert [chunk async for chunk in request.stream()] == [b"a", b"b"]
    assert [chunk async for chunk in request.stream()] == [b"ab"]


async def test_request_stream_broken_off_then_read_again_raises() -> None:
    request = make_request([b"a", b"b"])
    async for _chunk in request.stream():
        break  # the rest of the body is never read
    with pytest.raises(RuntimeError, match="already streamed"):
        await request.body()


async def test_request_stream_too_large_to_keep_explains_a_second_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(microasgi.core.requests, "KEEP_STREAMED_BODY", 3)
    request = make_request([b"ab", b"cd"])
    assert [chunk async for chunk in request.stream()] == [b"ab", b"cd"]
    with pytest.raises(RuntimeError, match=r"too large to keep .*body\(\) first"):
        await request.body()


FORM_BODY = b"a=1&b=2"


async def read_with(request: Request, reader: str) -> Any:
    """What ``reader`` gives, as something JSON can carry."""
    if reader == "stream":
        return b"".join([chunk async for chunk in request.stream()]).decode()
    if reader == "form":
        return dict(await request.form())
    return (await request.body()).decode()


@pytest.mark.parametrize("handler_reader", ["body", "form", "stream"])
@pytest.mark.parametrize("middleware_reader", ["body", "form", "stream"])
async def test_request_body_replays_after_a_middleware_read_it(
    middleware_reader: str, handler_reader: str
) -> None:
    seen: list[Any] = []

    def reading_middleware(app: Any) -> Any:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(await read_with(Request(scope, receive), middleware_reader))
            await app(scope, receive, send)  # the original receive

        return middleware

    app = App(middleware=[reading_middleware])

    @app.post("/")
    async def handler(request: Request) -> Any:
        return {"read": await read_with(request, handler_reader)}

    form_type = [(b"content-type", b"application/x-www-form-urlencoded")]
    result = await call(app, "POST", "/", body=[b"a=1", b"&b=2"], headers=form_type)
    expected = {"form": {"a": "1", "b": "2"}}
    assert result.status == 200
    assert json.loads(result.body) == {
        "read": expected.get(handler_reader, FORM_BODY.decode())
    }
    assert seen == [expected.get(middleware_reader, FORM_BODY.decode())]


async def test_request_stream_after_body_yields_the_kept_body() -> None:
    request = make_request([b"a", b"b"])
    await request.body()
    assert [chunk async for chunk in request.stream()] == [b"ab"]


async def test_request_body_after_middleware_read_it() -> None:
    seen: list[bytes] = []

    def reading_middleware(app: Any) -> Any:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(await Request(scope, receive).body())
            await app(scope, receive, send)  # the original receive

        return middleware

    app = echo_app(middleware=[reading_middleware])
    result = await call(app, "POST", "/", body=[b"pay", b"load"])
    assert (result.status, result.body, seen) == (200, b"payload", [b"payload"])


@pytest.mark.parametrize(
    "content_type",
    [b"application/json", b"application/json; charset=utf-8", b"application/ld+json"],
)
async def test_request_json_accepts_json_content_types(content_type: bytes) -> None:
    request = make_request(b'{"a": [1, 2]}', headers=json_headers(content_type))
    assert await request.json() == {"a": [1, 2]}


async def test_request_json_malformed_is_400_with_parser_message() -> None:
    app = echo_app("json")
    result = await call(app, "POST", "/", body=b"{oops", headers=json_headers())
    assert result.status == 400
    assert result.text.startswith("Invalid JSON: Expecting ")


async def test_request_json_empty_body_is_400_expecting_value() -> None:
    app = echo_app("json")
    result = await call(app, "POST", "/", body=b"", headers=json_headers())
    assert result.status == 400
    assert result.text.startswith("Invalid JSON: Expecting value")


async def test_request_json_without_json_content_type_is_400() -> None:
    app = echo_app("json")
    headers = [(b"content-type", b"text/plain")]
    result = await call(app, "POST", "/", body=b"{}", headers=headers)
    assert result.status == 400
    assert "Content-Type: application/json" in result.text
    assert "'text/plain'" in result.text


async def test_request_json_without_any_content_type_is_400() -> None:
    result = await call(echo_app("json"), "POST", "/", body=b"{}")
    assert (result.status, "no Content-Type" in result.text) == (400, True)


async def test_request_json_invalid_utf8_is_400() -> None:
    app = echo_app("json")
    result = await call(app, "POST", "/", body=b'"\xff"', headers=json_headers())
    assert result.status == 400
    assert result.text.startswith("Invalid JSON")


async def test_request_json_deeply_nested_is_400_not_500() -> None:
    app = echo_app("json")
    body = b"[" * 100_000 + b"]" * 100_000
    result = await call(app, "POST", "/", body=body, headers=json_headers())
    assert (result.status, result.text) == (400, "Invalid JSON: nested too deeply")


async def test_request_body_over_content_length_limit_is_413_before_reading() -> None:
    app = echo_app(max_body_size=10)
    headers = [(b"content-length", b"11")]
    scope = make_scope("POST", "/", headers=headers)
    result = await run(app, scope, [])
    assert result.status == 413
    assert "max_body_size (10 bytes)" in result.text
    assert "App(max_body_size=...)" in result.text
    assert result.receive_calls == 0


async def test_request_chunked_body_over_limit_is_413() -> None:
    app = echo_app(max_body_size=10)
    result = await call(app, "POST", "/", body=[b"12345", b"67890", b"1"])
    assert result.status == 413
    assert "max_body_size" in result.text


async def test_request_body_exactly_at_limit_is_accepted() -> None:
    app = echo_app(max_body_size=10)
    result = await call(app, "POST", "/", body=[b"12345", b"67890"])
    assert (result.status, result.body) == (200, b"1234567890")


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1.5", b""])
async def test_request_invalid_content_length_is_400(length: bytes) -> None:
    headers = [(b"content-length", length)]
    result = await call(echo_app(), "POST", "/", body=b"x", headers=headers)
    assert result.status == 400
    assert "Invalid Content-Length" in result.text


async def test_request_stream_raises_client_disconnect() -> None:
    receive = scripted(
        [
            {"type": "http.request", "body": b"a", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    request = Request(make_scope("POST"), receive)
    with pytest.raises(ClientDisconnect):
        await request.body()
    assert await request.is_disconnected()


async def test_request_is_disconnected_false_and_keeps_body_message() -> None:
    request = make_request(b"kept")
    assert not await request.is_disconnected()
    assert await request.body() == b"kept"


async def test_request_limits_default_to_one_mebibyte() -> None:
    assert make_request().limits == Limits()
    with pytest.raises(HTTPException) as info:
        await make_request(headers=[(b"content-length", b"1048577")]).body()
    assert info.value.status_code == 413
