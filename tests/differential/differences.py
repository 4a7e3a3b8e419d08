"""Every known difference from Starlette, with its reason: the one list.

``docs/explanation/guarantees.md`` shows this list as a table, and a test
checks that the two agree. An entry names the cases it covers and the parts of
the answer that differ there (``fnmatch`` patterns over case ids and over
``status``, ``body`` and ``header:<name>``).

- A *deliberate* entry is a choice: in every case it covers, at least one of
  its parts must still differ, so the list cannot keep a difference that is gone.
- A *pending* entry is a known microasgi bug whose fix is on its way (``bug N``
  of the correctness list): it may come and go without failing the suite.
  When the fix lands, delete it, or, where the fix makes microasgi differ
  from Starlette (Starlette has the same bug), make it deliberate.

Any difference no entry covers fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

ANY_PART = ("status", "body", "header:*")
# The conditional requests that FileResponse answers with 304 (fnmatch: "[*]"
# is a literal star).
NOT_MODIFIED = [
    "if-none-match: {etag}",
    "if-none-match: W/{etag}",
    'if-none-match: "other", {etag}',
    "if-none-match: [*]",
    "if-modified-since: {last_modified}",
    "if-modified-since: Wed, 01 Jan 2025 00:00:00 GMT",
]


def not_modified(path: str) -> tuple[str, ...]:
    """The ids of the conditional cases for ``path`` that get a 304."""
    gets = [f"conditional: GET {path} {header}" for header in NOT_MODIFIED]
    return (*gets, f"conditional: HEAD {path} if-none-match: {{etag}}")


@dataclass(frozen=True)
class Difference:
    name: str
    cases: tuple[str, ...]
    parts: tuple[str, ...]
    microasgi: str
    starlette: str
    reason: str
    pending: str | None = None  # "bug N of the correctness list" while its fix is due

    def covers(self, case_id: str) -> bool:
        return any(fnmatchcase(case_id, pattern) for pattern in self.cases)

    def explains(self, part: str) -> bool:
        return any(fnmatchcase(part, pattern) for pattern in self.parts)


DIFFERENCES = [
    Difference(
        "automatic-options",
        (
            "routing (found): OPTIONS *",
            "routing (methods): OPTIONS /things",
            "mounts: OPTIONS /api/hello",
            "cors*: OPTIONS without request method",
            "cors*: preflight without origin",
        ),
        ("status", "body", "header:allow", "header:content-*"),
        "`OPTIONS` on a routed path: 204 with `Allow`",
        "405 Method Not Allowed",
        "OPTIONS asks what a path supports (RFC 9110 9.3.7); the app can answer "
        "that from its routes, so no handler has to",
    ),
    Difference(
        "allow-lists-options",
        (
            "routing (found): POST *",
            "routing (found): PUT *",
            "routing (found): DELETE *",
            "file: POST /file",
            "catch_all: DELETE /items",
            "mounts: POST /api/hello",
        ),
        ("header:allow",),
        "`Allow` on a 405 includes `OPTIONS`",
        "`Allow` lists the route's methods only",
        "every path answers OPTIONS (above), so Allow says so",
    ),
    Difference(
        "allow-lists-every-route",
        (
            "routing (methods): DELETE /things",
            "routing (methods): PATCH /things",
            "routing (methods): TRACE /things",
        ),
        ("header:allow",),
        "`Allow` lists the methods of every route on the path",
        "`Allow` lists the methods of the first route that matched the path",
        "Allow must list every method the resource supports (RFC 9110 10.2.1), "
        "however the handlers are split",
    ),
    Difference(
        "uuid-with-dashes",
        ("converters: GET /uuids/6f1d1a4e55a34a239f0c8a0e0f1b2c3d",),
        ANY_PART,
        "the `uuid` converter takes the 8-4-4-4-12 form with dashes only",
        "dashes are optional",
        "one resource, one URL: the form `url_path_for` builds",
    ),
    Difference(
        "form-needs-form-body",
        ("form: no content type", "form: text/plain body"),
        ANY_PART,
        "`request.form()` on a non-empty body of another type: 400 naming the type",
        "an empty form",
        "silently dropping the body hides a client's mistake; the 400 says what "
        "was expected",
    ),
    Difference(
        "truncated-multipart",
        (
            "multipart: no closing boundary",
            "multipart: truncated in a part",
            "multipart: truncated in headers",
        ),
        ANY_PART,
        "a multipart body cut short: 400",
        "200 with the parts read so far (or none)",
        "a form that lost its end is not the form the client sent",
    ),
    Difference(
        "multipart-preamble",
        ("multipart: preamble before first part",),
        ANY_PART,
        "text before the first boundary is skipped",
        "400 Invalid multipart data",
        "RFC 2046 5.1.1 lets a body start with a preamble, to be ignored",
    ),
    Difference(
        "error-wording",
        (
            "multipart: no name",
            "multipart: no content-disposition",
            "multipart: only the preamble",
            "multipart: LF line endings",
            "multipart: no boundary parameter",
            "multipart: wrong boundary",
        ),
        ("body", "header:content-length"),
        "400 whose text says what was wrong, in microasgi's words",
        "400 with Starlette's words",
        "same status; each framework words its own errors",
    ),
    Difference(
        "malformed-json",
        (
            "json: application/json b'{bad json'",
            "json: application/json b''",
            "json: application/json b'\\xff\\xfe'",
            "json: application/json b'NaN'",
            "json: nested 100,000 deep",
        ),
        ANY_PART,
        "malformed, too deeply nested or NaN JSON to `request.json()`: 400 "
        "saying what was wrong",
        "500 Internal Server Error",
        "a client's mistake is a 4xx, never a 500",
    ),
    Difference(
        "json-needs-json-type",
        ("json: text/plain *", "json: no content type *"),
        ANY_PART,
        "JSON without a JSON `Content-Type`: 400",
        "the body is parsed anyway",
        "a body is what its Content-Type says; guessing lets a cross-site form "
        "post JSON without a preflight",
    ),
    Difference(
        "default-limits",
        ("limits: *",),
        ANY_PART,
        "bodies, form fields and files over `App(max_...)`: 413 naming the setting",
        "no limit on bodies, 1,000 files; too many fields or part headers is a 400",
        "every request is bounded by default, and 413 is the status for too "
        "large (RFC 9110 15.5.14)",
    ),
    Difference(
        "url-from-invalid-host",
        ("url: Host 'bad host!'", "url: Host ''"),
        ("body", "header:content-length"),
        "a missing or invalid `Host` is replaced in `request.url` by the "
        "server's address",
        "`request.url` is built from the Host header as sent",
        "a URL built from an invalid Host is not a URL; links and redirects "
        "made from it would break",
    ),
    Difference(
        "root-path-in-urls",
        (
            "root_path (not in path): GET /echo/url",
            "root_path (not in path): GET /slash",
        ),
        ("body", "header:content-length", "header:location"),
        "when the server sends `root_path` apart from `path` (hypercorn, daphne, "
        "granian), `request.url` and redirects still carry the prefix",
        "the prefix is left out",
        "behind a prefix-stripping proxy, a link without the prefix leads nowhere",
    ),
    Difference(
        "content-disposition-fallback",
        ("file: * /download/unicode",),
        ("header:content-disposition",),
        'a non-ASCII download name: ASCII `filename="..."` and `filename*`',
        "`filename*` only",
        "RFC 6266 4.3: the plain `filename` is the fallback for clients that do "
        "not read `filename*`",
    ),
    Difference(
        "range-416-body",
        ("range: bytes=5000-6000", "range: bytes=-0", "range: bytes=1040-"),
        ("body", "header:content-length"),
        "416 with the text `Range Not Satisfiable`",
        "416 with an empty body",
        "like every other error, the status is also said in words",
    ),
    Difference(
        "invalid-range-ignored",
        ("range: bytes=9-5", "range: items=0-5", "range: bytes=abc", "range: bytes=-"),
        ANY_PART,
        "a malformed `Range`, or another unit: 200 with the whole file",
        "400",
        "RFC 9110 14.2: a server ignores a Range it cannot use, and must ignore "
        "an unknown unit",
    ),
    Difference(
        "multiple-ranges",
        ("range: bytes=0-1,5-6", "range: bytes=0-0,-1"),
        ANY_PART,
        "several ranges: 200 with the whole file",
        "206 `multipart/byteranges`",
        "RFC 9110 14.2 allows it; a multipart answer costs work that grows with "
        "the number of ranges a client may ask for",
    ),
    Difference(
        "fileresponse-304",
        not_modified("/file"),
        ANY_PART,
        "`FileResponse` answers a matching `If-None-Match` / `If-Modified-Since` "
        "with 304",
        "200 with the file (only `StaticFiles` answers 304)",
        "a file sent from a handler deserves the same caching as a static one",
    ),
    Difference(
        "304-keeps-last-modified",
        not_modified("/static/hello.txt"),
        ("header:last-modified",),
        "a 304 carries `ETag` and `Last-Modified`",
        "a 304 carries `ETag` only",
        "the cache refreshes both validators of its copy (RFC 9111 4.3.4)",
    ),
    Difference(
        "compressed-file-type",
        ("static: GET /static/archive.tar.gz",),
        ("header:content-type",),
        "`.tar.gz` is `application/octet-stream`",
        "`application/x-tar`",
        "the bytes are gzip, not tar; calling them tar without "
        "`Content-Encoding: gzip` misleads the client",
    ),
    Difference(
        "mount-root-without-slash",
        ("static: GET /static", "static: GET /site", "errors: GET /api"),
        ANY_PART,
        "`/api` (a mount's prefix) goes to the mounted app as its `/`",
        "307 to `/api/`",
        "the mounted app decides what its root is; no extra round trip",
    ),
    Difference(
        "cors-refused-origin",
        ("cors: simple, other origin",),
        ("header:access-control-*",),
        "no CORS headers for an origin that is not allowed",
        "`Access-Control-Allow-Credentials` and `-Expose-Headers` without "
        "`-Allow-Origin`",
        "headers that grant nothing are noise",
    ),
    Difference(
        "cors-preflight-expose",
        ("cors: preflight allowed", "cors: preflight with allowed header"),
        ("header:access-control-expose-headers",),
        "an allowed preflight also carries `Access-Control-Expose-Headers`",
        "it does not",
        "harmless: browsers read that header on the actual response only",
    ),
    Difference(
        "cors-refused-preflight",
        (
            "cors: preflight with other header",
            "cors: preflight other method",
            "cors: preflight other origin",
        ),
        ("header:access-control-*",),
        "a refused preflight: 400 without `Access-Control-Allow-*`",
        "400 with the allowed origin, methods and headers",
        "a refusal grants nothing, and does not list what would be allowed",
    ),
    Difference(
        "cors-preflight-vary",
        (
            "cors*: preflight allowed",
            "cors*: preflight with *",
            "cors*: preflight other *",
        ),
        ("header:vary",),
        "a preflight answer varies on `Origin`",
        "on `Origin` and the `Access-Control-Request-*` headers",
        "shared caches do not store OPTIONS answers (RFC 9110 9.3.7)",
    ),
    Difference(
        "cors-any-origin-vary",
        ("cors_any: *",),
        ("header:vary",),
        "with `allow_origins=['*']`, no `Vary: Origin`",
        "`Vary: Origin` always",
        "the answer is the same for every origin, so it does not vary on it",
    ),
    Difference(
        "cors-any-method",
        (
            "cors_*any: preflight allowed",
            "cors_*any: preflight with *",
            "cors_*any: preflight other *",
        ),
        ("header:access-control-allow-methods",),
        "with `allow_methods=['*']`, the preflight echoes the requested method",
        "it lists every method Starlette knows",
        "both allow the request; the echo is exact",
    ),
    Difference(
        "gzip-q-zero",
        ("gzip: large body, gzip;q=0",),
        ANY_PART,
        "`Accept-Encoding: gzip;q=0` gets an uncompressed body",
        "gzip",
        "q=0 means not acceptable (RFC 9110 12.5.3)",
    ),
    Difference(
        "gzip-wildcard",
        ("gzip: large body, [*]",),
        ANY_PART,
        "`Accept-Encoding: *` gets gzip",
        "an uncompressed body",
        "`*` matches any coding not listed (RFC 9110 12.5.3)",
    ),
    Difference(
        "gzip-compressed-types",
        ("gzip: png",),
        ANY_PART,
        "every type but event streams is compressed, `image/png` too",
        "already compressed types (images, audio, video, archives) are skipped",
        "harmless to clients, but wasted work; a list of skipped types is a "
        "candidate improvement",
    ),
    Difference(
        "gzip-weak-etag",
        ("gzip: file",),
        ("header:etag",),
        "a compressed file's ETag is made weak (`W/`)",
        "the strong ETag is kept",
        "a strong ETag promises identical bytes, and gzip changed them",
    ),
    Difference(
        "gzip-identity-vary",
        ("gzip: large body, identity", "gzip: large body, no accept-encoding"),
        ("header:vary",),
        "an uncompressed answer has no `Vary: Accept-Encoding`",
        "`Vary: Accept-Encoding` on every answer large enough to compress",
        "the uncompressed answer suits every client; a cache that hands it to "
        "one that takes gzip only sends more bytes",
    ),
    Difference(
        "two-host-headers",
        ("trusted: two Host headers", "trusted: two Host headers, evil first"),
        ANY_PART,
        "a request with two `Host` headers: 400",
        "the first `Host` is checked",
        "RFC 9112 3.2: a request with more than one Host is answered 400",
    ),
    Difference(
        "session-cookie-on-change",
        ("sessions: write again, same value",),
        ("header:set-cookie",),
        "the session cookie is sent when the session changed",
        "on every answer while the session is not empty",
        "fewer, smaller answers; `max_age` counts from the last change",
    ),
    Difference(
        "session-bad-cookie-deleted",
        ("sessions: tampered cookie",),
        ("header:set-cookie",),
        "a tampered or expired session cookie is deleted",
        "it is left in the browser",
        "a cookie that can never be read again should not ride on every request",
    ),
    Difference(
        "handler-500-everywhere",
        ("handler_500: GET /sub/crash",),
        ANY_PART,
        "the 500 handler of the app a mount is in answers the mounted app's errors too",
        "a mounted Starlette app answers its own errors with a plain 500",
        "a 500 handler answers every unhandled error the app serves, mounted "
        "apps' included (Starlette skips them)",
    ),
    Difference(
        "gzip-head-and-ranges",
        ("gzip: file, HEAD",),
        ANY_PART,
        "HEAD of a file gets GET's headers: compressed, with `Vary`",
        "HEAD of a file is left uncompressed (Starlette gives other HEADs "
        "GET's headers)",
        "HEAD answers with the headers GET would have (RFC 9110 9.3.2), a file's too",
    ),
    Difference(
        "url-path-for-encodes",
        ("response: * /urls",),
        ("body", "header:content-length"),
        "`url_path_for` percent-encodes values: `c#` is `/tags/c%23`",
        "values are left as they are, so `/tags/c#` routes back as `/tags/c`",
        "a URL built for a value must route back to that value",
    ),
]


def check(case_id: str, found: dict[str, object]) -> list[str]:
    """What is wrong with a case's differences, as messages (none if all is well)."""
    listed = [entry for entry in DIFFERENCES if entry.covers(case_id)]
    problems = [
        f"new difference in {part}: microasgi {ours!r:.300}, Starlette {theirs!r:.300}"
        for part, (ours, theirs) in found.items()  # type: ignore[misc]
        if not any(entry.explains(part) for entry in listed)
    ]
    for entry in listed:
        if entry.pending is None and not any(entry.explains(part) for part in found):
            problems.append(
                f"listed difference {entry.name!r} no longer occurs here: remove "
                "the case from it (in differences.py and the docs table)"
            )
    return problems


def docs_table() -> str:
    """The Markdown table of ``DIFFERENCES`` that the docs must contain."""
    rows = [
        "| difference | microasgi | Starlette | why |",
        "| --- | --- | --- | --- |",
    ]
    for entry in DIFFERENCES:
        why = entry.reason
        if entry.pending:
            why = f"pending fix ({entry.pending}): {why}"
        rows.append(
            f"| `{entry.name}` | {entry.microasgi} | {entry.starlette} | {why} |"
        )
    return "\n".join(rows)
