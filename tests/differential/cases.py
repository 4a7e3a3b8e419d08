"""The requests: each case is sent, unchanged, to both apps.

A case is one request to one app variant (``main`` unless it says otherwise),
after optional ``setup`` requests on the same client: their cookies are kept,
and ``{etag}`` / ``{last_modified}`` in the case's headers are filled in from
the last setup answer, so conditional requests name each app's own validators.
Case ids read ``area: what``; ``differences.py`` refers to them by pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Values are str, or bytes where a test needs bytes outside ASCII on the wire.
Headers = tuple[tuple[str, str | bytes], ...]


@dataclass(frozen=True)
class Step:
    """One HTTP request: a method, a target as sent on the wire, headers, a body."""

    method: str
    target: str
    headers: Headers = ()
    body: bytes = b""


@dataclass(frozen=True)
class Case:
    id: str
    request: Step
    app: str = "main"
    setup: tuple[Step, ...] = ()
    root_path: str = ""


def get(target: str, *headers: tuple[str, str | bytes]) -> Step:
    return Step("GET", target, headers)


# --- routing, HEAD, OPTIONS, 405 ---------------------------------------------

# Paths that reach a GET route, paths that only lack (or have an extra)
# trailing slash, and paths no route matches.
FOUND_PATHS = [
    "/",
    "/items/3",
    "/floats/2.5",
    "/floats/2",
    "/uuids/6f1d1a4e-55a3-4a23-9f0c-8a0e0f1b2c3d",
    "/users/me",
    "/users/alice",
    "/users/caf%C3%A9",
    "/users/a%20b",
    "/users/%ff",
    "/paths/a/b/c",
    "/paths/",
    "/slash/",
    "/noslash",
    "/dirs/x/",
]
SLASH_PATHS = ["/slash", "/noslash/", "/dirs/x"]
MISSING_PATHS = [
    "/nowhere",
    "/items/abc",
    "/items/-3",
    "/items/3.5",
    "/floats/x",
    "/uuids/not-a-uuid",
    "/users/a%2Fb",
    "/paths",
    "/items/3/extra",
    "//items/3",
]
# Converter edges: each answer is compared, found or not.
CONVERTER_PATHS = [
    "/items/0003",
    "/items/+3",
    "/items/%D9%A3",
    "/items/99999999999999999999999",
    "/floats/-1.5",
    "/floats/1e5",
    "/floats/nan",
    "/floats/inf",
    "/floats/.5",
    "/floats/5.",
    "/uuids/6F1D1A4E-55A3-4A23-9F0C-8A0E0F1B2C3D",
    "/uuids/6f1d1a4e55a34a239f0c8a0e0f1b2c3d",
    "/paths/a%2Fb",
    "/paths/a//b",
    "/users/.",
    "/users/%2E%2E",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]


def routing_cases() -> Iterator[Case]:
    groups = {"found": FOUND_PATHS, "slash": SLASH_PATHS, "missing": MISSING_PATHS}
    for group, paths in groups.items():
        for path in paths:
            for method in METHODS:
                yield Case(f"routing ({group}): {method} {path}", Step(method, path))
    for path in CONVERTER_PATHS:
        yield Case(f"converters: GET {path}", get(path))
    # /things has a GET+POST route and a PUT route.
    for method in [*METHODS, "PATCH", "TRACE"]:
        yield Case(f"routing (methods): {method} /things", Step(method, "/things"))


# --- query strings, headers and cookies --------------------------------------

QUERIES = [
    "",
    "a=1",
    "a=1&a=2&b=3",
    "a=",
    "a",
    "=1",
    "a=1&&b=2&",
    "a=1;b=2",
    "q=a+b",
    "q=a%20b%2Bc",
    "q=%zz",
    "q=%ff%fe",
    "q=caf%C3%A9",
    "q=%E2%9C%93&%E2%9C%93=x",
    "a=1=2",
    "a[]=1&a[]=2",
    "a=%",
    "%=1",
    "a=%2",
]


def query_cases() -> Iterator[Case]:
    for query in QUERIES:
        yield Case(f"query: ?{query}", get(f"/echo/query?{query}"))
    yield Case("url: plain", get("/echo/url?a=1"))
    yield Case("url: trailing query mark", get("/echo/url?"))
    for host in ["example.com:8080", "[::1]:8000", "EXAMPLE.com", "bad host!", ""]:
        yield Case(f"url: Host {host!r}", get("/echo/url?a=1", ("host", host)))


def header_cases() -> Iterator[Case]:
    yield Case(
        "headers: repeated x-multi",
        get("/echo/header?name=x-multi", ("x-multi", "one"), ("x-multi", "two")),
    )
    yield Case(
        "headers: case-insensitive lookup",
        get("/echo/header?name=X-Mixed", ("x-mixed", "yes")),
    )
    yield Case("headers: absent", get("/echo/header?name=x-missing"))


COOKIES = [
    "a=1",
    "a=1; b=2",
    "a=1;b=2",
    "a=1; a=2",
    'q="quoted"',
    r'esc="a\"b"',
    r'oct="a\054b"',
    "spaced = value ",
    "lonely",
    "a=1; ; b=2",
    "eq=a=b",
    "empty=",
    "$Version=1; a=1",
    "a=1, b=2",
    'a="',
    "=x",
    "a=1; b",
    "a b=1",
    "a=1;;;",
]


def cookie_cases() -> Iterator[Case]:
    for cookie in COOKIES:
        yield Case(f"cookies: {cookie!r}", get("/echo/cookies", ("cookie", cookie)))
    utf8 = "utf=caf\u00e9".encode()
    yield Case("cookies: UTF-8 bytes", get("/echo/cookies", ("cookie", utf8)))
    yield Case(
        "cookies: two Cookie headers",
        get("/echo/cookies", ("cookie", "a=1"), ("cookie", "b=2")),
    )
    yield Case("cookies: none", get("/echo/cookies"))
    for name in ["set", "expires", "delete"]:
        yield Case(f"cookies: set_cookie /cookies/{name}", get(f"/cookies/{name}"))


# --- forms and JSON -------------------------------------------------------------

URLENCODED = "application/x-www-form-urlencoded"
URLENCODED_BODIES = [
    b"",
    b"a=1",
    b"a=1&a=2&b=",
    b"a",
    b"a=1&&b=2&",
    b"a=1;b=2",
    b"q=a+b%20c",
    b"q=%zz",
    b"q=%ff",
    b"q=caf%C3%A9",
    b"=value",
    b"a=1=2",
]


def form(body: bytes, content_type: str) -> Step:
    return Step("POST", "/echo/form", (("content-type", content_type),), body)


def urlencoded_cases() -> Iterator[Case]:
    for body in URLENCODED_BODIES:
        yield Case(f"urlencoded: {body!r}", form(body, URLENCODED))
    yield Case(
        "urlencoded: charset parameter",
        form(b"a=1", URLENCODED + "; charset=utf-8"),
    )
    yield Case("form: no content type", Step("POST", "/echo/form", body=b"a=1"))
    yield Case("form: text/plain body", form(b"a=1", "text/plain"))
    yield Case("form: empty body, no content type", Step("POST", "/echo/form"))


BOUNDARY = "diffboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def part(disposition: str, content: bytes = b"v", *headers: str) -> bytes:
    lines = [f"--{BOUNDARY}", f"Content-Disposition: {disposition}", *headers]
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + content + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def file_part(filename: str, content: bytes = b"file body") -> bytes:
    return part(
        f'form-data; name="f"; filename="{filename}"',
        content,
        "Content-Type: text/plain",
    )


MULTIPART_BODIES = {
    "one field": multipart(part('form-data; name="a"', b"1")),
    "two fields, same name": multipart(
        part('form-data; name="a"', b"1"), part('form-data; name="a"', b"2")
    ),
    "empty value": multipart(part('form-data; name="a"', b"")),
    "utf-8 value": multipart(part('form-data; name="a"', "caf\u00e9".encode())),
    "utf-8 name": multipart(part('form-data; name="caf\u00e9"')),
    "file": multipart(file_part("notes.txt")),
    "file with field": multipart(part('form-data; name="a"'), file_part("n.txt")),
    "file without content type": multipart(
        part('form-data; name="f"; filename="raw.bin"', b"\x00\x01")
    ),
    "empty filename": multipart(file_part("")),
    "filename with path": multipart(file_part("../../etc/passwd")),
    "filename with backslashes": multipart(file_part("C:\\Users\\me\\a.txt")),
    "filename with spaces": multipart(file_part("my file name.txt")),
    "filename with semicolon": multipart(file_part("a;b.txt")),
    "filename with escaped quote": multipart(file_part('say \\"hi\\".txt')),
    "filename utf-8": multipart(file_part("r\u00e9sum\u00e9.txt")),
    "filename* rfc 5987": multipart(
        part(
            "form-data; name=\"f\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt",
            b"x",
            "Content-Type: text/plain",
        )
    ),
    "unquoted name": multipart(part("form-data; name=a", b"1")),
    "no name": multipart(part("form-data", b"1")),
    "no content-disposition": multipart(
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode()
    ),
    "part with charset": multipart(
        part('form-data; name="a"', b"1", "Content-Type: text/plain; charset=utf-8")
    ),
    "empty form": f"--{BOUNDARY}--\r\n".encode(),
    "no closing boundary": part('form-data; name="a"', b"1"),
    "truncated in a part": multipart(part('form-data; name="a"', b"1"))[:-30],
    "truncated in headers": f"--{BOUNDARY}\r\nContent-Disp".encode(),
    "only the preamble": b"just some text, no boundary",
    "empty body": b"",
    "preamble before first part": b"ignore me\r\n"
    + multipart(part('form-data; name="a"', b"1")),
    "LF line endings": multipart(part('form-data; name="a"', b"1")).replace(
        b"\r\n", b"\n"
    ),
}


def multipart_cases() -> Iterator[Case]:
    for label, body in MULTIPART_BODIES.items():
        yield Case(f"multipart: {label}", form(body, MULTIPART))
    body = multipart(part('form-data; name="a"', b"1"))
    yield Case("multipart: no boundary parameter", form(body, "multipart/form-data"))
    yield Case(
        "multipart: quoted boundary",
        form(body, f'multipart/form-data; boundary="{BOUNDARY}"'),
    )
    yield Case(
        "multipart: wrong boundary",
        form(body, "multipart/form-data; boundary=other"),
    )


JSON_BODIES = [
    ("application/json", b'{"a": [1, 2.5, null, true]}'),
    ("application/json", b'"just a string"'),
    ("application/json", b"{bad json"),
    ("application/json", b""),
    ("application/json", b"\xff\xfe"),
    ("application/json", b"NaN"),
    ("application/json; charset=utf-8", b'{"a": 1}'),
    ("application/vnd.api+json", b'{"a": 1}'),
    ("text/plain", b'{"a": 1}'),
    ("", b'{"a": 1}'),
]


def json_cases() -> Iterator[Case]:
    for content_type, body in JSON_BODIES:
        headers = (("content-type", content_type),) if content_type else ()
        step = Step("POST", "/echo/json", headers, body)
        yield Case(f"json: {content_type or 'no content type'} {body!r}", step)
    headers = (("content-type", "application/json"),)
    nested = Step("POST", "/echo/json", headers, b"[" * 100_000)
    yield Case("json: nested 100,000 deep", nested)
    yield Case("body: echo", Step("POST", "/echo/body", body=b"\x00raw\xff"))
    yield Case("body: empty", Step("POST", "/echo/body"))


def limit_cases() -> Iterator[Case]:
    """Bodies past microasgi's default limits (Starlette has fewer)."""
    mebibyte = 1024 * 1024
    body = Step("POST", "/echo/body", body=b"x" * (mebibyte + 1))
    yield Case("limits: body over 1 MiB", body)
    fields = "&".join(f"f{number}=1" for number in range(1001)).encode()
    yield Case("limits: 1001 urlencoded fields", form(fields, URLENCODED))
    parts = [part('form-data; name="a"', b"1") for _ in range(1001)]
    yield Case("limits: 1001 multipart fields", form(multipart(*parts), MULTIPART))
    files = [file_part(f"{number}.txt") for number in range(101)]
    yield Case("limits: 101 files", form(multipart(*files), MULTIPART))
    long_header = "X-Long: " + "y" * 9000
    body = multipart(part('form-data; name="a"', b"1", long_header))
    yield Case("limits: 9 KB part header", form(body, MULTIPART))
    many_headers = [f"X-H{number}: v" for number in range(20)]
    body = multipart(part('form-data; name="a"', b"1", *many_headers))
    yield Case("limits: 20 part headers", form(body, MULTIPART))


