"""Parsing ``multipart/form-data`` as it streams in, around python-multipart.

This is the only module that imports python-multipart's parser. A part with a
filename becomes an :class:`~microasgi.core.uploads.UploadFile` spooled to a
temp file, written in big batches off the event loop; any other part is a
``str`` bounded by ``max_part_size``. Every limit of
:class:`~microasgi.core.datastructures.Limits` is checked as the bytes arrive.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from microasgi.core.extras import missing_package

try:
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header
except ModuleNotFoundError as exc:
    raise missing_package(exc) from None

from microasgi.core.concurrency import ThreadPool
from microasgi.core.datastructures import Headers, Limits
from microasgi.core.exceptions import HTTPException, over_limit
from microasgi.core.types import RawHeaders
from microasgi.core.uploads import FormData, UploadFile, spooled_file

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FormItems = list[tuple[str, str | UploadFile]]

WRITE_SIZE = 1024 * 1024
"""File content gathered before each write: servers hand the body over in
small messages (64 KiB or less), and the disk and the thread pool are both
cheaper per byte in big writes."""

# RFC 2046 section 5.1.1: 1 to 70 of these characters, the last not a space.
_BOUNDARY_RE = re.compile(rb"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


def _malformed(problem: str) -> HTTPException:
    return HTTPException(400, f"Malformed multipart body: {problem}")


def boundary_of(params: dict[bytes, bytes]) -> bytes:
    """The Content-Type's ``boundary`` parameter, or a 400 saying what is wrong."""
    boundary = params.get(b"boundary", b"")
    if not boundary:
        problem = "the Content-Type has no boundary parameter"
    elif len(boundary) > 70:
        problem = f"{len(boundary)} characters long, RFC 2046 allows at most 70"
    elif not _BOUNDARY_RE.fullmatch(boundary):
        problem = f"{boundary.decode('latin-1')!r} has characters RFC 2046 forbids"
    else:
        return boundary
    raise HTTPException(400, f"Invalid multipart boundary: {problem}")


async def parse_multipart(
    stream: AsyncIterator[bytes],
    boundary: bytes,
    limits: Limits,
    spool_max_size: int,
    pool: ThreadPool | None = None,
) -> FormData:
    """Read the parts of a multipart ``stream``; on any error, close every upload."""
    reader = _MultipartReader(boundary, limits, spool_max_size, pool)
    preamble = _Preamble(boundary)
    received = False
    try:
        async for chunk in stream:
            received = received or bool(chunk)
            data = preamble.skip(chunk)
            if data:
                await reader.feed(data)
        await reader.start_writing()
        await reader.finish_writing()
        if received and not preamble.found:
            raise _malformed(
                f"no line '--{boundary.decode('latin-1')}' starts a part; "
                "does the Content-Type's boundary match the body?"
            )
        if received and not reader.finished:
            raise _malformed("the body ends before the closing boundary")
        for upload in reader.uploads:
            await upload.seek(0)
    except BaseException:
        reader.close_uploads()
        raise
    return FormData(reader.items)


class _Preamble:
    """Drops what precedes the first delimiter line (RFC 2046's preamble).

    Between chunks only a delimiter's length of bytes is kept, in case the
    delimiter straddles two chunks, so a huge preamble costs no memory.
    """

    def __init__(self, boundary: bytes) -> None:
        self.delimiter = b"\r\n--" + boundary
        self.tail = b"\r\n"  # the body's first line starts a line too
        self.found = False

    def skip(self, chunk: bytes) -> bytes:
        """What of ``chunk`` follows the preamble (starting with ``--boundary``)."""
        if self.found:
            return chunk
        data = self.tail + chunk
        start = data.find(self.delimiter)
        if start == -1:
            self.tail = data[-(len(self.delimiter) - 1) :]
            return b""
        self.found = True
        return data[start + 2 :]


@dataclass
class _Part:
    """The part being read: its headers so far, then its name and content."""

    headers: RawHeaders = field(default_factory=list)
    name: str = ""
    value: bytearray = field(default_factory=bytearray)
    charset: str = "utf-8"
    upload: UploadFile | None = None


