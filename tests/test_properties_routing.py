"""Property-based tests for path compiling, route matching and ``url_path_for``.

Each test builds a random set of routes, then checks the router against a
reference model written from the documented rules, not from the router's code:

- a route matches a path when the whole template, each parameter replaced by
  its converter's regex, matches the whole path;
- among the routes that match, priority is decided segment by segment, left
  to right: a literal segment beats a parameter, a parameter beats a ``path``
  parameter (which takes the rest of the path), and among different parameters
  at the same place (after the same segments) the one registered first wins;
- a GET route answers HEAD when no HEAD route matches.

Paths are compared as ASGI carries them in ``scope["path"]`` (percent-decoded).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pytest
from _core_helpers import call
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from microasgi import App, Request
from microasgi.core.paths import CONVERTERS
from microasgi.core.routetree import Lookup

pytestmark = pytest.mark.anyio

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TEXT = st.characters(codec="utf-8")  # any text a server can decode
VALUES: dict[str, st.SearchStrategy[Any]] = {
    # Values that collide with the literals "a", "b", "3" and "v" come often.
    "str": st.sampled_from(["a", "b", "3", "v", "va", "edit"])
    | st.text(TEXT.filter(lambda char: char != "/"), min_size=1, max_size=6),
    "int": st.sampled_from([3, 0]) | st.integers(min_value=0, max_value=10**9),
    "float": st.integers(min_value=0, max_value=10**6).map(lambda n: n / 100),
    "uuid": st.uuids(),
    "path": st.text(st.sampled_from("ab/.-%é"), max_size=8),
}
PIECE_PATTERN = re.compile(r"{(\w+)(?::(\w+))?}")


# The reference model -----------------------------------------------------------


@dataclass(frozen=True)
class RouteSpec:
    """One generated route: its template, methods and name."""

    template: str
    methods: frozenset[str]
    name: str

    @property
    def pieces(self) -> list[str]:
        return self.template[1:].split("/")

    @property
    def tail_index(self) -> int | None:
        """Index of the piece holding a ``path`` parameter, if any."""
        for index, piece in enumerate(self.pieces):
            if any(kind == "path" for _, kind in PIECE_PATTERN.findall(piece)):
                return index
        return None

    def params(self) -> dict[str, str]:
        """Parameter name -> converter name."""
        return {
            name: kind or "str" for name, kind in PIECE_PATTERN.findall(self.template)
        }

    def regex(self) -> re.Pattern[str]:
        def piece_regex(piece: str) -> str:
            parts, position = [], 0
            for found in PIECE_PATTERN.finditer(piece):
                parts.append(re.escape(piece[position : found.start()]))
                regex = CONVERTERS[found.group(2) or "str"].regex
                parts.append(f"(?P<{found.group(1)}>{regex})")
                position = found.end()
            parts.append(re.escape(piece[position:]))
            return "".join(parts)

        return re.compile("/" + "/".join(piece_regex(p) for p in self.pieces))


class Model:
    """Which route should answer ``method path``, by the documented rules."""

    def __init__(self, routes: list[RouteSpec]) -> None:
        self.routes = routes
        # (prefix pieces) -> distinct parameter pieces there, in registration order
        self.order: dict[tuple[str, ...], list[str]] = {}
        for route in routes:
            if not route.params():
                continue  # static routes are found by a dict lookup, not the tree
            tail = route.tail_index
            pieces = route.pieces if tail is None else route.pieces[:tail]
            for index, piece in enumerate(pieces):
                if "{" in piece:
                    self._note(tuple(pieces[:index]), piece)
            if tail is not None:
                rest = "/".join(route.pieces[tail:])
                prefix = ("<tail>", *route.pieces[:tail])
                self._note(prefix, rest)

    def _note(self, prefix: tuple[str, ...], piece: str) -> None:
        seen = self.order.setdefault(prefix, [])
        if piece not in seen:
            seen.append(piece)

    def rank(self, route: RouteSpec) -> list[tuple[int, int]]:
        tail = route.tail_index
        pieces = route.pieces if tail is None else route.pieces[:tail]
        key = []
        for index, piece in enumerate(pieces):
            if "{" not in piece:
                key.append((0, 0))
            else:
                key.append((1, self.order[tuple(pieces[:index])].index(piece)))
        if tail is not None:
            rest = "/".join(route.pieces[tail:])
            prefix = ("<tail>", *pieces)
            key.append((2, self.order[prefix].index(rest)))
        return key

    def match(self, method: str, path: str) -> tuple[RouteSpec, dict[str, Any]] | None:
        found = self._match(method, path)
        if found is None and method == "HEAD":
            return self._match("GET", path)
        return found

    def _match(self, method: str, path: str) -> tuple[RouteSpec, dict[str, Any]] | None:
        candidates = []
        for route in self.routes:
            matched = route.regex().fullmatch(path)
            if matched is not None and method in route.methods:
                candidates.append((self.rank(route), route, matched.groupdict()))
        if not candidates:
            return None
        _, route, raw = min(candidates, key=lambda item: item[0])
        kinds = route.params()
        return route, {k: CONVERTERS[kinds[k]].to_python(v) for k, v in raw.items()}

    def allowed(self, path: str) -> set[str]:
        allowed = {
            method
            for route in self.routes
            if route.regex().fullmatch(path)
            for method in route.methods
        }
        return allowed | {"HEAD"} if "GET" in allowed else allowed


# Strategies ------------------------------------------------------------------------


@st.composite
def templates(draw: st.DrawFn) -> str:
    """A route template of 1-4 pieces; a ``path`` parameter may end it."""
    pieces: list[str] = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["lit", "lit", "str", "int", "float", "uuid"]))
        name = draw(st.sampled_from(["p", "q"])) + str(index)
        if kind == "lit":
            pieces.append(draw(st.sampled_from(["a", "b", "3"])))
        elif draw(st.integers(min_value=0, max_value=4)) == 0:
            pieces.append(f"v{{{name}:{kind}}}")  # literal text around a parameter
        else:
            pieces.append(f"{{{name}:{kind}}}" if kind != "str" else f"{{{name}}}")
    ending = draw(st.sampled_from(["", "", "tail", "tail-then-literal", "slash"]))
    if ending == "tail":
        pieces.append("{rest:path}")
    elif ending == "tail-then-literal":
        pieces += ["{rest:path}", "edit"]
    elif ending == "slash":
        pieces.append("")
    return "/" + "/".join(pieces)


@st.composite
def route_sets(draw: st.DrawFn) -> list[RouteSpec]:
    """Up to 8 routes, no two sharing a template and a method."""
    routes: list[RouteSpec] = []
    taken: set[tuple[str, str]] = set()
    for index in range(draw(st.integers(min_value=1, max_value=8))):
        template = draw(templates())
        methods = draw(st.sampled_from([{"GET"}, {"POST"}, {"GET", "POST"}]))
        methods = {m for m in methods if (template, m) not in taken}
        if methods:
            taken |= {(template, m) for m in methods}
            routes.append(RouteSpec(template, frozenset(methods), f"route{index}"))
    return routes


@dataclass(frozen=True)
class Scenario:
    """A route set, one route in it, and parameter values for that route."""

    routes: list[RouteSpec]
    target: RouteSpec
    values: dict[str, Any]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    routes = draw(route_sets())
    target = draw(st.sampled_from(routes))
    values = draw(
        st.fixed_dictionaries(
            {name: VALUES[kind] for name, kind in target.params().items()}
        )
    )
    return Scenario(routes, target, values)


def scenario(*routes: tuple[str, str], target: int, **values: Any) -> Scenario:
    """An explicit scenario: ``(template, "GET,POST")`` pairs, named route0..."""
    specs = [
        RouteSpec(template, frozenset(methods.split(",")), f"route{index}")
        for index, (template, methods) in enumerate(routes)
    ]
    return Scenario(specs, specs[target], values)


# A path parameter must not match when the path stops before its segment:
# "/a" is not "/a/" + anything.
TAIL_NEEDS_ITS_SLASH = scenario(("/a", "GET"), ("/a/{rest:path}", "POST"), target=0)
TAIL_LOSES_TO_PARAMETER = scenario(
    ("/a/{rest:path}", "GET"), ("/{p0}", "GET"), target=1, p0="a"
)


async def endpoint(request: Request, **params: Any) -> Any:
    shown = {name: str(value) for name, value in params.items()}
    return {"path": request.url.path, "params": shown}


def build_app(routes: list[RouteSpec]) -> App:
    app = App()
    for route in routes:
        app.add_route(route.template, endpoint, sorted(route.methods), route.name)
    return app


def built_path(app: App, route_name: str, /, **values: Any) -> str:
    """The path a server hands the app for the URL ``url_path_for`` built: the
    percent-encoded path, decoded."""
    return unquote(app.url_path_for(route_name, **values))


def assert_same(found: Lookup | None, expected: Any) -> None:
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert (found.route.name, found.params) == (expected[0].name, expected[1])


# The properties --------------------------------------------------------------------


@SETTINGS
@given(case=scenarios())
@example(case=TAIL_NEEDS_ITS_SLASH)
@example(case=TAIL_LOSES_TO_PARAMETER)
def test_routing_built_path_matches_by_priority(case: Scenario) -> None:
    app, model = build_app(case.routes), Model(case.routes)
    path = built_path(app, case.target.name, **case.values)
    for method in ("GET", "POST", "HEAD"):
        assert_same(app.http.match(method, path), model.match(method, path))


@SETTINGS
@given(case=scenarios())
def test_url_path_for_round_trips_through_its_route(case: Scenario) -> None:
    path = built_path(build_app(case.routes), case.target.name, **case.values)
    alone = build_app([case.target])
    found = alone.http.match(min(case.target.methods), path)
    assert found is not None
    assert found.params == case.values


@SETTINGS
@given(case=scenarios())
@example(case=TAIL_NEEDS_ITS_SLASH)
def test_routing_allowed_methods_are_those_of_every_matching_route(
    case: Scenario,
) -> None:
    app, model = build_app(case.routes), Model(case.routes)
    path = built_path(app, case.target.name, **case.values)
    assert app.http.allowed_methods(path) == model.allowed(path)


@SETTINGS
@given(
    routes=route_sets(),
    path=st.text(st.sampled_from("ab3v/.-é\x00%{}"), max_size=20).map(
        lambda text: "/" + text
    ),
)
@example(routes=TAIL_NEEDS_ITS_SLASH.routes, path="/a")
def test_routing_any_path_matches_as_the_model_says(
    routes: list[RouteSpec], path: str
) -> None:
    app, model = build_app(routes), Model(routes)
    for method in ("GET", "POST", "HEAD"):
        assert_same(app.http.match(method, path), model.match(method, path))


def assert_one_lookup_answers(app: App, model: Model, path: str) -> None:
    """The lookup's route, 405 methods and slash redirect, against the model."""
    other = path[:-1] if path.endswith("/") else path + "/"
    for method in ("GET", "POST", "HEAD", "DELETE"):
        found = app.http.lookup(method, path)
        assert_same(found if found.route else None, model.match(method, path))
        if found.route is None:
            assert found.allowed == model.allowed(path)
            assert found.slash_fits == bool(model.allowed(other))


