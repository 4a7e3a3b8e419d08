"""Property-based tests for form parsing: urlencoded and multipart bodies.

Forms are built here by a small, independent encoder, then parsed the way
``await request.form()`` does. However the body is cut into chunks (at every
possible point, into single bytes, at random places) the form comes out the
same; any boundary RFC 2046 allows works; and garbage or mangled bodies give
a 400 or a 413, never another error.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from _core_helpers import body_messages, make_scope, run
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from microasgi import App, Request
from microasgi.core.datastructures import Headers, Limits
from microasgi.core.exceptions import HTTPException
from microasgi.core.forms import parse_form
from microasgi.core.uploads import UploadFile
from microasgi.testing.validate import validate

pytestmark = pytest.mark.anyio

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TEXT = st.characters(codec="utf-8")
BOUNDARY_CHARS = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=? "
)
LIMITS = Limits()


async def chunked(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def parse(content_type: str, chunks: list[bytes], **limits: int) -> list[Any]:
    """Parse a form; its items as plain data (uploads become tuples)."""
    headers = Headers([(b"content-type", content_type.encode("latin-1"))])
    limit = Limits(**limits) if limits else LIMITS
    form = await parse_form(headers, chunked(chunks), limit, spool_max_size=64)
    items = [await plain(name, value) for name, value in form.multi_items()]
    await form.close()
    return items


async def plain(name: str, value: str | UploadFile) -> Any:
    if isinstance(value, str):
        return (name, value)
    content = await value.read()
    assert value.size == len(content)
    return (name, value.filename, value.content_type, content)


def splits(body: bytes, points: list[int]) -> list[bytes]:
    """``body`` cut at the given offsets."""
    cuts = sorted({0, len(body), *(point % (len(body) + 1) for point in points)})
    return [body[start:end] for start, end in itertools.pairwise(cuts)]


# application/x-www-form-urlencoded --------------------------------------------------

URLENCODED = "application/x-www-form-urlencoded"
PAIRS = st.lists(
    st.tuples(st.text(TEXT, max_size=6), st.text(TEXT, max_size=8)), max_size=6
)


@SETTINGS
@given(pairs=PAIRS, points=st.lists(st.integers(min_value=0), max_size=5))
async def test_urlencoded_form_round_trips_in_any_chunks(
    pairs: list[tuple[str, str]], points: list[int]
) -> None:
    body = urlencode(pairs).encode("ascii")
    assert await parse(URLENCODED, splits(body, points)) == pairs


@settings(max_examples=30, deadline=None)
@given(pairs=PAIRS.filter(bool))
async def test_urlencoded_form_parses_the_same_split_at_every_point(
    pairs: list[tuple[str, str]],
) -> None:
    body = urlencode(pairs).encode("ascii")
    for point in range(len(body) + 1):
        assert await parse(URLENCODED, [body[:point], body[point:]]) == pairs


@SETTINGS
@given(
    body=st.binary(max_size=120), points=st.lists(st.integers(min_value=0), max_size=4)
)
async def test_urlencoded_any_bytes_parse_the_same_in_any_chunks(
    body: bytes, points: list[int]
) -> None:
    whole = await _outcome(URLENCODED, [body], max_fields=5, max_part_size=20)
    assert (
        await _outcome(URLENCODED, splits(body, points), max_fields=5, max_part_size=20)
        == whole
    )


async def _outcome(content_type: str, chunks: list[bytes], **limits: int) -> Any:
    """The parsed items, or the status of the HTTPException parsing raised."""
    try:
        return await parse(content_type, chunks, **limits)
    except HTTPException as exc:
        assert exc.status_code in (400, 413), exc
        return exc.status_code


# multipart/form-data ----------------------------------------------------------------

NAME_CHARS = st.sampled_from("abcXYZ019 _-.é€")


@dataclass(frozen=True)
class Field:
    """One form field: a text value, or a file (when ``filename`` is set)."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    def encode(self) -> bytes:
        disposition = f'form-data; name="{self.name}"'
        if self.filename is not None:
            disposition += f'; filename="{self.filename}"'
        lines = [f"Content-Disposition: {disposition}"]
        if self.content_type is not None:
            lines.append(f"Content-Type: {self.content_type}")
        return "\r\n".join(lines).encode("utf-8") + b"\r\n\r\n" + self.data

    def expected(self) -> Any:
        if self.filename is None:
            return (self.name, self.data.decode("utf-8", "replace"))
        return (self.name, self.filename, self.content_type, self.data)


FIELDS = st.builds(
    Field,
    name=st.text(NAME_CHARS, max_size=6),
    data=st.binary(max_size=40) | st.text(TEXT, max_size=20).map(str.encode),
    filename=st.none() | st.text(NAME_CHARS, min_size=1, max_size=8),
    content_type=st.sampled_from([None, "text/plain", "application/octet-stream"]),
).map(lambda f: f if f.filename else Field(f.name, f.data))
BOUNDARIES = st.text(st.sampled_from(BOUNDARY_CHARS), min_size=1, max_size=70).filter(
    lambda b: not b.endswith(" ")
)


@dataclass(frozen=True)
class Multipart:
    """A multipart body, its Content-Type and the form it holds."""

    content_type: str
    body: bytes
    expected: list[Any]


def encode_multipart(
    fields: list[Field], boundary: str, preamble: bytes = b"", epilogue: bytes = b""
) -> Multipart:
    delimiter = b"--" + boundary.encode("ascii")
    body = preamble + (b"\r\n" if preamble else b"")
    for field in fields:
        body += delimiter + b"\r\n" + field.encode() + b"\r\n"
    body += delimiter + b"--\r\n" + epilogue
    content_type = f'multipart/form-data; boundary="{boundary}"'
    return Multipart(content_type, body, [field.expected() for field in fields])


