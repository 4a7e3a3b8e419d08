"""Routing: from a scope's path and method to the handler that answers it.

The model, in short. Every route has a path template and, for HTTP, a set of
methods; a :class:`Router` holds them in two route trees (HTTP and
WebSocket, :mod:`microasgi.core.routetree`), where one walk per request finds
the route, or the 405, the HEAD-for-GET answer and the slash redirect.
Literal segments beat parameters; among parameters, the one registered first
wins. Mounts hand everything below a prefix to another ASGI app and are tried
last, longest prefix first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

# Re-exported for code that imports it from here.
from microasgi.core.concurrency import is_async_callable as is_async_callable
from microasgi.core.paths import (
    CONVERTERS,
    Converter,
    PathTemplate,
    compile_path,
    quote_path,
)
from microasgi.core.routetree import RouteIndex
from microasgi.core.signatures import check_handler
from microasgi.core.types import ASGIApp

Handler = Callable[..., Any]
HandlerT = TypeVar("HandlerT", bound=Handler)

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Route:
    """An HTTP handler bound to a path template and its methods."""

    __slots__ = ("endpoint", "is_async", "methods", "name", "template")

    def __init__(
        self,
        template: PathTemplate,
        endpoint: Handler,
        methods: Iterable[str],
        name: str | None = None,
    ) -> None:
        self.template = template
        self.endpoint = endpoint
        self.methods = frozenset(method.upper() for method in methods)
        self.name = name or getattr(endpoint, "__name__", type(endpoint).__name__)
        self.is_async = is_async_callable(endpoint)

    @property
    def path(self) -> str:
        return self.template.source

    def __repr__(self) -> str:
        methods = ",".join(sorted(self.methods))
        return f"Route({methods} {self.path!r} -> {self.name})"


class WebSocketRoute(Route):
    """A WebSocket handler bound to a path template."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"WebSocketRoute({self.path!r} -> {self.name})"


class Mount:
    """Everything at or below ``prefix`` goes to another ASGI ``app``.

    A plain class rather than a dataclass: ``import microasgi`` defines it,
    and creating a dataclass costs a few tenths of a millisecond.
    """

    __slots__ = ("app", "name", "prefix")

    def __init__(self, prefix: str, app: ASGIApp, name: str | None = None) -> None:
        self.prefix = prefix
        self.app = app
        self.name = name

    def __repr__(self) -> str:
        return f"Mount(prefix={self.prefix!r}, app={self.app!r}, name={self.name!r})"

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")


