"""Parsing form bodies into :class:`~microasgi.core.uploads.FormData` as they stream in.

``application/x-www-form-urlencoded`` is split here, one field at a time;
``multipart/form-data`` goes to :mod:`microasgi.core.multipart`, around
python-multipart's streaming parser. Neither ever holds the whole body: a text
field is bounded by ``max_part_size`` and a file is spooled to a temp file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from microasgi.core.extras import missing_package

try:
    from python_multipart.multipart import parse_options_header
except ModuleNotFoundError as exc:
    raise missing_package(exc) from None

from microasgi.core.concurrency import ThreadPool
from microasgi.core.datastructures import Headers, Limits
from microasgi.core.exceptions import HTTPException, over_limit
from microasgi.core.multipart import boundary_of, parse_multipart
from microasgi.core.uploads import SPOOL_MAX_SIZE, FormData, UploadFile

if TYPE_CHECKING:
    pass

FormItems = list[tuple[str, str | UploadFile]]


async def parse_form(
    headers: Headers,
    stream: AsyncIterator[bytes],
    limits: Limits,
    *,
    spool_max_size: int = SPOOL_MAX_SIZE,
    pool: ThreadPool | None = None,
) -> FormData:
    """Read a form from the body ``stream``, as ``await request.form()`` does.

    The Content-Type picks the parser: ``application/x-www-form-urlencoded``
    (split on ``&`` only, decoded leniently) or ``multipart/form-data`` (parts
    with a filename become :class:`UploadFile`, the others ``str``). A body of
    any other type, or with no Content-Type, gives an empty form when it is
    empty, as for a GET, and a 400 otherwise.

    Over a limit is a 413 naming the ``App`` setting to raise; a malformed body
    or boundary is a 400 saying what was wrong. On any error every upload made
    so far is closed, so no temp file outlives the request. Uploads that
    reach the disk do their I/O on ``pool`` (``request.form()`` passes the
    App's).

    Example:
        >>> # form = await parse_form(request.headers, request.stream(), limits)
        >>> # form["name"], form["avatar"].filename
    """
    media_type, params = parse_options_header(headers.get("content-type"))
    if media_type == b"application/x-www-form-urlencoded":
        return await _parse_urlencoded(stream, limits)
    if media_type == b"multipart/form-data":
        boundary = boundary_of(params)
        return await parse_multipart(stream, boundary, limits, spool_max_size, pool)
    async for chunk in stream:
        if chunk:
            got = (
                repr(media_type.decode("latin-1")) if media_type else "no Content-Type"
            )
            raise HTTPException(
                400,
                "Expected a form body (application/x-www-form-urlencoded or "
                f"multipart/form-data), got {got}",
            )
    return FormData()


# --- application/x-www-form-urlencoded -------------------------------------------


async def _parse_urlencoded(stream: AsyncIterator[bytes], limits: Limits) -> FormData:
    """Split ``a=1&b=2`` on ``&`` (never ``;``) as bytes arrive.

    Only the field being received is held, bounded by ``max_part_size`` as
    sent (``name=value``, still percent-encoded).
    """
    items: FormItems = []

    def check_size(raw: bytearray) -> None:
        if len(raw) > limits.max_part_size:
            size = f"{limits.max_part_size} bytes"
            raise over_limit("Form field too large", "max_part_size", size)

    def add(raw: bytearray) -> None:
        if not raw:  # `a=1&&b=2` and a trailing `&` carry no field
            return
        check_size(raw)
        if len(items) >= limits.max_fields:
            limit = str(limits.max_fields)
            raise over_limit("Too many form fields", "max_fields", limit)
        name, _, value = bytes(raw).partition(b"=")
        items.append((_unquote(name), _unquote(value)))

    field_bytes = bytearray()
    async for chunk in stream:
        first, *rest = chunk.split(b"&")
        field_bytes += first
        for piece in rest:
            add(field_bytes)
            field_bytes = bytearray(piece)
        check_size(field_bytes)
    add(field_bytes)
    return FormData(items)


def _unquote(raw: bytes) -> str:
    # Lenient like browsers: a bad %-escape stays as is, bad UTF-8 becomes U+FFFD.
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")