@SETTINGS
@given(case=scenarios(), toggle_slash=st.booleans())
@example(case=TAIL_NEEDS_ITS_SLASH, toggle_slash=True)
def test_routing_lookup_answers_a_miss_as_the_model_says(
    case: Scenario, toggle_slash: bool
) -> None:
    app, model = build_app(case.routes), Model(case.routes)
    path = built_path(app, case.target.name, **case.values)
    if toggle_slash and path != "/":
        path = path[:-1] if path.endswith("/") else path + "/"
    assert_one_lookup_answers(app, model, path)


@SETTINGS
@given(
    routes=route_sets(),
    path=st.text(st.sampled_from("ab3v/.-%"), max_size=12).map(lambda t: "/" + t),
)
def test_routing_lookup_answers_any_path_as_the_model_says(
    routes: list[RouteSpec], path: str
) -> None:
    assert_one_lookup_answers(build_app(routes), Model(routes), path)


@SETTINGS
@given(routes=route_sets(), path=st.text(TEXT, max_size=40))
def test_routing_match_never_raises(routes: list[RouteSpec], path: str) -> None:
    app = build_app(routes)
    app.http.match("GET", path)
    app.http.allowed_methods(path)


@settings(max_examples=100, deadline=None)
@given(value=st.text(TEXT, max_size=6))
@example(value="")
@example(value="x/y")
def test_url_path_for_str_value_round_trips_or_is_refused(value: str) -> None:
    # A value the converter cannot match back ("" or one holding "/") must be
    # refused, not turned into a path that leads to another route or nowhere.
    app = build_app([RouteSpec("/items/{name}", frozenset({"GET"}), "item")])
    app.add_route("/items/{name}/{extra}", endpoint, name="deeper")
    try:
        path = built_path(app, "item", name=value)
    except ValueError:
        return
    found = app.http.match("GET", path)
    assert found is not None
    assert (found.route.name, found.params) == ("item", {"name": value})