def large_body_cases() -> Iterator[Case]:
    """Bodies under the limits but past the size kept in memory."""
    big = bytes(range(256)) * 3000  # 768,000 bytes
    body = multipart(file_part("big.bin", big))
    yield Case("large: 750 KB upload", form(body, MULTIPART))
    yield Case("large: 750 KB body", Step("POST", "/echo/body", body=big))
    field = b"v=" + b"z" * 700_000
    yield Case("large: 700 KB urlencoded field", form(field, URLENCODED))


# --- responses ----------------------------------------------------------------

RESPONSE_PATHS = [
    "/return/none",
    "/return/bytes",
    "/return/html",
    "/return/unicode",
    "/return/created",
    "/return/media",
    "/stream",
    "/urls",
]


def response_cases() -> Iterator[Case]:
    for path in RESPONSE_PATHS:
        yield Case(f"response: GET {path}", get(path))
        yield Case(f"response: HEAD {path}", Step("HEAD", path))


# --- FileResponse and StaticFiles ----------------------------------------------

RANGES = [
    "bytes=0-9",
    "bytes=10-19",
    "bytes=1000-",
    "bytes=-25",
    "bytes=0-",
    "bytes=0-99999",
    "bytes=5000-6000",
    "bytes=-0",
    "bytes=9-5",
    "bytes=0-1,5-6",
    "bytes=0-0,-1",
    "items=0-5",
    "bytes=abc",
    "bytes=-",
    "bytes = 0-4",
    "bytes=0-0",
    "bytes=1039-",
    "bytes=1040-",
    "bytes=-2000",
]


