from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import httpx
import pytest

import microasgi

if not hasattr(microasgi, "App"):
    pytest.skip("microasgi.App is not written yet", allow_module_level=True)

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).parent.parent / "examples" / "upload.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("upload_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def client():
    app = load_example().app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_example_upload_serves_the_form(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'enctype="multipart/form-data"' in response.text
    assert '<input type="file" name="files" multiple>' in response.text


async def test_example_upload_lists_the_uploaded_files(
    client: httpx.AsyncClient,
) -> None:
    files = [
        ("files", ("a.txt", b"hello", "text/plain")),
        ("files", ("b.png", b"\x89PNG....", "image/png")),
    ]
    response = await client.post("/upload", data={"name": "Ada"}, files=files)
    assert response.status_code == 200
    assert "<h1>Ada uploaded 2 file(s)</h1>" in response.text
    assert "<li>a.txt: 5 bytes, text/plain</li>" in response.text
    assert "<li>b.png: 8 bytes, image/png</li>" in response.text


async def test_example_upload_skips_an_empty_file_input(
    client: httpx.AsyncClient,
) -> None:
    files = [("files", ("", b"", "application/octet-stream"))]
    response = await client.post("/upload", data={"name": "Ada"}, files=files)
    assert response.status_code == 200
    assert "<h1>Ada uploaded 0 file(s)</h1>" in response.text


async def test_example_upload_escapes_filenames(client: httpx.AsyncClient) -> None:
    files = [("files", ("<script>x</script>.txt", b"x", "text/plain"))]
    response = await client.post("/upload", files=files)
    assert "&lt;script&gt;x&lt;/script&gt;.txt" in response.text
    assert "<script>" not in response.text


async def test_example_upload_ignores_text_sent_as_files(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/upload", data={"files": "not a file"})
    assert response.status_code == 200
    assert "<h1>someone uploaded 0 file(s)</h1>" in response.text


async def test_example_upload_rejects_too_many_files(
    client: httpx.AsyncClient,
) -> None:
    files = [("files", (f"{n}.txt", b"x", "text/plain")) for n in range(101)]
    response = await client.post("/upload", files=files)
    assert response.status_code == 413
    assert "Too many files in the form: more than 100" in response.text
