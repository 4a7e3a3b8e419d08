"""microasgi: a small, fast, readable ASGI microframework.

Read the package in this order: ``types`` (the ASGI vocabulary),
``datastructures``, ``requests``, ``responses``, ``paths`` and ``routing``,
then ``app``; the batteries (``websockets``, ``sse``, ``forms``,
``staticfiles``, ``templating``, ``wsgi``, ``hub``) and tools (``testclient``,
``validate``, ``cli``) each own one idea.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microasgi.core.app import App
from microasgi.core.background import BackgroundTask, BackgroundTasks
from microasgi.core.exceptions import HTTPException, WebSocketDisconnect
from microasgi.core.requests import Request
from microasgi.core.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from microasgi.core.routing import Router
from microasgi.core.streaming import StreamingResponse

if TYPE_CHECKING:
    from microasgi.batteries.fileresponse import FileResponse
    from microasgi.batteries.hub import Gap, Hub, HubUnavailable, Message
    from microasgi.batteries.sse import EventSourceResponse, ServerSentEvent
    from microasgi.batteries.staticfiles import StaticFiles
    from microasgi.batteries.templating import Templates
    from microasgi.batteries.wsgi import WSGIApp
    from microasgi.core.uploads import FormData, UploadFile
    from microasgi.core.websockets import WebSocket
    from microasgi.testing.client import TestClient

__version__ = "0.1.0"

__all__ = [
    "App",
    "BackgroundTask",
    "BackgroundTasks",
    "EventSourceResponse",
    "FileResponse",
    "FormData",
    "Gap",
    "HTMLResponse",
    "HTTPException",
    "Hub",
    "HubUnavailable",
    "JSONResponse",
    "Message",
    "PlainTextResponse",
    "RedirectResponse",
    "Request",
    "Response",
    "Router",
    "ServerSentEvent",
    "StaticFiles",
    "StreamingResponse",
    "Templates",
    "TestClient",
    "UploadFile",
    "WSGIApp",
    "WebSocket",
    "WebSocketDisconnect",
]

# Names whose modules load on first use, so `import microasgi` stays quick and
# needs neither jinja2 nor httpx.
_LAZY = {
    "EventSourceResponse": "microasgi.batteries.sse",
    "FileResponse": "microasgi.batteries.fileresponse",
    "FormData": "microasgi.core.uploads",
    "Gap": "microasgi.batteries.hub",
    "Hub": "microasgi.batteries.hub",
    "HubUnavailable": "microasgi.batteries.hub",
    "Message": "microasgi.batteries.hub",
    "ServerSentEvent": "microasgi.batteries.sse",
    "StaticFiles": "microasgi.batteries.staticfiles",
    "Templates": "microasgi.batteries.templating",
    "TestClient": "microasgi.testing.client",
    "UploadFile": "microasgi.core.uploads",
    "WSGIApp": "microasgi.batteries.wsgi",
    "WebSocket": "microasgi.core.websockets",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'microasgi' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
