"""The benchmark app in microasgi, every handler returning a Response object.

The same app as ``microasgi_app.py``, but written the other way users write
it: ``PlainTextResponse(...)`` and ``JSONResponse(...)`` instead of a bare
``str`` or ``dict``. Both ways must cost the same.
"""

from __future__ import annotations

from microasgi import App, JSONResponse, PlainTextResponse, Request

from .common import FILLER_TEXT, HELLO, JSON_MESSAGE, PassThrough, filler_routes


async def plaintext(request: Request) -> PlainTextResponse:
    return PlainTextResponse(HELLO)


async def json_message(request: Request) -> JSONResponse:
    return JSONResponse(JSON_MESSAGE)


async def echo(request: Request) -> JSONResponse:
    return JSONResponse(await request.json())


async def read_item(request: Request, item_id: int) -> JSONResponse:
    return JSONResponse({"id": item_id})


async def filler(request: Request, **params: str) -> PlainTextResponse:
    return PlainTextResponse(FILLER_TEXT)


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
