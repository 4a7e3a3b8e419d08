"""Explaining routing: which routes a request met, and why it got its answer.

:func:`explain` walks the routes one by one (slowly, on purpose: this is for
reading, not serving) and compares each template with the path segment by
segment. It then applies the router's rules to pick the answer: a route that
matches the path and takes the method (static routes first; then, segment by
segment, a fixed segment beats a parameter and the parameter added first wins;
a ``{path}`` parameter comes last), else a mount, else 405 when other methods
exist, else a trailing-slash redirect, else 404.

Example:
    >>> print(explain(app, "GET /items/abc"))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from microasgi.core.app import App
from microasgi.core.exceptions import HTTPException
from microasgi.core.paths import PathTemplate, SegmentPattern
from microasgi.core.routing import Mount, Route, Router, WebSocketRoute

_CONVERTER_WORDS = {
    "str": "any text without '/'",
    "int": "digits only, like 42",
    "float": "a number like 3 or 2.5",
    "uuid": "a UUID like 9f1c4e4e-0f5a-4c4b-8f43-5d3c1c7e8a10",
    "path": "any text, '/' included",
}
_PARAM = re.compile(r"{([^{}]*)}")


@dataclass
class Explanation:
    """Why a request gets its answer: ``status`` and the ``lines`` saying why.

    ``status`` is None when a mounted app that is not a microasgi router
    decides. ``route`` and ``params`` are set when a route handles it.
    """

    method: str
    path: str
    status: int | None = None
    lines: list[str] = field(default_factory=list)
    route: Route | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Check:
    """How one route's template compares with the path."""

    route: Route
    params: dict[str, Any] | None  # None: the path does not fit
    reason: str = ""


def explain(router: Router, request_line: str) -> Explanation:
    """Explain how ``router`` (an App or Router) answers ``"METHOD /path"``.

    Example:
        >>> explain(app, "DELETE /items").status
        405
    """
    method, path = _parse_request_line(request_line)
    return _explain(router, method, path)


def _parse_request_line(request_line: str) -> tuple[str, str]:
    """``"GET /items?x=1"`` -> ``("GET", "/items")``; a bare path means GET."""
    words = request_line.split()
    if len(words) == 1 and words[0].startswith("/"):
        words.insert(0, "GET")
    if len(words) not in (2, 3) or not words[0].isalpha():
        raise ValueError(
            f"expected a request line like 'GET /items/3', got {request_line!r}"
        )
    target = words[1]
    path = urlsplit(target).path if "://" in target else target.partition("?")[0]
    if not path.startswith("/"):
        raise ValueError(
            f"the path in {request_line!r} must start with '/'; did you mean '/{path}'?"
        )
    return words[0].upper(), unquote(path, errors="replace")


def _explain(router: Router, method: str, path: str) -> Explanation:
    result = Explanation(method, path, lines=[f"{method} {path}"])
    routes = [
        route
        for route in router.routes
        if isinstance(route, Route) and not isinstance(route, WebSocketRoute)
    ]
    checks = [_check(route, path) for route in routes]
    result.lines.append("Routes, in the order they were added:")
    result.lines.extend(_route_line(check, method) for check in checks)
    if not routes:
        result.lines.append("  (none)")
    ranked = _winner(checks, method, result)
    if ranked:
        tree = [route for route in routes if not route.template.is_static]
        _explain_match(result, ranked, tree)
        return result
    mount = router.match_mount(path)
    if mount is not None:
        _explain_mount(result, mount, method, path)
        return result
    allowed = _allowed(checks)
    if allowed:
        _explain_allowed(result, router, allowed)
    elif not _explain_redirect(result, router, routes):
        result.status = 404
        result.lines.append(f"=> 404 Not Found: no route matches the path {path}.")
        _note_handler(result, router, 404)
    return result


