"""Regression tests for known attack classes on Python web frameworks.

Each test names the class it guards against (a CWE number, and where there is
one the public advisory that made the class famous) and carries its payload.
Static-file path traversal, the Range header "Apache Killer", download-name
header injection, session cookie tampering and the debug page being off by
default are covered in ``tests/test_security_batteries.py``; they are not
repeated here.

Request smuggling proper (a request with both Content-Length and
Transfer-Encoding, or two different Content-Lengths) is the server's job:
h11 and httptools refuse it before any ASGI app runs. What a server can still
hand over (headers saying one thing, body messages another) is tested below:
the app trusts only the bytes it actually receives.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest
from _core_helpers import body_messages, call, make_scope, run

from microasgi import App, HTTPException, RedirectResponse, Request, Response
from microasgi.core.datastructures import URL
from microasgi.core.requests import HTTPConnection
from microasgi.core.types import Receive, Scope, Send
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio

MIB = 1024 * 1024


def seen_url(path: str, headers: list[tuple[bytes, bytes]]) -> URL:
    """``request.url`` for a request with this path and headers."""
    return HTTPConnection(make_scope("GET", path, headers=headers)).url


# Host and path poisoning of request.url (CWE-20; Django CVE-2012-4520) ------------


@pytest.mark.parametrize(
    "host",
    [
        b"evil.example/reset?x=",
        b"user@evil.example",
        b"evil.example#",
        b"a b",
        b"evil.example:80:90",
        b"evil.example\\x",
        b"",
        b"\xffevil",
    ],
)
def test_request_url_ignores_malformed_host(host: bytes) -> None:
    # A Host that is not name[:port] must not become part of an absolute URL.
    assert str(seen_url("/page", [(b"host", host)])) == "http://testserver/page"


def test_request_url_ignores_x_forwarded_host() -> None:
    # CWE-644: X-Forwarded-Host is only trustworthy behind a known proxy.
    headers = [(b"host", b"site.example"), (b"x-forwarded-host", b"evil.example")]
    assert seen_url("/", headers).netloc == "site.example"


@pytest.mark.parametrize("path", ["http://evil.example/x", "//evil.example/x"])
def test_request_url_path_cannot_replace_the_host(path: str) -> None:
    # An absolute-form target ("GET http://evil/ HTTP/1.1", delivered as is by
    # h11) or a protocol-relative path must stay inside the path, even when
    # the URL is printed and parsed again.
    assert URL(str(seen_url(path, []))).netloc == "testserver"


async def test_slash_redirect_location_ignores_malformed_host() -> None:
    # CWE-601 open redirect through a poisoned Host in the trailing-slash redirect.
    app = App()

    @app.get("/docs/")
    async def docs(request: Request) -> Any:
        return "docs"

    result = await call(app, "GET", "/docs", headers=[(b"host", b"evil.example/x?")])
    assert (result.status, result.header("location")) == (
        307,
        "http://testserver/docs/",
    )


def guarded_app() -> App:
    """An app whose middleware keeps everyone out of /admin."""

    class AdminGuard:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/admin"):
                await Response("Forbidden", 403)(scope, receive, send)
                return
            await self.app(scope, receive, send)

    app = App(middleware=[AdminGuard])

    @app.get("/admin/{user_id}")
    async def admin(request: Request, user_id: str) -> Any:
        return f"admin page of {user_id}"

    return app


async def test_router_ignores_path_without_leading_slash() -> None:
    # CWE-288 authentication bypass by alternate path: uvicorn's h11 protocol
    # hands "GET Xadmin/5 HTTP/1.1" to the app with path "Xadmin/5"; a guard on
    # "/admin" lets it through, so the router must not treat it as "/admin/5".
    result = await call(guarded_app(), "GET", "Xadmin/5")
    assert result.status == 404


async def test_router_guard_still_sees_normal_admin_path() -> None:
    # The baseline the bypass above departs from.
    assert (await call(guarded_app(), "GET", "/admin/5")).status == 403


def test_router_ignores_path_without_leading_slash_under_uvicorn_h11() -> None:
    # CWE-288, end to end: the request line goes out byte for byte.
    import uvicorn

    config = uvicorn.Config(guarded_app(), port=0, log_level="error", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(b"GET Xadmin/5 HTTP/1.1\r\nHost: x\r\n\r\n")
            status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    assert status_line == b"HTTP/1.1 404 Not Found"


# Form parsing denial of service (CWE-400, CWE-770) ---------------------------------


def form_app(**limits: Any) -> App:
    app = App(**limits)

    @app.post("/form")
    async def form(request: Request) -> Any:
        return {"fields": len((await request.form()).multi_items())}

    return app


async def post_form(
    content_type: bytes, body: bytes | list[bytes], **limits: int
) -> Any:
    started = time.perf_counter()
    headers = [(b"content-type", content_type)]
    result = await call(form_app(**limits), "POST", "/form", body=body, headers=headers)
    return result.status, result.text, time.perf_counter() - started


MULTIPART = b"multipart/form-data; boundary=b"


def part(name: bytes, data: bytes = b"", extra: bytes = b"") -> bytes:
    disposition = b'Content-Disposition: form-data; name="' + name + b'"' + extra
    return b"--b\r\n" + disposition + b"\r\n\r\n" + data + b"\r\n"


async def test_multipart_many_tiny_fields_stop_at_max_fields() -> None:
    # CWE-770, Starlette CVE-2023-30798: thousands of empty parts, each cheap to
    # send and costly to hold.
    body = part(b"a") * 15_000 + b"--b--\r\n"
    status, text, elapsed = await post_form(MULTIPART, body)
    assert (status, "max_fields" in text) == (413, True)
    assert elapsed < 1.0


async def test_multipart_thousands_of_files_stop_at_max_files() -> None:
    # CWE-770: every file part opens a temporary file.
    body = part(b"f", b"x", b'; filename="f.txt"') * 1000 + b"--b--\r\n"
    status, text, _ = await post_form(MULTIPART, body, max_fields=5000)
    assert (status, "max_files" in text) == (413, True)


async def test_multipart_huge_field_name_is_refused() -> None:
    # CWE-400: a 500 KB name held in memory while the header is parsed.
    body = part(b"n" * 500_000) + b"--b--\r\n"
    status, text, _ = await post_form(MULTIPART, body)
    assert (status, "max_part_header_size" in text) == (413, True)


async def test_multipart_many_headers_in_one_part_are_refused() -> None:
    # CWE-770: one part with 20,000 header lines.
    headers = b"X-A: 1\r\n" * 20_000
    body = b"--b\r\n" + headers + b'Content-Disposition: form-data; name="a"\r\n\r\n'
    status, text, _ = await post_form(MULTIPART, body)
    assert (status, "max_part_headers" in text) == (413, True)


@pytest.mark.parametrize("flood", [b"\r\n", b"\r", b"\n", b"-", b"\r\n--"])
async def test_multipart_cr_lf_flood_in_data_is_linear(flood: bytes) -> None:
    # CWE-407, Werkzeug CVE-2023-46136: 1 MB of CR/LF (or boundary-like bytes)
    # inside a part made the parser rescan its buffer again and again.
    body = b'--b\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n'
    chunks = [body] + [flood * (64 * 1024 // len(flood))] * 15
    status, _, elapsed = await post_form(MULTIPART, chunks)
    assert status == 400  # the closing boundary never comes
    assert elapsed < 2.0


async def test_multipart_cr_lf_flood_in_preamble_is_linear() -> None:
    # CWE-407, python-multipart CVE-2024-53981: CR/LF before the first boundary.
    chunks = [b"\r\n" * 32 * 1024] * 15 + [part(b"a", b"1") + b"--b--\r\n"]
    status, text, elapsed = await post_form(MULTIPART, chunks)
    assert (status, json.loads(text)) == (200, {"fields": 1})
    assert elapsed < 2.0


@pytest.mark.parametrize(
    "options",
    [
        b"; boundary=" + b"\\" * 50_000,
        b";" * 50_000 + b" boundary=b",
        b"; a=" + b'"\\' * 25_000,
        b"; boundary=" + b"b" * 50_000,
    ],
)
async def test_multipart_content_type_options_redos_bait(options: bytes) -> None:
    # CWE-1333, python-multipart CVE-2024-24762: ReDoS on Content-Type options.
    status, _, elapsed = await post_form(b"multipart/form-data" + options, b"--b--\r\n")
    assert status in (200, 400)
    assert elapsed < 1.0


async def test_urlencoded_many_tiny_fields_stop_at_max_fields() -> None:
    # CWE-770: "a&a&a&..." is 2 bytes per field.
    body = b"a&" * 200_000
    status, text, elapsed = await post_form(b"application/x-www-form-urlencoded", body)
    assert (status, "max_fields" in text) == (413, True)
    assert elapsed < 1.0


async def test_urlencoded_ampersand_flood_is_linear() -> None:
    # CWE-407: a megabyte of empty fields ("&&&&") carries nothing and costs little.
    body = [b"&" * 64 * 1024] * 15 + [b"a=1"]
    status, text, elapsed = await post_form(b"application/x-www-form-urlencoded", body)
    assert (status, json.loads(text)) == (200, {"fields": 1})
    assert elapsed < 1.0


async def test_urlencoded_huge_field_is_refused() -> None:
    # CWE-400: one 100 KB field name, sent in pieces, never held whole.
    chunks = [b"n" * 10_000] * 10
    urlencoded = b"application/x-www-form-urlencoded"
    status, text, _ = await post_form(urlencoded, chunks, max_part_size=50_000)
    assert (status, "max_part_size" in text) == (413, True)


# Header injection (CWE-113 HTTP response splitting, CWE-93 CRLF injection) --------

INJECTION = "x\r\nSet-Cookie: admin=1"


@pytest.mark.parametrize("value", [INJECTION, "x\nSet-Cookie: a=1", "x\rY", "x\x00y"])
def test_response_header_value_with_line_break_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        Response(b"", headers={"x-note": value})


@pytest.mark.parametrize("name", ["x-a\r\nset-cookie", "x a", "x:a", "", "é"])
def test_response_header_name_outside_token_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid header name"):
        Response(b"", headers={name: "1"})


def test_mutable_headers_refuse_line_break() -> None:
    response = Response(b"")
    with pytest.raises(ValueError, match="CR, LF"):
        response.headers["x-note"] = INJECTION


@pytest.mark.parametrize(
    "options",
    [
        {"value": INJECTION},
        {"value": "a; Domain=evil.example"},
        {"path": "/; Domain=evil.example"},
        {"domain": "evil.example\r\nX: 1"},
    ],
)
def test_set_cookie_refuses_attribute_and_line_injection(options: Any) -> None:
    # CWE-113 and cookie attribute injection through a value, path or domain.
    response = Response(b"")
    with pytest.raises(ValueError, match="invalid"):
        response.set_cookie("session", **{"value": "v", **options})


def test_redirect_location_is_percent_encoded() -> None:
    response = RedirectResponse("/next" + INJECTION)
    assert [name for name, _ in response.raw_headers] == [
        b"content-length",
        b"location",
    ]
    assert response.headers["location"] == "/nextx%0D%0ASet-Cookie:%20admin=1"


def test_http_exception_headers_cannot_inject() -> None:
    app = App()

    @app.get("/")
    async def refuse(request: Request) -> Any:
        raise HTTPException(401, headers={"www-authenticate": INJECTION})

    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert "set-cookie" not in response.headers
    assert response.status_code == 500  # the app's mistake, not the client's


# Cross-site request forgery with a JSON body (CWE-352) ----------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        b"text/plain",
        b"text/plain; charset=application/json",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=x",
        None,
    ],
)
async def test_request_json_refuses_body_a_cross_site_form_can_send(
    content_type: bytes | None,
) -> None:
    # A cross-site <form> or fetch() without a preflight can only send these
    # types; a JSON API that parsed them would act on forged requests.
    app, seen = App(), []

    @app.post("/transfer")
    async def transfer(request: Request) -> Any:
        seen.append(await request.json())
        return "done"

    headers = [] if content_type is None else [(b"content-type", content_type)]
    result = await call(
        app, "POST", "/transfer", body=b'{"to": "mallory"}', headers=headers
    )
    assert (result.status, seen) == (400, [])


# Error pages that leak (CWE-209) --------------------------------------------------

SECRET = "hunter2-at-/srv/app/settings.py"


def crashing_app() -> App:
    app = App()
    app.mount("/mounted", crashing_asgi_app)

    @app.get("/sync")
    def sync_crash(request: Request) -> Any:
        raise RuntimeError(SECRET)

    @app.get("/handler-fails")
    async def not_found_here(request: Request) -> Any:
        raise LookupError(SECRET)

    @app.exception_handler(LookupError)
    async def broken_handler(request: Request, exc: Exception) -> Any:
        raise RuntimeError(SECRET + " in the error handler")

    return app


async def crashing_asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError(SECRET)


@pytest.mark.parametrize("path", ["/sync", "/handler-fails", "/mounted/x"])
async def test_server_error_body_leaks_nothing(path: str) -> None:
    result = await call(crashing_app(), "GET", path)
    assert (result.status, result.body) == (500, b"Internal Server Error")
    assert [name for name, _ in result.raw_headers] == [
        b"content-length",
        b"content-type",
    ]


# Oversized bodies (CWE-400, CWE-770) -----------------------------------------------


def counting_app(seen: list[int]) -> App:
    """An app whose handler records how many body bytes reached it."""
    app = App()

    @app.post("/upload")
    async def upload(request: Request) -> Any:
        seen.append(0)
        async for chunk in request.stream():
            seen[-1] += len(chunk)
        return "stored"

    return app


async def send_body(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> Any:
    seen: list[int] = []
    scope = make_scope("POST", "/upload", headers=headers)
    result = await run(counting_app(seen), scope, body_messages(chunks))
    return result, seen


async def test_chunked_body_over_limit_is_cut_off_at_the_limit() -> None:
    # No Content-Length (chunked): the limit is enforced as bytes arrive.
    result, seen = await send_body([], [b"x" * 64 * 1024] * 64)  # 4 MiB
    assert result.status == 413
    assert seen[0] <= MIB
    assert result.receive_calls <= 17  # stopped reading just past 1 MiB


async def test_body_larger_than_its_content_length_is_cut_off_at_the_limit() -> None:
    # A lying Content-Length must not lift the limit.
    headers = [(b"content-length", b"10")]
    result, seen = await send_body(headers, [b"x" * 64 * 1024] * 64)
    assert (result.status, seen[0] <= MIB) == (413, True)


async def test_declared_oversized_body_is_refused_before_reading() -> None:
    result, seen = await send_body([(b"content-length", b"%d" % (2 * MIB))], [b"x"])
    assert (result.status, seen, result.receive_calls) == (413, [0], 0)


@pytest.mark.parametrize(
    "length", [b"-1", b"1e3", b"0x10", b"5, 5", b" ", b"\xb2", b"\xb9\xb3"]
)
async def test_malformed_content_length_is_a_400(length: bytes) -> None:
    # CWE-444 shapes that reach the app: a server that passes an odd
    # Content-Length on must not make the app crash or guess. "\xb2" is "²",
    # which str.isdigit() accepts and int() refuses.
    result, _ = await send_body([(b"content-length", length)], [b"xx"])
    assert result.status == 400


async def test_content_length_with_thousands_of_digits_is_refused() -> None:
    # CWE-400 via CVE-2020-10735: int() of a 5,000-digit string raises.
    result, seen = await send_body([(b"content-length", b"9" * 5000)], [b"x"])
    assert result.status in (400, 413)
    assert seen == [0]


async def test_content_length_and_transfer_encoding_trust_only_received_bytes() -> None:
    # CWE-444: both framing headers reach the app; it counts what it receives.
    headers = [(b"content-length", b"3"), (b"transfer-encoding", b"chunked")]
    result, seen = await send_body(headers, [b"abc", b"def"])
    assert (result.status, seen) == (200, [6])


# JSON bombs (CWE-674 uncontrolled recursion, CWE-400) ------------------------------


def json_app() -> App:
    app = App()

    @app.post("/json")
    async def parse(request: Request) -> Any:
        return {"type": type(await request.json()).__name__}

    return app


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ],
)
async def test_deeply_nested_json_is_a_400(body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    result = await call(json_app(), "POST", "/json", body=body, headers=headers)
    assert result.status == 400


async def test_json_number_with_thousands_of_digits_is_a_400() -> None:
    # CWE-400, CVE-2020-10735: json.loads() raises ValueError (not
    # JSONDecodeError) for an integer over 4,300 digits.
    headers = [(b"content-type", b"application/json")]
    result = await call(json_app(), "POST", "/json", body=b"9" * 5000, headers=headers)
    assert result.status == 400


# Long paths against the router (CWE-674, CWE-1333 ReDoS) ---------------------------


def deep_router_app() -> App:
    app = App()

    @app.get("/files/{rest:path}")
    async def files(request: Request, rest: str) -> Any:
        return {"segments": rest.count("/") + 1}

    @app.get("/{a}/{b}/{c}/{d:int}")
    async def nested(request: Request, a: str, b: str, c: str, d: int) -> Any:
        return "nested"

    @app.get("/{a}/{b}/x/{c}")
    async def other(request: Request, a: str, b: str, c: str) -> Any:
        return "other"

    return app


async def test_router_ten_thousand_segments_against_path_route() -> None:
    result = await call(deep_router_app(), "GET", "/files" + "/s" * 10_000)
    assert (result.status, json.loads(result.body)) == (200, {"segments": 10_000})


@pytest.mark.parametrize("path", ["/a" * 10_000, "/" * 10_000, "/x" * 100_000 + "/"])
async def test_router_many_segments_against_nested_routes_is_404(path: str) -> None:
    started = time.perf_counter()
    result = await call(deep_router_app(), "GET", path)
    assert result.status == 404
    assert time.perf_counter() - started < 1.0


async def test_router_multi_parameter_segment_is_not_redos() -> None:
    # CWE-1333: "{a}-{b}-{c}.txt" compiles to three greedy [^/]+ groups; a long
    # run of "-" that never ends in ".txt" backtracks in cubic time.
    app = App()

    @app.get("/{a}-{b}-{c}.txt")
    async def parts(request: Request, a: str, b: str, c: str) -> Any:
        return "parts"

    started = time.perf_counter()
    result = await call(app, "GET", "/" + "-" * 600)
    assert result.status == 404
    assert time.perf_counter() - started < 0.25
