from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest

import microasgi.core.concurrency
import microasgi.core.multipart
import microasgi.core.uploads
from microasgi.core.datastructures import Headers, Limits
from microasgi.core.exceptions import HTTPException
from microasgi.core.forms import parse_form
from microasgi.core.uploads import FormData, UploadFile

pytestmark = pytest.mark.anyio

URLENCODED = "application/x-www-form-urlencoded"
BOUNDARY = b"b0undary"
MULTIPART = "multipart/form-data; boundary=b0undary"


async def stream_of(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def parse(
    body: bytes | list[bytes],
    content_type: str | None = MULTIPART,
    limits: Limits | None = None,
    **options: Any,
) -> FormData:
    raw = [] if content_type is None else [(b"content-type", content_type.encode())]
    chunks = [body] if isinstance(body, bytes) else body
    return await parse_form(
        Headers(raw), stream_of(chunks), limits or Limits(), **options
    )


async def parse_error(body: bytes | list[bytes], *args: Any, **kwargs: Any) -> str:
    """The ``"status: detail"`` of the HTTPException that parsing raises."""
    with pytest.raises(HTTPException) as info:
        await parse(body, *args, **kwargs)
    return str(info.value)


def text_part(name: str, value: bytes, headers: bytes = b"") -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"\r\n'.encode()
    return disposition + headers + b"\r\n" + value


def file_part(
    name: str, filename: str, content: bytes, content_type: str = "text/plain"
) -> bytes:
    return (
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode() + content


def multipart(*parts: bytes) -> bytes:
    delimited = (b"--" + BOUNDARY + b"\r\n" + part + b"\r\n" for part in parts)
    return b"".join(delimited) + b"--" + BOUNDARY + b"--\r\n"


async def snapshot(form: FormData) -> list[tuple[Any, ...]]:
    """The form's items, uploads as (name, filename, content_type, content)."""
    items: list[tuple[Any, ...]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            content = await value.read()
            items.append((name, value.filename, value.content_type, content))
        else:
            items.append((name, value))
    await form.close()
    return items


# --- content types -----------------------------------------------------------------


async def test_parse_form_empty_body_without_content_type_is_empty() -> None:
    form = await parse(b"", content_type=None)
    assert form == FormData()


async def test_parse_form_empty_body_of_another_type_is_empty() -> None:
    form = await parse([b"", b""], content_type="application/json")
    assert form == FormData()


async def test_parse_form_body_without_content_type_is_400() -> None:
    detail = await parse_error(b"a=1", content_type=None)
    assert detail == (
        "400: Expected a form body (application/x-www-form-urlencoded or "
        "multipart/form-data), got no Content-Type"
    )


async def test_parse_form_body_of_another_type_is_400() -> None:
    detail = await parse_error(b"a=1", content_type="text/plain; charset=utf-8")
    assert detail == (
        "400: Expected a form body (application/x-www-form-urlencoded or "
        "multipart/form-data), got 'text/plain'"
    )


async def test_parse_form_media_type_is_case_insensitive() -> None:
    form = await parse(b"a=1", content_type="Application/X-WWW-Form-URLEncoded")
    assert form["a"] == "1"


# --- application/x-www-form-urlencoded ---------------------------------------------


async def test_urlencoded_parses_fields() -> None:
    form = await parse(b"name=Ada&lang=en", URLENCODED)
    assert form.multi_items() == [("name", "Ada"), ("lang", "en")]


async def test_urlencoded_keeps_repeated_keys_in_order() -> None:
    form = await parse(b"tag=a&x=1&tag=b", URLENCODED)
    assert form.getlist("tag") == ["a", "b"]
    assert form["tag"] == "b"


async def test_urlencoded_keeps_blank_values() -> None:
    form = await parse(b"a=&b", URLENCODED)
    assert form.multi_items() == [("a", ""), ("b", "")]


async def test_urlencoded_skips_empty_fields() -> None:
    form = await parse(b"&a=1&&b=2&", URLENCODED)
    assert form.multi_items() == [("a", "1"), ("b", "2")]


async def test_urlencoded_does_not_split_on_semicolons() -> None:
    form = await parse(b"a=1;b=2;a=3", URLENCODED)
    assert form.multi_items() == [("a", "1;b=2;a=3")]


async def test_urlencoded_decodes_plus_and_percent_escapes() -> None:
    form = await parse(b"q=caf%C3%A9+au+lait&k%26=%3D", URLENCODED)
    assert form.multi_items() == [("q", "café au lait"), ("k&", "=")]


async def test_urlencoded_keeps_invalid_percent_escapes_as_sent() -> None:
    form = await parse(b"a=%zz%4&b=100%", URLENCODED)
    assert form.multi_items() == [("a", "%zz%4"), ("b", "100%")]


async def test_urlencoded_replaces_invalid_utf8() -> None:
    form = await parse(b"a=%FF%C3&b=\xfe", URLENCODED)
    assert form.multi_items() == [("a", "\ufffd\ufffd"), ("b", "\ufffd")]


async def test_urlencoded_parses_the_same_at_every_split() -> None:
    body = b"name=Ada+L&tag=a%26b&&tag=%C3%A9&empty=&flag"
    expected = (await parse(body, URLENCODED)).multi_items()
    for split in range(len(body) + 1):
        form = await parse([body[:split], body[split:]], URLENCODED)
        assert form.multi_items() == expected, split


async def test_urlencoded_parses_the_same_in_one_byte_chunks() -> None:
    body = b"name=Ada+L&tag=a%26b&&tag=%C3%A9&empty=&flag"
    form = await parse([body[i : i + 1] for i in range(len(body))], URLENCODED)
    assert form.multi_items() == (await parse(body, URLENCODED)).multi_items()


async def test_urlencoded_max_fields_is_accepted() -> None:
    form = await parse(b"a=1&b=2&c=3", URLENCODED, Limits(max_fields=3))
    assert len(form) == 3


async def test_urlencoded_too_many_fields_is_413() -> None:
    detail = await parse_error(b"a=1&b=2&c=3", URLENCODED, Limits(max_fields=2))
    assert detail == (
        "413: Too many form fields: more than 2; "
        "raise App(max_fields=...) to allow more"
    )


async def test_urlencoded_field_of_max_part_size_is_accepted() -> None:
    form = await parse(b"a=12345678&b=1", URLENCODED, Limits(max_part_size=10))
    assert form["a"] == "12345678"


async def test_urlencoded_oversized_field_is_413() -> None:
    limits = Limits(max_part_size=10)
    detail = await parse_error(b"a=123456789&b=1", URLENCODED, limits)
    assert detail == (
        "413: Form field too large: more than 10 bytes; "
        "raise App(max_part_size=...) to allow more"
    )


async def test_urlencoded_oversized_last_field_is_413() -> None:
    limits = Limits(max_part_size=10)
    detail = await parse_error([b"b=1&a=12", b"3456789"], URLENCODED, limits)
    assert detail.startswith("413: Form field too large")


async def test_urlencoded_endless_field_stops_at_the_limit() -> None:
    chunks_read = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal chunks_read
        yield b"a="
        while True:
            chunks_read += 1
            yield b"x" * 1024

    headers = Headers([(b"content-type", URLENCODED.encode())])
    with pytest.raises(HTTPException) as info:
        await parse_form(headers, endless(), Limits(max_part_size=64 * 1024))
    assert info.value.status_code == 413
    assert chunks_read == 64


# --- multipart/form-data: what it parses -------------------------------------------


async def test_multipart_parses_text_fields() -> None:
    body = multipart(text_part("name", b"Ada"), text_part("note", b"two\r\nlines"))
    form = await parse(body)
    assert form.multi_items() == [("name", "Ada"), ("note", "two\r\nlines")]


async def test_multipart_keeps_repeated_names_in_order() -> None:
    body = multipart(text_part("tag", b"a"), text_part("tag", b"b"))
    form = await parse(body)
    assert form.getlist("tag") == ["a", "b"]


async def test_multipart_parses_a_file() -> None:
    body = multipart(file_part("doc", "notes.txt", b"hello\r\n", "text/plain"))
    upload = (await parse(body))["doc"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "notes.txt"
    assert upload.content_type == "text/plain"
    assert upload.size == 7
    assert upload.headers == Headers(
        [
            (b"content-disposition", b'form-data; name="doc"; filename="notes.txt"'),
            (b"content-type", b"text/plain"),
        ]
    )
    await upload.close()


async def test_multipart_file_is_ready_to_read_from_the_start() -> None:
    body = multipart(file_part("doc", "a.bin", b"\x00\x01binary\xff"))
    upload = (await parse(body))["doc"]
    assert await upload.read() == b"\x00\x01binary\xff"
    await upload.seek(1)
    assert await upload.read(3) == b"\x01bi"
    await upload.close()


async def test_multipart_file_without_content_type_has_none() -> None:
    part = b'Content-Disposition: form-data; name="f"; filename="a"\r\n\r\nx'
    upload = (await parse(multipart(part)))["f"]
    assert upload.content_type is None
    await upload.close()


async def test_multipart_empty_filename_is_still_an_upload() -> None:
    upload = (await parse(multipart(file_part("f", "", b""))))["f"]
    assert isinstance(upload, UploadFile)
    assert (upload.filename, upload.size) == ("", 0)
    await upload.close()


async def test_multipart_filename_is_kept_as_sent() -> None:
    upload = (await parse(multipart(file_part("f", "../../etc/passwd", b"x"))))["f"]
    assert upload.filename == "../../etc/passwd"
    await upload.close()


async def test_multipart_filename_drops_an_old_windows_folder() -> None:
    part = file_part("f", "C:\\Users\\ada\\cv.pdf", b"x")
    upload = (await parse(multipart(part)))["f"]
    assert upload.filename == "cv.pdf"
    await upload.close()


async def test_multipart_filename_star_is_not_decoded() -> None:
    part = (
        b'Content-Disposition: form-data; name="f"; filename="plain.txt"; '
        b"filename*=UTF-8''%C3%A9t%C3%A9.txt\r\n\r\nx"
    )
    upload = (await parse(multipart(part)))["f"]
    assert upload.filename == "plain.txt"
    await upload.close()


async def test_multipart_names_and_filenames_are_utf8() -> None:
    part = 'Content-Disposition: form-data; name="café"; filename="été.txt"\r\n\r\nx'
    form = await parse(multipart(part.encode()))
    assert form["café"].filename == "été.txt"
    await form.close()


async def test_multipart_field_uses_the_part_charset() -> None:
    charset = b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    form = await parse(multipart(text_part("a", b"caf\xe9", charset)))
    assert form["a"] == "café"


async def test_multipart_field_with_an_unknown_charset_is_utf8() -> None:
    charset = b"Content-Type: text/plain; charset=base64\r\n"
    form = await parse(multipart(text_part("a", b"caf\xc3\xa9", charset)))
    assert form["a"] == "café"


async def test_multipart_field_invalid_utf8_is_replaced() -> None:
    form = await parse(multipart(text_part("a", b"ok\xff")))
    assert form["a"] == "ok\ufffd"


async def test_multipart_quoted_boundary_is_accepted() -> None:
    form = await parse(
        multipart(text_part("a", b"1")), 'multipart/form-data; boundary="b0undary"'
    )
    assert form["a"] == "1"


async def test_multipart_boundary_of_70_characters_is_accepted() -> None:
    boundary = "'()+_,-./:=? " * 5 + "aZ09?"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
    body += f"--{boundary}--\r\n"
    content_type = f'multipart/form-data; boundary="{boundary}"'
    form = await parse(body.encode(), content_type)
    assert form["a"] == "1"


async def test_multipart_form_without_parts_is_empty() -> None:
    assert await parse(b"--b0undary--\r\n") == FormData()


async def test_multipart_empty_body_is_an_empty_form() -> None:
    assert await parse(b"") == FormData()


async def test_multipart_preamble_and_epilogue_are_ignored() -> None:
    body = b"preamble\r\n--b0undary\r\n" + multipart(text_part("a", b"1"))[12:]
    form = await parse(body + b"epilogue\r\n--b0undary\r\nmore")
    assert form.multi_items() == [("a", "1")]


# A body that exercises every state: lookalike boundaries in the data, empty
# values, a file with CRLFs, a preamble and an epilogue.
TRICKY_BODY = (
    b"\r\n--b0undar\r\n"
    + multipart(
        text_part("name", b"Ada"),
        text_part("empty", b""),
        file_part("doc", "a.txt", b"x\r\n--b0undar\r\n--b0undaryX\r\n\r\n", "a/b"),
        text_part("tail", b"--b0undary-"),
    )
    + b"epilogue"
)


async def test_multipart_parses_the_same_at_every_split() -> None:
    expected = await snapshot(await parse(TRICKY_BODY))
    assert [item[0] for item in expected] == ["name", "empty", "doc", "tail"]
    for split in range(len(TRICKY_BODY) + 1):
        form = await parse([TRICKY_BODY[:split], TRICKY_BODY[split:]])
        assert await snapshot(form) == expected, split


async def test_multipart_parses_the_same_in_one_byte_chunks() -> None:
    expected = await snapshot(await parse(TRICKY_BODY))
    chunks = [TRICKY_BODY[i : i + 1] for i in range(len(TRICKY_BODY))]
    assert await snapshot(await parse(chunks)) == expected


# --- multipart/form-data: spooling -------------------------------------------------


async def test_multipart_big_file_rolls_over_to_disk() -> None:
    content = os.urandom(2 * 1024 * 1024)
    body = multipart(file_part("f", "big.bin", content, "application/octet-stream"))
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    upload = (await parse(chunks))["f"]
    assert upload.file._rolled  # the stdlib exposes rollover only privately
    assert upload.size == len(content)
    assert await upload.read() == content
    await upload.close()


async def test_multipart_small_file_stays_in_memory() -> None:
    upload = (await parse(multipart(file_part("f", "a.txt", b"small"))))["f"]
    assert not upload.file._rolled
    await upload.close()


async def test_multipart_spool_max_size_sets_the_rollover_point() -> None:
    body = multipart(file_part("f", "a.txt", b"x" * 100))
    upload = (await parse(body, spool_max_size=99))["f"]
    assert upload.file._rolled
    await upload.close()


async def test_multipart_writes_after_rollover_run_on_the_thread_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    pool = microasgi.core.concurrency.default_pool  # parse_form outside an App
    real_run = pool.run

    async def recording_run(func: Any, *args: Any) -> Any:
        calls.append(func.__name__)
        return await real_run(func, *args)

    monkeypatch.setattr(pool, "run", recording_run)
    head = b"--b0undary\r\n" + file_part("f", "a.txt", b"")
    chunks = [head + b"x" * 100, b"x" * 100, b"x" * 100, b"\r\n--b0undary--\r\n"]
    upload = (await parse(chunks, spool_max_size=150))["f"]
    # The first 100 bytes fit in memory; the next 200 are gathered into one write.
    assert calls == ["write", "seek"]
    await upload.close()


# --- multipart/form-data: limits ---------------------------------------------------


async def test_multipart_max_fields_is_accepted() -> None:
    body = multipart(text_part("a", b"1"), file_part("f", "a.txt", b"2"))
    form = await parse(body, limits=Limits(max_fields=2))
    assert len(form.multi_items()) == 2
    await form.close()


async def test_multipart_too_many_fields_is_413() -> None:
    body = multipart(text_part("a", b"1"), file_part("f", "a.txt", b"2"))
    detail = await parse_error(body, limits=Limits(max_fields=1))
    assert detail == (
        "413: Too many form fields: more than 1; "
        "raise App(max_fields=...) to allow more"
    )


async def test_multipart_too_many_files_is_413() -> None:
    body = multipart(file_part("f", "a.txt", b"1"), file_part("f", "b.txt", b"2"))
    detail = await parse_error(body, limits=Limits(max_files=1))
    assert detail == (
        "413: Too many files in the form: more than 1; "
        "raise App(max_files=...) to allow more"
    )


async def test_multipart_field_of_max_part_size_is_accepted() -> None:
    form = await parse(
        multipart(text_part("a", b"x" * 10)), limits=Limits(max_part_size=10)
    )
    assert form["a"] == "x" * 10


async def test_multipart_oversized_field_is_413() -> None:
    body = multipart(text_part("bio", b"x" * 11))
    detail = await parse_error(body, limits=Limits(max_part_size=10))
    assert detail == (
        "413: Form field 'bio' too large: more than 10 bytes; "
        "raise App(max_part_size=...) to allow more"
    )


async def test_multipart_endless_field_stops_at_the_limit() -> None:
    chunks_read = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal chunks_read
        yield b"--b0undary\r\n" + text_part("bio", b"")
        while True:
            chunks_read += 1
            yield b"x" * 1024

    headers = Headers([(b"content-type", MULTIPART.encode())])
    with pytest.raises(HTTPException) as info:
        await parse_form(headers, endless(), Limits(max_part_size=64 * 1024))
    assert info.value.status_code == 413
    assert chunks_read == 65


async def test_multipart_files_are_not_bounded_by_max_part_size() -> None:
    body = multipart(file_part("f", "a.txt", b"x" * 100))
    upload = (await parse(body, limits=Limits(max_part_size=10)))["f"]
    assert upload.size == 100
    await upload.close()


async def test_multipart_max_part_headers_is_accepted() -> None:
    part = text_part("a", b"1", b"X-One: 1\r\n")
    form = await parse(multipart(part), limits=Limits(max_part_headers=2))
    assert form["a"] == "1"


async def test_multipart_too_many_part_headers_is_413() -> None:
    part = text_part("a", b"1", b"X-One: 1\r\nX-Two: 2\r\n")
    detail = await parse_error(multipart(part), limits=Limits(max_part_headers=2))
    assert detail == (
        "413: Too many headers in a part: more than 2; "
        "raise App(max_part_headers=...) to allow more"
    )


async def test_multipart_oversized_part_header_value_is_413() -> None:
    part = text_part("a", b"1", b"X-Big: " + b"v" * 100 + b"\r\n")
    detail = await parse_error(multipart(part), limits=Limits(max_part_header_size=80))
    assert detail == (
        "413: Part header too large: more than 80 bytes; "
        "raise App(max_part_header_size=...) to allow more"
    )


async def test_multipart_oversized_part_header_name_is_413() -> None:
    part = text_part("a", b"1", b"X-" + b"n" * 100 + b": v\r\n")
    limits = Limits(max_part_header_size=80)
    detail = await parse_error(multipart(part), limits=limits)
    assert detail.startswith("413: Part header too large")


async def test_multipart_part_header_size_is_counted_across_chunks() -> None:
    body = multipart(text_part("a", b"1", b"X-Big: " + b"v" * 100 + b"\r\n"))
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    detail = await parse_error(chunks, limits=Limits(max_part_header_size=80))
    assert detail.startswith("413: Part header too large")


async def test_multipart_default_limits_allow_16_headers_of_8_kib() -> None:
    headers = b"".join(b"X-%d: %s\r\n" % (n, b"v" * 8000) for n in range(15))
    form = await parse(multipart(text_part("a", b"1", headers)))
    assert form["a"] == "1"


async def test_multipart_limits_hold_with_python_multipart_without_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_parser = microasgi.core.multipart.MultipartParser

    def parser_without_header_limits(boundary: bytes, callbacks: Any) -> Any:
        return real_parser(boundary, callbacks)

    monkeypatch.setattr(
        microasgi.core.multipart, "MultipartParser", parser_without_header_limits
    )
    part = text_part("a", b"1", b"X-One: 1\r\nX-Two: 2\r\n")
    detail = await parse_error(multipart(part), limits=Limits(max_part_headers=2))
    assert detail.startswith("413: Too many headers in a part")


# --- multipart/form-data: malformed bodies -----------------------------------------


async def test_multipart_without_boundary_is_400() -> None:
    detail = await parse_error(b"--x--", "multipart/form-data")
    assert detail == (
        "400: Invalid multipart boundary: the Content-Type has no boundary parameter"
    )


async def test_multipart_boundary_over_70_characters_is_400() -> None:
    detail = await parse_error(b"", "multipart/form-data; boundary=" + "a" * 71)
    assert detail == (
        "400: Invalid multipart boundary: 71 characters long, "
        "RFC 2046 allows at most 70"
    )


async def test_multipart_boundary_with_forbidden_characters_is_400() -> None:
    detail = await parse_error(b"", 'multipart/form-data; boundary="a{b}"')
    assert detail == (
        "400: Invalid multipart boundary: 'a{b}' has characters RFC 2046 forbids"
    )


async def test_multipart_boundary_ending_in_a_space_is_400() -> None:
    detail = await parse_error(b"", 'multipart/form-data; boundary="ab "')
    assert detail.startswith("400: Invalid multipart boundary: 'ab '")


async def test_multipart_part_without_content_disposition_is_400() -> None:
    detail = await parse_error(multipart(b"Content-Type: text/plain\r\n\r\nx"))
    assert detail == (
        "400: Malformed multipart body: a part has no Content-Disposition header"
    )


async def test_multipart_content_disposition_other_than_form_data_is_400() -> None:
    part = b'Content-Disposition: attachment; name="a"\r\n\r\nx'
    detail = await parse_error(multipart(part))
    assert detail == (
        "400: Malformed multipart body: a part's Content-Disposition is "
        "'attachment', expected 'form-data'"
    )


async def test_multipart_content_disposition_without_name_is_400() -> None:
    part = b'Content-Disposition: form-data; filename="a.txt"\r\n\r\nx'
    detail = await parse_error(multipart(part))
    assert detail == (
        "400: Malformed multipart body: "
        "a part's Content-Disposition has no name parameter"
    )


async def test_multipart_truncated_body_is_400() -> None:
    body = multipart(text_part("a", b"1"))[:-14]
    detail = await parse_error(body)
    assert detail == (
        "400: Malformed multipart body: the body ends before the closing boundary"
    )


async def test_multipart_body_without_the_boundary_is_400() -> None:
    detail = await parse_error(b"--other\r\n\r\n--other--\r\n")
    assert detail == (
        "400: Malformed multipart body: no line '--b0undary' starts a part; "
        "does the Content-Type's boundary match the body?"
    )


async def test_multipart_invalid_part_header_is_400() -> None:
    detail = await parse_error(multipart(b"Not a header\r\n\r\nx"))
    assert detail.startswith("400: Malformed multipart body: ")


async def test_multipart_garbage_after_the_boundary_is_400() -> None:
    detail = await parse_error(b"--b0undaryX\r\n\r\n")
    assert detail.startswith("400: Malformed multipart body: ")


# --- multipart/form-data: hostile bodies -------------------------------------------


async def parse_measured(chunks: Iterable[bytes]) -> tuple[FormData, int, float]:
    """Parse, returning the form, the peak memory allocated and the time taken."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        form = await parse_form(
            Headers([(b"content-type", MULTIPART.encode())]),
            stream_of(chunks),
            Limits(),
        )
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return form, peak, elapsed


FLOOD_CHUNK_COUNT = 64  # 64 chunks of 64 KiB: 4 MiB


async def test_multipart_huge_preamble_is_not_accumulated() -> None:
    chunk = b"preamble text\r\n" * 4096
    chunks = [chunk] * FLOOD_CHUNK_COUNT + [multipart(text_part("a", b"1"))]
    form, peak, elapsed = await parse_measured(chunks)
    assert form["a"] == "1"
    assert peak < 512 * 1024
    assert elapsed < 5


async def test_multipart_crlf_flood_before_the_boundary_is_not_accumulated() -> None:
    chunk = b"\r\n" * 32768
    chunks = [chunk] * FLOOD_CHUNK_COUNT + [multipart(text_part("a", b"1"))]
    form, peak, elapsed = await parse_measured(chunks)
    assert form["a"] == "1"
    assert peak < 512 * 1024
    assert elapsed < 5


async def test_multipart_huge_epilogue_is_not_accumulated() -> None:
    chunk = b"epilogue\r\n--b0undary\r\n" * 2048
    chunks = [multipart(text_part("a", b"1"))] + [chunk] * FLOOD_CHUNK_COUNT
    form, peak, elapsed = await parse_measured(chunks)
    assert form["a"] == "1"
    assert peak < 512 * 1024
    assert elapsed < 5


async def test_multipart_body_without_any_boundary_is_400_without_accumulating() -> (
    None
):
    chunk = b"-" * 65536
    with pytest.raises(HTTPException) as info:
        await parse_measured([chunk] * FLOOD_CHUNK_COUNT)
    assert info.value.status_code == 400


# --- multipart/form-data: no temp file outlives an error ---------------------------


@pytest.fixture
def created_uploads(monkeypatch: pytest.MonkeyPatch) -> list[UploadFile]:
    """Every UploadFile the parser creates."""
    created: list[UploadFile] = []

    class RecordingUploadFile(UploadFile):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(microasgi.core.multipart, "UploadFile", RecordingUploadFile)
    return created


async def test_multipart_limit_error_closes_every_upload(
    created_uploads: list[UploadFile],
) -> None:
    body = multipart(
        file_part("f", "a.txt", b"1"),
        file_part("f", "b.txt", b"2"),
        text_part("a", b"3"),
    )
    await parse_error(body, limits=Limits(max_fields=2))
    assert len(created_uploads) == 2
    assert all(upload.file.closed for upload in created_uploads)


async def test_multipart_malformed_body_closes_every_upload(
    created_uploads: list[UploadFile],
) -> None:
    body = multipart(file_part("f", "a.txt", b"1"), file_part("f", "b.txt", b"2"))
    await parse_error(body[:-10])
    assert len(created_uploads) == 2
    assert all(upload.file.closed for upload in created_uploads)


async def test_multipart_stream_error_closes_every_upload(
    created_uploads: list[UploadFile],
) -> None:
    async def disconnecting() -> AsyncIterator[bytes]:
        yield b"--b0undary\r\n" + file_part("f", "a.txt", b"partial")
        raise ConnectionResetError("client went away")

    headers = Headers([(b"content-type", MULTIPART.encode())])
    with pytest.raises(ConnectionResetError):
        await parse_form(headers, disconnecting(), Limits())
    assert len(created_uploads) == 1
    assert created_uploads[0].file.closed


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
async def test_multipart_error_leaves_no_temp_file_open() -> None:
    body = multipart(file_part("f", "a.txt", b"x" * 1000), file_part("g", "b", b"y"))
    open_before = len(os.listdir("/proc/self/fd"))
    await parse_error(body, limits=Limits(max_files=1), spool_max_size=10)
    assert len(os.listdir("/proc/self/fd")) == open_before
