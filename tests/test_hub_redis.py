"""The redis backend under failure, against a real redis-server.

Connections killed by the server, the server SIGKILLed and restarted empty,
a reader that falls behind history, and the fixed number of connections a
process holds however many subscribers it serves.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio
from redis_server import RedisServer

from microasgi.batteries.hub import Gap, Hub, HubUnavailable, Message
from microasgi.batteries.hub.redis_streams import COMMAND_CONNECTIONS, KEY_PREFIX

pytestmark = pytest.mark.anyio
TIMEOUT = 10.0


async def collect(events, count: int) -> list[Message | Gap]:  # type: ignore[no-untyped-def]
    async def read() -> list[Message | Gap]:
        return [await anext(events) for _ in range(count)]

    return await asyncio.wait_for(read(), TIMEOUT)


def client_count(server: RedisServer) -> int:
    reply = server.command("CLIENT", "LIST", "TYPE", "normal").decode()
    return sum(1 for line in reply.splitlines() if line.startswith("id="))


async def test_redis_hub_loses_nothing_when_redis_kills_its_connections(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    hub = Hub(redis_server.url, timeout=5.0)
    try:
        async with hub.subscribe("feed") as events:
            sent = []
            for n in range(200):
                sent.append(await hub.publish("feed", n))
                if n in (50, 120):  # kill every client: reader and publishers
                    redis_server.command("CLIENT", "KILL", "TYPE", "normal")
            received = await collect(events, 200)
    finally:
        await hub.close()
    assert [event.id for event in received if isinstance(event, Message)] == sent
    assert not any(isinstance(event, Gap) for event in received)
    assert "Hub lost its connection to Redis" in caplog.text  # it did reconnect


async def test_redis_hub_publish_raises_when_redis_stays_down_then_recovers(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    hub = Hub(redis_server.url, timeout=1.0)
    try:
        async with hub.subscribe("feed") as events:
            await hub.publish("feed", "before")
            assert [e.data for e in await collect(events, 1)] == ["before"]  # type: ignore[union-attr]
            redis_server.kill()
            started = time.monotonic()
            with pytest.raises(HubUnavailable, match="unreachable"):
                await hub.publish("feed", "lost")
            assert time.monotonic() - started < 4.0  # bounded by timeout=1.0
            redis_server.start()  # empty: what it held is gone
            after = await asyncio.wait_for(_publish_when_back(hub), TIMEOUT)
            received = await collect(events, 2)
    finally:
        await hub.close()
    assert received == [Gap("feed", "reset"), received[1]]
    assert isinstance(received[1], Message) and received[1].id == after
    assert caplog.text.count("Hub lost its connection to Redis") == 1
    assert caplog.text.count("Hub reconnected to Redis") == 1


async def _publish_when_back(hub: Hub) -> str:
    while True:
        try:
            return await hub.publish("feed", "after")
        except HubUnavailable:
            await asyncio.sleep(0.05)


async def test_redis_hub_reader_behind_history_reports_a_gap(
    redis_server: RedisServer,
) -> None:
    hub = Hub(redis_server.url, history=10)
    writer = redis.asyncio.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        async with hub.subscribe("feed") as events:
            async with writer.pipeline(transaction=True) as burst:
                for n in range(50):  # one MULTI: the reader sees only the last 10
                    burst.xadd(KEY_PREFIX + "feed", {"data": str(n)}, maxlen=10,
                               approximate=False)  # fmt: skip
                await burst.execute()
            received = await collect(events, 11)
    finally:
        await writer.aclose()
        await hub.close()
    assert received[0] == Gap("feed", "history")
    assert [event.data for event in received[1:]] == list(range(40, 50))  # type: ignore[union-attr]


async def test_redis_hub_holds_few_connections_for_many_subscribers(
    redis_server: RedisServer,
) -> None:
    hub = Hub(redis_server.url)
    idle = client_count(redis_server)
    ready = asyncio.Event()
    done = asyncio.Event()

    async def listen(channel: str) -> None:
        async with hub.subscribe(channel):
            ready.set()
            await done.wait()

    try:
        listeners = [
            asyncio.create_task(listen(f"room:{n % 200}")) for n in range(2000)
        ]
        await ready.wait()
        await asyncio.sleep(0.5)
        for n in range(50):
            await hub.publish(f"room:{n}", n)
        held = client_count(redis_server) - idle
        done.set()
        await asyncio.wait_for(asyncio.gather(*listeners), TIMEOUT)
    finally:
        await hub.close()
    assert 1 <= held <= 1 + COMMAND_CONNECTIONS
