"""A raw ASGI harness for tests: scripted receive(), every sent message recorded.

Example:
    sent = await run_asgi(app, http_scope("/"), [{"type": "http.request"}])
    assert sent[0] == {"type": "http.response.start", "status": 200, "headers": []}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from microasgi.core.types import ASGIApp, Message, Scope


async def run_asgi(
    app: ASGIApp, scope: Scope, messages: Iterable[Message]
) -> list[Message]:
    """Call app once; receive() returns messages in order, send() is recorded."""
    script = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        if not script:
            raise RuntimeError("the app called receive() after the script ran out")
        return script.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def http_scope(path: str = "/", method: str = "GET", **extra: Any) -> Scope:
    """A minimal HTTP scope; extra keys are added as given."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        **extra,
    }


def websocket_scope(path: str = "/ws", **extra: Any) -> Scope:
    """A minimal WebSocket scope that offers the denial response extension."""
    scope = http_scope(path, scheme="ws", subprotocols=[], **extra)
    del scope["method"]
    scope["type"] = "websocket"
    scope.setdefault("extensions", {"websocket.http.response": {}})
    return scope
