"""The public surface: ``__all__`` matches the documented names; imports stay light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import microasgi

# The top-level names the public API reference lists, and nothing else.
DOCUMENTED_NAMES = {
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
}

HEAVY_MODULES = ["uvicorn", "python_multipart", "multipart", "jinja2", "httpx", "redis"]


def test_public_api_all_equals_documented_names() -> None:
    assert set(microasgi.__all__) == DOCUMENTED_NAMES
    assert len(microasgi.__all__) == len(DOCUMENTED_NAMES)


def test_public_api_all_is_sorted() -> None:
    assert microasgi.__all__ == sorted(microasgi.__all__)


@pytest.mark.parametrize("name", sorted(DOCUMENTED_NAMES))
def test_public_api_name_resolves(name: str) -> None:
    value = getattr(microasgi, name)
    assert getattr(value, "__name__", name) == name


def test_public_api_unknown_name_is_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = getattr(microasgi, "Nope")  # noqa: B009


def test_public_api_version_is_a_string() -> None:
    assert isinstance(microasgi.__version__, str)


def test_public_api_import_does_not_load_heavy_dependencies() -> None:
    code = (
        "import json, sys, microasgi; "
        f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert json.loads(output) == []
