"""Record a conversation to a file, and replay it against an app as a test.

``microasgi trace module:app GET /x --save conv.json`` writes one
connection's scope and messages with :func:`save`. A test then calls the app
with the same scope and the same ``receive`` messages, and compares what the
app sends with the recording, message by message: a fixed bug's exact
conversation becomes its regression test.

The file is JSON that a person can read and edit: bytes that are UTF-8 are
written as ``{"$bytes": "text"}``, other bytes as ``{"$base64": "..."}``.

Example:
    >>> from microasgi.testing.replay import assert_replays
    >>> def test_issue_42():
    ...     assert_replays(app, "tests/conversations/issue-42.json")
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from microasgi.core.extensions import SERVER_ERRORS
from microasgi.core.types import ASGIApp, Message, Scope
from microasgi.testing.client import LifespanRunner
from microasgi.testing.connection import AppRunner
from microasgi.testing.conversation import FIELD_DEFAULTS, Conversation, header_changes

FORMAT = "microasgi-conversation/1"
IGNORED_HEADERS = ("date",)  # differ on every run
_TUPLE_SCOPE_KEYS = ("client", "server")


class RecordingError(ValueError):
    """A file is not a conversation this module wrote (or can read)."""


@dataclass
class Recording:
    """A scope and the messages of one connection, as ``receive``/``send`` saw them."""

    scope: Scope
    received: list[Message] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # "receive"/"send", in turn

    @classmethod
    def of(cls, conversation: Conversation) -> Recording:
        """The recording of a traced (or test client) conversation.

        The test client's error hook (``microasgi.server_errors``) is left
        out: it is a live callable no server offers, and the replayed app
        answers its errors itself.
        """
        scope = dict(conversation.scope)
        extensions = scope.get("extensions")
        if extensions and SERVER_ERRORS in extensions:
            scope["extensions"] = {
                name: value
                for name, value in extensions.items()
                if name != SERVER_ERRORS
            }
        recording = cls(scope)
        for event in conversation.events:
            way = recording.received if event.direction == "receive" else recording.sent
            way.append(event.message)
            recording.order.append(event.direction)
        return recording


def encode(value: Any) -> Any:
    """``value`` as JSON data, with bytes tagged so they come back as bytes."""
    if isinstance(value, bytes):
        try:
            return {"$bytes": value.decode("utf-8")}
        except UnicodeDecodeError:
            return {"$base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return {"$repr": repr(value)}


def decode(data: Any) -> Any:
    """The inverse of :func:`encode` (a ``$repr`` stays a string)."""
    if isinstance(data, dict):
        if data.keys() == {"$bytes"}:
            return str(data["$bytes"]).encode("utf-8")
        if data.keys() == {"$base64"}:
            return base64.b64decode(data["$base64"], validate=True)
        if data.keys() == {"$repr"}:
            return str(data["$repr"])
        return {key: decode(item) for key, item in data.items()}
    if isinstance(data, list):
        return [decode(item) for item in data]
    return data


def save(recording: Recording, path: str | os.PathLike[str]) -> None:
    """Write ``recording`` to ``path``: JSON, one scope key or event a line."""
    received, sent = iter(recording.received), iter(recording.sent)
    events = [
        {"direction": way, "message": next(received if way == "receive" else sent)}
        for way in recording.order
    ]
    scope = ",\n".join(
        f"    {_compact(str(key))}: {_compact(value)}"
        for key, value in recording.scope.items()
    )
    lines = ",\n".join(f"    {_compact(event)}" for event in events)
    with open(path, "w", encoding="utf-8") as file:
        file.write(f'{{\n  "format": {_compact(FORMAT)},\n')
        file.write(f'  "scope": {{\n{scope}\n  }},\n')
        file.write(f'  "events": [\n{lines}\n  ]\n}}\n')


def _compact(value: Any) -> str:
    return json.dumps(encode(value), ensure_ascii=False, separators=(", ", ": "))


def load(path: str | os.PathLike[str]) -> Recording:
    """Read a recording written by :func:`save`; a clear error if it is not one."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except json.JSONDecodeError as exc:
        raise RecordingError(f"{os.fspath(path)!r} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordingError(
            f"{os.fspath(path)!r} is not a {FORMAT!r} recording; write one with "
            "microasgi trace ... --save FILE"
        )
    try:
        scope = decode(data["scope"])
        scope["headers"] = [tuple(pair) for pair in scope.get("headers", [])]
        for key in _TUPLE_SCOPE_KEYS:
            if isinstance(scope.get(key), list):
                scope[key] = tuple(scope[key])
        recording = Recording(scope)
        for event in data["events"]:
            way = event["direction"]
            if way not in ("receive", "send"):
                raise RecordingError(f"unknown direction {way!r}")
            message = decode(event["message"])
            (recording.received if way == "receive" else recording.sent).append(message)
            recording.order.append(way)
    except (KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise RecordingError(f"{os.fspath(path)!r} is malformed: {exc!r}") from None
    return recording


# Replaying --------------------------------------------------------------------


async def replay(
    app: ASGIApp,
    recording: Recording | str | os.PathLike[str],
    *,
    ignore_headers: Iterable[str] = IGNORED_HEADERS,
    lifespan: bool = True,
    timeout: float = 10.0,
) -> list[str]:
    """Run ``app`` on the recorded scope and messages; the differences, if any.

    ``receive`` hands out the recorded messages in order, each once the app
    has sent as many messages as it had when it was recorded (so a
    disconnect still comes after the response); then it reports a
    disconnect. Each message the app sends is compared with the recorded
    one; headers named in ``ignore_headers`` are left out of the comparison.
    With ``lifespan`` (the default) the app's startup runs first and its
    shutdown after, as under ``with TestClient(app)``, and the scope gets the
    state startup left.
    """
    if not isinstance(recording, Recording):
        recording = load(recording)
    ignored = {name.lower().encode("latin-1") for name in ignore_headers}
    if not lifespan:
        return await _replay_connection(
            app, recording, recording.scope, ignored, timeout
        )
    runner = AppRunner(app)
    running = LifespanRunner(runner, timeout)
    await running.startup()
    try:
        scope = {**recording.scope, "state": dict(runner.state)}
        return await _replay_connection(app, recording, scope, ignored, timeout)
    finally:
        await running.shutdown()


async def _replay_connection(
    app: ASGIApp,
    recording: Recording,
    scope: Scope,
    ignored: set[bytes],
    timeout: float,
) -> list[str]:
    pending = [
        (recording.order[:position].count("send"), dict(message))
        for position, message in _receive_positions(recording)
    ]
    sent: list[Message] = []
    progress = asyncio.Event()
    websocket = recording.scope.get("type") == "websocket"

    async def receive() -> Message:
        wanted_sends = pending[0][0] if pending else len(recording.sent)
        while len(sent) < wanted_sends and not _ended(sent):
            progress.clear()
            await progress.wait()
        if pending:
            return pending.pop(0)[1]
        if websocket:
            return {"type": "websocket.disconnect", "code": 1000, "reason": ""}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        progress.set()

    try:
        await asyncio.wait_for(app(dict(scope), receive, send), timeout)
    except asyncio.TimeoutError:
        stuck = f"the app was still running after {timeout} s"
        return [*differences(recording.sent, sent, ignored), stuck]
    return differences(recording.sent, sent, ignored)


def _ended(sent: list[Message]) -> bool:
    """Whether the app has finished its answer (so waiting for more is pointless)."""
    if not sent:
        return False
    last = sent[-1]
    kind = last.get("type")
    if kind in ("http.response.body", "websocket.http.response.body"):
        return not last.get("more_body", False)
    return kind in (
        "websocket.close",
        "http.response.pathsend",
        "http.response.trailers",
    )


def _receive_positions(recording: Recording) -> list[tuple[int, Message]]:
    """Each received message with its position in the recorded order."""
    positions = [index for index, way in enumerate(recording.order) if way == "receive"]
    return list(zip(positions, recording.received, strict=True))


def differences(
    expected: list[Message], actual: list[Message], ignored_headers: set[bytes]
) -> list[str]:
    """Where two lists of sent messages differ, one sentence per difference."""
    found = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
        found += _message_differences(index, want, got, ignored_headers)
    if len(actual) != len(expected):
        extra = actual[len(expected) :] or expected[len(actual) :]
        which = "also sent" if len(actual) > len(expected) else "never sent"
        found.append(
            f"the app sent {len(actual)} messages, the recording has "
            f"{len(expected)}; it {which}: "
            + ", ".join(str(message.get("type")) for message in extra)
        )
    return found


def _message_differences(
    index: int, want: Message, got: Message, ignored_headers: set[bytes]
) -> list[str]:
    where = f"message {index + 1} ({want.get('type')})"
    if want.get("type") != got.get("type"):
        return [f"{where}: the app sent {got.get('type')!r} instead"]
    found = []
    for key in sorted(set(want) | set(got)):
        expected = want.get(key, FIELD_DEFAULTS.get(key))
        actual = got.get(key, FIELD_DEFAULTS.get(key))
        if key == "headers":
            expected = _kept_headers(expected, ignored_headers)
            actual = _kept_headers(actual, ignored_headers)
            changes = header_changes(expected, actual)
            found += [f"{where}: {change}" for change in changes]
        elif encode(expected) != encode(actual):
            found.append(f"{where}: {key} was {_short(expected)}, now {_short(actual)}")
    return found


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def _kept_headers(headers: Any, ignored: set[bytes]) -> list[tuple[bytes, bytes]]:
    return [
        (bytes(name), bytes(value))
        for name, value in headers or []
        if bytes(name).lower() not in ignored
    ]


def assert_replays(
    app: ASGIApp,
    recording: Recording | str | os.PathLike[str],
    *,
    ignore_headers: Iterable[str] = IGNORED_HEADERS,
    lifespan: bool = True,
) -> None:
    """Fail with every difference if ``app`` no longer answers as recorded.

    For plain (sync) tests; in an async test, ``assert await replay(...) == []``.
    """
    found = asyncio.run(
        replay(app, recording, ignore_headers=ignore_headers, lifespan=lifespan)
    )
    if found:
        raise AssertionError(
            "the app no longer answers as recorded:\n- " + "\n- ".join(found)
        )
