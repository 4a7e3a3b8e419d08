"""What a parsed form holds: ``FormData`` and the ``UploadFile``s inside it.

Standard library only; :mod:`microasgi.core.forms` fills these from a request body.
"""

from __future__ import annotations

from collections.abc import Iterable
from tempfile import SpooledTemporaryFile
from typing import IO

from microasgi.core.concurrency import ThreadPool, default_pool
from microasgi.core.datastructures import Headers, MultiDict

SPOOL_MAX_SIZE = 1024 * 1024
"""An upload stays in memory up to this many bytes, then moves to a temp file."""


def spooled_file(max_size: int = SPOOL_MAX_SIZE) -> SpooledTemporaryFile[bytes]:
    """A temp file that stays in memory up to ``max_size`` bytes, then goes to disk."""
    return SpooledTemporaryFile(max_size=max_size)


class UploadFile:
    """A file sent in a ``multipart/form-data`` form.

    The content lives in ``file``, a ``SpooledTemporaryFile`` that stays in
    memory up to :data:`SPOOL_MAX_SIZE` bytes and then rolls over to disk. The
    async methods do their I/O inline while the file is in memory and on the
    thread pool once it is on disk, so the event loop never waits on the disk:
    the App's pool for an upload parsed from a request, else ``pool`` (the
    default pool if None).

    ``filename`` is what the client sent: data, never a path. Never use it to
    build a path on the server (it may be ``"../../etc/passwd"``); pick your
    own name and keep this one for display, escaped.

    Example:
        >>> upload = UploadFile("notes.txt", content_type="text/plain")
        >>> # await upload.write(b"hello"); await upload.seek(0)
        >>> # await upload.read()  ->  b"hello"
    """

    def __init__(
        self,
        filename: str,
        file: IO[bytes] | None = None,
        size: int = 0,
        headers: Headers | None = None,
        content_type: str | None = None,
        pool: ThreadPool | None = None,
    ) -> None:
        self.filename = filename
        self.pool = pool or default_pool
        self.file: IO[bytes] = spooled_file() if file is None else file
        self.size = size
        self.headers = Headers() if headers is None else headers
        if content_type is None:
            content_type = self.headers.get("content-type")
        self.content_type = content_type

    def _on_disk(self, incoming: int = 0) -> bool:
        """Whether the file is on disk, or will be once ``incoming`` bytes land."""
        # SpooledTemporaryFile tells its state only through private attributes;
        # any other file object counts as being on disk.
        if getattr(self.file, "_rolled", True):
            return True
        max_size: int = getattr(self.file, "_max_size", 0)
        return incoming > 0 and max_size > 0 and self.file.tell() + incoming > max_size

    async def write(self, data: bytes) -> None:
        """Append ``data`` at the current position; ``size`` grows by its length."""
        if self._on_disk(len(data)):
            await self.pool.run(self.file.write, data)
        else:
            self.file.write(data)
        self.size += len(data)

    async def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left by default)."""
        if self._on_disk():
            return await self.pool.run(self.file.read, size)
        return self.file.read(size)

    async def seek(self, offset: int) -> None:
        """Move to byte ``offset`` from the start: ``seek(0)`` to read again."""
        if self._on_disk():
            await self.pool.run(self.file.seek, offset)
        else:
            self.file.seek(offset)

    async def close(self) -> None:
        """Close the file; a temp file on disk is deleted."""
        if self._on_disk():
            await self.pool.run(self.file.close)
        else:
            self.file.close()

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, size={self.size!r}, "
            f"content_type={self.content_type!r})"
        )


class FormData(MultiDict):
    """A parsed form: a read-only multi-dict of ``str`` and :class:`UploadFile`.

    ``form[key]`` gives the last value of ``key`` and ``form.getlist(key)``
    all of them. ``await form.close()`` closes every upload in it.

    Example:
        >>> form = FormData([("tag", "a"), ("tag", "b"), ("q", "x")])
        >>> form["q"], form.getlist("tag")
        ('x', ['a', 'b'])
    """

    def __init__(self, items: Iterable[tuple[str, str | UploadFile]] = ()) -> None:
        super().__init__(items)

    async def close(self) -> None:
        """Close every :class:`UploadFile` in the form."""
        for _, value in self.multi_items():
            if isinstance(value, UploadFile):
                await value.close()