class _MultipartReader:
    """Turns python-multipart's callbacks into form items, within the limits.

    The callbacks run synchronously inside ``parser.write()``, so file data
    waits in ``pending_writes`` until :data:`WRITE_SIZE` bytes are held (or the
    body ends), then :meth:`start_writing` writes it in one write per upload.
    """

    def __init__(
        self,
        boundary: bytes,
        limits: Limits,
        spool_max_size: int,
        pool: ThreadPool | None = None,
    ) -> None:
        self.limits = limits
        self.spool_max_size = spool_max_size
        self.pool = pool  # where uploads on disk do their I/O
        self.items: FormItems = []
        self.uploads: list[UploadFile] = []
        self.pending_writes: list[tuple[UploadFile, bytes]] = []
        self.pending_size = 0
        self.writing: asyncio.Future[None] | None = None
        self.finished = False
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.parser = _new_parser(
            boundary,
            {
                "on_part_begin": self.on_part_begin,
                "on_header_begin": self.on_header_begin,
                "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value,
                "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished,
                "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end,
                "on_end": self.on_end,
            },
        )

    async def feed(self, data: bytes) -> None:
        """Parse ``data``; start writing the file content held once there is enough."""
        try:
            self.parser.write(data)
        except FormParserError as error:
            raise _malformed(str(error)) from error
        if self.pending_size >= WRITE_SIZE:
            await self.start_writing()

    async def start_writing(self) -> None:
        """Write the file content held, once the previous write is done.

        The write runs (on the thread pool, once the file is on disk) while
        the next chunks arrive and are parsed. One write at a time keeps the
        bytes in order and holds at most two batches.
        """
        await self.finish_writing()
        writes = _join_runs(self.pending_writes)
        self.pending_writes = []
        self.pending_size = 0
        if writes:
            self.writing = asyncio.ensure_future(_write_all(writes))

    async def finish_writing(self) -> None:
        """Wait for the write under way, if any."""
        writing, self.writing = self.writing, None
        if writing is not None:
            await writing

    def close_uploads(self) -> None:
        # Runs while an error (maybe a cancellation) propagates: close without
        # awaiting, which nothing can interrupt; closing a file is quick (it
        # waits for a write already running on a thread).
        if self.writing is not None:
            self.writing.cancel()
        for upload in self.uploads:
            upload.file.close()

    def on_part_begin(self) -> None:
        if len(self.items) >= self.limits.max_fields:
            limit = str(self.limits.max_fields)
            raise over_limit("Too many form fields", "max_fields", limit)
        self.part = _Part()

    def on_header_begin(self) -> None:
        if len(self.part.headers) >= self.limits.max_part_headers:
            limit = str(self.limits.max_part_headers)
            raise over_limit("Too many headers in a part", "max_part_headers", limit)

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]
        self.check_header_size()

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]
        self.check_header_size()

    def check_header_size(self) -> None:
        limit = self.limits.max_part_header_size
        if len(self.header_name) + len(self.header_value) > limit:
            size = f"{limit} bytes"
            raise over_limit("Part header too large", "max_part_header_size", size)

    def on_header_end(self) -> None:
        name = bytes(self.header_name).lower()
        self.part.headers.append((name, bytes(self.header_value).strip(b" \t")))
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        headers = Headers(self.part.headers)
        self.part.name, filename = _content_disposition(headers)
        if filename is None:
            _, params = parse_options_header(headers.get("content-type"))
            self.part.charset = params.get(b"charset", b"utf-8").decode("latin-1")
            return
        if len(self.uploads) >= self.limits.max_files:
            limit = str(self.limits.max_files)
            raise over_limit("Too many files in the form", "max_files", limit)
        file = spooled_file(self.spool_max_size)
        self.part.upload = UploadFile(filename, file, headers=headers, pool=self.pool)
        self.uploads.append(self.part.upload)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        if part.upload is not None:
            self.pending_writes.append((part.upload, data[start:end]))
            self.pending_size += end - start
            return
        if len(part.value) + end - start > self.limits.max_part_size:
            size = f"{self.limits.max_part_size} bytes"
            raise over_limit(
                f"Form field {part.name!r} too large", "max_part_size", size
            )
        part.value += data[start:end]

    def on_part_end(self) -> None:
        part = self.part
        if part.upload is not None:
            self.items.append((part.name, part.upload))
        else:
            self.items.append((part.name, _decode(bytes(part.value), part.charset)))

    def on_end(self) -> None:
        self.finished = True


def _join_runs(
    writes: list[tuple[UploadFile, bytes]],
) -> list[tuple[UploadFile, bytes]]:
    """The same writes, each run of pieces for one upload joined into one."""
    joined: list[tuple[UploadFile, list[bytes]]] = []
    for upload, content in writes:
        if joined and joined[-1][0] is upload:
            joined[-1][1].append(content)
        else:
            joined.append((upload, [content]))
    return [(upload, b"".join(pieces)) for upload, pieces in joined]


async def _write_all(writes: list[tuple[UploadFile, bytes]]) -> None:
    for upload, content in writes:
        await upload.write(content)


def _new_parser(boundary: bytes, callbacks: MultipartCallbacks) -> MultipartParser:
    try:
        # Newer python-multipart has its own, smaller, part header limits; the
        # reader enforces the App's limits, so lift python-multipart's.
        return MultipartParser(
            boundary,
            callbacks,
            max_header_count=sys.maxsize,
            max_header_size=sys.maxsize,
        )
    except TypeError:  # python-multipart without those limits
        return MultipartParser(boundary, callbacks)


def _content_disposition(headers: Headers) -> tuple[str, str | None]:
    """The ``name`` and ``filename`` parameters of a part's Content-Disposition.

    The filename is kept as sent, except that python-multipart drops the
    ``C:\\...\\`` folder old Internet Explorers sent; ``filename*``
    (RFC 2231) is ignored, as RFC 7578 asks.
    """
    value = headers.get("content-disposition")
    if value is None:
        raise _malformed("a part has no Content-Disposition header")
    disposition, params = parse_options_header(value)
    if disposition != b"form-data":
        raise _malformed(
            f"a part's Content-Disposition is {disposition.decode('latin-1')!r}, "
            "expected 'form-data'"
        )
    if b"name" not in params:
        raise _malformed("a part's Content-Disposition has no name parameter")
    filename = params.get(b"filename")
    name = _decode(params[b"name"], "utf-8")
    return name, None if filename is None else _decode(filename, "utf-8")


def _decode(raw: bytes, charset: str) -> str:
    """Decode leniently, in ``charset`` if Python knows it as a text encoding."""
    try:
        return raw.decode(charset, "replace")
    except (LookupError, ValueError):  # unknown, or not a text codec ('base64')
        return raw.decode("utf-8", "replace")
