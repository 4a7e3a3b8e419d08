"""One upload handler per framework, for the upload-speed benchmark.

Each app answers ``POST /upload``, a ``multipart/form-data`` body with one
file field named ``file``, with the file's size and SHA-256 as JSON, written
the way that framework's documentation shows. ``raw`` is the baseline: a
hand-written ASGI app that feeds every received chunk to python-multipart's
``FormParser`` as it comes, and lets it spool the file to disk on the loop.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .common import AnyASGIApp, Receive, Scope, Send

UPLOAD_LIMIT = 256 * 2**20  # above the 100 MiB upload
READ_SIZE = 2**20


def answer(size: int, digest: Any) -> dict[str, Any]:
    return {"size": size, "sha256": digest.hexdigest()}


def create_raw() -> AnyASGIApp:
    from python_multipart import FormParser
    from python_multipart.multipart import parse_options_header

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        _, params = parse_options_header(headers[b"content-type"])
        files: list[Any] = []
        parser = FormParser(
            "multipart/form-data",
            lambda field: None,
            files.append,
            boundary=params[b"boundary"],
        )
        more = True
        while more:
            message = await receive()
            parser.write(message.get("body", b""))
            more = message.get("more_body", False)
        parser.finalize()
        file = files[0].file_object
        file.seek(0)
        digest = hashlib.sha256()
        while chunk := file.read(READ_SIZE):
            digest.update(chunk)
        body = json.dumps(answer(file.tell(), digest)).encode()
        file.close()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def create_microasgi() -> AnyASGIApp:
    from microasgi import App, Request

    app = App(max_body_size=UPLOAD_LIMIT)

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        form = await request.form()
        file = form["file"]
        assert not isinstance(file, str)
        digest = hashlib.sha256()
        while chunk := await file.read(READ_SIZE):
            digest.update(chunk)
        return answer(file.size, digest)

    return app


def create_starlette() -> AnyASGIApp:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def upload(request: Request) -> JSONResponse:
        async with request.form(max_part_size=UPLOAD_LIMIT) as form:
            file = form["file"]
            assert not isinstance(file, str)
            digest = hashlib.sha256()
            size = 0
            while chunk := await file.read(READ_SIZE):
                digest.update(chunk)
                size += len(chunk)
            return JSONResponse(answer(size, digest))

    return Starlette(routes=[Route("/upload", upload, methods=["POST"])])


def create_falcon() -> AnyASGIApp:
    import falcon.asgi

    class Upload:
        async def on_post(
            self, req: falcon.asgi.Request, resp: falcon.asgi.Response
        ) -> None:
            form = await req.get_media()
            async for part in form:
                if part.name == "file":
                    digest = hashlib.sha256()
                    size = 0
                    while chunk := await part.stream.read(READ_SIZE):
                        digest.update(chunk)
                        size += len(chunk)
                    resp.media = answer(size, digest)

    app = falcon.asgi.App()
    app.add_route("/upload", Upload())
    return app


CREATE = {
    "raw": create_raw,
    "microasgi": create_microasgi,
    "starlette": create_starlette,
    "falcon": create_falcon,
}
