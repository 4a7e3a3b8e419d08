"""The benchmark app in BlackSheep, with route parameters bound by name.

BlackSheep middleware is not ASGI middleware, so the pass-through layers wrap
the finished ``Application`` from outside.
"""

from __future__ import annotations

from typing import Any

from blacksheep import Application, Request, Response, json, text
from blacksheep.server.routing import Router

from .common import (
    FILLER_TEXT,
    HELLO,
    JSON_MESSAGE,
    AnyASGIApp,
    filler_routes,
    wrap,
)


async def plaintext() -> Response:
    return text(HELLO)


async def json_message() -> Response:
    return json(JSON_MESSAGE)


async def echo(request: Request) -> Response:
    data: Any = await request.json()
    return json(data)


async def read_item(item_id: int) -> Response:
    return json({"id": item_id})


async def filler() -> Response:
    return text(FILLER_TEXT)


def create_app(route_count: int = 100, middleware_count: int = 0) -> AnyASGIApp:
    app = Application(router=Router())  # not the shared default router
    app.router.add_get("/", plaintext)
    app.router.add_get("/json", json_message)
    app.router.add_post("/echo", echo)
    for route in filler_routes(route_count):
        app.router.add_get(route.path(), filler)
    app.router.add_get("/items/{int:item_id}", read_item)
    return wrap(app, middleware_count)


app = create_app()
