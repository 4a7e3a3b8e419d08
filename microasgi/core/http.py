"""The HTTP grammar, in one place: every module that reads or writes a header
field asks here.

Header names and values, ``Content-Length``, cookies (``Cookie`` parsed,
``Set-Cookie`` built), HTTP dates, byte ranges, entity tags,
``Content-Disposition`` and host names. Each function takes and returns
plain ``str``/``int`` values, so this module depends on the standard library
alone. ``root_path`` has its own home, ``microasgi/core/rootpath.py``.

Example:
    >>> parse_cookies('theme=dark; id="a\\\\"b"')
    {'theme': 'dark', 'id': 'a"b'}
    >>> parse_range("bytes=0-99", size=1000)
    ByteRange(start=0, end=99)
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal
from urllib.parse import quote

# Headers ------------------------------------------------------------------

# RFC 9110 token: header names, cookie names, media type parts.
TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A field value may hold tabs and visible text, never CR, LF or other controls.
_FIELD_VALUE_RE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")


def encode_header(name: str, value: str) -> tuple[bytes, bytes]:
    """Check and encode one header; refuses anything that could split it.

    Example:
        >>> encode_header("X-Trace", "abc")
        (b'x-trace', b'abc')
    """
    if not TOKEN_RE.fullmatch(name):
        raise ValueError(f"invalid header name {name!r}: use letters, digits and -")
    value = str(value)
    if not _FIELD_VALUE_RE.fullmatch(value):
        raise ValueError(
            f"invalid value for header {name!r}: {value!r} contains CR, LF or "
            "another control character; remove it (it could split the header)"
        )
    try:
        return name.lower().encode("latin-1"), value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            f"header {name!r} value {value!r} is not latin-1; percent-encode it"
        ) from None


def parse_content_length(value: str) -> int | None:
    """The byte count a ``Content-Length`` value declares, or ``None`` if it
    is not a plain run of ASCII digits.

    More than 18 digits is over any limit and comes back as ``sys.maxsize``:
    ``int()`` of thousands of digits is refused by Python itself.
    """
    # isdigit() alone accepts digits int() refuses, like "²".
    if not (value.isascii() and value.isdigit()):
        return None
    if len(value.lstrip("0")) > 18:
        return sys.maxsize
    return int(value)


# A hostname (or IPv4), or a bracketed IPv6 literal, and an optional port.
_HOST_RE = re.compile(r"(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def is_valid_host(host: str) -> bool:
    """Whether a ``Host`` header is a plain ``name[:port]`` a URL can carry."""
    return _HOST_RE.fullmatch(host) is not None


def host_name(host: str) -> str:
    """``"Example.com:8000"`` -> ``"example.com"``; ``"[::1]:80"`` -> ``"[::1]"``."""
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.partition(":")[0].lower()


# Cookies ------------------------------------------------------------------

_COOKIE_ESCAPE = re.compile(r"\\(?:([0-7]{3})|(.))")
# RFC 6265 cookie-octet: visible ASCII except space, '"', ',', ';' and '\'.
_COOKIE_VALUE_RE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_cookies(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header leniently: a bad pair is skipped, not fatal.

    Several ``Cookie`` headers (HTTP/2 clients send one per cookie) are
    joined with ``"; "`` first.
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        name, equals, value = chunk.partition("=")
        name, value = name.strip(), value.strip()
        if not equals:
            name, value = "", name  # browsers send a lone value as a nameless one
        if name or value:
            cookies[name] = unquote_cookie(value)
    return cookies


def unquote_cookie(value: str) -> str:
    """Undo the quoting some servers apply: ``"a\\"b"`` and octal ``\\054``."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value

    def unescape(found: re.Match[str]) -> str:
        octal, char = found.groups()
        return chr(int(octal, 8)) if octal else char

    return _COOKIE_ESCAPE.sub(unescape, value[1:-1])


def check_cookie(key: str, value: str) -> None:
    """Refuse a cookie name that is not a token, or a value with unsafe characters."""
    if not TOKEN_RE.fullmatch(key):
        raise ValueError(f"invalid cookie name {key!r}: use letters, digits and -_")
    if not _COOKIE_VALUE_RE.fullmatch(value):
        raise ValueError(
            f"invalid value for cookie {key!r}: {value!r}; cookie values may not "
            "hold spaces, quotes, commas, semicolons, backslashes or control "
            "characters - encode it first (e.g. urllib.parse.quote)"
        )


