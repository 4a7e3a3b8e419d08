"""examples/site: templates, static CSS, a session counter and a download."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from microasgi.testing.client import TestClient

ROOT = Path(__file__).parent.parent
SITE = ROOT / "examples" / "site"
DOCS = [
    ROOT / "docs" / "how-to" / name
    for name in ("templates-and-static.md", "sessions-and-cookies.md", "files.md")
]


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("site_example", SITE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("SECRET_KEY", "example-site-test-secret")
    with TestClient(load_example().app) as client:
        yield client


def visits(page: str) -> int:
    match = re.search(r"You have been here (\d+) time", page)
    assert match is not None, page
    return int(match.group(1))


def test_example_site_renders_home_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Welcome</h1>" in response.text
    assert visits(response.text) == 1


def test_example_site_counts_visits_in_session(client: TestClient) -> None:
    client.get("/")
    client.get("/")
    assert visits(client.get("/").text) == 3


def test_example_site_forget_resets_counter(client: TestClient) -> None:
    client.get("/")
    response = client.post("/forget", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert visits(client.get("/").text) == 1


def test_example_site_links_and_serves_stylesheet(client: TestClient) -> None:
    assert 'href="/static/site.css"' in client.get("/").text
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.content == (SITE / "static" / "site.css").read_bytes()


def test_example_site_theme_cookie_styles_page(client: TestClient) -> None:
    assert '<body class="light">' in client.get("/").text
    response = client.post("/theme/dark", follow_redirects=False)
    assert response.headers["set-cookie"].startswith("theme=dark; Max-Age=31536000")
    assert '<body class="dark">' in client.get("/").text


def test_example_site_unknown_theme_sets_no_cookie(client: TestClient) -> None:
    response = client.post("/theme/neon", follow_redirects=False)
    assert response.status_code == 303
    assert "set-cookie" not in response.headers


def test_example_site_download_sends_attachment(client: TestClient) -> None:
    response = client.get("/download/guide")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="microasgi-guide.txt"'
    )
    assert response.content == (SITE / "downloads" / "guide.txt").read_bytes()


def test_example_site_unknown_download_is_404(client: TestClient) -> None:
    response = client.get("/download/passwords")
    assert response.status_code == 404
    assert response.text == "No download called 'passwords'"


def test_example_site_works_without_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    client = TestClient(load_example().app)
    client.get("/")
    assert visits(client.get("/").text) == 2


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_example_site_docs_snippets_exist(doc: Path) -> None:
    # Every snippet a how-to includes names a file (and section) that exists.
    includes = re.findall(r'--8<-- "([^"]+)"', doc.read_text())
    assert includes
    for include in includes:
        path, _, section = include.partition(":")
        text = (ROOT / path).read_text()
        if section:
            assert f"--8<-- [start:{section}]" in text, include
            assert f"--8<-- [end:{section}]" in text, include
