"""examples/clock_sse.py: a page with an EventSource and a stream of ticks."""

from __future__ import annotations

import importlib.util
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest

from microasgi.testing.client import TestClient

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "clock_sse.py"
DOC = ROOT / "docs" / "how-to" / "sse-and-streaming.md"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("clock_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "TICK_SECONDS", 0.01)
    return module


@pytest.fixture
def client(clock: ModuleType) -> Iterator[TestClient]:
    with TestClient(clock.app) as client:
        yield client


def test_example_clock_page_listens_for_ticks(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert 'new EventSource("/clock")' in response.text
    assert 'addEventListener("tick"' in response.text


def parse_tick(chunk: bytes) -> tuple[str, dict[str, str]]:
    """The id and JSON data of one framed ``tick`` event."""
    match = re.fullmatch(rb"event: tick\ndata: (\{.*\})\nid: (\d+)\n\n", chunk)
    assert match is not None, chunk
    return match.group(2).decode(), json.loads(match.group(1))


def test_example_clock_streams_tick_events(client: TestClient) -> None:
    with client.stream("GET", "/clock") as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        chunks = response.iter_raw()
        (first_id, first), (second_id, _) = (
            parse_tick(next(chunks)),
            parse_tick(next(chunks)),
        )
    assert (first_id, second_id) == ("0", "1")
    sent = datetime.fromisoformat(first["utc"])
    assert abs(datetime.now(timezone.utc) - sent) < timedelta(seconds=5)


def test_example_clock_stops_ticking_when_the_client_leaves(
    client: TestClient,
) -> None:
    with client.stream("GET", "/clock") as response:
        next(response.iter_raw())
        leaving = time.monotonic()
    # Leaving waits for the app to end by itself (it is cancelled after a
    # second's grace), so a quick exit means the stream stopped on its own.
    assert time.monotonic() - leaving < 0.5
    conversation = client.last_conversation
    assert conversation is not None
    assert conversation.events[-1].message == {"type": "http.disconnect"}


def test_example_clock_docs_snippets_exist() -> None:
    includes = re.findall(r'--8<-- "([^"]+)"', DOC.read_text())
    assert includes
    for include in includes:
        path, _, section = include.partition(":")
        text = (ROOT / path).read_text()
        if section:
            assert f"--8<-- [start:{section}]" in text, include
            assert f"--8<-- [end:{section}]" in text, include
