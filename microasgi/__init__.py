"""microasgi: a small, fast, readable ASGI microframework.

Read the package in this order: ``types`` (the ASGI vocabulary),
``datastructures``, ``requests``, ``responses``, ``paths`` and ``routing``,
then ``app``; the batteries (``websockets``, ``sse``, ``forms``,
``staticfiles``, ``templating``, ``wsgi``, ``hub``) and tools (``testclient``,
``validate``, ``cli``) each own one idea.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microasgi.app import App
from microasgi.background import BackgroundTask, BackgroundTasks
from microasgi.exceptions import HTTPException, WebSocketDisconnect
from microasgi.requests import Request
from microasgi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from microasgi.routing import Router

if TYPE_CHECKING:
    from microasgi.fileresponse import FileResponse
    from microasgi.hub import Gap, Hub, HubUnavailable, Message
    from microasgi.sse import EventSourceResponse, ServerSentEvent
    from microasgi.staticfiles import StaticFiles
    from microasgi.templating import Templates
    from microasgi.testclient import TestClient
    from microasgi.uploads import FormData, UploadFile
    from microasgi.websockets import WebSocket
    from microasgi.wsgi import WSGIApp

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
    "EventSourceResponse": "microasgi.sse",
    "FileResponse": "microasgi.fileresponse",
    "FormData": "microasgi.uploads",
    "Gap": "microasgi.hub",
    "Hub": "microasgi.hub",
    "HubUnavailable": "microasgi.hub",
    "Message": "microasgi.hub",
    "ServerSentEvent": "microasgi.sse",
    "StaticFiles": "microasgi.staticfiles",
    "Templates": "microasgi.templating",
    "TestClient": "microasgi.testclient",
    "UploadFile": "microasgi.uploads",
    "WSGIApp": "microasgi.wsgi",
    "WebSocket": "microasgi.websockets",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'microasgi' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
