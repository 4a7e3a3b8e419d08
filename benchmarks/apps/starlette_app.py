"""The benchmark app in Starlette, written the way its documentation shows."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .common import FILLER_TEXT, HELLO, JSON_MESSAGE, PassThrough, filler_routes


async def plaintext(request: Request) -> Response:
    return PlainTextResponse(HELLO)


async def json_message(request: Request) -> Response:
    return JSONResponse(JSON_MESSAGE)


async def echo(request: Request) -> Response:
    return JSONResponse(await request.json())


async def read_item(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["item_id"]})


async def filler(request: Request) -> Response:
    return PlainTextResponse(FILLER_TEXT)


def create_app(route_count: int = 100, middleware_count: int = 0) -> Starlette:
    routes = [
        Route("/", plaintext),
        Route("/json", json_message),
        Route("/echo", echo, methods=["POST"]),
    ]
    for route in filler_routes(route_count):
        routes.append(Route(route.path(), filler, name=route.name))
    routes.append(Route("/items/{item_id:int}", read_item))
    middleware = [Middleware(PassThrough) for _ in range(middleware_count)]
    return Starlette(routes=routes, middleware=middleware)


app = create_app()
