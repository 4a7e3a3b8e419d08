"""Parsing the request line and headers: query strings, URLs, headers, cookies."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Case, get

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
