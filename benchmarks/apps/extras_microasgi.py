"""microasgi apps for the WebSocket echo and upload-memory benchmarks.

Served with ``uvicorn --factory``. ``missing()`` says whether this checkout of
microasgi has the feature yet, so a driver can skip it with a clear message.
"""

from __future__ import annotations

import hashlib
import importlib.util
from typing import Any

from microasgi import App, Request

UPLOAD_LIMIT = 256 * 2**20  # above the 100 MB upload; the default is 1 MiB
FEATURES = {
    "websocket": ("microasgi.core.websockets", App, "websocket"),
    "forms": ("microasgi.core.forms", Request, "form"),
}


def missing(feature: str) -> str | None:
    """Why ``feature`` cannot be benchmarked, or None when it can."""
    module, owner, attribute = FEATURES[feature]
    if importlib.util.find_spec(module) is None:
        return f"module {module} does not exist yet"
    if not hasattr(owner, attribute):
        return f"{owner.__name__}.{attribute} does not exist yet"
    return None


async def echo(websocket: Any) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


async def upload(request: Request) -> dict[str, Any]:
    form = await request.form()
    file = form["file"]
    if isinstance(file, str):
        return {"error": "the 'file' field is not a file"}
    digest = hashlib.sha256()
    file.file.seek(0)
    while chunk := file.file.read(2**20):
        digest.update(chunk)
    return {"size": file.file.tell(), "sha256": digest.hexdigest()}


def create_websocket_app() -> App:
    app = App()
    app.websocket("/ws")(echo)
    return app


def create_upload_app() -> App:
    app = App(max_body_size=UPLOAD_LIMIT)
    app.post("/upload")(upload)
    return app
