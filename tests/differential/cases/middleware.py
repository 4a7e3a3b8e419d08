"""One variant per middleware: CORS, GZip, TrustedHost, HTTPSRedirect, sessions."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Case, Step, get

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