class Router:
    """A group of routes with an optional common ``prefix``.

    Example:
        >>> api = Router(prefix="/api")
        >>> @api.get("/users/{user_id:int}")
        ... async def show_user(request, user_id: int):
        ...     return {"id": user_id}
        >>> app.include_router(api)
    """

    def __init__(self, prefix: str = "") -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(
                f"router prefix {prefix!r} must start with '/' and not end with "
                f"one; did you mean {'/' + prefix.strip('/')!r}?"
            )
        self.prefix = prefix
        self.converters: dict[str, Converter] = dict(CONVERTERS)
        self.routes: list[Route | Mount] = []
        self.http = RouteIndex()
        self.websocket_routes = RouteIndex()
        self.mounts: list[Mount] = []

    # Registration ---------------------------------------------------------

    def add_route(
        self,
        path: str,
        endpoint: Handler,
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
    ) -> Route:
        """Register ``endpoint`` for ``methods`` at ``path`` (prefix added)."""
        if isinstance(methods, str):
            raise TypeError(
                f"methods for {path} must be a list, got the string {methods!r}; "
                f"did you mean methods=[{methods!r}]?"
            )
        methods = [method.upper() for method in methods]
        if not methods:
            raise ValueError(
                f"route {path} needs at least one method; pass e.g. methods=['GET']"
            )
        for method in methods:
            if not method.isalpha():
                raise ValueError(f"invalid HTTP method {method!r} for {path}")
        template = compile_path(self.prefix + path, self.converters)
        check_handler(methods[0], template.source, template, endpoint)
        route = Route(template, endpoint, methods, name)
        self.http.add(route)
        self.routes.append(route)
        return route

    def add_websocket_route(
        self, path: str, endpoint: Handler, name: str | None = None
    ) -> WebSocketRoute:
        """Register a WebSocket ``endpoint`` at ``path``."""
        template = compile_path(self.prefix + path, self.converters)
        check_handler("WEBSOCKET", template.source, template, endpoint)
        route = WebSocketRoute(template, endpoint, ["WEBSOCKET"], name)
        if not route.is_async:
            raise TypeError(
                f"WebSocket handler {route.name!r} for {template.source} is a plain "
                f"def; write it as: async def {route.name}(ws, ...)"
            )
        self.websocket_routes.add(route)
        self.routes.append(route)
        return route

    def mount(self, prefix: str, app: ASGIApp, name: str | None = None) -> None:
        """Hand every path at or below ``prefix`` to another ASGI ``app``.

        Example:
            >>> app.mount("/static", StaticFiles("static"), name="static")
        """
        prefix = self.prefix + prefix.rstrip("/")
        if prefix and not prefix.startswith("/"):
            raise ValueError(
                f"mount prefix {prefix!r} must start with '/'; did you mean "
                f"'/{prefix}'?"
            )
        if not callable(app):
            raise TypeError(f"mount({prefix!r}, ...) needs an ASGI app, got {app!r}")
        mount = Mount(prefix, app, name)
        self.mounts.append(mount)
        self.mounts.sort(key=lambda item: len(item.prefix), reverse=True)
        self.routes.append(mount)

    def include_router(self, router: Router) -> None:
        """Copy every route of ``router`` (prefix and converters kept) into this one."""
        for name, converter in router.converters.items():
            if self.converters.setdefault(name, converter) != converter:
                raise ValueError(
                    f"the included router's converter {name!r} differs from the one "
                    "registered here; give one of them another name"
                )
        for route in router.routes:
            path = route.prefix if isinstance(route, Mount) else route.path
            if isinstance(route, Mount):
                self.mount(path, route.app, route.name)
            elif isinstance(route, WebSocketRoute):
                self.add_websocket_route(path, route.endpoint, route.name)
            else:
                self.add_route(path, route.endpoint, route.methods, route.name)

    def add_converter(
        self,
        name: str,
        regex: str,
        to_python: Callable[[str], Any] = str,
        to_url: Callable[[Any], str] = str,
    ) -> None:
        """Add a path converter usable as ``{param:name}`` in later routes.

        Example:
            >>> app.add_converter("slug", r"[a-z0-9-]+")
        """
        self.converters[name] = Converter(regex, to_python, to_url)

    # Decorators -----------------------------------------------------------

    def route(
        self, path: str, methods: Iterable[str] = ("GET",), name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Register the decorated handler for ``methods`` at ``path``.

        Example:
            >>> @app.route("/things", methods=["GET", "POST"])
            ... def things(request):
            ...     return {"method": request.method}
        """

        def register(endpoint: HandlerT) -> HandlerT:
            self.add_route(path, endpoint, methods, name)
            return endpoint

        return register

    def get(self, path: str, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Register a GET (and HEAD) handler; see :meth:`route`."""
        return self.route(path, ["GET"], name)

    def post(
        self, path: str, name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Register a POST handler; see :meth:`route`."""
        return self.route(path, ["POST"], name)

    def put(self, path: str, name: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Register a PUT handler; see :meth:`route`."""
        return self.route(path, ["PUT"], name)

    def patch(
        self, path: str, name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Register a PATCH handler; see :meth:`route`."""
        return self.route(path, ["PATCH"], name)

    def delete(
        self, path: str, name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Register a DELETE handler; see :meth:`route`."""
        return self.route(path, ["DELETE"], name)

    def head(
        self, path: str, name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Register a HEAD handler; see :meth:`route`."""
        return self.route(path, ["HEAD"], name)

    def options(
        self, path: str, name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Register an OPTIONS handler; see :meth:`route`."""
        return self.route(path, ["OPTIONS"], name)

    def websocket(
        self, path: str, name: str | None = None
    ) -> Callable[[HandlerT], HandlerT]:
        """Register a WebSocket handler, called as ``handler(ws, **params)``.

        Example:
            >>> @app.websocket("/ws")
            ... async def echo(ws):
            ...     await ws.accept()
            ...     async for text in ws.iter_text():
            ...         await ws.send_text(text)
        """

        def register(endpoint: HandlerT) -> HandlerT:
            self.add_websocket_route(path, endpoint, name)
            return endpoint

        return register

    # Lookup ---------------------------------------------------------------

    def match_mount(self, path: str) -> Mount | None:
        """The mount whose prefix covers ``path`` (longest prefix first)."""
        for mount in self.mounts:
            if mount.matches(path):
                return mount
        return None

    def url_path_for(self, name: str, /, **params: Any) -> str:
        """Build the path of the route called ``name``.

        Example:
            >>> app.url_path_for("read_item", item_id=3)
            '/items/3'
        """
        for route in self.routes:
            if isinstance(route, Mount):
                if route.name == name:
                    rest = str(params.pop("path", "")).lstrip("/")
                    return f"{route.prefix}/{quote_path(rest)}"
            elif route.name == name:
                try:
                    return route.template.format(**params)
                except ValueError as exc:
                    raise ValueError(f"url_path_for: route {name!r}: {exc}") from None
        known = sorted({route.name for route in self.routes if route.name})
        raise LookupError(
            f"no route named {name!r}; known names: {', '.join(known) or 'none'}"
        )
