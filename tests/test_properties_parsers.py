"""Property-based tests for what the request side parses.

Query strings, headers, cookies, Content-Type options, percent-decoding and
JSON bodies: each parser round-trips what a well-behaved client sends, and a
whole app fed hostile scopes (arbitrary bytes and text wherever a server could
put them, lying Content-Length) answers with a status below 500 and never
breaks the ASGI spec (every call goes through ``validate``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_from_bytes

import pytest
from _core_helpers import body_messages, make_scope, run
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from microasgi import App, JSONResponse, Request
from microasgi.core.datastructures import (
    Headers,
    MutableHeaders,
    QueryParams,
)
from microasgi.core.http import encode_header, parse_cookies
from microasgi.core.requests import is_json_type
from microasgi.core.types import Scope
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


# Query strings ---------------------------------------------------------------------


@SETTINGS
@given(pairs=st.lists(st.tuples(st.text(TEXT), st.text(TEXT)), max_size=6))
def test_query_params_round_trip_through_str(pairs: list[tuple[str, str]]) -> None:
    encoded = str(QueryParams(pairs)).encode("ascii")
    assert QueryParams(encoded).multi_items() == pairs


@SETTINGS
@given(raw=st.binary(max_size=20))
def test_query_params_decode_any_bytes_as_lenient_utf8(raw: bytes) -> None:
    params = QueryParams(b"k=" + quote_from_bytes(raw, safe="").encode("ascii"))
    assert params["k"] == raw.decode("utf-8", "replace")


@SETTINGS
@given(query=st.binary(max_size=60))
def test_query_params_parse_any_bytes(query: bytes) -> None:
    params = QueryParams(query)
    for key, value in params.multi_items():
        assert isinstance(key, str)
        assert isinstance(value, str)
        assert value in params.getlist(key)


@SETTINGS
@given(
    pairs=st.lists(
        st.tuples(
            st.text(st.sampled_from("ab;,/é")), st.text(st.sampled_from("xy;,/é"))
        ),
        max_size=5,
    )
)
def test_query_params_split_on_ampersand_only(pairs: list[tuple[str, str]]) -> None:
    # A ";" is data, not a separator (web cache "parameter cloaking").
    query = "&".join(f"{key}={value}" for key, value in pairs).encode()
    assert QueryParams(query).multi_items() == pairs


# Headers ----------------------------------------------------------------------------

HEADER_NAMES = st.sampled_from([b"accept", b"x-a", b"set-cookie", b"host"])
RAW_HEADERS = st.lists(st.tuples(HEADER_NAMES, st.binary(max_size=10)), max_size=8)


@SETTINGS
@given(raw=RAW_HEADERS, name=HEADER_NAMES, upper=st.booleans())
def test_headers_lookup_matches_the_raw_pairs(
    raw: list[tuple[bytes, bytes]], name: bytes, upper: bool
) -> None:
    headers = Headers(raw)
    key = name.decode().upper() if upper else name.decode()
    values = [v.decode("latin-1") for k, v in raw if k == name]
    assert headers.getlist(key) == values
    assert headers.get(key) == (values[0] if values else None)
    assert (key in headers) == bool(values)


@SETTINGS
@given(
    raw=st.lists(st.tuples(st.binary(min_size=1, max_size=3), st.binary(max_size=4)))
)
@example(raw=[(b"\xc0", b"x")])  # a non-ASCII name byte: "\xc0".lower() is "\xe0"
def test_headers_every_listed_name_can_be_looked_up(
    raw: list[tuple[bytes, bytes]],
) -> None:
    headers = Headers([(name.lower(), value) for name, value in raw])
    for name in headers:
        assert headers[name] == headers.getlist(name)[0]
        assert name in headers


@SETTINGS
@given(
    name=st.text(LATIN1 | TEXT, max_size=8), value=st.text(LATIN1 | TEXT, max_size=12)
)
def test_encode_header_refuses_or_gives_a_valid_pair(name: str, value: str) -> None:
    try:
        pair = encode_header(name, value)
    except ValueError:
        valid_name = bool(name) and all(char in TOKEN_CHARS for char in name)
        latin1 = all(ord(char) < 256 for char in value)
        controls = any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value)
        assert not valid_name or not latin1 or controls
        return
    checker = ConversationChecker({"type": "http"})
    start = {"type": "http.response.start", "status": 200, "headers": [pair]}
    assert checker.check_send(start) is None
    assert pair == (name.lower().encode("latin-1"), value.encode("latin-1"))


@SETTINGS
@given(
    operations=st.lists(
        st.tuples(
            st.sampled_from(["set", "append", "delete"]),
            st.sampled_from(["X-A", "x-a", "Accept"]),
            st.text(st.sampled_from("ab é\t"), max_size=4),
        ),
        max_size=8,
    )
)
def test_mutable_headers_follow_a_dict_of_lists(
    operations: list[tuple[str, str, str]],
) -> None:
    headers, model = MutableHeaders(), dict[str, list[str]]()
    for operation, name, value in operations:
        key = name.lower()
        if operation == "set":
            headers[name] = value
            model[key] = [value]
        elif operation == "append":
            headers.append(name, value)
            model.setdefault(key, []).append(value)
        else:
            del headers[name]
            model.pop(key, None)
    assert {key: headers.getlist(key) for key in model} == model
    assert set(headers) == set(model)


# Cookies ----------------------------------------------------------------------------


@SETTINGS
@given(header=st.text(LATIN1, max_size=60))
def test_parse_cookies_accepts_any_header(header: str) -> None:
    cookies = parse_cookies(header)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in cookies.items())


@SETTINGS
@given(
    pairs=st.lists(
        st.tuples(
            st.text(st.sampled_from(TOKEN_CHARS), min_size=1, max_size=6),
            st.text(st.sampled_from(COOKIE_VALUE_CHARS), max_size=8),
        ),
        max_size=5,
    )
)
def test_parse_cookies_round_trips_valid_pairs(pairs: list[tuple[str, str]]) -> None:
    header = "; ".join(f"{name}={value}" for name, value in pairs)
    assert parse_cookies(header) == dict(pairs)


# Content-Type options ---------------------------------------------------------------

MEDIA_TYPES = st.sampled_from(
    [
        "application/json",
        "application/ld+json",
        "text/plain",
        "application/jsonx",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "json",
        "",
    ]
)


@SETTINGS
@given(
    media_type=MEDIA_TYPES,
    upper=st.booleans(),
    space=st.sampled_from(["", " ", "\t"]),
    params=st.text(LATIN1, max_size=20),
)
def test_is_json_type_reads_only_the_media_type(
    media_type: str, upper: bool, space: str, params: str
) -> None:
    header = f"{space}{media_type.upper() if upper else media_type}{space};{params}"
    expected = media_type == "application/json" or media_type.endswith("+json")
    assert is_json_type({"content-type": header}) is expected


# Through a whole app ----------------------------------------------------------------


def make_app(**limits: Any) -> App:
    app = App(**limits)

    @app.route("/inspect", methods=["GET", "POST", "HEAD", "OPTIONS"])
    async def inspect(request: Request) -> Any:
        return {
            "url": str(request.url),
            "query": request.query_params.multi_items(),
            "cookies": request.cookies,
            "headers": dict(request.headers),
            "client": request.client,
        }

    @app.post("/json")
    async def echo_json(request: Request) -> Any:
        return JSONResponse({"echo": await request.json()})

    @app.post("/form")
    async def form(request: Request) -> Any:
        items = (await request.form()).multi_items()
        return {"names": [name for name, _ in items]}

    @app.post("/body")
    async def body(request: Request) -> Any:
        return {"size": len(await request.body())}

    @app.post("/stream")
    async def stream(request: Request) -> Any:
        return {"size": sum([len(chunk) async for chunk in request.stream()])}

    @app.get("/items/{item_id:int}/{rest:path}")
    async def item(request: Request, item_id: int, rest: str) -> Any:
        return {"id": item_id, "rest": rest}

    return app


APP = make_app(max_body_size=256, max_fields=8, max_part_size=64)
JSON_APP = make_app()
ROUTES = ["/inspect", "/json", "/form", "/body", "/stream", "/items/1/x", "/nope"]
KNOWN_HEADERS = st.sampled_from(
    [
        b"host",
        b"cookie",
        b"content-type",
        b"content-length",
        b"transfer-encoding",
        b"x-forwarded-host",
        b"accept",
        b"range",
    ]
)


async def answer(scope: Scope, chunks: list[bytes]) -> int:
    """Run the app (validated) on ``scope``; the status it answered with."""
    result = await run(validate(APP), scope, body_messages(chunks or [b""]))
    assert result.messages, "the app sent nothing"
    return result.status


@SETTINGS
@given(
    method=st.sampled_from(["GET", "POST", "HEAD", "OPTIONS", "PUT", "BREW"]),
    path=st.sampled_from(ROUTES) | st.text(TEXT, max_size=30),
    raw_path=st.binary(max_size=30),
    query=st.binary(max_size=40),
    headers=st.lists(
        st.tuples(
            KNOWN_HEADERS | st.binary(min_size=1, max_size=8), st.binary(max_size=40)
        ),
        max_size=6,
    ),
    chunks=st.lists(st.binary(max_size=100), max_size=4),
)
@example(
    method="GET",
    path="/inspect",
    raw_path=b"",
    query=b"",
    headers=[(b"\xc0", b"")],
    chunks=[],
)
async def test_app_answers_hostile_scope_below_500(
    method: str,
    path: str,
    raw_path: bytes,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
) -> None:
    scope = make_scope(
        method, path, query=query, headers=[(k.lower(), v) for k, v in headers]
    )
    scope["raw_path"] = raw_path
    assert await answer(scope, chunks) < 500


@SETTINGS
@given(
    path=st.sampled_from(["/json", "/form", "/body", "/stream"]),
    content_type=st.binary(max_size=60)
    | st.sampled_from(
        [
            b"application/json",
            b"multipart/form-data; boundary=b",
            b"application/x-www-form-urlencoded",
        ]
    ),
    content_length=st.text(LATIN1, max_size=6)
    | st.integers(min_value=0, max_value=1000).map(str),
    chunks=st.lists(st.binary(max_size=120), max_size=4),
)
@example(path="/body", content_type=b"", content_length="\xb2", chunks=[b"ab"])
@example(path="/body", content_type=b"", content_length="1" * 5000, chunks=[b"x"])
async def test_app_answers_any_body_and_content_length_below_500(
    path: str, content_type: bytes, content_length: str, chunks: list[bytes]
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", content_length.encode("latin-1")),
    ]
    assert await answer(make_scope("POST", path, headers=headers), chunks) < 500


# JSON bodies ------------------------------------------------------------------------

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
@given(
    value=JSON_VALUES,
    content_type=st.sampled_from(
        [
            b"application/json",
            b"application/json; charset=utf-8",
            b"application/vnd.x+json",
        ]
    ),
)
async def test_request_json_round_trips_any_json_value(
    value: Any, content_type: bytes
) -> None:
    body = json.dumps(value).encode("utf-8")
    scope = make_scope("POST", "/json", headers=[(b"content-type", content_type)])
    result = await run(validate(JSON_APP), scope, body_messages(body))
    assert result.status == 200
    assert json.loads(result.body) == {"echo": value}


@SETTINGS
@given(
    body=st.binary(max_size=80)
    | st.text(st.sampled_from('[]{}":,1e-.tfnul\\ '), max_size=40).map(str.encode)
)
@example(body=b"NaN")
@example(body=b'{"a": -Infinity}')
async def test_request_json_any_body_is_json_or_400(body: bytes) -> None:
    scope = make_scope(
        "POST", "/json", headers=[(b"content-type", b"application/json")]
    )
    result = await run(validate(APP), scope, body_messages(body))
    try:
        expected: Any = json.loads(body, parse_constant=_refuse_constant)
    except ValueError:
        assert result.status == 400
        assert result.text.startswith("Invalid JSON")
    else:
        assert result.status == 200
        assert json.loads(result.body) == {"echo": expected}


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); a client's mistake, so 400.
    raise ValueError(f"{name} is not JSON")


# Percent-decoding --------------------------------------------------------------------


@SETTINGS
@given(segment=st.text(TEXT, min_size=1, max_size=10).filter(lambda s: "/" not in s))
@example(segment="line\nbreak")  # %0A decoded: the path converter must match it too
async def test_app_path_params_are_the_decoded_path(segment: str) -> None:
    # The server percent-decodes the path; the app hands the decoded text over as is.
    path = f"/items/7/{segment}"
    scope = make_scope("GET", path)
    scope["raw_path"] = quote(path).encode("ascii")
    result = await run(validate(APP), scope, body_messages(b""))
    assert result.status == 200
    assert json.loads(result.body) == {"id": 7, "rest": segment}