def conditional(path: str, *headers: tuple[str, str], method: str = "GET") -> Case:
    """A request that names the validators from a first GET of the same file."""
    label = ", ".join(f"{name}: {value}" for name, value in headers)
    return Case(
        f"conditional: {method} {path} {label}",
        Step(method, path, headers),
        setup=(get(path),),
    )


def file_cases() -> Iterator[Case]:
    for path in ["/file", "/download", "/download/unicode", "/download/inline"]:
        yield Case(f"file: GET {path}", get(path))
        yield Case(f"file: HEAD {path}", Step("HEAD", path))
    yield Case("file: POST /file", Step("POST", "/file"))
    yield Case("file: missing", get("/file/missing"))
    for byte_range in RANGES:
        yield Case(f"range: {byte_range}", get("/file", ("range", byte_range)))
    yield Case(
        "range: HEAD bytes=0-9", Step("HEAD", "/file", (("range", "bytes=0-9"),))
    )
    for path in ["/file", "/static/hello.txt"]:
        yield conditional(path, ("if-none-match", "{etag}"))
        yield conditional(path, ("if-none-match", "{etag}"), method="HEAD")
        yield conditional(path, ("if-none-match", "W/{etag}"))
        yield conditional(path, ("if-none-match", '"other", {etag}'))
        yield conditional(path, ("if-none-match", "*"))
        yield conditional(path, ("if-none-match", '"other"'))
        yield conditional(path, ("if-modified-since", "{last_modified}"))
        yield conditional(path, ("if-modified-since", "Tue, 14 Nov 2023 22:13:19 GMT"))
        yield conditional(path, ("if-modified-since", "Wed, 01 Jan 2025 00:00:00 GMT"))
        yield conditional(path, ("if-modified-since", "not a date"))
        yield conditional(
            path, ("if-none-match", '"other"'), ("if-modified-since", "{last_modified}")
        )
        yield conditional(path, ("range", "bytes=0-4"), ("if-range", "{etag}"))
        yield conditional(path, ("range", "bytes=0-4"), ("if-range", '"other"'))
        yield conditional(path, ("range", "bytes=0-4"), ("if-range", "{last_modified}"))
        yield conditional(
            path, ("range", "bytes=0-4"), ("if-range", "Mon, 01 Jan 2001 00:00:00 GMT")
        )


