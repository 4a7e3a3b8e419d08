"""A handler's return value: what it becomes (:func:`make_response`), and
what the error says when it cannot be sent.

``json.dumps`` says only "Object of type coroutine is not JSON serializable".
These errors say which handler returned it, where in the returned value the
bad part sits, and what to write instead: most often a forgotten ``await``.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, NamedTuple

from microasgi.core.responses import JSONResponse, PlainTextResponse, Response

JSON_SCALARS = (str, int, float, bool, type(None))
NO_CONTENT = Response(status_code=204)  # sent as is: it has no body to change


class BadValue(NamedTuple):
    """A part of a returned value that JSON cannot encode, and where it is."""

    where: str  # e.g. "['items'][0]['created']"; "" for the value itself
    value: Any


def find_bad_value(value: Any, where: str = "") -> BadValue | None:
    """The first part of ``value`` that JSON cannot encode, if any."""
    if isinstance(value, float) and not math.isfinite(value):
        return BadValue(where, value)
    if isinstance(value, JSON_SCALARS):
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, JSON_SCALARS):
                return BadValue(f"{where} (key {key!r})", key)
            found = find_bad_value(item, f"{where}[{key!r}]")
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = find_bad_value(item, f"{where}[{index}]")
            if found is not None:
                return found
        return None
    return BadValue(where, value)


def unencodable_result_error(handler: object, result: Any, exc: Exception) -> Exception:
    """The error for ``result`` of ``handler`` that JSON could not encode.

    A coroutine found in it is closed, so Python does not warn a second time
    that it was never awaited.
    """
    try:
        bad = find_bad_value(result)
    except RecursionError:  # a value that contains itself
        bad = None
    if bad is None:
        return TypeError(
            f"handler {handler!r} returned a value JSON cannot encode: {exc}"
        )
    kind = type(result).__name__
    if inspect.iscoroutine(bad.value):
        bad.value.close()
        return TypeError(
            f"handler {handler!r} returned a {kind} whose value at {bad.where} is "
            f"a coroutine of {bad.value.__qualname__}(), called without await; "
            f"add the missing await before the call to {bad.value.__qualname__}()"
        )
    return TypeError(
        f"handler {handler!r} returned a {kind} whose value at {bad.where} is "
        f"{_describe(bad.value)}, which JSON cannot encode; {_fix(bad.value)}"
    )


def unawaited_result_error(handler: object, coroutine: Any) -> TypeError:
    """The error for a handler that returned a coroutine instead of its result."""
    coroutine.close()
    return TypeError(
        f"handler {handler!r} returned a coroutine of {coroutine.__qualname__}() "
        "instead of its result; add the missing await before the call to "
        f"{coroutine.__qualname__}()"
    )


def _describe(value: Any) -> str:
    if isinstance(value, float):
        return f"the float {value!r}"
    return f"a {type(value).__module__}.{type(value).__qualname__} ({value!r:.40})"


def _fix(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return "convert it to text first, e.g. value.isoformat()"
    if isinstance(value, float):
        return "JSON has no NaN or infinity: send null or a string instead"
    if isinstance(value, set | frozenset):
        return "convert it to a list first, e.g. sorted(value)"
    return "convert it to a str, number, bool, None, list or dict first"


def make_response(result: Any, handler: Any) -> Response:
    """Turn a handler's return value into a Response, or explain why not."""
    if isinstance(result, str):
        return PlainTextResponse(result)
    name = getattr(handler, "endpoint", handler)
    name = getattr(name, "__name__", repr(name))
    if isinstance(result, dict | list):
        try:
            return JSONResponse(result)
        except (TypeError, ValueError) as exc:
            raise unencodable_result_error(name, result, exc) from exc
    if isinstance(result, bytes):
        return Response(result, media_type="application/octet-stream")
    if result is None:
        return NO_CONTENT
    if inspect.iscoroutine(result):
        raise unawaited_result_error(name, result)
    raise TypeError(
        f"handler {name!r} returned {type(result).__name__} ({result!r:.60}); "
        "return a Response, str, bytes, dict, list or None"
    )
