"""Routing: found, redirected and missing paths, each method; converters."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Case, Step, get

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
