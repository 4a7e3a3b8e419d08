"""Starlette apps for the WebSocket echo and upload-memory benchmarks."""

from __future__ import annotations

import hashlib

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket


def missing(feature: str) -> str | None:
    """Starlette has every feature benchmarked here."""
    return None


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


async def upload(request: Request) -> Response:
    async with request.form() as form:
        file = form["file"]
        if not isinstance(file, UploadFile):
            return JSONResponse({"error": "the 'file' field is not a file"})
        digest = hashlib.sha256()
        file.file.seek(0)
        while chunk := file.file.read(2**20):
            digest.update(chunk)
        return JSONResponse({"size": file.file.tell(), "sha256": digest.hexdigest()})


def create_websocket_app() -> Starlette:
    return Starlette(routes=[WebSocketRoute("/ws", echo)])


def create_upload_app() -> Starlette:
    return Starlette(routes=[Route("/upload", upload, methods=["POST"])])
