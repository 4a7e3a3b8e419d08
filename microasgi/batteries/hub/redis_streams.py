"""``redis://``: channels as Redis Streams, one reader per process.

Each channel is one stream key (``hub:<channel>``), capped at ``history``
entries with ``XADD ... MAXLEN``. A process holds two things however many
subscribers it serves: a small pool of connections for commands (``XADD``,
look-ups) and one reader connection that blocks in a single ``XREAD`` on
every watched channel, each from the last id it delivered. When a channel
is added, ``CLIENT UNBLOCK`` wakes that ``XREAD`` so it can start again
with the new key.

Failures: when the reader loses Redis it reconnects with backoff and jitter
and reads on from the same ids, so nothing still held in history is lost;
if some of it was trimmed, or Redis came back empty, the hub is told and
subscribers get a ``Gap``. ``publish`` retries for ``timeout`` seconds and
then raises ``HubUnavailable``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from microasgi.batteries.hub.broker import Deliver, Entry, Lose, Replay
from microasgi.batteries.hub.events import HISTORY, RESET, HubUnavailable, parse_id
from microasgi.batteries.hub.memory import Stream, replay_from
from microasgi.core.extras import missing_package

# The redis package's own annotations are loose (bytes | str | Awaitable...)
# and it is optional, so its clients are typed as Any here.
Redis = Any
logger = logging.getLogger("microasgi.batteries.hub")
T = TypeVar("T")

KEY_PREFIX = "hub:"  # the default; a hash tag like "{hub}:" suits Redis Cluster
COMMAND_CONNECTIONS = 8  # publishers beyond this wait for a free connection
BLOCK_MS = 5_000  # one XREAD waits this long at most, then starts again
BATCH = 500  # entries per channel per XREAD


class RedisBroker:
    """Stores channels in Redis Streams and reads them with one connection."""

    def __init__(
        self,
        url: str,
        history: int,
        timeout: float,
        deliver: Deliver,
        lose: Lose,
        key_prefix: str = KEY_PREFIX,
    ) -> None:
        redis = _import_redis()
        self.url = url
        self.key_prefix = key_prefix
        self.history = history
        self.timeout = timeout
        self._deliver = deliver
        self._lose = lose
        self._options: dict[str, Any] = {
            "decode_responses": True,
            "socket_connect_timeout": min(timeout, 2.0),
            "retry": redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 0),
        }
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=COMMAND_CONNECTIONS, timeout=timeout,
            socket_timeout=timeout, **self._options,
        )  # fmt: skip
        self._commands: Redis = redis.asyncio.Redis.from_pool(pool)  # owns the pool
        # Worth retrying: the connection failed. A refusal (a ResponseError,
        # such as MOVED from a cluster node that does not own the keys) is not.
        self._errors = (redis.ConnectionError, redis.TimeoutError, OSError)
        self._refusal = redis.ResponseError
        self._wanted: set[str] = set()  # channels with local subscribers
        self._lookups: dict[str, asyncio.Future[str]] = {}  # newest id, in flight
        self._cursors: dict[str, str] = {}  # watched channel -> last id read
        self._generation = 0  # bumped whenever the watched channels change
        self._reading_generation = -1  # the generation the reader's XREAD has
        self._reader_id: int | None = None  # its CLIENT ID while connected
        self._run_id: str | None = None  # tells a restarted Redis apart
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    # The broker's side of the hub ------------------------------------------

    async def publish(self, channel: str, payload: str) -> str:
        key = self.key_prefix + channel

        async def add() -> str:
            message_id: str = await self._commands.xadd(
                key, {"data": payload}, maxlen=self.history, approximate=False
            )
            return message_id

        return await self._retrying(add, f"publish to {channel!r}")

    async def watch(self, channel: str) -> str:
        self._wanted.add(channel)
        # Subscribers who join a channel together (a room full of clients
        # reconnecting) share one look-up of its newest id.
        lookup = self._lookups.get(channel)
        if lookup is None:
            lookup = self._lookups[channel] = asyncio.ensure_future(
                self._attempts(self._newest(channel), f"subscribe to {channel!r}")
            )
            lookup.add_done_callback(lambda _: self._lookups.pop(channel, None))
            lookup.add_done_callback(_retrieve_exception)
        newest_id = await asyncio.shield(lookup)
        if channel in self._wanted and channel not in self._cursors:
            self._cursors[channel] = newest_id
            self._generation += 1
            self._changed.set()
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read_forever())
            await self._wake_reader()
        return newest_id

    def _newest(self, channel: str) -> Callable[[], Awaitable[str]]:
        async def newest() -> str:
            last = await self._commands.xrevrange(self.key_prefix + channel, count=1)
            return str(last[0][0]) if last else "0-0"

        return newest

    def unwatch(self, channel: str) -> None:
        self._wanted.discard(channel)
        if self._cursors.pop(channel, None) is not None:
            self._generation += 1  # the next XREAD leaves it out

    async def replay(self, channel: str, after: str) -> Replay:
        key = self.key_prefix + channel

        async def read() -> Replay:
            # One transaction: the history and its bounds from the same moment,
            # or a trim in between could lose messages without a Gap.
            async with self._commands.pipeline(transaction=True) as both:
                both.xinfo_stream(key)
                both.xrange(key, min=f"({after}")
                info, entries = await both.execute(raise_on_error=False)
            stream = _stream_from(info, self.history)
            if stream is None:
                return replay_from(None, parse_id(after))
            if stream.last_id < parse_id(after):  # a reset: everything is news
                entries = await self._commands.xrange(key)
            stream.entries = deque(_entries(entries))
            return replay_from(stream, parse_id(after))

        return await self._retrying(read, f"replay {channel!r}")

    async def close(self) -> None:
        # The reader stops by itself once it sees ``_closing``: cancelling it
        # inside a blocked XREAD is not reliable with every redis client.
        self._closing = True
        self._changed.set()
        reader = self._reader
        if reader is not None and not reader.done():
            self._generation += 1
            await self._wake_reader()
            done, _ = await asyncio.wait((reader,), timeout=self.timeout)
            if not done:
                reader.cancel()
                await asyncio.wait((reader,), timeout=self.timeout)
        await self._commands.aclose()

    # Commands that survive a blip ---------------------------------------------

    async def _retrying(self, command: Callable[[], Awaitable[T]], what: str) -> T:
        """Run ``command``, retrying with backoff for up to ``timeout`` seconds.

        The command runs in its own task, shielded: a caller that is cancelled
        returns at once, while the command finishes on its connection, which
        stays in step with Redis (cancelling a command halfway through a
        reply is not reliable with every redis client).
        """
        return await _shielded(self._attempts(command, what))

    async def _attempts(self, command: Callable[[], Awaitable[T]], what: str) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        failures = 0
        while True:
            try:
                return await command()
            except self._errors as exc:
                failures += 1
                pause = _backoff(failures)
                if loop.time() + pause >= deadline:
                    raise HubUnavailable(
                        f"could not {what}: Redis at {self.url} unreachable for "
                        f"{self.timeout:g}s ({exc})"
                    ) from exc
                await asyncio.sleep(pause)

    async def _wake_reader(self) -> None:
        """Make the reader start a new XREAD that includes the new channel."""
        generation = self._generation
        for _ in range(200):  # bounded: the reader's XREAD ends by itself anyway
            reader_id = self._reader_id
            if reader_id is None or self._reading_generation >= generation:
                return  # not connected (it will read every channel), or up to date
            try:
                if await _shielded(self._commands.client_unblock(reader_id)):
                    return
            except self._errors:
                return
            await asyncio.sleep(0.001)  # between two XREADs: try once it blocks

    # The reader ---------------------------------------------------------------

    async def _read_forever(self) -> None:
        failures = 0
        while not self._closing:
            try:
                await self._read_connected(failures)
            except self._errors as exc:
                if self._closing:
                    return
                if failures == 0:
                    logger.warning("Hub lost its connection to Redis at %s (%s); "
                                   "reconnecting", self.url, exc)  # fmt: skip
                failures += 1
                await asyncio.sleep(_backoff(failures))
            except self._refusal as exc:  # misconfigured: say so, keep trying
                if failures == 0:
                    logger.error("Hub: Redis at %s refused to read (%s)", self.url, exc)
                failures += 1
                await asyncio.sleep(_backoff(failures))
            else:
                return

    async def _read_connected(self, failures: int) -> None:
        redis = _import_redis()
        reader: Redis = redis.asyncio.Redis.from_url(
            self.url, single_connection_client=True,
            socket_timeout=BLOCK_MS / 1000 + self.timeout, **self._options,
        )  # fmt: skip
        try:
            run_id = (await reader.info("server"))["run_id"]
            if self._run_id is not None:
                await self._check_lost(reader, restarted=run_id != self._run_id)
            self._run_id = run_id
            self._reader_id = await reader.client_id()
            if failures:
                logger.warning("Hub reconnected to Redis at %s", self.url)
            while not self._closing:
                await self._read_once(reader)
        finally:
            self._reader_id = None
            await reader.aclose()

    async def _read_once(self, reader: Redis) -> None:
        self._changed.clear()
        if not self._cursors:
            await self._changed.wait()
            return
        self._reading_generation = self._generation
        streams = {
            self.key_prefix + channel: last for channel, last in self._cursors.items()
        }
        count = min(BATCH, self.history)
        reply = await reader.xread(streams, count=count, block=BLOCK_MS)
        for key, raw_entries in reply or ():
            channel = key[len(self.key_prefix) :]
            last = self._cursors.get(channel)
            entries = _entries(raw_entries)
            if last is None or not entries:
                continue  # unwatched meanwhile
            if len(raw_entries) == count:  # a full batch: did it fall behind history?
                await self._check_trimmed(reader, channel, last)
            self._cursors[channel] = raw_entries[-1][0]
            self._deliver(channel, entries)

    async def _check_trimmed(self, reader: Redis, channel: str, last: str) -> None:
        stream = await _stream_info(reader, self.key_prefix + channel, self.history)
        if stream is not None and stream.lost_after(parse_id(last)) == HISTORY:
            self._lose(channel, HISTORY)

    async def _check_lost(self, reader: Redis, restarted: bool) -> None:
        """After a reconnect: tell the hub which channels may have lost messages."""
        for channel, last in list(self._cursors.items()):
            if last == "0-0":
                continue
            stream = await _stream_info(reader, self.key_prefix + channel, self.history)
            lost = RESET if stream is None else stream.lost_after(parse_id(last))
            if lost == RESET:
                self._cursors[channel] = "0-0"  # Redis came back empty: read it all
                self._lose(channel, RESET)
            elif lost is not None:
                self._lose(channel, lost)
            elif restarted and not await reader.xrange(
                self.key_prefix + channel, last, last
            ):
                self._lose(channel, RESET)  # restored from an older snapshot


async def _stream_info(client: Redis, key: str, history: int) -> Stream | None:
    """A stream's ids as ``XINFO STREAM`` reports them; None if there is none."""
    redis = _import_redis()
    try:
        info = await client.xinfo_stream(key)
    except redis.ResponseError:
        return None  # no such key
    return _stream_from(info, history)


