"""``FileResponse``: send a file from disk, with conditional and range requests.

It sends ``http.response.start`` with ``Content-Length``, ``ETag``,
``Last-Modified`` and ``Accept-Ranges``, then the file (or one byte range of
it) in ``http.response.body`` chunks read on the thread pool. When the server
offers the ``http.response.pathsend`` extension and the whole file is asked
for, it sends one ``http.response.pathsend`` message instead, and the server
sends the file itself. It answers 304
to a matching ``If-None-Match`` / ``If-Modified-Since``, 206 to a single
``Range``, and 416 to a range that starts past the end.
"""

from __future__ import annotations

import errno
import io
import mimetypes
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from microasgi.core.background import BackgroundTask, BackgroundTasks
from microasgi.core.concurrency import ThreadPool, pool_of
from microasgi.core.datastructures import Headers
from microasgi.core.extensions import PATHSEND, offers
from microasgi.core.http import (
    ByteRange,
    content_disposition,
    etag_listed,
    http_date,
    parse_http_date,
    parse_range,
)
from microasgi.core.responses import PlainTextResponse, Response
from microasgi.core.streaming import StreamingResponse
from microasgi.core.types import RawHeaders, Receive, Scope, Send


@dataclass(frozen=True)
class Validators:
    """What identifies one version of a file: its ETag and modification time."""

    etag: str
    modified: int  # whole seconds since the epoch, as Last-Modified carries

    @classmethod
    def of(cls, file_stat: os.stat_result) -> Validators:
        # Microseconds suffice, and hand-made stat results lack st_mtime_ns.
        modified_us = int(file_stat.st_mtime * 1_000_000)
        etag = f'"{modified_us:x}-{file_stat.st_size:x}"'
        return cls(etag, int(file_stat.st_mtime))

    @property
    def raw_headers(self) -> RawHeaders:
        when = datetime.fromtimestamp(self.modified, timezone.utc)
        last_modified = http_date(when)
        return [
            (b"etag", self.etag.encode("latin-1")),
            (b"last-modified", last_modified.encode("latin-1")),
        ]