@settings(max_examples=200, deadline=None)
@given(value=st.floats(min_value=0, allow_nan=False, allow_infinity=False))
@example(value=1e-05)
@example(value=1e16)
def test_url_path_for_float_round_trips(value: float) -> None:
    app = build_app([RouteSpec("/at/{x:float}", frozenset({"GET"}), "at")])
    found = app.http.match("GET", built_path(app, "at", x=value))
    assert found is not None
    assert found.params == {"x": value}


@settings(max_examples=100, deadline=None)
@given(value=st.uuids())
def test_url_path_for_uuid_round_trips(value: uuid.UUID) -> None:
    app = build_app([RouteSpec("/u/{id:uuid}", frozenset({"GET"}), "u")])
    found = app.http.match("GET", built_path(app, "u", id=value))
    assert found is not None
    assert found.params == {"id": value}


@settings(max_examples=100, deadline=None)
@given(
    prefixes=st.lists(
        st.text(st.sampled_from("ab/"), min_size=1, max_size=6)
        .map(lambda text: "/" + text.strip("/"))
        .filter(lambda prefix: prefix != "/" and "//" not in prefix),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    path=st.text(st.sampled_from("ab/"), max_size=10).map(lambda text: "/" + text),
)
def test_routing_mount_covers_its_prefix_on_a_segment_boundary(
    prefixes: list[str], path: str
) -> None:
    app = App()
    for prefix in prefixes:
        app.mount(prefix, App())
    found = app.match_mount(path)
    covering = [p for p in prefixes if path == p or path.startswith(p + "/")]
    if not covering:
        assert found is None
    else:
        assert found is not None
        assert found.prefix == max(covering, key=len)


@settings(max_examples=60, deadline=None)
@given(case=scenarios())
@example(case=TAIL_LOSES_TO_PARAMETER)
async def test_routing_app_answers_built_path_with_the_winning_handler(
    case: Scenario,
) -> None:
    app, model = build_app(case.routes), Model(case.routes)
    path = built_path(app, case.target.name, **case.values)
    expected = model.match("GET", path)
    result = await call(app, "GET", path)
    if expected is None:
        assert result.status in (404, 405, 307)
        return
    shown = {name: str(value) for name, value in expected[1].items()}
    assert (result.status, json.loads(result.body)["params"]) == (200, shown)
