"""Calling an ASGI app in-process: lifespan, one checked call, timed batches.

No server, no sockets: ``await app(scope, receive, send)`` on one event loop.
What is measured is the framework alone, from scope in to messages out.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .apps.common import ASGIApp, Message
from .scenarios import Scenario

ASGI_VERSIONS = {"version": "3.0", "spec_version": "2.3"}


class ValidationError(AssertionError):
    """A framework gave a wrong answer; its timings would mean nothing."""


def build_scope(scenario: Scenario) -> dict[str, Any]:
    """The HTTP scope a server would build for the scenario's request."""
    return {
        "type": "http",
        "asgi": ASGI_VERSIONS,
        "http_version": "1.1",
        "method": scenario.method,
        "scheme": "http",
        "path": scenario.path,
        "raw_path": scenario.path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", b"microasgi-benchmarks"),
            (b"accept", b"*/*"),
            *scenario.headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def body_message(scenario: Scenario) -> Message:
    return {"type": "http.request", "body": scenario.body, "more_body": False}


class Lifespan:
    """Runs an app's lifespan protocol: startup before requests, shutdown after."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.replies: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def receive(self) -> Message:
        return await self.inbox.get()

    async def send(self, message: Message) -> None:
        await self.replies.put(message)

    async def _exchange(self, message_type: str) -> None:
        if self.task is None or self.task.done():
            return  # the app does not speak lifespan; servers carry on too
        await self.inbox.put({"type": message_type})
        reply = asyncio.ensure_future(self.replies.get())
        await asyncio.wait(
            {reply, self.task}, timeout=10, return_when="FIRST_COMPLETED"
        )
        if not reply.done():
            reply.cancel()
            return
        if reply.result()["type"].endswith(".failed"):
            raise RuntimeError(f"{message_type} failed: {reply.result()}")

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": ASGI_VERSIONS, "state": {}}
        self.task = asyncio.ensure_future(self.app(scope, self.receive, self.send))
        await self._exchange("lifespan.startup")

    async def shutdown(self) -> None:
        await self._exchange("lifespan.shutdown")
        if self.task is not None and not self.task.done():
            self.task.cancel()


@dataclass
class Answer:
    """Everything an app sent back for one request."""

    status: int
    content_type: str | None
    body: bytes
    message_count: int


async def call_once(app: ASGIApp, scenario: Scenario) -> Answer:
    """Run one request and check the messages follow the ASGI HTTP protocol."""
    messages: list[Message] = []
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return body_message(scenario)

    async def send(message: Message) -> None:
        messages.append(message)

    await app(build_scope(scenario), receive, send)
    return read_answer(messages)


def read_answer(messages: list[Message]) -> Answer:
    if not messages or messages[0]["type"] != "http.response.start":
        raise ValidationError(f"no http.response.start first: {messages[:1]}")
    headers: list[tuple[bytes, bytes]] = list(messages[0].get("headers", []))
    bodies = messages[1:]
    if not bodies or any(m["type"] != "http.response.body" for m in bodies):
        raise ValidationError(f"expected only http.response.body after start: {bodies}")
    if any(m.get("more_body", False) for m in bodies[-1:]):
        raise ValidationError("the last body message has more_body=True")
    body = b"".join(m.get("body", b"") for m in bodies)
    fields = {name.lower(): value for name, value in headers}
    length = fields.get(b"content-length")
    if length is not None and int(length) != len(body):
        raise ValidationError(f"content-length {length!r} but {len(body)} body bytes")
    content_type = fields.get(b"content-type")
    return Answer(
        status=messages[0]["status"],
        content_type=None if content_type is None else content_type.decode("latin-1"),
        body=body,
        message_count=len(messages),
    )


async def validate(framework: str, app: ASGIApp, scenario: Scenario) -> Answer:
    """Call once; raise ValidationError naming the framework if the answer is wrong."""
    answer = await call_once(app, scenario)
    problems = scenario.problems(answer.status, answer.content_type, answer.body)
    if problems:
        raise ValidationError(
            f"{framework} answered {scenario.name} wrongly: " + "; ".join(problems)
        )
    return answer


async def time_batch(
    app: ASGIApp,
    scenario: Scenario,
    iterations: int,
    messages_per_call: int,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Seconds for ``iterations`` calls; each gets a fresh shallow copy of the scope.

    ``clock`` may be ``time.thread_time``: CPU seconds of this thread, which
    leave out the time the process waits while other work has the CPU.
    """
    scope = build_scope(scenario)
    message = body_message(scenario)
    sent = 0

    async def receive() -> Message:
        return message

    async def send(message: Any) -> None:
        nonlocal sent
        sent += 1

    gc.collect()
    start = clock()
    for _ in range(iterations):
        await app(scope.copy(), receive, send)
    elapsed = clock() - start
    if sent != iterations * messages_per_call:
        raise ValidationError(
            f"{scenario.name}: {sent} messages sent in {iterations} calls; "
            f"validation saw {messages_per_call} per call"
        )
    return elapsed
