"""FileResponse: headers, chunked streaming, conditional and range requests."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from _core_helpers import call, make_scope, run
from hypothesis import given, settings
from hypothesis import strategies as st

import microasgi.batteries.fileresponse
from microasgi import App, BackgroundTask
from microasgi.batteries.fileresponse import FileResponse
from microasgi.core.http import ByteRange, content_disposition, parse_range
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio

CONTENT = b"0123456789abcdefghij"  # 20 bytes


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_bytes(CONTENT)
    return path


def client_for(response: FileResponse, **options) -> TestClient:
    app = App()

    @app.route("/file", methods=["GET", "POST"])
    async def send_file(request):
        return response

    return TestClient(app, **options)


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(timezone.utc), usegmt=True)


def modified_at(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)


# Plain GET and HEAD -----------------------------------------------------------


def test_fileresponse_sends_file_with_entity_headers(text_file: Path) -> None:
    response = client_for(FileResponse(text_file)).get("/file")
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-length"] == "20"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["last-modified"] == http_date(modified_at(text_file))
    assert response.headers["etag"].startswith('"')


def test_fileresponse_etag_changes_with_content(text_file: Path) -> None:
    client = client_for(FileResponse(text_file))
    before = client.get("/file").headers["etag"]
    text_file.write_bytes(CONTENT + b"!")
    assert client.get("/file").headers["etag"] != before


async def test_fileresponse_streams_in_chunks(text_file: Path) -> None:
    result = await call(FileResponse(text_file, chunk_size=8), "GET", "/file")
    assert result.messages[1:] == [
        {"type": "http.response.body", "body": b"01234567", "more_body": True},
        {"type": "http.response.body", "body": b"89abcdef", "more_body": True},
        {"type": "http.response.body", "body": b"ghij", "more_body": True},
        {"type": "http.response.body", "body": b""},
    ]


async def test_fileresponse_head_sends_headers_only(text_file: Path) -> None:
    result = await call(FileResponse(text_file), "HEAD", "/file")
    assert result.status == 200
    assert result.header("content-length") == "20"
    assert result.messages[1:] == [{"type": "http.response.body", "body": b""}]


def test_fileresponse_guesses_media_type_from_filename(text_file: Path) -> None:
    response = FileResponse(text_file, filename="page.html")
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_fileresponse_unknown_type_is_octet_stream(tmp_path: Path) -> None:
    response = FileResponse(tmp_path / "data.unknownext")
    assert response.headers["content-type"] == "application/octet-stream"


def test_fileresponse_compressed_file_is_octet_stream(tmp_path: Path) -> None:
    # .tar.gz is a gzip stream, not a tar file, unless Content-Encoding says so.
    response = FileResponse(tmp_path / "backup.tar.gz")
    assert response.headers["content-type"] == "application/octet-stream"


def test_fileresponse_media_type_argument_wins(text_file: Path) -> None:
    response = FileResponse(text_file, media_type="application/x-notes")
    assert response.headers["content-type"] == "application/x-notes"


def test_fileresponse_keeps_given_headers(text_file: Path) -> None:
    response = FileResponse(text_file, headers={"cache-control": "max-age=60"})
    got = client_for(response).get("/file")
    assert got.headers["cache-control"] == "max-age=60"


def test_fileresponse_uses_given_stat_result(text_file: Path) -> None:
    stat_result = text_file.stat()
    text_file.write_bytes(CONTENT * 2)  # the given stat wins: 20 bytes are sent
    response = client_for(FileResponse(text_file, stat_result=stat_result)).get("/file")
    assert response.content == CONTENT


def test_fileresponse_runs_background_task(text_file: Path) -> None:
    ran: list[str] = []
    task = BackgroundTask(ran.append, "done")
    client_for(FileResponse(text_file, background=task)).get("/file")
    assert ran == ["done"]


def test_fileresponse_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    response = client_for(FileResponse(tmp_path / "empty.txt")).get("/file")
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "0"


def test_fileresponse_rejects_bad_chunk_size(text_file: Path) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        FileResponse(text_file, chunk_size=0)


# Errors -----------------------------------------------------------------------


async def test_fileresponse_missing_file_raises_before_sending(tmp_path: Path) -> None:
    sent = []

    async def send(message):
        sent.append(message)

    response = FileResponse(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match="check that it exists"):
        await response(make_scope("GET", "/file"), None, send)
    assert sent == []


def test_fileresponse_missing_file_gives_500(tmp_path: Path) -> None:
    response = FileResponse(tmp_path / "missing.txt")
    client = client_for(response, raise_server_exceptions=False)
    assert client.get("/file").status_code == 500


async def test_fileresponse_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="regular file"):
        await call(FileResponse(tmp_path), "GET", "/file")


async def test_fileresponse_file_shrinking_mid_send_raises(text_file: Path) -> None:
    # Content-Length promised 40 bytes; the connection must not end cleanly.
    values = list(text_file.stat())
    values[6] = 40  # st_size
    response = FileResponse(text_file, stat_result=os.stat_result(values))
    with pytest.raises(RuntimeError, match="shrank"):
        await call(response, "GET", "/file")


async def test_fileresponse_disconnect_stops_reading_and_closes_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 100_000)
    closed: list[bool] = []
    close = microasgi.batteries.fileresponse.FileChunks.close

    def close_and_record(self) -> None:
        close(self)
        closed.append(self.file.closed)

    monkeypatch.setattr(
        microasgi.batteries.fileresponse.FileChunks, "close", close_and_record
    )
    response = FileResponse(tmp_path / "big.bin", chunk_size=10)
    scope = make_scope("GET", "/file")
    result = await run(response, scope, disconnect_after=2)
    sent = sum(len(message.get("body", b"")) for message in result.messages[1:])
    assert sent < 100_000
    assert closed == [True]


async def test_fileresponse_closes_file_after_full_send(
    text_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []
    close = microasgi.batteries.fileresponse.FileChunks.close

    def close_and_record(self) -> None:
        close(self)
        closed.append(True)

    monkeypatch.setattr(
        microasgi.batteries.fileresponse.FileChunks, "close", close_and_record
    )
    await call(FileResponse(text_file), "GET", "/file")
    assert closed == [True]


# Conditional requests -----------------------------------------------------------


def test_fileresponse_matching_if_none_match_gives_304(text_file: Path) -> None:
    client = client_for(FileResponse(text_file))
    etag = client.get("/file").headers["etag"]
    response = client.get("/file", headers={"if-none-match": etag})
    assert (response.status_code, response.content) == (304, b"")
    assert response.headers["etag"] == etag


def test_fileresponse_304_leaves_out_body_headers(text_file: Path) -> None:
    response = FileResponse(text_file, headers={"cache-control": "no-cache"})
    client = client_for(response)
    etag = client.get("/file").headers["etag"]
    got = client.get("/file", headers={"if-none-match": etag})
    assert "content-type" not in got.headers
    assert "content-length" not in got.headers
    assert got.headers["cache-control"] == "no-cache"
    assert "last-modified" in got.headers


def test_fileresponse_weak_etag_in_list_matches(text_file: Path) -> None:
    client = client_for(FileResponse(text_file))
    etag = client.get("/file").headers["etag"]
    header = f'"other", W/{etag}'
    assert client.get("/file", headers={"if-none-match": header}).status_code == 304


def test_fileresponse_if_none_match_star_matches(text_file: Path) -> None:
    client = client_for(FileResponse(text_file))
    assert client.get("/file", headers={"if-none-match": "*"}).status_code == 304


def test_fileresponse_stale_if_none_match_gives_200(text_file: Path) -> None:
    client = client_for(FileResponse(text_file))
    response = client.get("/file", headers={"if-none-match": '"stale"'})
    assert (response.status_code, response.content) == (200, CONTENT)


def test_fileresponse_if_modified_since_unchanged_gives_304(text_file: Path) -> None:
    since = http_date(modified_at(text_file))
    client = client_for(FileResponse(text_file))
    response = client.get("/file", headers={"if-modified-since": since})
    assert response.status_code == 304


def test_fileresponse_if_modified_since_older_gives_200(text_file: Path) -> None:
    since = http_date(modified_at(text_file) - timedelta(hours=1))
    client = client_for(FileResponse(text_file))
    response = client.get("/file", headers={"if-modified-since": since})
    assert (response.status_code, response.content) == (200, CONTENT)


def test_fileresponse_if_modified_since_without_zone_is_utc(text_file: Path) -> None:
    # RFC 5322 "-0000" means "zone unknown"; it is read as UTC.
    since = http_date(modified_at(text_file)).replace("GMT", "-0000")
    client = client_for(FileResponse(text_file))
    response = client.get("/file", headers={"if-modified-since": since})
    assert response.status_code == 304


def test_fileresponse_invalid_if_modified_since_is_ignored(text_file: Path) -> None:
    client = client_for(FileResponse(text_file))
    response = client.get("/file", headers={"if-modified-since": "yesterday-ish"})
    assert response.status_code == 200


def test_fileresponse_if_none_match_takes_precedence(text_file: Path) -> None:
    # The date alone would give 304; the stale ETag decides: 200.
    since = http_date(modified_at(text_file) + timedelta(hours=1))
    headers = {"if-none-match": '"stale"', "if-modified-since": since}
    response = client_for(FileResponse(text_file)).get("/file", headers=headers)
    assert response.status_code == 200


def test_fileresponse_conditions_ignored_for_post(text_file: Path) -> None:
    response = client_for(FileResponse(text_file)).post(
        "/file", headers={"if-none-match": "*", "range": "bytes=0-1"}
    )
    assert (response.status_code, response.content) == (200, CONTENT)


def test_fileresponse_conditions_ignored_for_non_200(text_file: Path) -> None:
    response = client_for(FileResponse(text_file, status_code=404)).get(
        "/file", headers={"if-none-match": "*", "range": "bytes=0-1"}
    )
    assert (response.status_code, response.content) == (404, CONTENT)


# Range requests ----------------------------------------------------------------


def get_range(path: Path, header: str, **headers: str):
    client = client_for(FileResponse(path))
    return client.get("/file", headers={"range": header, **headers})


def test_fileresponse_range_gives_206(text_file: Path) -> None:
    response = get_range(text_file, "bytes=2-5")
    assert (response.status_code, response.content) == (206, b"2345")
    assert response.headers["content-range"] == "bytes 2-5/20"
    assert response.headers["content-length"] == "4"


def test_fileresponse_open_ended_range(text_file: Path) -> None:
    response = get_range(text_file, "bytes=15-")
    assert (response.status_code, response.content) == (206, b"fghij")
    assert response.headers["content-range"] == "bytes 15-19/20"


def test_fileresponse_suffix_range(text_file: Path) -> None:
    response = get_range(text_file, "bytes=-3")
    assert (response.status_code, response.content) == (206, b"hij")
    assert response.headers["content-range"] == "bytes 17-19/20"


def test_fileresponse_suffix_longer_than_file_sends_all(text_file: Path) -> None:
    response = get_range(text_file, "bytes=-500")
    assert (response.status_code, response.content) == (206, CONTENT)


def test_fileresponse_range_end_past_size_is_clamped(text_file: Path) -> None:
    response = get_range(text_file, "bytes=18-1000")
    assert (response.status_code, response.content) == (206, b"ij")
    assert response.headers["content-range"] == "bytes 18-19/20"


def test_fileresponse_range_past_end_gives_416(text_file: Path) -> None:
    response = get_range(text_file, "bytes=20-30")
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */20"


def test_fileresponse_zero_suffix_range_gives_416(text_file: Path) -> None:
    assert get_range(text_file, "bytes=-0").status_code == 416


def test_fileresponse_multiple_ranges_send_whole_file(text_file: Path) -> None:
    response = get_range(text_file, "bytes=0-1,5-6")
    assert (response.status_code, response.content) == (200, CONTENT)


@pytest.mark.parametrize(
    "header",
    ["bytes=abc", "items=0-1", "bytes=5-2", "bytes=-", "bytes=0-99999999999999999999"],
)
def test_fileresponse_malformed_range_is_ignored(text_file: Path, header: str) -> None:
    response = get_range(text_file, header)
    assert (response.status_code, response.content) == (200, CONTENT)


def test_fileresponse_head_range_sends_headers_only(text_file: Path) -> None:
    client = client_for(FileResponse(text_file))
    response = client.head("/file", headers={"range": "bytes=0-3"})
    assert (response.status_code, response.content) == (206, b"")
    assert response.headers["content-length"] == "4"


def test_fileresponse_if_range_current_etag_honours_range(text_file: Path) -> None:
    etag = client_for(FileResponse(text_file)).get("/file").headers["etag"]
    response = get_range(text_file, "bytes=0-1", **{"if-range": etag})
    assert (response.status_code, response.content) == (206, b"01")


def test_fileresponse_if_range_stale_etag_sends_whole_file(text_file: Path) -> None:
    response = get_range(text_file, "bytes=0-1", **{"if-range": '"stale"'})
    assert (response.status_code, response.content) == (200, CONTENT)


def test_fileresponse_if_range_weak_etag_sends_whole_file(text_file: Path) -> None:
    etag = client_for(FileResponse(text_file)).get("/file").headers["etag"]
    response = get_range(text_file, "bytes=0-1", **{"if-range": "W/" + etag})
    assert response.status_code == 200


def test_fileresponse_if_range_current_date_honours_range(text_file: Path) -> None:
    date = http_date(modified_at(text_file))
    response = get_range(text_file, "bytes=0-1", **{"if-range": date})
    assert response.status_code == 206


def test_fileresponse_if_range_old_date_sends_whole_file(text_file: Path) -> None:
    date = http_date(modified_at(text_file) - timedelta(days=1))
    response = get_range(text_file, "bytes=0-1", **{"if-range": date})
    assert response.status_code == 200


def test_parse_range_empty_file_is_unsatisfiable() -> None:
    assert parse_range("bytes=-5", 0) == "unsatisfiable"
    assert parse_range("bytes=0-", 0) == "unsatisfiable"


# Content-Disposition ---------------------------------------------------------


def test_fileresponse_filename_sets_attachment(text_file: Path) -> None:
    response = FileResponse(text_file, filename="report.txt")
    assert (
        response.headers["content-disposition"] == 'attachment; filename="report.txt"'
    )


def test_fileresponse_inline_disposition(text_file: Path) -> None:
    response = FileResponse(
        text_file, filename="report.txt", content_disposition_type="inline"
    )
    assert response.headers["content-disposition"] == 'inline; filename="report.txt"'


def test_fileresponse_no_filename_no_disposition(text_file: Path) -> None:
    assert "content-disposition" not in FileResponse(text_file).headers


def test_fileresponse_rejects_unknown_disposition_type(text_file: Path) -> None:
    kind: Any = "bogus"
    with pytest.raises(ValueError, match="content_disposition_type"):
        FileResponse(text_file, filename="a.txt", content_disposition_type=kind)


def test_content_disposition_non_ascii_name_gets_utf8_form() -> None:
    assert content_disposition("attachment", "résumé 2024.pdf") == (
        'attachment; filename="resume 2024.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf"
    )


def test_content_disposition_non_latin_name_has_ascii_fallback() -> None:
    value = content_disposition("attachment", "報告.txt")
    assert value == (
        "attachment; filename=\"__.txt\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.txt"
    )


@settings(max_examples=500, deadline=None)
@given(
    header=st.text(alphabet=st.sampled_from("bytes=-,0123456789 \t²"), max_size=40),
    size=st.integers(min_value=0, max_value=100),
)
def test_parse_range_any_header_gives_a_range_inside_the_file(
    header: str, size: int
) -> None:
    parsed = parse_range(header, size)
    if isinstance(parsed, ByteRange):
        assert 0 <= parsed.start <= parsed.end < size
    else:
        assert parsed in (None, "unsatisfiable")


# Under a real server -------------------------------------------------------------


@contextlib.contextmanager
def serve(app: App) -> Iterator[int]:
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


def test_fileresponse_under_uvicorn_closes_file_when_client_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as file:
        file.truncate(200 * 1024 * 1024)  # sparse: 200 MiB of zeros, instantly
    closed = threading.Event()
    close = microasgi.batteries.fileresponse.FileChunks.close

    def close_and_signal(self) -> None:
        close(self)
        closed.set()

    monkeypatch.setattr(
        microasgi.batteries.fileresponse.FileChunks, "close", close_and_signal
    )
    app = App()

    @app.get("/big")
    async def send_big(request):
        return FileResponse(big)

    with serve(app) as port:
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        assert connection.recv(65536).startswith(b"HTTP/1.1 200 OK")
        connection.close()  # leave after the first bytes
        assert closed.wait(timeout=5), "the file was not closed after the disconnect"
