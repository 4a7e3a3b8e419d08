"""Redirects, errors, mounts and root_path."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Case, Step, get

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
