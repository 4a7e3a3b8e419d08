"""A first end-to-end check of the core through raw ASGI calls."""

from __future__ import annotations

import pytest

from microasgi import App

pytestmark = pytest.mark.anyio


async def call(app, method: str, path: str) -> list[dict]:
    scope = {"type": "http", "method": method, "path": path, "headers": [],
             "query_string": b"", "root_path": ""}  # fmt: skip
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_app_hello_world_messages() -> None:
    app = App()

    @app.get("/")
    async def hello(request):
        return "Hello, World!"

    assert await call(app, "GET", "/") == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", b"13"),
                (b"content-type", b"text/plain; charset=utf-8"),
            ],
        },
        {"type": "http.response.body", "body": b"Hello, World!"},
    ]
