"""Property-based tests for what the response side builds.

Byte ranges served by ``FileResponse`` (checked against RFC 9110's rules),
``set_cookie`` headers read back the way a browser would, header and redirect
values that can never split a header, JSON bodies, and Server-Sent Events
framing read back by the WHATWG event-stream algorithm written out below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from _core_helpers import make_scope, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microasgi import JSONResponse, RedirectResponse, Response
from microasgi.batteries.fileresponse import FileResponse
from microasgi.batteries.sse import EventSourceResponse, ServerSentEvent
from microasgi.core.http import parse_cookies
from microasgi.testing.validate import ConversationChecker, validate

pytestmark = pytest.mark.anyio

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TEXT = st.characters(codec="utf-8")
LATIN1 = st.characters(max_codepoint=255)
TOKEN_CHARS = (
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
COOKIE_VALUE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\')


def headers_are_valid(raw: list[tuple[bytes, bytes]]) -> bool:
    checker = ConversationChecker({"type": "http"})
    start = {"type": "http.response.start", "status": 200, "headers": raw}
    return checker.check_send(start) is None


# Range -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ranges")


def file_of_size(folder: Path, size: int) -> tuple[Path, bytes]:
    data = bytes(index * 7 % 256 for index in range(size))
    path = folder / f"{size}.bin"
    if not path.exists():
        path.write_bytes(data)
    return path, data


def expected_range(spec: str, size: int) -> tuple[int, int] | str | None:
    """RFC 9110 section 14.1.2 for one range: (first, last), "416" or None (ignore)."""
    first_text, last_text = spec.split("-")
    if not first_text:
        suffix = int(last_text)
        return "416" if suffix == 0 or size == 0 else (max(size - suffix, 0), size - 1)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        return "416"
    return first, min(int(last_text), size - 1) if last_text else size - 1


RANGES = st.one_of(
    st.tuples(st.integers(0, 300), st.integers(0, 300)).map(lambda r: f"{r[0]}-{r[1]}"),
    st.integers(0, 300).map(lambda first: f"{first}-"),
    st.integers(0, 300).map(lambda suffix: f"-{suffix}"),
)


@SETTINGS
@given(
    size=st.integers(0, 260),
    spec=RANGES,
    spaces=st.sampled_from(["", " "]),
    method=st.sampled_from(["GET", "HEAD"]),
)
async def test_fileresponse_serves_exactly_the_range_asked_for(
    files: Path, size: int, spec: str, spaces: str, method: str
) -> None:
    path, data = file_of_size(files, size)
    header = f"bytes{spaces}={spaces}{spec}"
    scope = make_scope(method, "/", headers=[(b"range", header.encode())])
    result = await run(validate(FileResponse(path)), scope)
    expected = expected_range(spec, size)
    body = b"" if method == "HEAD" else None
    if expected is None:
        assert (result.status, result.header("content-length")) == (200, str(size))
        assert result.body == (data if body is None else body)
    elif not isinstance(expected, tuple):
        assert result.status == 416
        assert result.header("content-range") == f"bytes */{size}"
    else:
        first, last = expected
        assert result.status == 206
        assert result.header("content-range") == f"bytes {first}-{last}/{size}"
        assert result.header("content-length") == str(last - first + 1)
        assert result.body == (data[first : last + 1] if body is None else body)


@SETTINGS
@given(size=st.integers(1, 100), spec=RANGES, matching=st.booleans())
async def test_fileresponse_if_range_with_other_etag_sends_whole_file(
    files: Path, size: int, spec: str, matching: bool
) -> None:
    path, data = file_of_size(files, size)
    whole = await run(FileResponse(path), make_scope("GET", "/"))
    etag = whole.header("etag") if matching else '"other"'
    assert etag is not None
    headers = [(b"range", f"bytes={spec}".encode()), (b"if-range", etag.encode())]
    result = await run(FileResponse(path), make_scope("GET", "/", headers=headers))
    if not matching:
        assert (result.status, result.body) == (200, data)
    else:
        assert result.status in (200, 206, 416)


# Cookies ----------------------------------------------------------------------------


@SETTINGS
@given(
    key=st.text(st.sampled_from(TOKEN_CHARS), min_size=1, max_size=8),
    value=st.text(st.sampled_from(COOKIE_VALUE_CHARS), max_size=12),
    max_age=st.none() | st.integers(-10, 10**9),
    path=st.none() | st.sampled_from(["/", "/app", "/a b"]),
    domain=st.none() | st.sampled_from(["example.com", ".example.com"]),
    flags=st.tuples(st.booleans(), st.booleans()),
    samesite=st.sampled_from(["lax", "strict", "none", None]),
)
def test_set_cookie_round_trips_through_a_browser_reading(
    key: str,
    value: str,
    max_age: int | None,
    path: str | None,
    domain: str | None,
    flags: tuple[bool, bool],
    samesite: Any,
) -> None:
    response = Response()
    response.set_cookie(
        key, value, max_age, None, path, domain, flags[0], flags[1], samesite
    )
    [header] = [v for k, v in response.raw_headers if k == b"set-cookie"]
    assert headers_are_valid(response.raw_headers)
    pair, *attributes = header.decode("latin-1").split("; ")
    assert parse_cookies(pair) == {key: value}
    expected = [
        *([f"Max-Age={max_age}"] if max_age is not None else []),
        *([f"Path={path}"] if path is not None else []),
        *([f"Domain={domain}"] if domain is not None else []),
        *([f"SameSite={samesite.capitalize()}"] if samesite else []),
        *(["Secure"] if flags[0] else []),
        *(["HttpOnly"] if flags[1] else []),
    ]
    assert attributes == expected


@SETTINGS
@given(
    key=st.text(LATIN1 | TEXT, max_size=6),
    value=st.text(LATIN1 | TEXT, max_size=8),
    path=st.text(LATIN1, max_size=8),
)
def test_set_cookie_refuses_or_adds_exactly_one_clean_header(
    key: str, value: str, path: str
) -> None:
    response = Response()
    try:
        response.set_cookie(key, value, path=path or "/")
    except ValueError:
        return
    cookies = [pair for pair in response.raw_headers if pair[0] == b"set-cookie"]
    assert len(cookies) == 1
    assert headers_are_valid(response.raw_headers)
    assert cookies[0][1].decode("latin-1").split("; ")[0] == f"{key}={value}"


@SETTINGS
@given(key=st.text(st.sampled_from(TOKEN_CHARS), min_size=1, max_size=8))
def test_delete_cookie_expires_it_at_once(key: str) -> None:
    response = Response()
    response.delete_cookie(key)
    header = response.headers["set-cookie"]
    assert header.startswith(
        f"{key}=; Max-Age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT"
    )


# Headers and redirects --------------------------------------------------------------


@SETTINGS
@given(
    headers=st.dictionaries(
        st.text(st.sampled_from(TOKEN_CHARS + " :é\r\n"), min_size=1, max_size=6),
        st.text(LATIN1 | TEXT, max_size=10),
        max_size=3,
    )
)
def test_response_headers_are_refused_or_sent_exactly(headers: dict[str, str]) -> None:
    try:
        response = Response(b"x", headers=headers)
    except ValueError:
        return
    assert headers_are_valid(response.raw_headers)
    given_pairs = {
        (k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()
    }
    assert given_pairs <= set(response.raw_headers)


@SETTINGS
@given(url=st.text(TEXT, max_size=30))
def test_redirect_location_never_splits_a_header(url: str) -> None:
    response = RedirectResponse(url)
    location = response.headers["location"]
    assert headers_are_valid(response.raw_headers)
    assert location.isascii()
    assert all(32 < ord(char) < 127 for char in location)
    if "%" not in url:
        assert unquote(location) == url


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(TEXT),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(TEXT, max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@SETTINGS
@given(value=JSON_VALUES)
def test_json_response_body_parses_back_to_the_value(value: Any) -> None:
    response = JSONResponse(value)
    assert json.loads(response.body) == value
    assert response.headers["content-length"] == str(len(response.body))


# Server-Sent Events -----------------------------------------------------------------

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def read_event_stream(stream: str) -> list[dict[str, Any]]:
    """Dispatched events, per WHATWG HTML "Interpreting an event stream"."""
    events: list[dict[str, Any]] = []
    data, event_type, last_id = "", "", ""
    for line in LINE_BREAK.split(stream)[:-1]:  # the part after the last break waits
        if not line:
            if data:
                kind, text = event_type or "message", data.removesuffix("\n")
                events.append({"type": kind, "data": text, "id": last_id})
            data, event_type = "", ""
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event_type = value
        elif field == "data":
            data += value + "\n"
        elif field == "id" and "\0" not in value:
            last_id = value
    return events


SSE_TEXT = st.lists(
    st.text(TEXT, max_size=3) | st.sampled_from(["\r\n", "\r", "\n", ":", " "]),
    max_size=6,
).map("".join)


@SETTINGS
@given(
    data=SSE_TEXT,
    event=st.none() | SSE_TEXT,
    event_id=st.none() | SSE_TEXT,
    comment=st.none() | SSE_TEXT,
)
def test_sse_event_is_read_back_by_a_browser(
    data: str, event: str | None, event_id: str | None, comment: str | None
) -> None:
    try:
        encoded = ServerSentEvent(data, event, event_id, comment=comment).encode()
    except ValueError:
        bad_event = event is not None and LINE_BREAK.search(event)
        bad_id = event_id is not None and (
            LINE_BREAK.search(event_id) or "\0" in event_id
        )
        assert bad_event or bad_id
        return
    [read] = read_event_stream(encoded.decode("utf-8"))
    assert read == {
        "type": event or "message",
        "data": "\n".join(LINE_BREAK.split(data)),
        "id": event_id or "",
    }


SSE_ITEMS = st.lists(
    SSE_TEXT
    | st.dictionaries(st.text(TEXT, max_size=4), st.integers(), max_size=2)
    | st.builds(ServerSentEvent, SSE_TEXT, st.none() | st.text(st.sampled_from("ab ")))
)


@SETTINGS
@given(items=SSE_ITEMS)
async def test_sse_response_stream_is_read_back_item_by_item(items: list[Any]) -> None:
    response = EventSourceResponse(iter(items), ping_interval=None)
    result = await run(validate(response), make_scope("GET", "/"))
    assert result.header("content-type") == "text/event-stream; charset=utf-8"
    read = read_event_stream(result.body.decode("utf-8"))
    assert len(read) == len(items)
    for event, item in zip(read, items, strict=True):
        if isinstance(item, dict):
            assert (event["type"], json.loads(event["data"])) == ("message", item)
            continue
        kind, data = "message", item
        if isinstance(item, ServerSentEvent):
            kind, data = item.event or "message", item.data
        assert (event["type"], event["data"]) == (
            kind,
            "\n".join(LINE_BREAK.split(data)),
        )
