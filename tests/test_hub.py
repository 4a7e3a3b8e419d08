"""The Hub's contract, on both backends: order, ids, history, gaps, bounds.

Every test runs twice: on ``memory://`` and on a real ``redis-server``.
"""

from __future__ import annotations

import asyncio
import gc
import math
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from microasgi.batteries.hub import Gap, Hub, Message, Subscription
from microasgi.batteries.hub.events import parse_id

pytestmark = pytest.mark.anyio
TIMEOUT = 5.0


@pytest.fixture(params=["memory", "redis"])
def hub_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue("redis_server").url)


@pytest.fixture
async def hub(hub_url: str) -> AsyncIterator[Hub]:
    hub = Hub(hub_url, history=10, queue_size=5, timeout=2.0)
    yield hub
    await hub.close()


async def take(events: Subscription, count: int) -> list[Message | Gap]:
    async def read() -> list[Message | Gap]:
        return [await anext(events) for _ in range(count)]

    return await asyncio.wait_for(read(), TIMEOUT)


def data_of(events: list[Message | Gap]) -> list[object]:
    return [event.data if isinstance(event, Message) else event for event in events]


async def test_hub_subscriber_gets_messages_in_publish_order(hub: Hub) -> None:
    async with hub.subscribe("room") as events:
        ids = [await hub.publish("room", {"n": n}) for n in range(5)]
        received = await take(events, 5)
    assert [event.id for event in received if isinstance(event, Message)] == ids
    assert data_of(received) == [{"n": n} for n in range(5)]
    assert [parse_id(i) for i in ids] == sorted(parse_id(i) for i in ids)


async def test_hub_subscribe_gets_only_messages_published_after_it(hub: Hub) -> None:
    await hub.publish("room", "before")
    async with hub.subscribe("room") as events:
        await hub.publish("room", "after")
        assert data_of(await take(events, 1)) == ["after"]


async def test_hub_channels_are_separate(hub: Hub) -> None:
    async with hub.subscribe("a") as a_events, hub.subscribe("b") as b_events:
        await hub.publish("a", 1)
        await hub.publish("b", 2)
        assert data_of(await take(a_events, 1)) == [1]
        assert data_of(await take(b_events, 1)) == [2]


async def test_hub_every_subscriber_of_a_channel_gets_each_message(hub: Hub) -> None:
    async with hub.subscribe("room") as first, hub.subscribe("room") as second:
        await hub.publish("room", "hello")
        assert data_of(await take(first, 1)) == ["hello"]
        assert data_of(await take(second, 1)) == ["hello"]


async def test_hub_since_replays_held_messages_then_live_ones(hub: Hub) -> None:
    ids = [await hub.publish("room", n) for n in range(4)]
    async with hub.subscribe("room", since=ids[1]) as events:
        await hub.publish("room", 4)
        received = await take(events, 3)
    assert data_of(received) == [2, 3, 4]


async def test_hub_since_the_newest_id_replays_nothing(hub: Hub) -> None:
    last = [await hub.publish("room", n) for n in range(3)][-1]
    async with hub.subscribe("room", since=last) as events:
        await hub.publish("room", "next")
        assert data_of(await take(events, 1)) == ["next"]


async def test_hub_since_trimmed_history_starts_with_a_gap(hub: Hub) -> None:
    first = await hub.publish("room", 0)
    for n in range(1, 15):  # history=10: 0..4 are trimmed
        await hub.publish("room", n)
    async with hub.subscribe("room", since=first) as events:
        received = await take(events, 11)
    assert received[0] == Gap("room", "history")
    assert data_of(received[1:]) == list(range(5, 15))


async def test_hub_since_an_id_the_channel_never_gave_is_a_reset_gap(hub: Hub) -> None:
    async with hub.subscribe("empty", since="99999999999999-0") as events:
        await hub.publish("empty", "fresh")
        received = await take(events, 2)
    assert received[0] == Gap("empty", "reset")
    assert data_of(received[1:]) == ["fresh"]


async def test_hub_since_rejects_an_id_that_is_not_one(hub: Hub) -> None:
    with pytest.raises(ValueError, match="not a hub message id"):
        async with hub.subscribe("room", since="yesterday"):
            pass


async def test_hub_slow_subscriber_gets_an_overflow_gap_then_new_messages(
    hub: Hub,
) -> None:
    async with hub.subscribe("room") as events:
        for n in range(20):  # queue_size=5: 5 held, the rest dropped
            await hub.publish("room", n)
        await asyncio.sleep(0.2)  # redis: let the reader deliver them all
        assert len(events._queue) == 6  # five messages and one Gap, no more
        received = await take(events, 6)
        await hub.publish("room", "new")
        received += await take(events, 1)
    assert data_of(received) == [0, 1, 2, 3, 4, Gap("room", "overflow"), "new"]


async def test_hub_publish_refuses_data_json_cannot_encode(hub: Hub) -> None:
    with pytest.raises(TypeError):
        await hub.publish("room", object())
    with pytest.raises(ValueError):
        await hub.publish("room", math.nan)


async def test_hub_close_ends_every_subscription(hub: Hub) -> None:
    received: list[object] = []

    async def listen() -> None:
        async with hub.subscribe("room") as events:
            async for event in events:
                received.append(event)

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.1)
    await hub.close()
    await asyncio.wait_for(listener, TIMEOUT)
    assert received == []
    with pytest.raises(RuntimeError, match="closed"):
        await hub.publish("room", 1)


async def test_hub_cancelled_subscribers_leave_nothing_behind(hub: Hub) -> None:
    async def listen(channel: str) -> None:
        async with hub.subscribe(channel) as events:
            async for _ in events:
                pass

    async def thousand_cancelled() -> None:
        tasks = [asyncio.create_task(listen(f"c{n % 50}")) for n in range(1000)]
        await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Look-ups already sent to Redis finish on their own: let them.
        for _ in range(500):
            if not getattr(hub._broker, "_lookups", None):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)

    def memory_held_by_the_hub() -> int:
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, "*microasgi*hub*")]
        )
        return sum(stat.size for stat in snapshot.statistics("filename"))

    tracemalloc.start()
    try:
        await thousand_cancelled()
        first = memory_held_by_the_hub()
        for _ in range(3):
            await thousand_cancelled()
        growth = memory_held_by_the_hub() - first
    finally:
        tracemalloc.stop()
    assert hub._subscribers == {}
    assert getattr(hub._broker, "_cursors", {}) == {}
    # 3,000 more subscribers came and went: keeping even one small object for
    # each would be over 150 KiB; a few KiB are dict tables and timing noise.
    assert growth < 32 * 1024
    async with hub.subscribe("c1") as events:  # and the hub still works
        await hub.publish("c1", "alive")
        assert data_of(await take(events, 1)) == ["alive"]


async def test_hub_unsupported_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported hub URL 'amqp://x'"):
        Hub("amqp://x")


async def test_hub_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="queue_size must be a whole number"):
        Hub(queue_size=0)