STATIC_TARGETS = [
    "/static/hello.txt",
    "/static/style.css",
    "/static/data.json",
    "/static/archive.tar.gz",
    "/static/with%20space.txt",
    "/static/caf%C3%A9.txt",
    "/static/sub/page.html",
    "/static/sub/",
    "/static/sub",
    "/static/",
    "/static",
    "/static/missing.txt",
    "/static/hello.txt/",
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/sub/..%2f..%2fsecret.txt",
    "/static/%2fetc%2fpasswd",
    "/static/hello.txt%00.png",
    "/static/sub\\..\\..\\secret.txt",
    "/static/./hello.txt",
    "/static/hello.txt?v=1",
    "/static2/hello.txt",
    "/site",
    "/site/",
    "/site/sub/",
    "/site/sub",
    "/site/sub?x=1",
    "/site/hello.txt",
    "/site/missing",
]


def static_cases() -> Iterator[Case]:
    for target in STATIC_TARGETS:
        yield Case(f"static: GET {target}", get(target))
    for method in ["HEAD", "POST", "DELETE", "OPTIONS"]:
        yield Case(
            f"static: {method} /static/hello.txt", Step(method, "/static/hello.txt")
        )
    yield Case(
        "static: range bytes=0-4",
        get("/static/hello.txt", ("range", "bytes=0-4")),
    )


