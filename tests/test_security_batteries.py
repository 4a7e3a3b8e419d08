"""Regression tests for attack classes against the batteries.

Each test names the attack class it guards against (CWE numbers from
cwe.mitre.org) and carries the payload that attack uses.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from _core_helpers import make_scope, run

from microasgi import App, FileResponse, StaticFiles, Templates
from microasgi.batteries.middleware.sessions import SessionMiddleware, Signer
from microasgi.core.http import parse_range
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio

SECRET = "the-secret-key-of-this-app"
SECRET_FILE = "outside.txt"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """tmp/static (served), tmp/outside.txt and tmp/static2/x.txt (not served)."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "hello.txt").write_text("hello")
    (tmp_path / SECRET_FILE).write_text("secret")
    (tmp_path / "static2").mkdir()
    (tmp_path / "static2" / "x.txt").write_text("sibling secret")
    return tmp_path


async def static_status(site: Path, path: str, **options: Any) -> int:
    """Status for a scope ``path`` exactly as a server delivers it (decoded once)."""
    app = StaticFiles(site / "static", **options)
    scope = make_scope("GET", path, root_path="/static")
    return (await run(app, scope)).status


# Path traversal (CWE-22) through StaticFiles --------------------------------------


async def test_static_refuses_dot_dot(site: Path) -> None:
    # CWE-22 relative path traversal: "../" climbs out of the directory.
    assert await static_status(site, "/static/../outside.txt") == 404


async def test_static_refuses_deep_dot_dot(site: Path) -> None:
    # CWE-22: enough "../" to reach the filesystem root.
    assert await static_status(site, "/static/" + "../" * 20 + "etc/passwd") == 404


def test_static_refuses_percent_encoded_dot_dot(site: Path) -> None:
    # CWE-22 via encoding (CWE-177): %2e%2e%2f decodes to "../" in the server.
    app = App()
    app.mount("/static", StaticFiles(site / "static"))
    response = TestClient(app).get("/static/%2e%2e%2foutside.txt")
    assert response.status_code == 404


async def test_static_refuses_double_encoded_dot_dot(site: Path) -> None:
    # CWE-174 double decoding: %252e%252e%252f arrives as the literal
    # "%2e%2e%2f"; decoding it a second time would make it "../".
    assert await static_status(site, "/static/%2e%2e%2foutside.txt") == 404


async def test_static_refuses_backslash(site: Path) -> None:
    # CWE-22 with "\" as separator (Windows; CWE-28 "..\filename").
    assert await static_status(site, "/static/..\\outside.txt") == 404


async def test_static_refuses_drive_letter(site: Path) -> None:
    # CWE-36 absolute path traversal with a drive: "C:" restarts the path.
    assert await static_status(site, "/static/C:/Windows/win.ini") == 404


async def test_static_refuses_unc_path(site: Path) -> None:
    # CWE-40 Windows UNC share path: \\server\share.
    assert await static_status(site, "/static/\\\\server\\share\\x.txt") == 404


async def test_static_refuses_absolute_path(site: Path) -> None:
    # CWE-36: an absolute path after the mount must not replace the directory.
    target = site / SECRET_FILE
    assert await static_status(site, "/static/" + str(target)) == 404
    assert await static_status(site, "/static//" + str(target)) == 404


async def test_static_refuses_nul_byte(site: Path) -> None:
    # CWE-158 NUL byte injection: "hello.txt\0.png" truncated by C APIs.
    assert await static_status(site, "/static/hello.txt\x00.png") == 404


async def test_static_refuses_overlong_utf8_dots(site: Path) -> None:
    # CWE-176 overlong UTF-8 (%c0%ae = "."), decoded leniently to U+FFFD.
    assert await static_status(site, "/static/\ufffd\ufffd/outside.txt") == 404


async def test_static_refuses_symlink_pointing_outside(site: Path) -> None:
    # CWE-61 UNIX symbolic link following: a link inside leads outside.
    (site / "static" / "leak.txt").symlink_to(site / SECRET_FILE)
    assert await static_status(site, "/static/leak.txt") == 404


async def test_static_refuses_symlinked_directory_outside(site: Path) -> None:
    # CWE-61: a linked directory, then a file below it.
    (site / "static" / "linked").symlink_to(site)
    assert await static_status(site, "/static/linked/outside.txt") == 404


async def test_static_refuses_sibling_prefix_directory(site: Path) -> None:
    # CWE-22 sibling-prefix: "/tmp/static2/x" starts with the string "/tmp/static".
    (site / "static" / "two").symlink_to(site / "static2")
    assert await static_status(site, "/static/two/x.txt") == 404
    assert await static_status(site, "/static/../static2/x.txt") == 404