def _stream_from(info: Any, history: int) -> Stream | None:
    """``XINFO STREAM``'s reply as a ``Stream`` (without entries); None if an error."""
    if isinstance(info, Exception):
        return None  # no such key
    stream = Stream(history)
    stream.last_id = parse_id(str(info["last-generated-id"]))
    first = info.get("first-entry")
    stream.first_id = parse_id(str(first[0])) if first else None
    added = info.get("entries-added")  # Redis 7 and later
    if added is not None:
        stream.trimmed = int(added) - int(info["length"])
    else:  # older servers: assume a full stream has trimmed some
        stream.trimmed = int(int(info["length"]) >= history)
    return stream


async def _shielded(command: Awaitable[T]) -> T:
    """Await ``command`` in a task of its own that the caller's cancelling spares."""
    task = asyncio.ensure_future(command)
    task.add_done_callback(_retrieve_exception)
    return await asyncio.shield(task)


def _retrieve_exception(task: asyncio.Future[Any]) -> None:
    """Mark a shielded command's error as seen: its caller may have gone."""
    if not task.cancelled():
        task.exception()


def _entries(raw_entries: list[tuple[str, dict[str, str]]]) -> list[Entry]:
    return [(entry_id, fields["data"]) for entry_id, fields in raw_entries
            if fields and "data" in fields]  # fmt: skip


def _backoff(failures: int) -> float:
    """Exponential backoff capped at 2 s, with jitter so workers spread out."""
    return random.uniform(0.5, 1.0) * min(2.0, 0.05 * 2.0 ** min(failures, 6))


def _import_redis() -> Any:
    try:
        import redis.asyncio
        import redis.asyncio.retry
        import redis.backoff
    except ModuleNotFoundError as exc:
        raise missing_package(exc) from None
    return redis