# --- redirects, errors, mounts -------------------------------------------------------

REDIRECTS = [
    "/redirect",
    "/redirect/301",
    "/redirect/302",
    "/redirect/303",
    "/redirect/308",
    "/redirect-unicode",
    "/redirect-absolute",
    "/slash?a=1&b=%20",
    "/noslash/?q=caf%C3%A9",
    "/dirs/a%3Fb",
    "/dirs/a%23b",
    "/dirs/caf%C3%A9",
]


def redirect_cases() -> Iterator[Case]:
    for target in REDIRECTS:
        yield Case(f"redirect: GET {target}", get(target))
    yield Case("redirect: POST /slash", Step("POST", "/slash"))


ERRORS = [
    "/errors/not-found",
    "/errors/teapot",
    "/errors/default-detail",
    "/errors/crash",
    "/errors/custom",
    "/api/hello",
    "/api/missing",
    "/api",
    "/api/",
    "/apix",
    "/api/url?a=1",
    "/api/dir/",
    "/api/dir",
    "/api/dir?q=1",
    "/api/hello/",
]


def error_cases() -> Iterator[Case]:
    for target in ERRORS:
        yield Case(f"errors: GET {target}", get(target))
    yield Case("errors: HEAD /errors/not-found", Step("HEAD", "/errors/not-found"))
    yield Case("errors: HEAD /errors/crash", Step("HEAD", "/errors/crash"))
    for method in ["HEAD", "POST", "OPTIONS"]:
        yield Case(f"mounts: {method} /api/hello", Step(method, "/api/hello"))
    for code in [204, 304, 400, 401, 405, 413, 422, 429, 500, 503]:
        yield Case(f"errors: HTTPException({code})", get(f"/errors/status/{code}"))
    # Behind a proxy that strips /pre: uvicorn keeps root_path in path, while
    # hypercorn, daphne and granian send path without it. (Starlette's mounts
    # miss in the second convention, so only top-level routes compare there.)
    for target in [
        "/",
        "/api/hello",
        "/items/3",
        "/static/hello.txt",
        "/api/url",
        "/api/dir",
        "/slash",
        "/echo/url",
        "/site/sub",
    ]:
        step = get(f"/pre{target}")
        yield Case(f"root_path (in path): GET {target}", step, root_path="/pre")
    for target in ["/", "/items/3", "/echo/url", "/slash"]:
        step = get(target)
        yield Case(f"root_path (not in path): GET {target}", step, root_path="/pre")
    for target in ["/", "/crash", "/nowhere", "/items"]:
        yield Case(f"catch_all: GET {target}", get(target), app="catch_all")
    yield Case("catch_all: DELETE /items", Step("DELETE", "/items"), app="catch_all")
    yield Case("catch_all: GET /error", get("/error"), app="catch_all")
    for target in ["/crash", "/missing-file", "/sub/crash", "/middleware-crash"]:
        yield Case(f"handler_500: GET {target}", get(target), app="handler_500")


# --- middleware ------------------------------------------------------------------

GOOD = ("origin", "https://good.example")
EVIL = ("origin", "https://evil.example")


def preflight(*headers: tuple[str, str]) -> Step:
    return Step("OPTIONS", "/items", headers)


CORS_REQUESTS = {
    "simple, allowed origin": get("/", GOOD),
    "simple, other origin": get("/", EVIL),
    "simple, no origin": get("/"),
    "POST, allowed origin": Step("POST", "/items", (GOOD,)),
    "error answer, allowed origin": get("/error", GOOD),
    "exposed header": get("/exposed", GOOD),
    "404, allowed origin": get("/nowhere", GOOD),
    "preflight allowed": preflight(GOOD, ("access-control-request-method", "POST")),
    "preflight with allowed header": preflight(
        GOOD,
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "X-Custom, content-type"),
    ),
    "preflight with other header": preflight(
        GOOD,
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "x-other"),
    ),
    "preflight other method": preflight(GOOD, ("access-control-request-method", "PUT")),
    "preflight other origin": preflight(EVIL, ("access-control-request-method", "GET")),
    "OPTIONS without request method": preflight(GOOD),
    "preflight without origin": preflight(("access-control-request-method", "GET")),
}


