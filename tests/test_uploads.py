from __future__ import annotations

import io
from typing import Any

import pytest

import microasgi.core.concurrency
import microasgi.core.uploads
from microasgi.core.datastructures import Headers
from microasgi.core.uploads import SPOOL_MAX_SIZE, FormData, UploadFile, spooled_file

pytestmark = pytest.mark.anyio


@pytest.fixture
def pool_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the file methods that ran on the thread pool."""
    calls: list[str] = []
    pool = microasgi.core.concurrency.default_pool  # an upload made outside an App
    real_run = pool.run

    async def recording_run(func: Any, *args: Any) -> Any:
        calls.append(func.__name__)
        return await real_run(func, *args)

    monkeypatch.setattr(pool, "run", recording_run)
    return calls


def test_upload_file_defaults() -> None:
    upload = UploadFile("a.txt")
    assert upload.filename == "a.txt"
    assert upload.size == 0
    assert upload.content_type is None
    assert upload.headers == Headers()
    upload.file.close()


def test_upload_file_content_type_comes_from_headers() -> None:
    headers = Headers([(b"content-type", b"image/png")])
    upload = UploadFile("a.png", headers=headers)
    assert upload.content_type == "image/png"
    assert upload.headers is headers
    upload.file.close()


def test_upload_file_content_type_argument_wins_over_headers() -> None:
    headers = Headers([(b"content-type", b"image/png")])
    upload = UploadFile("a.png", headers=headers, content_type="text/plain")
    assert upload.content_type == "text/plain"
    upload.file.close()


async def test_upload_file_write_then_read_back() -> None:
    upload = UploadFile("a.txt")
    await upload.write(b"hello ")
    await upload.write(b"world")
    await upload.seek(0)
    assert await upload.read() == b"hello world"
    await upload.close()


async def test_upload_file_read_takes_a_size() -> None:
    upload = UploadFile("a.txt", io.BytesIO(b"abcdef"))
    assert await upload.read(2) == b"ab"
    assert await upload.read(3) == b"cde"
    assert await upload.read() == b"f"


async def test_upload_file_seek_moves_to_an_offset() -> None:
    upload = UploadFile("a.txt", io.BytesIO(b"abcdef"))
    await upload.seek(4)
    assert await upload.read() == b"ef"


async def test_upload_file_size_counts_written_bytes() -> None:
    upload = UploadFile("a.txt")
    await upload.write(b"abc")
    await upload.write(b"de")
    assert upload.size == 5
    await upload.close()


async def test_upload_file_in_memory_stays_off_the_thread_pool(
    pool_calls: list[str],
) -> None:
    upload = UploadFile("a.txt")
    await upload.write(b"small")
    await upload.seek(0)
    await upload.read()
    await upload.close()
    assert pool_calls == []


async def test_upload_file_write_that_rolls_over_runs_on_the_thread_pool(
    pool_calls: list[str],
) -> None:
    upload = UploadFile("a.bin", spooled_file(max_size=10))
    await upload.write(b"0123456789")
    assert pool_calls == []
    await upload.write(b"!")
    assert pool_calls == ["write"]
    await upload.close()


async def test_upload_file_on_disk_does_all_io_on_the_thread_pool(
    pool_calls: list[str],
) -> None:
    upload = UploadFile("a.bin", spooled_file(max_size=4))
    await upload.write(b"12345")
    await upload.write(b"6")
    await upload.seek(0)
    assert await upload.read() == b"123456"
    await upload.close()
    assert pool_calls == ["write", "write", "seek", "read", "close"]


async def test_upload_file_other_file_objects_use_the_thread_pool(
    pool_calls: list[str],
) -> None:
    upload = UploadFile("a.bin", io.BytesIO())
    await upload.write(b"x")
    assert pool_calls == ["write"]


async def test_upload_file_close_closes_the_file() -> None:
    upload = UploadFile("a.txt")
    await upload.close()
    assert upload.file.closed


async def test_upload_file_close_twice_is_harmless() -> None:
    upload = UploadFile("a.txt", spooled_file(max_size=1))
    await upload.write(b"on disk")
    await upload.close()
    await upload.close()
    assert upload.file.closed


def test_upload_file_repr() -> None:
    upload = UploadFile("a.txt", io.BytesIO(), size=3, content_type="text/plain")
    assert repr(upload) == (
        "UploadFile(filename='a.txt', size=3, content_type='text/plain')"
    )


def test_spooled_file_defaults_to_the_spool_max_size() -> None:
    file: Any = spooled_file()
    file.write(b"x" * SPOOL_MAX_SIZE)
    assert not file._rolled  # the stdlib exposes rollover only privately
    file.write(b"x")
    assert file._rolled
    file.close()


def test_form_data_item_is_the_last_value() -> None:
    form = FormData([("tag", "a"), ("tag", "b")])
    assert form["tag"] == "b"
    assert form.get("missing") is None


def test_form_data_getlist_keeps_every_value_in_order() -> None:
    upload = UploadFile("a.txt", io.BytesIO())
    form = FormData([("tag", "a"), ("file", upload), ("tag", "b")])
    assert form.getlist("tag") == ["a", "b"]
    assert form.getlist("file") == [upload]
    assert form.getlist("missing") == []


def test_form_data_is_read_only() -> None:
    form: Any = FormData([("a", "1")])
    with pytest.raises(TypeError):
        form["a"] = "2"
    with pytest.raises(TypeError):
        del form["a"]
    assert not hasattr(form, "update")


async def test_form_data_close_closes_every_upload() -> None:
    first, second = UploadFile("a.txt"), UploadFile("b.txt")
    form = FormData([("file", first), ("name", "x"), ("file", second)])
    await form.close()
    assert first.file.closed
    assert second.file.closed
