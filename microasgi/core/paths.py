"""Route path templates: ``/items/{item_id:int}`` compiled into matchers.

A template is split on ``/`` into segments. A segment is either literal text
or a small regex with named groups, one per ``{name:converter}``; a ``path``
converter swallows the rest of the path, slashes included. Converters turn the
matched text into Python values and back (for ``url_path_for``).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

_PARAM_RE = re.compile(r"{([^{}]*)}")
# By parameter count: one is linear, two quadratic, three or more worse.
_MAX_MATCH_LENGTH = {1: 1 << 30, 2: 4096}


class Converter:
    """How a path parameter looks (``regex``) and how it converts.

    The classes of this module are written by hand: ``import microasgi``
    loads it, and creating a frozen dataclass or a NamedTuple costs a tenth
    of a millisecond or more, ten times a plain class.
    """

    __slots__ = ("regex", "to_python", "to_url")

    def __init__(
        self, regex: str, to_python: Callable[[str], Any], to_url: Callable[[Any], str]
    ) -> None:
        self.regex = regex
        self.to_python = to_python
        self.to_url = to_url

    def __repr__(self) -> str:
        return (
            f"Converter(regex={self.regex!r}, to_python={self.to_python!r}, "
            f"to_url={self.to_url!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Converter):
            return NotImplemented
        mine = (self.regex, self.to_python, self.to_url)
        return mine == (other.regex, other.to_python, other.to_url)


def _float_to_url(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        message = f"a float path parameter must be a number, got {value!r}"
        raise ValueError(message) from None
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise ValueError(f"a float path parameter must be finite and >= 0: {value}")
    import decimal  # only for float parameters: `import microasgi` stays quick

    # Plain digits, never exponent notation ('1e+16'), which would not match.
    return format(decimal.Decimal(repr(number)), "f").removesuffix(".0")


def _str_to_url(value: Any) -> str:
    text = str(value)
    if not text or "/" in text:
        raise ValueError(
            f"a str path parameter must be non-empty and hold no '/', got {text!r}; "
            "use the path converter ({name:path}) for values with slashes"
        )
    return text


def _int_to_url(value: Any) -> str:
    text = str(value) if isinstance(value, int | str) else ""
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise ValueError(
            f"an int path parameter must be a whole number >= 0, got {value!r}"
        )
    return str(int(text))


def _uuid_to_url(value: Any) -> str:
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except ValueError:
        raise ValueError(
            f"a uuid path parameter must be a UUID, got {value!r}"
        ) from None


CONVERTERS: dict[str, Converter] = {
    "str": Converter(r"[^/]+", str, _str_to_url),
    "int": Converter(r"[0-9]+", int, _int_to_url),
    "float": Converter(r"[0-9]+(?:\.[0-9]+)?", float, _float_to_url),
    "path": Converter(r"[\s\S]*", str, str),  # anything, newlines too
    "uuid": Converter(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        uuid.UUID,
        _uuid_to_url,
    ),
}


class SegmentPattern:
    """One ``/``-separated piece of a template that holds parameters."""

    __slots__ = ("converters", "regex", "source")

    def __init__(
        self, source: str, regex: re.Pattern[str], converters: dict[str, Converter]
    ) -> None:
        self.source = source  # the template text, e.g. "{name}.{ext}"
        self.regex = regex
        self.converters = converters

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"

    def __eq__(self, other: object) -> bool:
        """Equal segments of two routes share one node of the route tree."""
        if not isinstance(other, SegmentPattern) or type(other) is not type(self):
            return NotImplemented
        mine = (self.source, self.regex, self.converters)
        return mine == (other.source, other.regex, other.converters)

    def match(self, text: str) -> dict[str, Any] | None:
        """The converted parameters if ``text`` matches, else ``None``."""
        if len(text) > self.max_length:
            return None
        found = self.regex.fullmatch(text)
        if found is None:
            return None
        try:
            return {
                name: self.converters[name].to_python(value)
                for name, value in found.groupdict().items()
            }
        except ValueError:
            return None

    @property
    def max_length(self) -> int:
        """The longest text tried: with several parameters in one piece the regex
        backtracks in polynomial time, so hostile long paths are cut short."""
        return _MAX_MATCH_LENGTH.get(len(self.converters), 256)


class ParamSegment(SegmentPattern):
    """A segment that is exactly one parameter, like ``{item_id:int}``.

    The most common pattern gets a shorter path through :meth:`match`.
    """

    __slots__ = ("name", "to_python")

    def __init__(
        self,
        source: str,
        regex: re.Pattern[str],
        converters: dict[str, Converter],
        name: str,
        to_python: Callable[[str], Any],
    ) -> None:
        super().__init__(source, regex, converters)
        self.name = name
        self.to_python = to_python

    def match(self, text: str) -> dict[str, Any] | None:
        found = self.regex.fullmatch(text)
        if found is None:
            return None
        try:
            return {self.name: self.to_python(text)}
        except ValueError:
            return None


Segment = str | SegmentPattern


class PathTemplate:
    """A compiled route template.

    ``segments`` is what the route tree walks; ``tail`` (when the template has
    a ``path`` parameter) matches everything from that segment on.

    Example:
        >>> template = compile_path("/items/{item_id:int}")
        >>> template.param_names, template.format(item_id=3)
        (('item_id',), '/items/3')
    """

    __slots__ = ("converters", "param_names", "segments", "source", "tail")

    def __init__(
        self,
        source: str,
        segments: tuple[Segment, ...],
        tail: SegmentPattern | None,
        param_names: tuple[str, ...],
        converters: dict[str, Converter],
    ) -> None:
        self.source = source
        self.segments = segments
        self.tail = tail
        self.param_names = param_names
        self.converters = converters

    def __repr__(self) -> str:
        return f"PathTemplate({self.source!r})"

    @property
    def is_static(self) -> bool:
        return not self.param_names

    def format(self, **params: Any) -> str:
        """Build a concrete, percent-encoded path from parameter values."""
        missing = set(self.param_names) - params.keys()
        extra = params.keys() - set(self.param_names)
        if missing or extra:
            raise ValueError(
                f"path {self.source!r} takes parameters {list(self.param_names)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )

        def substitute(found: re.Match[str]) -> str:
            name = found.group(1).partition(":")[0]
            return param_to_url(name, self.converters[name], params[name])

        return _PARAM_RE.sub(substitute, self.source)


def param_to_url(name: str, converter: Converter, value: Any) -> str:
    """``value`` as URL text that its converter matches back, percent-encoded."""
    try:
        text = converter.to_url(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"parameter {name!r} cannot be {value!r}: {exc}") from exc
    if not isinstance(text, str) or not re.fullmatch(converter.regex, text):
        raise ValueError(
            f"parameter {name!r} cannot be {value!r}: its converter made {text!r} "
            f"of it, which does not match the converter's regex {converter.regex!r}"
        )
    return quote_path(text)


# What a path may hold unencoded: RFC 3986 ``pchar`` and "/" (and "~", which
# quote() never encodes).
PATH_SAFE = "/!$&'()*+,;=:@"


def quote_path(text: str) -> str:
    """Percent-encode ``text`` for a URL path, keeping ``/`` and the characters
    a path may hold as they are (RFC 3986 ``pchar``), so ``#`` is ``%23``."""
    return quote(text, safe=PATH_SAFE)