async def test_static_refuses_sibling_prefix_mount(site: Path) -> None:
    # CWE-22 sibling-prefix: path "/static2/x.txt" under root_path "/static".
    assert await static_status(site, "/static2/x.txt") == 404


async def test_static_redirect_is_not_protocol_relative(site: Path) -> None:
    # CWE-601 open redirect: "//evil.example" would be a protocol-relative URL.
    (site / "static" / "evil.example").mkdir()
    (site / "static" / "evil.example" / "index.html").write_text("page")
    app = StaticFiles(site / "static", html=True)
    result = await run(app, make_scope("GET", "//evil.example", root_path=""))
    assert result.status == 307
    assert result.header("location") == "/evil.example/"


@contextlib.contextmanager
def serve(app: Any) -> Iterator[int]:
    """Run ``app`` under uvicorn on a free local port, in a thread; yield the port."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "uvicorn did not start within 5 seconds"
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def raw_status(port: int, target: str) -> int:
    """Send ``GET target`` byte for byte (no client-side normalising)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        connection.sendall(request.encode("latin-1"))
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


TRAVERSAL_TARGETS = [
    "/static/../outside.txt",
    "/static/%2e%2e/outside.txt",
    "/static/%2e%2e%2foutside.txt",
    "/static/%252e%252e%252foutside.txt",
    "/static/..%5coutside.txt",
    "/static/%5c%5cserver%5cshare%5cx.txt",
    "/static/C:%5cWindows%5cwin.ini",
    "/static/hello.txt%00.png",
    "/static/%c0%ae%c0%ae/outside.txt",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/../static2/x.txt",
]


def test_static_traversal_through_a_real_server(site: Path) -> None:
    # CWE-22 end to end: the server's own percent-decoding, then StaticFiles.
    app = App()
    app.mount("/static", StaticFiles(site / "static"))
    with serve(app) as port:
        statuses = {target: raw_status(port, target) for target in TRAVERSAL_TARGETS}
        served = raw_status(port, "/static/hello.txt")
    assert statuses == dict.fromkeys(TRAVERSAL_TARGETS, 404)
    assert served == 200


def test_templates_refuse_traversal_in_name(site: Path) -> None:
    # CWE-22 through a template name built from user input.
    templates = Templates(site / "static")
    with pytest.raises(jinja2.TemplateNotFound):
        templates.render("../outside.txt")


# Range header denial of service (CWE-407, cf. CVE-2011-3192 "Apache Killer") ----


def test_many_ranges_answered_quickly_with_whole_file(tmp_path: Path) -> None:
    # CWE-407 algorithmic complexity: 10,000 ranges must not cost 10,000^2 work.
    (tmp_path / "data.bin").write_bytes(bytes(range(256)) * 40)
    app = App()

    @app.get("/data")
    async def data(request):
        return FileResponse(tmp_path / "data.bin")

    header = "bytes=" + ",".join(f"{index}-{index}" for index in range(10_000))
    started = time.perf_counter()
    response = TestClient(app).get("/data", headers={"range": header})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(response.content) == 10_240
    assert elapsed < 1.0


def test_range_parsing_is_linear() -> None:
    # CWE-407: parsing 100,000 overlapping ranges stays well under a second.
    header = "bytes=" + ",".join("0-" for _ in range(100_000))
    started = time.perf_counter()
    assert parse_range(header, 10) is None
    assert time.perf_counter() - started < 0.5


def test_huge_range_numbers_do_not_error(tmp_path: Path) -> None:
    # CWE-400: a 5,000-digit number would make int() raise (or churn).
    (tmp_path / "a.txt").write_text("abc")
    app = App()

    @app.get("/a")
    async def send(request):
        return FileResponse(tmp_path / "a.txt")

    response = TestClient(app).get("/a", headers={"range": "bytes=" + "9" * 5000 + "-"})
    assert (response.status_code, response.text) == (200, "abc")


# Header injection through a download name (CWE-113 HTTP response splitting) ------


def test_filename_cannot_inject_headers(tmp_path: Path) -> None:
    # CWE-113 / CWE-93 CRLF injection: a user-chosen name ends the header.
    (tmp_path / "a.txt").write_text("abc")
    payload = 'report.txt"\r\nSet-Cookie: admin=1\r\nX-Injected: "yes'
    app = App()

    @app.get("/download")
    async def download(request):
        return FileResponse(tmp_path / "a.txt", filename=payload)

    response = TestClient(app).get("/download")
    disposition = response.headers["content-disposition"]
    assert "set-cookie" not in response.headers
    assert "x-injected" not in response.headers
    assert not any(char in disposition for char in "\r\n")
    assert disposition.count('"') == 2  # only the quotes around the fallback name