def set_cookie_header(
    key: str,
    value: str = "",
    max_age: int | None = None,
    expires: datetime | str | int | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "lax",
    partitioned: bool = False,
) -> str:
    """A ``Set-Cookie`` value; invalid names, values or attributes are refused.

    Example:
        >>> set_cookie_header("theme", "dark", max_age=60)
        'theme=dark; Max-Age=60; Path=/; SameSite=Lax'
    """
    check_cookie(key, value)
    parts = [f"{key}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if expires is not None:
        parts.append(f"expires={http_date(expires)}")
    for name, attribute in (("Path", path), ("Domain", domain)):
        if attribute is not None:
            if not _COOKIE_VALUE_RE.fullmatch(attribute.replace(" ", "")):
                raise ValueError(f"invalid cookie {name}: {attribute!r}")
            parts.append(f"{name}={attribute}")
    if samesite is not None:
        if samesite.lower() not in ("lax", "strict", "none"):
            raise ValueError(
                f"samesite must be 'lax', 'strict' or 'none', got {samesite!r}"
            )
        parts.append(f"SameSite={samesite.capitalize()}")
    parts += [flag for flag, on in (("Secure", secure), ("HttpOnly", httponly),
              ("Partitioned", partitioned)) if on]  # fmt: skip
    return "; ".join(parts)


# Dates --------------------------------------------------------------------


def http_date(when: datetime | str | int) -> str:
    """An HTTP date: an int counts seconds from now, a datetime is that moment."""
    if isinstance(when, str):
        return when
    if isinstance(when, int):
        when = datetime.now(timezone.utc) + timedelta(seconds=when)
    return format_datetime(when.astimezone(timezone.utc), usegmt=True)


def parse_http_date(value: str) -> int | None:
    """An HTTP date as whole seconds since the epoch, or ``None`` if invalid."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())


# Entity tags and ranges ---------------------------------------------------

# One range: "start-end", "start-" or "-suffix". Bounded digit runs keep int()
# cheap and below Python's limit on converting long digit strings.
_RANGE_RE = re.compile(r"([0-9]{0,18})-([0-9]{0,18})")


def etag_listed(header: str, etag: str) -> bool:
    """Weak comparison of ``etag`` with a comma-separated list (or ``*``)."""
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


class ByteRange:
    """The bytes ``start`` to ``end`` (both included) of a file.

    A plain class: ``import microasgi`` loads this module, and a NamedTuple
    or a dataclass costs ten times as much to create.
    """

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"ByteRange(start={self.start}, end={self.end})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ByteRange):
            return NotImplemented
        return (self.start, self.end) == (other.start, other.end)


def parse_range(header: str, size: int) -> ByteRange | Literal["unsatisfiable"] | None:
    """The one byte range a ``Range`` header asks for.

    ``None`` means "send the whole file": the header is malformed, not in
    bytes, or asks for several ranges (answering those would mean a multipart
    body and work that grows with the number of ranges).
    """
    unit, _, ranges = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in ranges:
        return None
    match = _RANGE_RE.fullmatch(ranges.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        if last and int(last) < start:
            return None  # "5-2" is invalid: ignore it
        if start >= size:
            return "unsatisfiable"
        return ByteRange(start, min(int(last), size - 1) if last else size - 1)
    if not last:
        return None  # a lone "-"
    suffix = int(last)
    if suffix == 0 or size == 0:
        return "unsatisfiable"
    return ByteRange(max(size - suffix, 0), size - 1)


# Content-Disposition ------------------------------------------------------

# Characters that may stay as they are in the quoted ASCII download name.
_UNSAFE_FILENAME_RE = re.compile(r"[^A-Za-z0-9 !#$&+,.=@^_`{}~()\[\]-]")


def content_disposition(disposition_type: str, filename: str) -> str:
    """``attachment; filename="..."`` with a UTF-8 ``filename*`` when needed.

    The quoted name is ASCII with quotes, backslashes and control characters
    replaced, so nothing in ``filename`` can end the header or start another.
    """
    import unicodedata  # only file downloads need it: `import microasgi` skips it

    decomposed = unicodedata.normalize("NFKD", filename)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    fallback = _UNSAFE_FILENAME_RE.sub("_", plain)
    value = f'{disposition_type}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value
