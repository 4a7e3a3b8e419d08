"""The Hub on a real Redis Cluster, as the docs describe it.

A multi-key XREAD needs every key in one hash slot. With a hash tag in the
key prefix (``Hub(url, key_prefix="{chat}:")``) every channel of the hub
lives in that slot, on the node that owns it, and the hub works there as on
a standalone Redis. Pointed at a node that does not own the slot, the hub
says so at once instead of retrying.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis.exceptions
from redis_server import owner_of, redis_cluster

from microasgi.batteries.hub import Hub, Message

pytestmark = pytest.mark.anyio
PREFIX = "{chat}:"


async def test_hub_with_a_hash_tag_works_on_the_node_owning_its_slot(
    tmp_path: Path,
) -> None:
    with redis_cluster(tmp_path) as nodes:
        owner = owner_of(nodes, PREFIX + "any-channel")
        publisher = Hub(owner.url, key_prefix=PREFIX)
        subscriber = Hub(owner.url, key_prefix=PREFIX)
        try:
            first = await publisher.publish("room:1", "before")
            async with (
                subscriber.subscribe("room:1", since=first) as one,
                subscriber.subscribe("room:2") as two,
            ):
                await publisher.publish("room:1", "after")
                await publisher.publish("room:2", "elsewhere")
                got_one = await asyncio.wait_for(anext(one), 5)
                got_two = await asyncio.wait_for(anext(two), 5)
        finally:
            await publisher.close()
            await subscriber.close()
    assert isinstance(got_one, Message) and got_one.data == "after"
    assert isinstance(got_two, Message) and got_two.data == "elsewhere"


async def test_hub_on_a_node_without_its_slot_fails_at_once(tmp_path: Path) -> None:
    with redis_cluster(tmp_path) as nodes:
        owner = owner_of(nodes, PREFIX + "x")
        other = next(node for node in nodes if node is not owner)
        hub = Hub(other.url, key_prefix=PREFIX, timeout=5.0)
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(redis.exceptions.MovedError):
                await hub.publish("room:1", "lost?")
            assert loop.time() - started < 1.0  # a refusal is not retried
        finally:
            await hub.close()
