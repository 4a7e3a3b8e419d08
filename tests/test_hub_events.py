"""``hub.event_stream``: resumable Server-Sent Events, in-process."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from microasgi.testing.client import AsyncTestClient

pytestmark = pytest.mark.anyio
APP_FILE = Path(__file__).parent / "apps" / "hub_app.py"


@pytest.fixture
def hub_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hub_app_under_test", APP_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def read_events(response: Any, count: int) -> list[dict[str, str]]:
    """Parse ``count`` events (comments skipped) off an SSE response."""
    events: list[dict[str, str]] = []
    event: dict[str, str] = {}

    async def read() -> None:
        async for line in response.aiter_lines():
            if line == "":
                if event:
                    events.append(dict(event))
                    event.clear()
                if len(events) == count:
                    return
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                event[name] = value

    await asyncio.wait_for(read(), 5)
    return events


async def publish_soon(
    client: AsyncTestClient, room: str, *values: object
) -> list[str]:
    await asyncio.sleep(0.05)  # let the stream subscribe first
    return [(await client.post(f"/rooms/{room}", json=v)).json()["id"] for v in values]


async def test_event_stream_sends_each_message_with_its_id(hub_app: ModuleType) -> None:
    async with (
        AsyncTestClient(hub_app.app) as client,
        client.stream("GET", "/rooms/r/events") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        publishing = asyncio.create_task(publish_soon(client, "r", "hi", {"n": 1}))
        events = await read_events(response, 2)
        ids = await publishing
    assert events == [
        {"data": '"hi"', "id": ids[0]},
        {"data": '{"n":1}', "id": ids[1]},
    ]


async def test_event_stream_resumes_after_last_event_id(hub_app: ModuleType) -> None:
    async with AsyncTestClient(hub_app.app) as client:
        ids = [(await client.post("/rooms/r", json=n)).json()["id"] for n in range(4)]
        headers = {"Last-Event-ID": ids[1]}
        async with client.stream("GET", "/rooms/r/events", headers=headers) as response:
            events = await read_events(response, 2)
    assert [(e["id"], json.loads(e["data"])) for e in events] == [
        (ids[2], 2),
        (ids[3], 3),
    ]


async def test_event_stream_unknown_last_event_id_is_a_gap(hub_app: ModuleType) -> None:
    async with AsyncTestClient(hub_app.app) as client:
        headers = {"Last-Event-ID": "not-an-id"}
        async with client.stream("GET", "/rooms/r/events", headers=headers) as response:
            publishing = asyncio.create_task(publish_soon(client, "r", "next"))
            events = await read_events(response, 2)
            await publishing
    assert events[0] == {
        "event": "gap",
        "data": '{"channel":"room:r","reason":"reset"}',
    }
    assert events[1]["data"] == '"next"'


async def test_event_stream_trimmed_history_is_a_gap_event(hub_app: ModuleType) -> None:
    async with AsyncTestClient(hub_app.app) as client:
        first = (await client.post("/rooms/r", json=0)).json()["id"]
        for n in range(1, 1003):  # history=1000: 0, 1 and 2 are trimmed
            await hub_app.hub.publish("room:r", n)
        headers = {"Last-Event-ID": first}
        async with client.stream("GET", "/rooms/r/events", headers=headers) as response:
            events = await read_events(response, 2)
    assert events[0]["event"] == "gap"
    assert json.loads(events[0]["data"])["reason"] == "history"
    assert json.loads(events[1]["data"]) == 3


async def test_event_stream_ends_with_a_retry_hint_on_shutdown(
    hub_app: ModuleType,
) -> None:
    client = AsyncTestClient(hub_app.app)
    await client.__aenter__()
    async with client.stream("GET", "/rooms/r/events") as response:
        lines: list[str] = []

        async def read_all() -> None:
            async for line in response.aiter_lines():
                lines.append(line)

        reading = asyncio.create_task(read_all())
        await asyncio.sleep(0.1)
        hub_app.app.drain.start()  # what the server's SIGTERM starts
        await asyncio.wait_for(reading, 5)
    await client.__aexit__(None, None, None)
    assert lines[-2:] == ["retry: 1000", ""]