def _check(route: Route, path: str) -> _Check:
    """Compare ``route``'s template with ``path``, one segment at a time."""
    template = route.template
    parts = path[1:].split("/")
    params: dict[str, Any] = {}
    for index, segment in enumerate(template.segments):
        if index >= len(parts):
            missing = template.segments[index:]
            if missing == ("",) and template.tail is None:
                return _Check(
                    route, None, "this route ends with '/', the path does not"
                )
            return _Check(
                route, None, f"the path is shorter: it ends after segment {index}"
            )
        part = parts[index]
        if isinstance(segment, str):
            if part != segment:
                return _Check(route, None, _literal_miss(template, index, part))
            continue
        values = segment.match(part)
        if values is None:
            return _Check(route, None, _pattern_miss(segment, index, part))
        params.update(values)
    rest = parts[len(template.segments) :]
    if template.tail is not None and not rest:
        return _Check(
            route,
            None,
            f"the path ends after segment {len(template.segments)}; the path "
            f"parameter needs a segment of its own, even an empty one (a final '/')",
        )
    if template.tail is not None:
        values = template.tail.match("/".join(rest))
        if values is None:
            miss = _pattern_miss(template.tail, len(template.segments), "/".join(rest))
            return _Check(route, None, miss)
        params.update(values)
    elif rest == [""]:
        return _Check(route, None, "the path ends with '/', this route does not")
    elif rest:
        ends = len(template.segments)
        return _Check(
            route, None, f"the path is longer: this route ends at segment {ends}"
        )
    return _Check(route, params)


def _literal_miss(template: PathTemplate, index: int, part: str) -> str:
    if template.source == "/":
        return "this route matches '/' only"
    expected = template.segments[index]
    return f"segment {index + 1} is {part!r}, this route has {expected!r} there"


def _pattern_miss(segment: SegmentPattern, index: int, part: str) -> str:
    where = f"segment {index + 1} is {part!r}"
    if segment.regex.fullmatch(part):  # the converter itself said no
        return (
            f"{where}: right shape for {segment.source}, but its converter refused it"
        )
    if not part:
        return f"segment {index + 1} is empty; {segment.source} needs some text"
    found = _PARAM.fullmatch(segment.source)
    if found is None:
        return f"{where}, which does not fit the pattern {segment.source!r}"
    name, _, converter = found.group(1).partition(":")
    words = _CONVERTER_WORDS.get(converter or "str")
    if words is None:
        words = f"text matching {segment.converters[name].regex!r}"
    return f"{where}, but {segment.source} takes {words}"


def _route_line(check: _Check, method: str) -> str:
    route = check.route
    title = f"{','.join(sorted(route.methods))} {route.path} ({route.name})"
    if check.params is None:
        return f"  no     {title}: {check.reason}"
    if method in route.methods or (method == "HEAD" and "GET" in route.methods):
        return f"  match  {title}"
    return f"  path   {title}: the path fits, but this route does not take {method}"


def _winner(checks: list[_Check], method: str, result: Explanation) -> list[_Check]:
    """The routes that could answer, best first (the router's order of trying)."""
    fits = [check for check in checks if check.params is not None]
    candidates = [check for check in fits if method in check.route.methods]
    if not candidates and method == "HEAD":
        candidates = [check for check in fits if "GET" in check.route.methods]
        if candidates:
            result.lines.append(
                "No route takes HEAD, so the router uses a GET route: "
                "a GET route answers HEAD too, without the body."
            )
    tree = [check.route for check in checks if not check.route.template.is_static]
    return sorted(candidates, key=lambda check: _rank(check.route, tree))


Rank = tuple[tuple[int, int], ...]


def _rank(route: Route, tree: list[Route]) -> Rank:
    """Where the router's search meets ``route``: smaller is tried first.

    Static routes come first. Then, per segment: a fixed segment (0) before a
    parameter (1, in the order first added), and a route that ends here (-1)
    or goes on before a ``{path}`` parameter that takes the rest (2).
    """
    template = route.template
    if template.is_static:
        return ((-2, 0),)
    ranks = [(-1, 0)]  # a dynamic route, behind every static one
    for depth, segment in enumerate(template.segments):
        if isinstance(segment, str):
            ranks.append((0, 0))
        else:
            ranks.append(
                (1, _first_added(tree, depth, template.segments[:depth], segment))
            )
    if template.tail is None:
        ranks.append((-1, 0))
    else:
        tails = [
            other.template.tail
            for other in tree
            if other.template.tail is not None
            and other.template.segments == template.segments
        ]
        ranks.append((2, tails.index(template.tail)))
    return tuple(ranks)


