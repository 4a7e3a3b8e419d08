"""A small raw ASGI harness for the core tests.

``call(app, "GET", "/")`` builds an HTTP scope, feeds the request body through
a scripted ``receive`` and records every message the app sends. Like a real
server, ``receive`` blocks once the script is used up and answers
``http.disconnect`` after the response is complete (or after
``disconnect_after`` body messages, to model a client that leaves early).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio

from microasgi.core.types import ASGIApp, Message, Scope


@dataclass
class Result:
    """What the app sent, plus how often it called ``receive``."""

    messages: list[Message] = field(default_factory=list)
    receive_calls: int = 0

    @property
    def start(self) -> Message:
        return self.messages[0]

    @property
    def status(self) -> int:
        status: int = self.start["status"]
        return status

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return list(self.start["headers"])

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (lower-case), or ``None``."""
        key = name.lower().encode("latin-1")
        values = [v for k, v in self.raw_headers if k == key]
        return values[-1].decode("latin-1") if values else None

    def header_list(self, name: str) -> list[str]:
        key = name.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self.raw_headers if k == key]

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def make_scope(
    method: str = "GET",
    path: str = "/",
    *,
    query: bytes = b"",
    headers: Iterable[tuple[bytes, bytes]] = (),
    **extra: Any,
) -> Scope:
    """A minimal HTTP scope with a ``host: testserver`` header unless given."""
    header_list = list(headers)
    if not any(name == b"host" for name, _ in header_list):
        header_list.insert(0, (b"host", b"testserver"))
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query,
        "root_path": "",
        "headers": header_list,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    scope.update(extra)
    return scope


def body_messages(body: bytes | list[bytes]) -> list[Message]:
    """``http.request`` messages for a body, one per chunk if a list is given."""
    chunks = body if isinstance(body, list) else [body]
    return [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]


async def run(
    app: ASGIApp,
    scope: Scope,
    script: list[Message] | None = None,
    *,
    disconnect_after: int | None = None,
    timeout: float = 5.0,
    result: Result | None = None,
) -> Result:
    """Call ``app`` once with a scripted ``receive``; record what it sends.

    Pass ``result`` to keep the record when the app raises.
    """
    result = Result() if result is None else result
    pending = list(body_messages(b"") if script is None else script)
    done = asyncio.Event()

    async def receive() -> Message:
        result.receive_calls += 1
        if pending:
            return pending.pop(0)
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        result.messages.append(message)
        bodies = [m for m in result.messages if m["type"] == "http.response.body"]
        finished = message["type"] == "http.response.body" and not message.get(
            "more_body", False
        )
        if finished or (
            disconnect_after is not None and len(bodies) >= disconnect_after
        ):
            done.set()

    with anyio.fail_after(timeout):
        await app(scope, receive, send)
    return result


async def call(
    app: ASGIApp,
    method: str = "GET",
    path: str = "/",
    *,
    body: bytes | list[bytes] = b"",
    headers: Iterable[tuple[bytes, bytes]] = (),
    query: bytes = b"",
    **extra: Any,
) -> Result:
    """One HTTP request through ``app``: ``await call(app, "POST", "/", body=b"x")``."""
    scope = make_scope(method, path, query=query, headers=headers, **extra)
    return await run(app, scope, body_messages(body))


def json_headers(
    content_type: bytes = b"application/json",
) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", content_type)]
