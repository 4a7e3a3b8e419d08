"""Request bodies: urlencoded and multipart forms, JSON, limits, large bodies."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Case, Step

URLENCODED = "application/x-www-form-urlencoded"
URLENCODED_BODIES = [
    b"",
    b"a=1",
    b"a=1&a=2&b=",
    b"a",
    b"a=1&&b=2&",
    b"a=1;b=2",
    b"q=a+b%20c",
    b"q=%zz",
    b"q=%ff",
    b"q=caf%C3%A9",
    b"=value",
    b"a=1=2",
]


def form(body: bytes, content_type: str) -> Step:
    return Step("POST", "/echo/form", (("content-type", content_type),), body)


def urlencoded_cases() -> Iterator[Case]:
    for body in URLENCODED_BODIES:
        yield Case(f"urlencoded: {body!r}", form(body, URLENCODED))
    yield Case(
        "urlencoded: charset parameter",
        form(b"a=1", URLENCODED + "; charset=utf-8"),
    )
    yield Case("form: no content type", Step("POST", "/echo/form", body=b"a=1"))
    yield Case("form: text/plain body", form(b"a=1", "text/plain"))
    yield Case("form: empty body, no content type", Step("POST", "/echo/form"))


BOUNDARY = "diffboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def part(disposition: str, content: bytes = b"v", *headers: str) -> bytes:
    lines = [f"--{BOUNDARY}", f"Content-Disposition: {disposition}", *headers]
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + content + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def file_part(filename: str, content: bytes = b"file body") -> bytes:
    return part(
        f'form-data; name="f"; filename="{filename}"',
        content,
        "Content-Type: text/plain",
    )


MULTIPART_BODIES = {
    "one field": multipart(part('form-data; name="a"', b"1")),
    "two fields, same name": multipart(
        part('form-data; name="a"', b"1"), part('form-data; name="a"', b"2")
    ),
    "empty value": multipart(part('form-data; name="a"', b"")),
    "utf-8 value": multipart(part('form-data; name="a"', "caf\u00e9".encode())),
    "utf-8 name": multipart(part('form-data; name="caf\u00e9"')),
    "file": multipart(file_part("notes.txt")),
    "file with field": multipart(part('form-data; name="a"'), file_part("n.txt")),
    "file without content type": multipart(
        part('form-data; name="f"; filename="raw.bin"', b"\x00\x01")
    ),
    "empty filename": multipart(file_part("")),
    "filename with path": multipart(file_part("../../etc/passwd")),
    "filename with backslashes": multipart(file_part("C:\\Users\\me\\a.txt")),
    "filename with spaces": multipart(file_part("my file name.txt")),
    "filename with semicolon": multipart(file_part("a;b.txt")),
    "filename with escaped quote": multipart(file_part('say \\"hi\\".txt')),
    "filename utf-8": multipart(file_part("r\u00e9sum\u00e9.txt")),
    "filename* rfc 5987": multipart(
        part(
            "form-data; name=\"f\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt",
            b"x",
            "Content-Type: text/plain",
        )
    ),
    "unquoted name": multipart(part("form-data; name=a", b"1")),
    "no name": multipart(part("form-data", b"1")),
    "no content-disposition": multipart(
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode()
    ),
    "part with charset": multipart(
        part('form-data; name="a"', b"1", "Content-Type: text/plain; charset=utf-8")
    ),
    "empty form": f"--{BOUNDARY}--\r\n".encode(),
    "no closing boundary": part('form-data; name="a"', b"1"),
    "truncated in a part": multipart(part('form-data; name="a"', b"1"))[:-30],
    "truncated in headers": f"--{BOUNDARY}\r\nContent-Disp".encode(),
    "only the preamble": b"just some text, no boundary",
    "empty body": b"",
    "preamble before first part": b"ignore me\r\n"
    + multipart(part('form-data; name="a"', b"1")),
    "LF line endings": multipart(part('form-data; name="a"', b"1")).replace(
        b"\r\n", b"\n"
    ),
}


def multipart_cases() -> Iterator[Case]:
    for label, body in MULTIPART_BODIES.items():
        yield Case(f"multipart: {label}", form(body, MULTIPART))
    body = multipart(part('form-data; name="a"', b"1"))
    yield Case("multipart: no boundary parameter", form(body, "multipart/form-data"))
    yield Case(
        "multipart: quoted boundary",
        form(body, f'multipart/form-data; boundary="{BOUNDARY}"'),
    )
    yield Case(
        "multipart: wrong boundary",
        form(body, "multipart/form-data; boundary=other"),
    )


JSON_BODIES = [
    ("application/json", b'{"a": [1, 2.5, null, true]}'),
    ("application/json", b'"just a string"'),
    ("application/json", b"{bad json"),
    ("application/json", b""),
    ("application/json", b"\xff\xfe"),
    ("application/json", b"NaN"),
    ("application/json; charset=utf-8", b'{"a": 1}'),
    ("application/vnd.api+json", b'{"a": 1}'),
    ("text/plain", b'{"a": 1}'),
    ("", b'{"a": 1}'),
]


def json_cases() -> Iterator[Case]:
    for content_type, body in JSON_BODIES:
        headers = (("content-type", content_type),) if content_type else ()
        step = Step("POST", "/echo/json", headers, body)
        yield Case(f"json: {content_type or 'no content type'} {body!r}", step)
    headers = (("content-type", "application/json"),)
    nested = Step("POST", "/echo/json", headers, b"[" * 100_000)
    yield Case("json: nested 100,000 deep", nested)
    yield Case("body: echo", Step("POST", "/echo/body", body=b"\x00raw\xff"))
    yield Case("body: empty", Step("POST", "/echo/body"))


def limit_cases() -> Iterator[Case]:
    """Bodies past microasgi's default limits (Starlette has fewer)."""
    mebibyte = 1024 * 1024
    body = Step("POST", "/echo/body", body=b"x" * (mebibyte + 1))
    yield Case("limits: body over 1 MiB", body)
    fields = "&".join(f"f{number}=1" for number in range(1001)).encode()
    yield Case("limits: 1001 urlencoded fields", form(fields, URLENCODED))
    parts = [part('form-data; name="a"', b"1") for _ in range(1001)]
    yield Case("limits: 1001 multipart fields", form(multipart(*parts), MULTIPART))
    files = [file_part(f"{number}.txt") for number in range(101)]
    yield Case("limits: 101 files", form(multipart(*files), MULTIPART))
    long_header = "X-Long: " + "y" * 9000
    body = multipart(part('form-data; name="a"', b"1", long_header))
    yield Case("limits: 9 KB part header", form(body, MULTIPART))
    many_headers = [f"X-H{number}: v" for number in range(20)]
    body = multipart(part('form-data; name="a"', b"1", *many_headers))
    yield Case("limits: 20 part headers", form(body, MULTIPART))


def large_body_cases() -> Iterator[Case]:
    """Bodies under the limits but past the size kept in memory."""
    big = bytes(range(256)) * 3000  # 768,000 bytes
    body = multipart(file_part("big.bin", big))
    yield Case("large: 750 KB upload", form(body, MULTIPART))
    yield Case("large: 750 KB body", Step("POST", "/echo/body", body=big))
    field = b"v=" + b"z" * 700_000
    yield Case("large: 700 KB urlencoded field", form(field, URLENCODED))
