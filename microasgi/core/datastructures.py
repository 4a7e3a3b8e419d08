"""Small containers for what arrives in a scope: headers, query strings, URLs.

Everything here is built lazily from the raw ASGI values (byte pairs, the query
string bytes) and never touches a request or a response.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote

from microasgi.core.http import encode_header
from microasgi.core.types import RawHeaders


class Address(NamedTuple):
    """The ``(host, port)`` of a client or server."""

    host: str
    port: int


class MultiDict(Mapping[str, Any]):
    """A read-only mapping that keeps every value of a repeated key.

    ``d[key]`` and ``d.get(key)`` give the last value, as browsers and
    Starlette do; ``d.getlist(key)`` gives all of them in order.

    Example:
        >>> d = MultiDict([("a", "1"), ("a", "2")])
        >>> d["a"], d.getlist("a")
        ('2', ['1', '2'])
    """

    __slots__ = ("_dict", "_items")

    def __init__(self, items: Iterable[tuple[str, Any]] = ()) -> None:
        self._items = list(items)
        self._dict = dict(self._items)

    def getlist(self, key: str) -> list[Any]:
        """All values of ``key``, in the order they arrived."""
        return [value for name, value in self._items if name == key]

    def multi_items(self) -> list[tuple[str, Any]]:
        """Every ``(key, value)`` pair, repeats included."""
        return list(self._items)

    def __getitem__(self, key: str) -> Any:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return _by_key(self._items) == _by_key(other._items)
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


def _by_key(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    # Order between keys does not matter; order within a key does.
    return sorted(items, key=lambda item: item[0])


class QueryParams(MultiDict):
    """The query string, decoded leniently (bad UTF-8 becomes U+FFFD).

    Example:
        >>> QueryParams(b"tag=a&tag=b&q=x%20y").getlist("tag")
        ['a', 'b']
    """

    def __init__(self, query: bytes | str | Iterable[tuple[str, str]] = b"") -> None:
        if isinstance(query, bytes):
            query = query.decode("utf-8", "replace")
        if isinstance(query, str):
            query = parse_qsl(query, keep_blank_values=True, errors="replace")
        super().__init__(query)

    def __str__(self) -> str:
        return "&".join(
            f"{quote(key, safe='')}={quote(str(value), safe='')}"
            for key, value in self._items
        )


def _header_name(key: str) -> bytes:
    # Lower-case ASCII only, as servers do; str.lower() would also change
    # latin-1 letters and miss the raw name.
    return key.encode("latin-1", "replace").lower()


class Headers(Mapping[str, str]):
    """Case-insensitive, multi-valued view of raw ASGI header pairs.

    Example:
        >>> headers = Headers([(b"accept", b"text/html"), (b"accept", b"*/*")])
        >>> headers["Accept"], headers.getlist("accept")
        ('text/html', ['text/html', '*/*'])
    """

    __slots__ = ("raw",)

    def __init__(self, raw: Iterable[tuple[bytes, bytes]] = ()) -> None:
        # A list is used as is (not copied), so a view can edit a response's.
        self.raw: RawHeaders = raw if isinstance(raw, list) else list(raw)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str]) -> Headers:
        """Build from a ``{name: value}`` mapping (names are lower-cased)."""
        return cls(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in mapping.items()
        )

    def getlist(self, key: str) -> list[str]:
        """Every value of header ``key``, in the order received."""
        name = _header_name(key)
        return [value.decode("latin-1") for key_, value in self.raw if key_ == name]

    def get(self, key: str, default: Any = None) -> Any:
        name = _header_name(key)
        # The first value wins, as in Starlette: a proxy appends its copy of
        # a header after the client's, and the first Host is the one routed on.
        for key_, value in self.raw:
            if key_ == name:
                return value.decode("latin-1")
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return str(value)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = _header_name(key)
        return any(key_ == name for key_, _ in self.raw)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key.decode("latin-1") for key, _ in self.raw))

    def __len__(self) -> int:
        return len({key for key, _ in self.raw})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return _sorted_pairs(self.raw) == _sorted_pairs(other.raw)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(_sorted_pairs(self.raw)))

    def __repr__(self) -> str:
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self.raw]
        return f"Headers({pairs!r})"


def _sorted_pairs(raw: RawHeaders) -> list[tuple[bytes, bytes]]:
    # Some servers send each pair as a list: compare (and hash) them as tuples.
    return sorted((name, value) for name, value in raw)


class URL:
    """A parsed absolute URL: ``scheme://netloc/path?query``.

    Example:
        >>> url = URL("http://example.com:8000/items?id=1")
        >>> url.hostname, url.port, url.path, url.query
        ('example.com', 8000, '/items', 'id=1')
    """

    __slots__ = ("fragment", "netloc", "path", "query", "scheme")

    def __init__(self, url: str) -> None:
        scheme, _, rest = url.partition("://")
        rest, _, self.fragment = rest.partition("#")
        rest, _, self.query = rest.partition("?")
        netloc, slash, path = rest.partition("/")
        self.scheme = scheme
        self.netloc = netloc
        self.path = slash + path

    @property
    def hostname(self) -> str:
        host = self.netloc.rpartition("@")[2]
        if host.startswith("["):
            return host[1 : host.find("]")]
        return host.partition(":")[0].lower()

    @property
    def port(self) -> int | None:
        host = self.netloc.rpartition("@")[2]
        port = host.rpartition("]")[2].rpartition(":")[2] if ":" in host else ""
        return int(port) if port.isdigit() else None

    def replace(self, **parts: str) -> URL:
        """A copy with some of ``scheme``, ``netloc``, ``path``, ``query`` replaced."""
        url = URL(str(self))
        for name, value in parts.items():
            setattr(url, name, value)
        return url

    def __str__(self) -> str:
        url = f"{self.scheme}://{self.netloc}{self.path}"
        if self.query:
            url += "?" + self.query
        if self.fragment:
            url += "#" + self.fragment
        return url

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"


class State:
    """An attribute bag: ``app.state.db = ...``, ``request.state.user``.

    Example:
        >>> state = State()
        >>> state.count = 1
        >>> state.count
        1
    """

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_values", {} if values is None else values)

    def __setattr__(self, name: str, value: Any) -> None:
        self._values[name] = value

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"state has no attribute {name!r}") from None

    def __delattr__(self, name: str) -> None:
        del self._values[name]


class Limits:
    """The request limits an :class:`~microasgi.App` enforces, all on by default.

    Each is a keyword of ``App(...)``; crossing one answers 413 naming it.
    Written by hand rather than as a frozen dataclass, which would cost a few
    tenths of a millisecond at ``import microasgi``.
    """

    max_body_size: int = 1024 * 1024  # the whole body, whatever its type
    max_fields: int = 1000  # form fields (urlencoded or multipart), files included
    max_files: int = 100  # multipart parts with a filename
    max_part_size: int = 1024 * 1024  # one non-file form field, held in memory
    max_part_headers: int = 16  # headers in one multipart part
    max_part_header_size: int = 8 * 1024  # bytes in one part header line

    def __init__(
        self,
        max_body_size: int = max_body_size,
        max_fields: int = max_fields,
        max_files: int = max_files,
        max_part_size: int = max_part_size,
        max_part_headers: int = max_part_headers,
        max_part_header_size: int = max_part_header_size,
    ) -> None:
        given = {
            "max_body_size": max_body_size,
            "max_fields": max_fields,
            "max_files": max_files,
            "max_part_size": max_part_size,
            "max_part_headers": max_part_headers,
            "max_part_header_size": max_part_header_size,
        }
        for name, value in given.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(
                    f"{name} must be a non-negative int, got {value!r}; "
                    f"pass e.g. App({name}={getattr(Limits, name)})"
                )
        self.__dict__.update(given)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Limits cannot change; make a new one to set {name}")

    def __repr__(self) -> str:
        given = ", ".join(f"{name}={value!r}" for name, value in vars(self).items())
        return f"Limits({given})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Limits):
            return NotImplemented
        return vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(tuple(vars(self).values()))


class MutableHeaders(Headers):
    """Response headers you can change; every value is checked when set.

    Example:
        >>> headers = MutableHeaders()
        >>> headers["Cache-Control"] = "no-store"
        >>> headers.raw
        [(b'cache-control', b'no-store')]
    """

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        """Set ``key`` to ``value``, replacing every earlier value."""
        name, encoded = encode_header(key, value)
        self.raw[:] = [pair for pair in self.raw if pair[0] != name]
        self.raw.append((name, encoded))

    def __delitem__(self, key: str) -> None:
        name = _header_name(key)
        self.raw[:] = [pair for pair in self.raw if pair[0] != name]

    def append(self, key: str, value: str) -> None:
        """Add a value for ``key``, keeping earlier ones (as for Set-Cookie)."""
        self.raw.append(encode_header(key, value))

    def setdefault(self, key: str, value: str) -> str:
        """Set ``key`` only if it is absent; return its value."""
        if key not in self:
            self[key] = value
        return self[key]