# Session cookie tampering (CWE-565, CWE-345) -------------------------------------


def session_client() -> TestClient:
    app = App()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)

    @app.get("/whoami")
    async def whoami(request):
        return {"user": request.session.get("user")}

    return TestClient(app)


def session_user(cookie: str) -> Any:
    header = f"session={cookie}".encode()
    response = session_client().get("/whoami", headers={"cookie": header})
    assert response.status_code == 200
    return response.json()["user"]


def sign(payload: Any, secret: str = SECRET, now: float | None = None) -> str:
    return Signer(secret).sign(json.dumps(payload), now=now)


def test_session_valid_cookie_is_read() -> None:
    # The baseline the tampering tests below depart from.
    assert session_user(sign({"user": "ada"})) == "ada"


def test_session_flipped_signature_byte_is_rejected() -> None:
    # CWE-345: one changed character of the signature.
    cookie = sign({"user": "ada"})
    flipped = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    assert session_user(flipped) is None


def test_session_flipped_payload_byte_is_rejected() -> None:
    # CWE-565: the client edits its own payload ("ada" -> "adm").
    data, timestamp, signature = sign({"user": "ada"}).split(".")
    forged = base64.urlsafe_b64encode(b'{"user":"adm"}').rstrip(b"=").decode()
    assert forged != data
    assert session_user(f"{forged}.{timestamp}.{signature}") is None


def test_session_swapped_payload_is_rejected() -> None:
    # CWE-345: a payload from one valid cookie with another's signature.
    admin_data = sign({"user": "admin"}).split(".")[0]
    _, timestamp, signature = sign({"user": "guest"}).split(".")
    assert session_user(f"{admin_data}.{timestamp}.{signature}") is None


def test_session_truncated_cookie_is_rejected() -> None:
    # CWE-345: a cookie cut short (signature missing).
    cookie = sign({"user": "ada"})
    assert session_user(cookie.rsplit(".", 1)[0]) is None
    assert session_user(cookie[:10]) is None


def test_session_expired_cookie_is_rejected() -> None:
    # CWE-613 insufficient session expiration: a validly signed, 15-day-old cookie.
    old = time.time() - 15 * 24 * 3600
    assert session_user(sign({"user": "ada"}, now=old)) is None


def test_session_extended_timestamp_is_rejected() -> None:
    # CWE-613: moving the timestamp forward to revive an expired cookie.
    old = time.time() - 15 * 24 * 3600
    data, _, signature = sign({"user": "ada"}, now=old).split(".")
    assert session_user(f"{data}.{int(time.time())}.{signature}") is None


def test_session_other_secret_is_rejected() -> None:
    # CWE-345: a cookie signed by another app (or with a guessed key).
    assert session_user(sign({"user": "ada"}, secret="some-other-app-secret")) is None


@pytest.mark.parametrize(
    "cookie", ["", ".", "..", "a.b.c", "é.1.x", "x" * 5000, "a.99999999999999999999.b"]
)
def test_session_garbage_cookie_is_rejected(cookie: str) -> None:
    # CWE-20 improper input validation: junk must give an empty session, not a 500.
    assert session_user(cookie) is None


def test_session_never_unpickles() -> None:
    # CWE-502 deserialisation of untrusted data: even a correctly signed pickle
    # (a leaked key) is not unpickled.
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled')",))

    data = base64.urlsafe_b64encode(pickle.dumps(Boom())).rstrip(b"=").decode()
    signed = f"{data}.{int(time.time())}"
    cookie = f"{signed}.{Signer(SECRET).signature(signed)}"
    assert session_user(cookie) is None


def test_session_tampered_cookie_is_cleared() -> None:
    # CWE-565: the rejected cookie is replaced, not left for the next request.
    response = session_client().get("/whoami", headers={"cookie": "session=forged"})
    assert response.headers["set-cookie"].startswith("session=; Max-Age=0")


# Error details (CWE-209 information exposure through an error message) ----------


def test_debug_page_is_off_by_default() -> None:
    # CWE-209 / CWE-215: a traceback page would leak code, paths and secrets.
    app = App()

    @app.get("/fail")
    async def fail(request):
        raise RuntimeError("database password is hunter2")

    response = TestClient(app, raise_server_exceptions=False).get("/fail")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


def test_debug_page_is_off_by_default_with_middleware() -> None:
    # CWE-209: the same when the error escapes the middleware stack.
    app = App()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)

    @app.get("/fail")
    async def fail(request):
        request.session["x"] = object()  # not JSON: fails while sending the cookie
        return "ok"

    response = TestClient(app, raise_server_exceptions=False).get("/fail")
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    assert "object" not in response.text
