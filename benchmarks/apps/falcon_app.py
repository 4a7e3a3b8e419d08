"""The benchmark app in Falcon's ASGI flavour, with one resource per route.

Falcon middleware is not ASGI middleware, so the pass-through layers wrap the
finished ``falcon.asgi.App`` from outside, as a user adding ASGI middleware would.
"""

from __future__ import annotations

from typing import Any

import falcon
import falcon.asgi

from .common import (
    FILLER_TEXT,
    HELLO,
    JSON_MESSAGE,
    AnyASGIApp,
    filler_routes,
    wrap,
)


class Plaintext:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = HELLO


class JSONMessage:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        resp.media = JSON_MESSAGE


class Echo:
    async def on_post(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        resp.media = await req.get_media()


class Item:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item_id: int
    ) -> None:
        resp.media = {"id": item_id}


class Filler:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, **params: Any
    ) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = FILLER_TEXT


def create_app(route_count: int = 100, middleware_count: int = 0) -> AnyASGIApp:
    app = falcon.asgi.App()
    app.add_route("/", Plaintext())
    app.add_route("/json", JSONMessage())
    app.add_route("/echo", Echo())
    filler = Filler()
    for route in filler_routes(route_count):
        app.add_route(route.path(), filler)
    app.add_route("/items/{item_id:int}", Item())
    return wrap(app, middleware_count)


app = create_app()
