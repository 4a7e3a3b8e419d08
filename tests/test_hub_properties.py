"""Property tests: both backends keep the same promises for any history.

For any sequence of publishes over a few channels and any history size:
ids grow within a channel, a subscriber sees each channel in publish order,
and ``since=`` replays exactly the held messages after that id — with a
``Gap("history")`` first when the id has been trimmed away. Both backends
give the same answers.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis_server import RedisServer

from microasgi.batteries.hub import Gap, Hub, Message
from microasgi.batteries.hub.events import parse_id

CHANNELS = ["a", "b", "c"]
runs = itertools.count()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("redis")
    with RedisServer.started(folder) as server:
        yield server.url


async def scenario(
    url: str, history: int, publishes: list[tuple[str, int]], resume_at: int
) -> dict[str, list[object]]:
    """Publish, then resume each channel from its ``resume_at``-th message."""
    prefix = f"run{next(runs)}:"  # each example gets fresh channels
    hub = Hub(url, history=history)
    try:
        ids: dict[str, list[str]] = {channel: [] for channel in CHANNELS}
        async with hub.subscribe(prefix + "a") as live:
            for channel, value in publishes:
                ids[channel].append(await hub.publish(prefix + channel, value))
            end = await hub.publish(prefix + "a", "end")  # always held: the newest
            seen = await asyncio.wait_for(read_until(live, end), 5)
        check_live(seen, ids["a"], url)
        outcome: dict[str, list[object]] = {}
        for channel, channel_ids in ids.items():
            order = [parse_id(message_id) for message_id in channel_ids]
            assert order == sorted(order) and len(set(order)) == len(order)
            if not channel_ids:
                continue
            since = channel_ids[min(resume_at, len(channel_ids) - 1)]
            async with hub.subscribe(prefix + channel, since=since) as events:
                replayed = []
                while events._queue:
                    event = await anext(events)
                    replayed.append(
                        event.data if isinstance(event, Message) else event.reason
                    )
            outcome[channel] = replayed
        return outcome
    finally:
        await hub.close()


async def read_until(
    events: AsyncIterator[Message | Gap], end: str
) -> list[Message | Gap]:
    seen = []
    async for event in events:
        if isinstance(event, Message) and event.id == end:
            return seen
        seen.append(event)
    raise AssertionError("the subscription ended early")


def check_live(seen: list[Message | Gap], published: list[str], url: str) -> None:
    """A live subscriber sees the channel in order; a Gap precedes any hole.

    In one process nothing is missed (the queue holds 1000). Across
    processes the reader may fall more than ``history`` behind a burst, and
    then the hole is announced by a Gap.
    """
    position = 0
    gap_announced = False
    for event in seen:
        if isinstance(event, Gap):
            assert event.reason == "history"
            gap_announced = True
            continue
        skipped = published.index(event.id, position) - position
        assert skipped == 0 or gap_announced, "messages missing without a Gap"
        position += skipped + 1
        gap_announced = False
    assert position == len(published) or gap_announced
    if url == "memory://":
        assert [event.id for event in seen] == published


def expected(
    history: int, publishes: list[tuple[str, int]], resume_at: int
) -> dict[str, list[object]]:
    """What the contract says, worked out by hand."""
    outcome: dict[str, list[object]] = {}
    for channel in CHANNELS:
        values: list[object] = [value for name, value in publishes if name == channel]
        if not values:
            continue
        index = min(resume_at, len(values) - 1)
        if channel == "a":
            values.append("end")  # the live check's marker is history too
        held_from = max(0, len(values) - history)
        gap: list[object] = ["history"] if index < held_from else []
        outcome[channel] = gap + values[max(index + 1, held_from) :]
    return outcome


publish_lists = st.lists(
    st.tuples(st.sampled_from(CHANNELS), st.integers(-1000, 1000)), max_size=40
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(history=st.integers(1, 8), publishes=publish_lists, resume_at=st.integers(0, 40))
def test_memory_hub_keeps_order_history_and_gaps(
    history: int, publishes: list[tuple[str, int]], resume_at: int
) -> None:
    outcome = asyncio.run(scenario("memory://", history, publishes, resume_at))
    assert outcome == expected(history, publishes, resume_at)


@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    deadline=None,
)
@given(history=st.integers(1, 8), publishes=publish_lists, resume_at=st.integers(0, 40))
def test_redis_hub_keeps_order_history_and_gaps(
    redis_url: str, history: int, publishes: list[tuple[str, int]], resume_at: int
) -> None:
    outcome = asyncio.run(scenario(redis_url, history, publishes, resume_at))
    assert outcome == expected(history, publishes, resume_at)


def test_gap_reason_is_reported_as_its_name() -> None:
    assert Gap("a", "history").reason == "history"
