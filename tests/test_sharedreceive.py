"""SharedReceive: one reader of receive() for the body and the disconnect watcher."""

from __future__ import annotations

import asyncio

import anyio
import pytest
from _core_helpers import make_scope

from microasgi.core.sharedreceive import SharedReceive
from microasgi.core.types import Message, Receive

pytestmark = pytest.mark.anyio


def body(data: bytes, more_body: bool = True) -> Message:
    return {"type": "http.request", "body": data, "more_body": more_body}


DISCONNECT = {"type": "http.disconnect"}


def scripted(*messages: Message) -> tuple[list[Message], Receive]:
    """A receive() that answers ``messages`` in order, then waits forever."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            await asyncio.sleep(0.001)  # a real wait, so readers interleave
            return pending.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return pending, receive


async def test_shared_receive_gives_the_body_reader_every_message_in_order() -> None:
    chunks = [body(b"c%d" % n) for n in range(10)] + [body(b"", False), DISCONNECT]
    _, receive = scripted(*chunks)
    shared = SharedReceive.of(make_scope("POST"), receive)

    async def read_body() -> list[bytes]:
        got = []
        while (message := await shared.receive())["type"] == "http.request":
            got.append(message["body"])
            if not message["more_body"]:
                break
        return got

    with anyio.fail_after(5):
        watcher = asyncio.ensure_future(shared.wait_for_disconnect())
        got = await read_body()
        await watcher
    assert got == [b"c%d" % n for n in range(10)] + [b""]


async def test_shared_receive_remembers_the_disconnect() -> None:
    _, receive = scripted(DISCONNECT)
    shared = SharedReceive.of(make_scope("POST"), receive)
    with anyio.fail_after(5):
        await shared.wait_for_disconnect()
        assert await shared.receive() == DISCONNECT
        assert await shared.receive() == DISCONNECT
    assert await shared.is_disconnected()


async def test_shared_receive_is_disconnected_keeps_a_body_message() -> None:
    async def receive() -> Message:
        return body(b"kept", False)

    shared = SharedReceive.of(make_scope("POST"), receive)
    assert not await shared.is_disconnected()
    assert await shared.receive() == body(b"kept", False)


async def test_shared_receive_one_reader_per_receive_on_a_scope() -> None:
    # A middleware reads the server's receive, the app a wrapped one; neither
    # may lose what the other's reader holds.
    scope = make_scope("POST")
    _, server_receive = scripted(body(b"raw", False))
    _, wrapped_receive = scripted(body(b"wrapped", False))
    wrapped = SharedReceive.of(scope, wrapped_receive)
    watcher = asyncio.ensure_future(wrapped.wait_for_disconnect())
    await asyncio.sleep(0.01)  # the watcher reads ahead: b"wrapped" is held
    server = SharedReceive.of(scope, server_receive)
    assert server is not wrapped
    assert SharedReceive.of(scope, wrapped_receive) is wrapped
    with anyio.fail_after(5):
        assert (await wrapped.receive())["body"] == b"wrapped"
        assert (await server.receive())["body"] == b"raw"
    watcher.cancel()
    await asyncio.wait((watcher,))