def _first_added(
    tree: list[Route], depth: int, prefix: tuple[Any, ...], segment: SegmentPattern
) -> int:
    """The position of ``segment`` among parameters first added after ``prefix``."""
    seen: list[Any] = []
    for route in tree:
        segments = route.template.segments
        if len(segments) > depth and segments[:depth] == prefix:
            other = segments[depth]
            if not isinstance(other, str) and other not in seen:
                seen.append(other)
    return seen.index(segment)


_WHY_FIRST = {
    (-2, -1): "routes without parameters are tried before all others",
    (0, 1): "at segment {depth}, a fixed segment beats a parameter",
    (1, 1): "at segment {depth}, both have a parameter; the one added first wins",
    (2, 2): "both take the rest of the path; the one added first wins",
}


def _why_first(winner: Route, other: Route, tree: list[Route]) -> str:
    ours, theirs = _rank(winner, tree), _rank(other, tree)
    depth = next(
        i
        for i, pair in enumerate(zip(ours, theirs, strict=False))
        if len(set(pair)) > 1
    )
    reason = _WHY_FIRST.get(
        (ours[depth][0], theirs[depth][0]),
        "a path parameter takes the rest of a path only when nothing else fits",
    )
    return reason.format(depth=depth)


def _explain_match(
    result: Explanation, ranked: list[_Check], tree: list[Route]
) -> None:
    winner = ranked[0]
    route = winner.route
    for other in ranked[1:]:
        why = _why_first(route, other.route, tree)
        result.lines.append(
            f"{other.route.name} fits too, but {route.name} wins: {why}."
        )
    params = winner.params or {}
    arguments = "".join(f", {name}={value!r}" for name, value in params.items())
    result.status, result.route, result.params = 200, route, params
    result.lines.append(
        f"=> 200 OK: {route.name}(request{arguments}) handles it. Its return value "
        "decides the response: a Response as is, str, bytes, dict or list with "
        "200 OK, None with 204 No Content."
    )


def _explain_mount(result: Explanation, mount: Mount, method: str, path: str) -> None:
    inner_path = path[len(mount.prefix) :] or "/"
    app_name = getattr(mount.app, "__name__", type(mount.app).__name__)
    result.lines.append(
        f"No route matches, but the mount at {mount.prefix or '/'!r} covers the path: "
        f"its app ({app_name}) gets the request, with root_path {mount.prefix!r}, "
        f"and routes {inner_path}."
    )
    if not isinstance(mount.app, Router):
        result.lines.append("=> the mounted app decides the answer.")
        return
    inner = _explain(mount.app, method, inner_path)
    result.lines.extend("    " + line for line in inner.lines)
    result.status, result.route, result.params = inner.status, inner.route, inner.params


def _allowed(checks: list[_Check]) -> set[str]:
    allowed = {
        m for check in checks if check.params is not None for m in check.route.methods
    }
    if "GET" in allowed:
        allowed.add("HEAD")
    return allowed


def _explain_allowed(result: Explanation, router: Router, allowed: set[str]) -> None:
    allow = ", ".join(sorted(allowed | {"OPTIONS"}))
    if result.method == "OPTIONS":
        result.status = 204
        result.lines.append(
            "=> 204 No Content: no route takes OPTIONS here, so the app answers "
            f"it itself, listing what the path takes in the header Allow: {allow}."
        )
        return
    result.status = 405
    result.lines.append(
        f"=> 405 Method Not Allowed: the path {result.path} exists, but no route "
        f"there takes {result.method}. Methods it takes: "
        f"{', '.join(sorted(allowed))}; the response lists them in the header "
        f"Allow: {allow}."
    )
    _note_handler(result, router, 405)


def _note_handler(result: Explanation, router: Router, status: int) -> None:
    if isinstance(router, App) and router.find_error_handler(HTTPException(status)):
        result.lines.append(
            f"   Your exception handler for {status} writes that response."
        )


def _explain_redirect(result: Explanation, router: Router, routes: list[Route]) -> bool:
    path = result.path
    if not (isinstance(router, App) and router.redirect_slashes) or path == "/":
        return False
    other = path[:-1] if path.endswith("/") else path + "/"
    if not _allowed([_check(route, other) for route in routes]):
        return False
    result.status = 307
    result.lines.append(
        f"=> 307 Temporary Redirect to {other}: no route matches {path}, but "
        f"{other} has routes, so the app sends the client there "
        "(App(redirect_slashes=False) turns this off)."
    )
    return True
