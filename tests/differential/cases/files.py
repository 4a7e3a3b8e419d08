"""Responses, FileResponse with ranges and conditional requests, StaticFiles."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Case, Step, get

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