@st.composite
def multiparts(draw: st.DrawFn) -> Multipart:
    fields = draw(st.lists(FIELDS, min_size=1, max_size=4))
    boundary = draw(BOUNDARIES)
    preamble = draw(st.sampled_from([b"", b"This is a preamble.", b"\r\n"]))
    epilogue = draw(st.sampled_from([b"", b"epilogue", b"\r\n\r\n"]))
    form = encode_multipart(fields, boundary, preamble, epilogue)
    # A client picks a boundary that occurs nowhere in the content.
    delimiter = b"\r\n--" + boundary.encode("ascii")
    for field in fields:
        assume(delimiter not in b"\r\n" + field.encode() + b"\r\n")
    assume(delimiter not in b"\r\n" + preamble)
    return form


@SETTINGS
@given(form=multiparts(), points=st.lists(st.integers(min_value=0), max_size=6))
async def test_multipart_form_round_trips_in_any_chunks(
    form: Multipart, points: list[int]
) -> None:
    assert await parse(form.content_type, splits(form.body, points)) == form.expected


@settings(max_examples=15, deadline=None)
@given(form=multiparts())
async def test_multipart_form_parses_the_same_split_at_every_point(
    form: Multipart,
) -> None:
    body = form.body
    for point in range(len(body) + 1):
        chunks = [body[:point], body[point:]]
        assert await parse(form.content_type, chunks) == form.expected, point


@settings(max_examples=30, deadline=None)
@given(form=multiparts())
async def test_multipart_form_parses_the_same_byte_by_byte(form: Multipart) -> None:
    chunks = [form.body[index : index + 1] for index in range(len(form.body))]
    assert await parse(form.content_type, chunks) == form.expected


@SETTINGS
@given(boundary=BOUNDARIES, unquoted=st.booleans())
async def test_multipart_any_rfc_boundary_works(boundary: str, unquoted: bool) -> None:
    form = encode_multipart([Field("a", b"1")], boundary)
    content_type = form.content_type
    if unquoted and all(char not in " ()/:=?," for char in boundary):
        content_type = f"multipart/form-data; boundary={boundary}"
    assert await parse(content_type, [form.body]) == [("a", "1")]


@SETTINGS
@given(
    boundary=st.text(
        st.characters(max_codepoint=255, blacklist_characters='"\\'),
        min_size=1,
        max_size=90,
    )
)
async def test_multipart_boundary_outside_rfc_is_a_400(boundary: str) -> None:
    valid = (
        len(boundary) <= 70
        and not boundary.endswith(" ")
        and all(char in BOUNDARY_CHARS for char in boundary)
    )
    assume(not valid)
    body = f"--{boundary}\r\n".encode("latin-1")
    content_type = f'multipart/form-data; boundary="{boundary}"'
    with pytest.raises(HTTPException) as raised:
        await parse(content_type, [body])
    assert raised.value.status_code == 400


@SETTINGS
@given(
    form=multiparts(),
    seed=st.integers(min_value=0, max_value=2**32),
    edits=st.integers(min_value=1, max_value=4),
)
async def test_multipart_mangled_body_gives_a_form_or_4xx(
    form: Multipart, seed: int, edits: int
) -> None:
    body = bytearray(form.body)
    rng = random.Random(seed)
    for _ in range(edits):
        where = rng.randrange(len(body) + 1)
        action = rng.choice(["insert", "delete", "flip"])
        if action == "insert":
            body[where:where] = rng.choice([b"\r\n", b"--", b"\r", b'"', b"\x00", b";"])
        elif where < len(body):
            if action == "delete":
                del body[where]
            else:
                body[where] ^= 0xFF
    whole = await _outcome(form.content_type, [bytes(body)], max_fields=3, max_files=1)
    pieces = [bytes(body[i : i + 7]) for i in range(0, len(body), 7)]
    assert await _outcome(form.content_type, pieces, max_fields=3, max_files=1) == whole


@SETTINGS
@given(body=st.binary(max_size=200), boundary=BOUNDARIES)
async def test_multipart_any_bytes_give_a_form_or_4xx(
    body: bytes, boundary: str
) -> None:
    await _outcome(f'multipart/form-data; boundary="{boundary}"', [body])


@SETTINGS
@given(count=st.integers(min_value=0, max_value=12), limit=st.integers(0, 12))
async def test_multipart_max_fields_is_exact(count: int, limit: int) -> None:
    form = encode_multipart([Field(f"f{n}", b"x") for n in range(count)], "b")
    if count == 0:
        form = Multipart(form.content_type, b"--b--\r\n", [])
    outcome = await _outcome(form.content_type, [form.body], max_fields=limit)
    assert outcome == (form.expected if count <= limit else 413)


# Through the app --------------------------------------------------------------------


def form_app() -> App:
    app = App(max_body_size=2048, max_fields=6, max_files=2, max_part_size=256)

    @app.post("/form")
    async def form(request: Request) -> Any:
        return {"names": list((await request.form()).keys())}

    return app


APP = form_app()


@SETTINGS
@given(
    content_type=st.binary(max_size=60)
    | BOUNDARIES.map(lambda b: f'multipart/form-data; boundary="{b}"'.encode()),
    body=st.binary(max_size=300),
    points=st.lists(st.integers(min_value=0), max_size=3),
)
async def test_app_form_of_any_content_type_and_body_is_below_500(
    content_type: bytes, body: bytes, points: list[int]
) -> None:
    scope = make_scope("POST", "/form", headers=[(b"content-type", content_type)])
    chunks = splits(body, points) or [b""]
    result = await run(validate(APP), scope, body_messages(chunks))
    assert result.status in (200, 400, 413)
