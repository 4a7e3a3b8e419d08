"""Explaining routing: which routes a request met, and why it got its answer.

:func:`explain` asks the router itself: ``RouteIndex.explain`` runs the walk
that serving runs, without stopping at the route that answers, and returns
its decision with every candidate in the order it was tried, each with the
steps that led there. This module only words that decision (and, for each
route that does not fit, which segment it stumbles on); the rules of
priority live in the router alone.

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
from microasgi.core.routetree import Candidate, Lookup
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
    found = router.http.explain(method, path)
    fitting = {
        route
        for candidate in found.candidates
        if not candidate.slash
        for route in candidate.routes.values()
    }
    routes = [
        route
        for route in router.routes
        if isinstance(route, Route) and not isinstance(route, WebSocketRoute)
    ]
    result.lines.append("Routes, in the order they were added:")
    result.lines.extend(
        _route_line(route, route in fitting, method, path) for route in routes
    )
    if not routes:
        result.lines.append("  (none)")
    if found.route is not None:
        _explain_match(result, found, found.route)
        return result
    mount = router.match_mount(path)
    if mount is not None:
        _explain_mount(result, mount, method, path)
    elif found.allowed:
        _explain_allowed(result, router, found.allowed)
    elif not _explain_redirect(result, router, found):
        result.status = 404
        result.lines.append(f"=> 404 Not Found: no route matches the path {path}.")
        _note_handler(result, router, 404)
    return result


def _why_not(route: Route, path: str) -> str:
    """Where ``route``'s template stops fitting ``path``, one segment at a time.

    Only called for routes the router found no place for: it words the miss,
    it does not decide it.
    """
    template = route.template
    parts = path[1:].split("/")
    for index, segment in enumerate(template.segments):
        if index >= len(parts):
            missing = template.segments[index:]
            if missing == ("",) and template.tail is None:
                return "this route ends with '/', the path does not"
            return f"the path is shorter: it ends after segment {index}"
        part = parts[index]
        if isinstance(segment, str):
            if part != segment:
                return _literal_miss(template, index, part)
        elif segment.match(part) is None:
            return _pattern_miss(segment, index, part)
    rest = parts[len(template.segments) :]
    if template.tail is not None and not rest:
        return (
            f"the path ends after segment {len(template.segments)}; the path "
            f"parameter needs a segment of its own, even an empty one (a final '/')"
        )
    if template.tail is not None:
        return _pattern_miss(template.tail, len(template.segments), "/".join(rest))
    if rest == [""]:
        return "the path ends with '/', this route does not"
    return f"the path is longer: this route ends at segment {len(template.segments)}"


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


def _route_line(route: Route, fits: bool, method: str, path: str) -> str:
    title = f"{','.join(sorted(route.methods))} {route.path} ({route.name})"
    if not fits:
        return f"  no     {title}: {_why_not(route, path)}"
    if method in route.methods or (method == "HEAD" and "GET" in route.methods):
        return f"  match  {title}"
    return f"  path   {title}: the path fits, but this route does not take {method}"


# Why the walk took one step before another: the router's order, in words.
_WHY_FIRST = {
    "static": "routes without parameters are tried before all others",
    "literal": "at segment {depth}, a fixed segment beats a parameter",
    "parameter": "at segment {depth}, both have a parameter; the one added first wins",
}
_PATH_LAST = "a path parameter takes the rest of a path only when nothing else fits"


def _why_tried_first(winner: Candidate, other: Candidate) -> str:
    """Word the first step where the walk took ``winner``'s way before ``other``'s."""
    steps = zip(winner.trail, other.trail, strict=False)
    for depth, (ours, theirs) in enumerate(steps, 1):
        if ours == theirs:
            continue
        if ours.kind == theirs.kind == "path":
            return "both take the rest of the path; the one added first wins"
        if theirs.kind == "path" and ours.kind != "static":
            return _PATH_LAST
        return _WHY_FIRST.get(ours.kind, _PATH_LAST).format(depth=depth)
    return _PATH_LAST


def _explain_match(result: Explanation, found: Lookup, route: Route) -> None:
    params = found.params
    taken = result.method if result.method in route.methods else "GET"
    if taken != result.method:
        result.lines.append(
            "No route takes HEAD, so the router uses a GET route: "
            "a GET route answers HEAD too, without the body."
        )
    takers = [
        candidate
        for candidate in found.candidates
        if not candidate.slash and taken in candidate.routes
    ]
    winner = takers[0]
    for other in takers[1:]:
        why = _why_tried_first(winner, other)
        result.lines.append(
            f"{other.routes[taken].name} fits too, but {route.name} wins: {why}."
        )
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


def _explain_allowed(
    result: Explanation, router: Router, allowed: frozenset[str]
) -> None:
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


def _explain_redirect(result: Explanation, router: Router, found: Lookup) -> bool:
    path = result.path
    if not (isinstance(router, App) and router.redirect_slashes) or path == "/":
        return False
    if not found.slash_fits:
        return False
    other = path[:-1] if path.endswith("/") else path + "/"
    result.status = 307
    result.lines.append(
        f"=> 307 Temporary Redirect to {other}: no route matches {path}, but "
        f"{other} has routes, so the app sends the client there "
        "(App(redirect_slashes=False) turns this off)."
    )
    return True
