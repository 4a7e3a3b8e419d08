"""What every benchmark app serves, whatever the framework.

Each app module builds the same app with ``create_app(route_count, middleware_count)``:

- ``GET /``: ``Hello, World!`` as ``text/plain; charset=utf-8``;
- ``GET /json``: ``{"message": "Hello, World!"}`` as ``application/json``;
- ``POST /echo``: the JSON request body parsed and sent back as JSON;
- filler routes, alternately static (``/static/page0``) and dynamic
  (``/resource1/{key}``), none of which matches a benchmarked path;
- ``GET /items/{item_id:int}`` registered last: ``{"id": item_id}``.

``route_count`` counts every route, so an app with 100 routes has 96 fillers.
``middleware_count`` wraps the app in that many ``PassThrough`` middlewares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: Frameworks annotate their ``__call__`` each in their own way.
AnyASGIApp = Callable[..., Awaitable[None]]

HELLO = "Hello, World!"
JSON_MESSAGE = {"message": HELLO}
FILLER_TEXT = "filler"
FIXED_ROUTES = 4  # "/", "/json", "/echo" first and "/items/{item_id:int}" last


@dataclass(frozen=True)
class FillerRoute:
    """One route that no benchmark requests; it only makes the router work."""

    index: int
    dynamic: bool

    def path(self, parameter: str = "{key}") -> str:
        """The route template, with the framework's spelling of a parameter."""
        if self.dynamic:
            return f"/resource{self.index}/{parameter}"
        return f"/static/page{self.index}"

    @property
    def name(self) -> str:
        return f"filler_{self.index}"


def filler_routes(route_count: int) -> list[FillerRoute]:
    """The filler routes of an app that has ``route_count`` routes in all."""
    if route_count < FIXED_ROUTES:
        raise ValueError(
            f"route_count={route_count} is too small; an app needs at least "
            f"{FIXED_ROUTES} routes (the benchmarked ones)."
        )
    fillers = route_count - FIXED_ROUTES
    return [FillerRoute(index, dynamic=index % 2 == 1) for index in range(fillers)]


class PassThrough:
    """A pure ASGI middleware that does nothing: the cost of one layer."""

    def __init__(self, app: AnyASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def wrap(app: AnyASGIApp, middleware_count: int) -> AnyASGIApp:
    """Wrap ``app`` in ``middleware_count`` pass-through layers by hand."""
    for _ in range(middleware_count):
        app = PassThrough(app)
    return app
