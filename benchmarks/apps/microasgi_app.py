"""The benchmark app in microasgi, written against its public API only."""

from __future__ import annotations

from typing import Any

from microasgi import App, Request

from .common import FILLER_TEXT, HELLO, JSON_MESSAGE, PassThrough, filler_routes


async def plaintext(request: Request) -> str:
    return HELLO


async def json_message(request: Request) -> dict[str, Any]:
    return JSON_MESSAGE


async def echo(request: Request) -> Any:
    return await request.json()


async def read_item(request: Request, item_id: int) -> dict[str, Any]:
    return {"id": item_id}


async def filler(request: Request, **params: str) -> str:
    return FILLER_TEXT


def create_app(route_count: int = 100, middleware_count: int = 0) -> App:
    app = App()
    app.get("/")(plaintext)
    app.get("/json")(json_message)
    app.post("/echo")(echo)
    for route in filler_routes(route_count):
        app.get(route.path(), name=route.name)(filler)
    app.get("/items/{item_id:int}")(read_item)
    for _ in range(middleware_count):
        app.add_middleware(PassThrough)
    return app


app = create_app()
