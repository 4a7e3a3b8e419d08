"""The Hub across real processes: two uvicorn servers sharing one redis-server.

Each server has 50 WebSocket subscribers on one channel. Messages published
through both servers, one after another, must reach all 100 subscribers, each
in publish order, with the same ids everywhere. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from servers import Server, serve_all

APP = Path(__file__).parent / "apps" / "hub_app.py"
CLIENTS_PER_SERVER = 50
MESSAGES = 60
TIMEOUT = 60.0


async def subscriber(server: Server, room: str) -> tuple[Any, int]:
    """A WebSocket subscribed to ``room``, and the PID of its server."""
    from websockets.asyncio.client import connect

    websocket = await connect(f"{server.ws_url}/ws/{room}", proxy=None)
    hello = json.loads(await websocket.recv())
    return websocket, hello["ready"]


async def receive(websocket: Any, count: int) -> list[dict[str, Any]]:
    return [json.loads(await websocket.recv()) for _ in range(count)]


async def fan_out(servers: list[Server]) -> None:
    subscribers = await asyncio.gather(*(
        subscriber(server, "news")
        for server in servers for _ in range(CLIENTS_PER_SERVER)
    ))  # fmt: skip
    pids = {pid for _, pid in subscribers}
    assert len(pids) == 2  # the clients really are split over two processes
    receiving = [
        asyncio.create_task(receive(websocket, MESSAGES))
        for websocket, _ in subscribers
    ]
    published = []
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        for number in range(MESSAGES):
            server = servers[number % 2]  # alternate: both publish into one order
            response = await client.post(f"{server.url}/rooms/news", json={"n": number})
            assert response.status_code == 200, response.text
            published.append(response.json()["id"])
    expected = [{"id": id_, "data": {"n": n}} for n, id_ in enumerate(published)]
    for received in await asyncio.gather(*receiving):
        assert received == expected
    await asyncio.gather(*(websocket.close() for websocket, _ in subscribers))


def test_hub_two_servers_deliver_every_message_in_order(redis_server: Any) -> None:
    env = {"HUB_URL": redis_server.url}
    with serve_all("uvicorn-httptools", [(APP, "/"), (APP, "/")], env) as servers:
        asyncio.run(asyncio.wait_for(fan_out(servers), TIMEOUT))
