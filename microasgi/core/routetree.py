"""The route tree: where a path fits, found in one walk.

Routes without parameters live in a dict keyed by their path, so finding one
is a single lookup. Routes with parameters live in a tree with one level per
``/``-separated segment: each node has a dict of literal children and a short
list of parameter patterns, and a ``path`` parameter matches the rest of the
path at once. Walking the tree costs one step per segment, however many
routes there are. Literal segments beat parameters; among parameters, the one
registered first wins.

Routing decides once: the walk that finds the route also notes, on the
branches that fail, every route that fits the path and every route that
fits it with a final ``/`` added or removed, so a miss knows its 405, its
HEAD-for-GET answer and its redirect without walking again. Tools read that
same walk (:meth:`RouteIndex.explain`) instead of applying the rules twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microasgi.core.routing import Route


class Step:
    """One step of the walk down the route tree, as tools report it.

    ``kind`` is ``"static"`` (the dict of routes without parameters),
    ``"literal"`` (a fixed segment), ``"parameter"`` (the ``position``-th
    pattern added at that node) or ``"path"`` (the ``position``-th path
    parameter added there). The walk tries them in that order.
    """

    __slots__ = ("kind", "position")

    def __init__(self, kind: str, position: int = 0) -> None:
        self.kind = kind
        self.position = position

    def __repr__(self) -> str:
        return f"Step(kind={self.kind!r}, position={self.position!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self.kind, self.position) == (other.kind, other.position)

    def __hash__(self) -> int:
        return hash((self.kind, self.position))


STATIC_TRAIL = (Step("static"),)
EVERY_ROUTE = ""  # a method no route takes: the walk meets every route that fits


class Candidate:
    """A place where the path fits: the routes there, by method, and the
    parameters taken from the path.

    ``trail`` is how the walk got there, one step per segment, so tools can
    say why one candidate was tried before another. ``slash`` marks a place
    where the path fits only with a final ``/`` added or removed.

    The classes of this module are written by hand: ``import microasgi``
    loads it, and creating a dataclass or a NamedTuple costs ten times as much
    as a plain class.
    """

    __slots__ = ("params", "routes", "slash", "trail")

    def __init__(
        self,
        routes: dict[str, Route],
        params: dict[str, Any],
        trail: tuple[Step, ...],
        slash: bool = False,
    ) -> None:
        self.routes = routes
        self.params = params
        self.trail = trail
        self.slash = slash

    def __repr__(self) -> str:
        return (
            f"Candidate(routes={self.routes!r}, params={self.params!r}, "
            f"trail={self.trail!r}, slash={self.slash!r})"
        )


class Lookup:
    """What the router decided for one method and path: ``route`` answers,
    with ``params`` taken from the path; on a miss ``route`` is None.

    The walk also says, on a miss, which methods the routes that fit the path
    take (``allowed``; empty when nothing fits) and whether the path with a
    final ``/`` added or removed has routes (``slash_fits``).
    :meth:`RouteIndex.explain` adds ``candidates``: every place the path fits,
    in the order tried. A hit needs none of that, so it carries two attributes
    and reads the rest from the class, while a :class:`Findings` (a miss, or
    an explanation) carries all five: a request to a dynamic route makes a
    new Lookup, so this is on the hot path.
    """

    __slots__ = ("params", "route")
    allowed: frozenset[str] = frozenset()
    slash_fits: bool = False
    candidates: tuple[Candidate, ...] = ()

    def __init__(self, route: Route | None, params: dict[str, Any]) -> None:
        self.route = route
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.route!r}, {self.params!r})"


class Findings(Lookup):
    """A :class:`Lookup` that also holds what the walk found on its way."""

    __slots__ = ("allowed", "candidates", "slash_fits")

    def __init__(
        self,
        route: Route | None,
        params: dict[str, Any],
        allowed: frozenset[str],
        slash_fits: bool,
        candidates: tuple[Candidate, ...] = (),
    ) -> None:
        super().__init__(route, params)
        self.allowed = allowed
        self.slash_fits = slash_fits
        self.candidates = candidates


NOTHING_FITS = Lookup(None, {})


class _Node:
    """One level of the route tree; ``trail`` is how the walk reaches it."""

    __slots__ = ("literal", "patterns", "routes", "tails", "trail")

    def __init__(self, trail: tuple[Step, ...] = ()) -> None:
        self.trail = trail
        self.routes: dict[str, Route] = {}  # method -> route
        self.literal: dict[str, _Node] = {}
        self.patterns: list[tuple[Any, _Node]] = []
        self.tails: list[tuple[Any, dict[str, Route]]] = []


class RouteIndex:
    """Routes of one kind (HTTP or WebSocket), indexed for fast lookup."""

    def __init__(self) -> None:
        self.static: dict[str, dict[str, Lookup]] = {}  # path -> method -> lookup
        self.tree = _Node()

    def add(self, route: Route) -> None:
        template = route.template
        if template.is_static:
            by_method = self.static.setdefault(template.source, {})
            for method in route.methods:  # check all before adding any
                _refuse_duplicate(route, method, by_method)
            for method in route.methods:
                by_method[method] = Lookup(route, {})
            return
        node = self.tree
        for segment in template.segments:
            node = _child(node, segment)
        routes = node.routes
        if template.tail is not None:
            routes = next((r for t, r in node.tails if t == template.tail), {})
            if not routes:
                node.tails.append((template.tail, routes))
        for method in route.methods:  # check all before adding any
            _refuse_duplicate(route, method, routes)
        for method in route.methods:
            routes[method] = route

    def lookup(self, method: str, path: str) -> Lookup:
        """The route for ``method`` at ``path``, or what to answer instead.

        One walk of the tree: it stops at the first route that takes
        ``method``; on a miss it has met every route that fits the path (or
        the path with(out) a final ``/``), and :func:`_decide` reads the
        405, the HEAD-for-GET fallback and the redirect off them.
        """
        by_method = self.static.get(path)
        if by_method is not None:
            found = by_method.get(method)
            if found is not None:
                return found
        if not path.startswith("/"):
            return NOTHING_FITS  # not a path a route can have (e.g. "Xadmin/5")
        seen: list[Candidate] = []
        found = _walk(self.tree, path[1:].split("/"), 0, method, {}, seen)
        if found is not None:
            return found
        return self._decide(method, path, seen)

    def explain(self, method: str, path: str) -> Lookup:
        """The same decision as :meth:`lookup`, with every candidate listed.

        The walk looks for a method no route takes, so it does not stop at
        the route that answers and meets every place the path fits, in order.
        """
        seen: list[Candidate] = []
        if path.startswith("/"):
            _walk(self.tree, path[1:].split("/"), 0, EVERY_ROUTE, {}, seen)
        return self._decide(method, path, seen, explain=True)

    def _decide(
        self, method: str, path: str, seen: list[Candidate], explain: bool = False
    ) -> Lookup:
        """The answer, read off the candidates of one walk (best first)."""
        other = path[:-1] if path.endswith("/") else path + "/"
        if path in self.static:
            seen.insert(0, self._static_candidate(path, slash=False))
        if other in self.static:
            seen.append(self._static_candidate(other, slash=True))
        if not seen:
            return NOTHING_FITS
        fits = [candidate for candidate in seen if not candidate.slash]
        allowed = {name for candidate in fits for name in candidate.routes}
        if "GET" in allowed:
            allowed.add("HEAD")
        taken, chosen = method, _first_taking(fits, method)
        if chosen is None and method == "HEAD":
            taken, chosen = "GET", _first_taking(fits, "GET")  # GET answers HEAD
        return Findings(
            chosen.routes[taken] if chosen else None,
            chosen.params if chosen else {},
            frozenset(allowed),
            slash_fits=len(fits) < len(seen),
            candidates=tuple(seen) if explain else (),
        )

    def _static_candidate(self, path: str, slash: bool) -> Candidate:
        routes = {
            method: found.route
            for method, found in self.static[path].items()
            if found.route is not None
        }
        return Candidate(routes, {}, STATIC_TRAIL, slash)

    def match(self, method: str, path: str) -> Lookup | None:
        """The lookup when a route answers ``method`` at ``path``, else None."""
        found = self.lookup(method, path)
        return found if found.route is not None else None

    def allowed_methods(self, path: str) -> frozenset[str]:
        """Methods any route at ``path`` accepts (for 405 and OPTIONS)."""
        return self.explain(EVERY_ROUTE, path).allowed


def _first_taking(candidates: list[Candidate], method: str) -> Candidate | None:
    return next((found for found in candidates if method in found.routes), None)


def _refuse_duplicate(route: Route, method: str, existing: dict[str, Any]) -> None:
    other = existing.get(method)
    if isinstance(other, Lookup):
        other = other.route
    if other is None:
        return
    raise ValueError(
        f"{method} {route.path} is already handled by {other.name!r}; "
        f"{route.name!r} would never be called - use another path or method"
    )


def _child(node: _Node, segment: Any) -> _Node:
    if isinstance(segment, str):
        child = node.literal.get(segment)
        if child is None:
            child = node.literal[segment] = _Node((*node.trail, Step("literal")))
        return child
    for pattern, child in node.patterns:
        if pattern == segment:
            return child
    child = _Node((*node.trail, Step("parameter", len(node.patterns))))
    node.patterns.append((segment, child))
    return child


def _walk(
    node: _Node,
    segments: list[str],
    index: int,
    method: str,
    params: dict[str, Any],
    seen: list[Candidate],
) -> Lookup | None:
    """Depth-first, best first: a literal child, then patterns in the order
    added, then path parameters. Returns the first route that takes
    ``method``; notes in ``seen`` every other place where the path fits, and
    where it would fit with a final ``/`` added or removed. The hot path of
    every dynamic route, kept in one function: notes cost only on failing
    branches.
    """
    if index == len(segments):
        route = node.routes.get(method)
        if route is not None:
            return Lookup(route, params)
        if node.routes:
            seen.append(Candidate(node.routes, params, node.trail))
        if segments[-1]:  # the path with a final "/" goes one step further
            _note_with_slash(node, params, seen)
        return None
    segment = segments[index]
    child = node.literal.get(segment)
    if child is not None:
        found = _walk(child, segments, index + 1, method, params, seen)
        if found is not None:
            return found
    for pattern, child in node.patterns:
        values = pattern.match(segment)
        if values is not None:
            if params:
                values = {**params, **values}
            found = _walk(child, segments, index + 1, method, values, seen)
            if found is not None:
                return found
    if node.tails:
        found = _match_tail(node, segments, index, method, params, seen)
        if found is not None:
            return found
    if not segment and index == len(segments) - 1 and node.routes:
        # The path without its final "/" ends here.
        seen.append(Candidate(node.routes, params, node.trail, slash=True))
    return None


def _match_tail(
    node: _Node,
    segments: list[str],
    index: int,
    method: str,
    params: dict[str, Any],
    seen: list[Candidate],
) -> Lookup | None:
    """Try the path parameters at ``node`` on the rest of the path."""
    rest = "/".join(segments[index:])
    for position, (tail, routes) in enumerate(node.tails):
        values = tail.match(rest)
        if values is None:
            continue
        values = {**params, **values}
        route = routes.get(method)
        if route is not None:
            return Lookup(route, values)
        seen.append(Candidate(routes, values, (*node.trail, Step("path", position))))
    if segments[-1]:
        other = rest + "/"
    elif index < len(segments) - 1:
        other = rest[:-1]
    else:
        return None  # without its final "/", the path ends before this node
    _note_tails(node, other, params, seen)
    return None


def _note_with_slash(
    node: _Node, params: dict[str, Any], seen: list[Candidate]
) -> None:
    """Note where the path with a final ``/`` (one more, empty segment) fits."""
    child = node.literal.get("")
    if child is not None and child.routes:
        seen.append(Candidate(child.routes, params, child.trail, slash=True))
    for pattern, child in node.patterns:
        values = pattern.match("")
        if values is not None and child.routes:
            seen.append(
                Candidate(child.routes, {**params, **values}, child.trail, slash=True)
            )
    _note_tails(node, "", params, seen)


def _note_tails(
    node: _Node, rest: str, params: dict[str, Any], seen: list[Candidate]
) -> None:
    for position, (tail, routes) in enumerate(node.tails):
        values = tail.match(rest)
        if values is not None:
            trail = (*node.trail, Step("path", position))
            seen.append(Candidate(routes, {**params, **values}, trail, slash=True))