class FileResponse(Response):
    """Send the file at ``path``, read in ``chunk_size`` pieces on the thread pool.

    With ``filename``, a ``Content-Disposition`` header asks the browser to
    save it under that name (``content_disposition_type="inline"`` shows it
    instead). A missing file raises ``FileNotFoundError`` before anything is
    sent, which the app answers with a 500: check first and raise
    ``HTTPException(404)`` when a missing file is the client's mistake.

    Example:
        >>> @app.get("/report")
        ... async def report(request):
        ...     return FileResponse("reports/latest.pdf", filename="report.pdf")
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        filename: str | None = None,
        media_type: str | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        content_disposition_type: Literal["attachment", "inline"] = "attachment",
        chunk_size: int = 64 * 1024,
        stat_result: os.stat_result | None = None,
        background: BackgroundTask | BackgroundTasks | None = None,
    ) -> None:
        if content_disposition_type not in ("attachment", "inline"):
            raise ValueError(
                "content_disposition_type must be 'attachment' or 'inline', "
                f"got {content_disposition_type!r}"
            )
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1 byte, got {chunk_size}")
        self.path = os.fspath(path)
        self.status_code = status_code
        self.media_type = media_type or guess_media_type(filename or self.path)
        self.background = background
        self.chunk_size = chunk_size
        self.stat_result = stat_result
        self.body = b""
        self.raw_headers = self.build_headers(headers, None)
        if filename is not None:
            disposition = content_disposition(content_disposition_type, filename)
            self.headers["content-disposition"] = disposition

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        file_stat = self.stat_result
        if file_stat is None:
            file_stat = await pool_of(scope).run(stat_file, self.path)
        validators = Validators.of(file_stat)
        byte_range = None
        if self.status_code == 200 and scope["method"] in ("GET", "HEAD"):
            request_headers = Headers(scope["headers"])
            answer = self._check_conditions(request_headers, file_stat, validators)
            if isinstance(answer, Response):
                await answer(scope, receive, send)
                return
            byte_range = answer
        await self._send_file(scope, receive, send, file_stat, validators, byte_range)

    def _check_conditions(
        self, headers: Headers, file_stat: os.stat_result, validators: Validators
    ) -> Response | ByteRange | None:
        """A 304 or 416 response, the one range to send, or None for all of it."""
        if is_not_modified(headers, validators):
            return self._not_modified(validators)
        if "range" not in headers or not if_range_holds(headers, validators):
            return None
        size = file_stat.st_size
        byte_range = parse_range(headers["range"], size)
        if byte_range == "unsatisfiable":
            headers_416 = {"content-range": f"bytes */{size}"}
            message = "Range Not Satisfiable"
            return PlainTextResponse(message, 416, headers_416, None, self.background)
        return byte_range

    def _not_modified(self, validators: Validators) -> Response:
        response = Response(status_code=304, background=self.background)
        # A 304 has no body, so the body's own headers (Content-*) are left out.
        kept = [
            pair for pair in self.raw_headers if not pair[0].startswith(b"content-")
        ]
        response.raw_headers = [*kept, *validators.raw_headers]
        return response

    async def _send_file(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        file_stat: os.stat_result,
        validators: Validators,
        byte_range: ByteRange | None,
    ) -> None:
        status_code, start, length = self.status_code, 0, file_stat.st_size
        headers = [*self.raw_headers, *validators.raw_headers]
        headers.append((b"accept-ranges", b"bytes"))
        if byte_range is not None:
            status_code, start = 206, byte_range.start
            length = byte_range.end - byte_range.start + 1
            value = f"bytes {start}-{byte_range.end}/{file_stat.st_size}"
            headers.append((b"content-range", value.encode("latin-1")))
        headers.append((b"content-length", b"%d" % length))
        pool = pool_of(scope)
        if byte_range is None and scope["method"] != "HEAD" and offers(scope, PATHSEND):
            await self._send_path(send, pool, status_code, headers)
            return
        chunks: FileChunks | tuple[bytes, ...] = ()
        if scope["method"] != "HEAD":
            # Opened before the response starts, so an unreadable file is
            # still an error the caller can answer (StaticFiles says 404).
            chunks = await pool.run(
                FileChunks.open, self.path, start, length, self.chunk_size
            )
        # StreamingResponse reads the chunks on the same pool, stops when
        # the client disconnects and then closes them (closing the file).
        streaming = StreamingResponse(chunks, status_code, background=self.background)
        streaming.raw_headers = headers
        await streaming(scope, receive, send)

    async def _send_path(
        self, send: Send, pool: ThreadPool, status_code: int, headers: RawHeaders
    ) -> None:
        """Let the server send the whole file (``http.response.pathsend``)."""
        # Opened once first, so an unreadable file is still an error the caller
        # can answer (StaticFiles says 404) before the response starts.
        await pool.run(check_readable, self.path)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": status_code,
                    "headers": headers,
                }
            )
            path = os.path.abspath(self.path)  # the spec asks for an absolute path
            await send({"type": "http.response.pathsend", "path": path})
        finally:
            if self.background is not None:
                await self.background(pool)


class FileChunks:
    """Iterate over ``length`` bytes of an open file; ``close()`` closes it."""

    def __init__(self, file: io.FileIO, length: int, chunk_size: int) -> None:
        self.file = file
        self.remaining = length
        self.chunk_size = chunk_size

    @classmethod
    def open(cls, path: str, start: int, length: int, chunk_size: int) -> FileChunks:
        file = io.FileIO(path, "r")
        try:
            file.seek(start)
        except BaseException:
            file.close()
            raise
        return cls(file, length, chunk_size)

    def __iter__(self) -> FileChunks:
        return self

    def __next__(self) -> bytes:
        if self.remaining <= 0:
            raise StopIteration
        chunk = self.file.read(min(self.chunk_size, self.remaining))
        if not chunk:
            # Content-Length promised more: fail so the connection is aborted
            # instead of the client waiting for bytes that never come.
            raise RuntimeError(f"file {self.file.name!r} shrank while being sent")
        self.remaining -= len(chunk)
        return chunk

    def close(self) -> None:
        self.file.close()


def check_readable(path: str) -> None:
    """Raise ``OSError`` now if the file cannot be opened for reading."""
    io.FileIO(path, "r").close()


def stat_file(path: str) -> os.stat_result:
    """``os.stat(path)``, refusing anything but a regular file, clearly."""
    try:
        file_stat = os.stat(path)
    except FileNotFoundError:
        message = (
            "FileResponse found no file here; check that it exists (and raise "
            "HTTPException(404) if not) before returning a FileResponse"
        )
        raise FileNotFoundError(errno.ENOENT, message, path) from None
    if not stat.S_ISREG(file_stat.st_mode):
        message = "FileResponse can only send a regular file, not a directory"
        raise IsADirectoryError(errno.EISDIR, message, path)
    return file_stat


def is_not_modified(headers: Headers, validators: Validators) -> bool:
    """Whether the client's cached copy is current (If-None-Match wins)."""
    if "if-none-match" in headers:
        return etag_listed(", ".join(headers.getlist("if-none-match")), validators.etag)
    since = parse_http_date(headers.get("if-modified-since", ""))
    return since is not None and validators.modified <= since


def if_range_holds(headers: Headers, validators: Validators) -> bool:
    """Whether a ``Range`` applies: no ``If-Range``, or one naming this version."""
    if "if-range" not in headers:
        return True
    if_range = headers["if-range"].strip()
    if if_range.startswith(('"', "W/")):
        return if_range == validators.etag  # strong comparison: weak never matches
    return parse_http_date(if_range) == validators.modified


def guess_media_type(name: str) -> str:
    """The media type for a file name; ``application/octet-stream`` if unknown."""
    media_type, encoding = mimetypes.guess_type(os.path.basename(name))
    if media_type is None or encoding is not None:
        # A compressed file (.gz) is not its inner type without Content-Encoding.
        return "application/octet-stream"
    return media_type