def cors_cases() -> Iterator[Case]:
    for app in ["cors", "cors_any", "cors_credentials_any"]:
        for label, step in CORS_REQUESTS.items():
            yield Case(f"{app}: {label}", step, app=app)
    cookie = ("cookie", "a=1")
    yield Case(
        "cors_credentials_any: with a cookie",
        get("/", GOOD, cookie),
        app="cors_credentials_any",
    )
    for origin in [
        "https://api.example.org",
        "https://example.org",
        "https://api.example.org.evil.com",
        "http://api.example.org",
    ]:
        step = get("/", ("origin", origin))
        yield Case(f"cors_regex: origin {origin}", step, app="cors_regex")


GZIP = ("accept-encoding", "gzip")
GZIP_REQUESTS = {
    "small body": get("/", GZIP),
    "large body": get("/large", GZIP),
    "large body, HEAD": Step("HEAD", "/large", (GZIP,)),
    "large JSON": get("/large-json", GZIP),
    "large body, identity": get("/large", ("accept-encoding", "identity")),
    "large body, no accept-encoding": get("/large"),
    "large body, gzip;q=0": get("/large", ("accept-encoding", "gzip;q=0")),
    "large body, br and gzip": get("/large", ("accept-encoding", "br, gzip")),
    "large body, *": get("/large", ("accept-encoding", "*")),
    "stream": get("/stream", GZIP),
    "already encoded": get("/encoded", GZIP),
    "event stream": get("/events", GZIP),
    "file": get("/file", GZIP),
    "file, HEAD": Step("HEAD", "/file", (GZIP,)),
    "file range": get("/file", GZIP, ("range", "bytes=0-199")),
    "404": get("/nowhere", GZIP),
    "99 bytes": get("/sized/99", GZIP),
    "100 bytes": get("/sized/100", GZIP),
    "empty": get("/sized/0", GZIP),
    "png": get("/png", GZIP),
}


def gzip_cases() -> Iterator[Case]:
    for label, step in GZIP_REQUESTS.items():
        yield Case(f"gzip: {label}", step, app="gzip")


HOSTS = [
    "example.com",
    "example.com:8000",
    "EXAMPLE.com",
    "api.example.org",
    "example.org",
    "evil.com",
    "site.test",
    "site.test:8080",
    "www.site.test",
    "",
]


def host_cases() -> Iterator[Case]:
    for host in HOSTS:
        step = get("/echo/url?a=1", ("host", host))
        yield Case(f"trusted: Host {host!r}", step, app="trusted")
    yield Case(
        "trusted: two Host headers",
        get("/echo/url", ("host", "example.com"), ("host", "evil.com")),
        app="trusted",
    )
    yield Case(
        "trusted: two Host headers, evil first",
        get("/echo/url", ("host", "evil.com"), ("host", "example.com")),
        app="trusted",
    )
    yield Case(
        "trusted: www redirect of an encoded path",
        get("/echo/a%3Fb", ("host", "site.test")),
        app="trusted",
    )


HTTPS_TARGETS = [
    "/",
    "/items?a=1&b=2",
    "/caf%C3%A9",
    "/a%3Fb",
]


def https_cases() -> Iterator[Case]:
    for target in HTTPS_TARGETS:
        yield Case(f"https: GET {target}", get(target), app="https")
    for host in ["example.com:80", "example.com:8080", "example.com:443"]:
        yield Case(f"https: Host {host}", get("/", ("host", host)), app="https")
    yield Case("https: POST /items", Step("POST", "/items"), app="https")


def session_cases() -> Iterator[Case]:
    write = Step("POST", "/session?user=alice")
    read = get("/session")
    cases = {
        "empty": (read, ()),
        "write": (write, ()),
        "read back": (read, (write,)),
        "write again, same value": (write, (write,)),
        "clear": (Step("POST", "/session/clear"), (write,)),
        "clear when empty": (Step("POST", "/session/clear"), ()),
        "tampered cookie": (get("/session", ("cookie", "session=forged.1.xyz")), ()),
    }
    for label, (step, setup) in cases.items():
        yield Case(f"sessions: {label}", step, app="sessions", setup=setup)


def all_cases() -> list[Case]:
    """Every case, in a stable order."""
    groups = [
        routing_cases,
        query_cases,
        header_cases,
        cookie_cases,
        urlencoded_cases,
        multipart_cases,
        json_cases,
        limit_cases,
        large_body_cases,
        response_cases,
        file_cases,
        static_cases,
        redirect_cases,
        error_cases,
        cors_cases,
        gzip_cases,
        host_cases,
        https_cases,
        session_cases,
    ]
    return [case for group in groups for case in group()]


CASES = all_cases()
