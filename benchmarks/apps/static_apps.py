"""Static file apps for ``benchmarks.static_files``, one attribute per contender.

Each serves the files of ``$STATIC_DIR`` below ``/static/``:

- ``raw``: by hand, one ``http.response.pathsend`` message when the server
  offers it (else the file in 1 MiB chunks): the floor.
- ``microasgi``: ``StaticFiles``, which uses pathsend when offered.
- ``microasgi_streamed``: the same, with the extension hidden from it, so it
  streams the file in 64 KiB chunks itself: what pathsend saves.
- ``starlette``: Starlette's ``StaticFiles``, which also uses pathsend.
"""

from __future__ import annotations

import os
from pathlib import Path

from microasgi import App, StaticFiles

from .common import Receive, Scope, Send

DIRECTORY = Path(os.environ.get("STATIC_DIR", ".")).resolve()
CHUNK = 1024 * 1024


async def raw(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    path = DIRECTORY / scope["path"].removeprefix("/static/")
    if not scope["path"].startswith("/static/") or not path.is_file():
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"Not Found"})
        return
    size = path.stat().st_size
    headers = [(b"content-length", b"%d" % size)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if "http.response.pathsend" in scope.get("extensions", {}):
        await send({"type": "http.response.pathsend", "path": str(path)})
        return
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


microasgi = App()
microasgi.mount("/static", StaticFiles(DIRECTORY))


async def microasgi_streamed(scope: Scope, receive: Receive, send: Send) -> None:
    scope = {**scope, "extensions": {}}  # as if the server did not offer pathsend
    await microasgi(scope, receive, send)


def _starlette() -> object:
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles as StarletteStaticFiles

    routes = [Mount("/static", StarletteStaticFiles(directory=DIRECTORY))]
    return Starlette(routes=routes)


starlette = _starlette()
