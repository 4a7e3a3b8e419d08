"""What counts as the same answer: normalise both responses, then diff them.

An answer is its status, its headers and its body. Before comparing, the
parts that legitimately differ between two correct frameworks are put in one
form; each rule below says why. Everything else must match byte for byte, or
be listed in ``differences.py``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import httpx

# Added by servers, not by apps; neither framework sends them in-process, but
# a test should not depend on that.
SERVER_HEADERS = frozenset({"date", "server"})
# Comma-separated sets: the order carries no meaning (Starlette even keeps
# methods in a set, so its Allow order changes from run to run).
UNORDERED_LISTS = frozenset(
    {
        "allow",
        "vary",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
    }
)
# Lists of header names, which are case-insensitive (RFC 9110 5.1).
HEADER_NAME_LISTS = frozenset(
    {
        "vary",
        "access-control-allow-headers",
        "access-control-expose-headers",
    }
)
# Cookies whose value each framework signs its own way.
SIGNED_COOKIES = frozenset({"session"})


@dataclass(frozen=True)
class Answer:
    """One response, normalised: what a client can rely on."""

    status: int
    headers: dict[str, str]
    body: Any  # bytes, or the parsed value of a JSON body

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        headers = normalise_headers(response.headers)
        if "location" in headers:
            # A relative Location is resolved against the request's URL (RFC
            # 9110 10.2.2), so "/a/" and "http://testserver/a/" send the client
            # to the same place.
            headers["location"] = urljoin(str(response.url), headers["location"])
        return cls(response.status_code, headers, normalise_body(response, headers))


def normalise_headers(headers: httpx.Headers) -> dict[str, str]:
    """Headers by lower-case name; repeated ones joined, in a canonical form."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        grouped.setdefault(name.lower(), []).append(value)
    normal: dict[str, str] = {}
    for name, values in grouped.items():
        if name in SERVER_HEADERS:
            continue
        if name == "set-cookie":
            normal[name] = " | ".join(sorted(normalise_cookie(v) for v in values))
        elif name in UNORDERED_LISTS:
            items = {item.strip() for value in values for item in value.split(",")}
            if name in HEADER_NAME_LISTS:
                items = {item.lower() for item in items}
            normal[name] = ", ".join(sorted(items))
        else:
            normal[name] = ", ".join(normalise_value(name, v) for v in values)
    if normal.get("content-encoding") == "gzip":
        # The compressed size depends on how the compressor was flushed; the
        # client sees the decoded body, which is compared instead.
        normal.pop("content-length", None)
    return normal


def normalise_value(name: str, value: str) -> str:
    if name == "content-type":
        # "charset=UTF-8" and "charset=utf-8" name the same charset (RFC 9110
        # 8.3.2: parameter values of charset are case-insensitive).
        return value.replace("charset=UTF-8", "charset=utf-8")
    if name == "etag":
        # Each framework derives its ETag from the file's mtime and size in its
        # own way; only whether there is one, and whether it is weak, matters.
        return "W/<etag>" if value.startswith("W/") else "<etag>"
    return value


def normalise_cookie(header: str) -> str:
    """A Set-Cookie with attribute names lower-cased and sorted.

    Attribute names, their order and SameSite's value are case-insensitive
    (RFC 6265 5.2). A signed value is replaced by ``<signed>``, a date by
    whether it is past or future. A cookie that expires at once deletes the
    browser's copy however it says so (``Max-Age=0``, a past ``Expires``, or
    both) and whatever its value: all of that becomes ``<deleted>``.
    """
    pair, *attributes = (part.strip() for part in header.split(";"))
    name, _, value = pair.partition("=")
    if name in SIGNED_COOKIES:
        value = "<signed>"
    normal = {}
    for attribute in attributes:
        key, equals, attribute_value = attribute.partition("=")
        key = key.strip().lower()
        if key == "expires":
            attribute_value = past_or_future(attribute_value)
        elif key == "samesite":
            attribute_value = attribute_value.lower()
        normal[key] = f"{key}{equals}{attribute_value}"
    if (
        normal.get("max-age") == "max-age=0"
        or normal.get("expires") == "expires=<past>"
    ):
        value = "<deleted>"
        normal.pop("max-age", None)
        normal.pop("expires", None)
    return "; ".join([f"{name}={value}", *sorted(normal.values())])


def past_or_future(http_date: str) -> str:
    try:
        moment = parsedate_to_datetime(http_date).timestamp()
    except (TypeError, ValueError):
        return f"<invalid date {http_date!r}>"
    return "<future>" if moment > time.time() else "<past>"


def normalise_body(response: httpx.Response, headers: dict[str, str]) -> Any:
    """The decoded body; a JSON body as its value (whitespace is not meaning)."""
    body = response.content  # httpx undoes Content-Encoding: gzip
    if headers.get("content-type", "").startswith("application/json") and body:
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def diff(ours: Answer, theirs: Answer) -> dict[str, tuple[Any, Any]]:
    """The parts that differ, as ``{part: (microasgi's, Starlette's)}``.

    A part is ``status``, ``body`` or ``header:<name>``.
    """
    found: dict[str, tuple[Any, Any]] = {}
    if ours.status != theirs.status:
        found["status"] = (ours.status, theirs.status)
    for name in sorted(ours.headers.keys() | theirs.headers.keys()):
        mine, other = ours.headers.get(name), theirs.headers.get(name)
        if mine != other:
            found[f"header:{name}"] = (mine, other)
    if ours.body != theirs.body:
        found["body"] = (ours.body, theirs.body)
    return found
