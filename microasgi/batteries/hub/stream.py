"""Resumable Server-Sent Events for one hub channel.

Every message becomes an event whose ``id:`` is the message id, so the
browser's ``EventSource`` sends it back as ``Last-Event-ID`` when it
reconnects — to this worker or any other — and the stream resumes right
after it. Where messages may be missing the client gets ``event: gap``;
when the hub closes, a ``retry:`` hint tells it to come back soon.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from microasgi.batteries.hub.events import RESET, Message, parse_id
from microasgi.batteries.sse import RECONNECT_MS, EventSourceResponse, ServerSentEvent

if TYPE_CHECKING:
    from microasgi.batteries.hub.hub import Hub
    from microasgi.core.requests import Request


def hub_event_stream(
    hub: Hub, request: Request, channel: str, ping_interval: float
) -> EventSourceResponse:
    """The ``EventSourceResponse`` behind ``Hub.event_stream``."""
    since = request.headers.get("last-event-id") or None
    return EventSourceResponse(
        _events(hub, channel, since), ping_interval=ping_interval
    )


async def _events(
    hub: Hub, channel: str, since: str | None
) -> AsyncIterator[ServerSentEvent]:
    if since is not None:
        try:
            parse_id(since)
        except ValueError:  # not one of ours: resuming is impossible
            yield _gap(channel, RESET)
            since = None
    async with hub.subscribe(channel, since) as events:
        async for event in events:
            if isinstance(event, Message):
                yield ServerSentEvent(event.json_text, id=event.id)
            else:
                yield _gap(channel, event.reason)
    yield ServerSentEvent(retry=RECONNECT_MS)


def _gap(channel: str, reason: str) -> ServerSentEvent:
    return ServerSentEvent({"channel": channel, "reason": reason}, event="gap")