def compile_path(
    path: str, converters: dict[str, Converter] | None = None
) -> PathTemplate:
    """Check and compile a route template, failing early and explaining why."""
    converters = CONVERTERS if converters is None else converters
    if not path.startswith("/"):
        raise ValueError(
            f"route path {path!r} must start with '/'; did you mean '/{path}'?"
        )
    segments: list[Segment] = []
    names: list[str] = []
    found_converters: dict[str, Converter] = {}
    pieces = path[1:].split("/")
    for index, piece in enumerate(pieces):
        if "{" not in piece and "}" not in piece:
            segments.append(piece)
            continue
        if _spans_slashes(piece, converters):
            # A `path` parameter: match everything from here on as one piece.
            rest = "/".join(pieces[index:])
            tail = _compile_segment(path, rest, converters, names, found_converters)
            return PathTemplate(
                path, tuple(segments), tail, tuple(names), found_converters
            )
        segments.append(
            _compile_segment(path, piece, converters, names, found_converters)
        )
    return PathTemplate(path, tuple(segments), None, tuple(names), found_converters)


def _spans_slashes(piece: str, converters: dict[str, Converter]) -> bool:
    for found in _PARAM_RE.finditer(piece):
        converter = converters.get(found.group(1).partition(":")[2] or "str")
        if converter and re.fullmatch(f"(?:{converter.regex})", "a/b"):
            return True
    return False


def _compile_segment(
    path: str,
    piece: str,
    converters: dict[str, Converter],
    names: list[str],
    found_converters: dict[str, Converter],
) -> SegmentPattern:
    regex = ""
    segment_converters: dict[str, Converter] = {}
    position = 0
    for found in _PARAM_RE.finditer(piece):
        regex += _literal(path, piece[position : found.start()])
        name, _, converter_name = found.group(1).partition(":")
        converter = _lookup_converter(path, name, converter_name or "str", converters)
        if name in names:
            raise ValueError(
                f"route path {path!r} uses parameter {name!r} twice; "
                "give each parameter its own name"
            )
        names.append(name)
        found_converters[name] = segment_converters[name] = converter
        regex += f"(?P<{name}>{converter.regex})"
        position = found.end()
    regex += _literal(path, piece[position:])
    if len(segment_converters) == 1 and _PARAM_RE.fullmatch(piece):
        [(name, converter)] = segment_converters.items()
        return ParamSegment(
            piece, re.compile(regex), segment_converters, name, converter.to_python
        )
    return SegmentPattern(piece, re.compile(regex), segment_converters)


def _literal(path: str, text: str) -> str:
    if "{" in text or "}" in text:
        raise ValueError(
            f"route path {path!r} has an unbalanced brace in {text!r}; "
            "write parameters as {name} or {name:converter}"
        )
    return re.escape(text)


def _lookup_converter(
    path: str, name: str, converter_name: str, converters: dict[str, Converter]
) -> Converter:
    if not name.isidentifier():
        raise ValueError(
            f"route path {path!r} has parameter {name!r}, which is not a valid "
            "Python identifier; use a name like {item_id}"
        )
    if converter_name not in converters:
        raise ValueError(
            f"route path {path!r} uses unknown converter {converter_name!r} for "
            f"{name!r}; known converters: {', '.join(sorted(converters))} "
            "(App.add_converter() adds one)"
        )
    return converters[converter_name]
