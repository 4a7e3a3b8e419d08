"""An app deployed below a path prefix, for the root_path tests.

Served as the deploying guide says: a proxy strips ``/pre`` from every request
and the server is told the prefix (``--root-path /pre``; granian:
``--url-path-prefix /pre``). The app has a top-level route, a mounted App with
its own routes, a StaticFiles mounted inside that App, and a mounted WSGI app;
each page shows the links it builds, which must all start with ``/pre``.

The static files and templates live in the folder named by the environment
variable ``ROOT_PATH_APP_FILES``, which the tests fill.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from microasgi import App, StaticFiles, Templates, WebSocket, WSGIApp


def wsgi_where(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]


def build_app(folder: Path) -> App:
    templates = Templates(folder / "templates")
    shop = App()
    shop.mount("/static", StaticFiles(folder / "static", html=True), name="static")

    @shop.get("/page")
    async def page(request):
        return templates.response(request, "page.html")

    @shop.websocket("/ws")
    async def where(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text(ws.url.path)
        await ws.close()

    app = App()
    app.mount("/shop", shop, name="shop")
    app.mount("/wsgi", WSGIApp(wsgi_where))
    app.add_route("/", lambda request: "home", name="home")

    @app.get("/top")
    async def top(request):
        return templates.response(request, "top.html")

    return app


app = build_app(Path(os.environ["ROOT_PATH_APP_FILES"]))
