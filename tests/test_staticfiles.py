"""StaticFiles: serving a directory's files through a mount."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from _core_helpers import make_scope, run
from hypothesis import given, settings
from hypothesis import strategies as st

import microasgi.batteries.fileresponse
from microasgi import App, StaticFiles
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: teal }")
    (static / "hello.txt").write_text("hello")
    (static / "docs").mkdir()
    (static / "docs" / "index.html").write_text("<h1>Docs</h1>")
    (static / "empty").mkdir()
    (tmp_path / "outside.txt").write_text("not for the web")
    return static


def client_for(directory: Path, **options) -> TestClient:
    app = App()
    app.mount("/static", StaticFiles(directory, **options), name="static")
    return TestClient(app, follow_redirects=False)


# Serving files ---------------------------------------------------------------


def test_staticfiles_serves_file(static_dir: Path) -> None:
    response = client_for(static_dir).get("/static/css/site.css")
    assert (response.status_code, response.text) == (200, "body { color: teal }")
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["content-length"] == "20"


def test_staticfiles_head_sends_headers_only(static_dir: Path) -> None:
    response = client_for(static_dir).head("/static/hello.txt")
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "5"


def test_staticfiles_answers_304_to_matching_etag(static_dir: Path) -> None:
    client = client_for(static_dir)
    etag = client.get("/static/hello.txt").headers["etag"]
    response = client.get("/static/hello.txt", headers={"if-none-match": etag})
    assert response.status_code == 304


def test_staticfiles_answers_range(static_dir: Path) -> None:
    response = client_for(static_dir).get(
        "/static/hello.txt", headers={"range": "bytes=1-3"}
    )
    assert (response.status_code, response.content) == (206, b"ell")


def test_staticfiles_missing_file_is_404(static_dir: Path) -> None:
    response = client_for(static_dir).get("/static/nope.txt")
    assert (response.status_code, response.text) == (404, "Not Found")


def test_staticfiles_file_under_a_file_is_404(static_dir: Path) -> None:
    assert client_for(static_dir).get("/static/hello.txt/more").status_code == 404


def test_staticfiles_never_lists_a_directory(static_dir: Path) -> None:
    response = client_for(static_dir).get("/static/css/")
    assert (response.status_code, response.text) == (404, "Not Found")


def test_staticfiles_mount_root_is_404(static_dir: Path) -> None:
    assert client_for(static_dir).get("/static").status_code == 404


def test_staticfiles_refuses_post_with_allow(static_dir: Path) -> None:
    response = client_for(static_dir).post("/static/hello.txt")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_staticfiles_very_long_name_is_404(static_dir: Path) -> None:
    response = client_for(static_dir).get("/static/" + "a" * 5000)
    assert response.status_code == 404


def test_staticfiles_unreadable_file_is_404(
    static_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(microasgi.batteries.fileresponse.FileChunks, "open", refuse)
    response = client_for(static_dir).get("/static/hello.txt")
    assert (response.status_code, response.text) == (404, "Not Found")


def test_staticfiles_symlink_inside_directory_is_served(static_dir: Path) -> None:
    (static_dir / "alias.css").symlink_to(static_dir / "css" / "site.css")
    response = client_for(static_dir).get("/static/alias.css")
    assert (response.status_code, response.text) == (200, "body { color: teal }")


def test_staticfiles_media_type_follows_requested_name(static_dir: Path) -> None:
    (static_dir / "hello.html").symlink_to(static_dir / "hello.txt")
    response = client_for(static_dir).get("/static/hello.html")
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_staticfiles_follow_symlink_serves_link_pointing_outside(
    static_dir: Path,
) -> None:
    (static_dir / "shared.txt").symlink_to(static_dir.parent / "outside.txt")
    response = client_for(static_dir, follow_symlink=True).get("/static/shared.txt")
    assert (response.status_code, response.text) == (200, "not for the web")


async def test_staticfiles_follow_symlink_still_refuses_dot_dot(
    static_dir: Path,
) -> None:
    # A raw scope keeps the ".." that an HTTP client would resolve away.
    scope = make_scope("GET", "/static/../outside.txt", root_path="/static")
    result = await run(StaticFiles(static_dir, follow_symlink=True), scope)
    assert result.status == 404


# Paths and mounting ------------------------------------------------------------


async def test_staticfiles_path_is_taken_below_root_path(static_dir: Path) -> None:
    scope = make_scope("GET", "/app/static/hello.txt", root_path="/app/static")
    result = await run(StaticFiles(static_dir), scope)
    assert (result.status, result.body) == (200, b"hello")


async def test_staticfiles_accepts_path_without_root_path(static_dir: Path) -> None:
    # Some servers pass the path below root_path; it is used as it is.
    scope = make_scope("GET", "/hello.txt", root_path="/static")
    result = await run(StaticFiles(static_dir), scope)
    assert (result.status, result.body) == (200, b"hello")


async def test_staticfiles_as_top_level_app(static_dir: Path) -> None:
    result = await run(StaticFiles(static_dir), make_scope("GET", "/css/site.css"))
    assert result.status == 200


async def test_staticfiles_closes_websocket(static_dir: Path) -> None:
    scope = make_scope("GET", "/static/ws", type="websocket")
    result = await run(StaticFiles(static_dir), scope, [{"type": "websocket.connect"}])
    assert result.messages == [{"type": "websocket.close", "code": 1000, "reason": ""}]


def test_staticfiles_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="does not exist"):
        StaticFiles(tmp_path / "nowhere")


def test_staticfiles_check_dir_false_allows_missing_directory(tmp_path: Path) -> None:
    client = client_for(tmp_path / "nowhere", check_dir=False)
    assert client.get("/static/a.txt").status_code == 404


def test_staticfiles_url_path_for_mount(static_dir: Path) -> None:
    app = App()
    app.mount("/static", StaticFiles(static_dir), name="static")
    assert app.url_path_for("static", path="css/site.css") == "/static/css/site.css"


# html=True ---------------------------------------------------------------------


def test_staticfiles_html_serves_directory_index(static_dir: Path) -> None:
    response = client_for(static_dir, html=True).get("/static/docs/")
    assert (response.status_code, response.text) == (200, "<h1>Docs</h1>")
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_staticfiles_html_redirects_to_trailing_slash(static_dir: Path) -> None:
    response = client_for(static_dir, html=True).get("/static/docs")
    assert response.status_code == 307
    assert response.headers["location"] == "/static/docs/"


def test_staticfiles_html_redirect_keeps_query(static_dir: Path) -> None:
    response = client_for(static_dir, html=True).get("/static/docs?page=2")
    assert response.headers["location"] == "/static/docs/?page=2"


def test_staticfiles_html_redirect_encodes_names(static_dir: Path) -> None:
    (static_dir / "my docs").mkdir()
    (static_dir / "my docs" / "index.html").write_text("spaced")
    response = client_for(static_dir, html=True).get("/static/my%20docs")
    assert response.headers["location"] == "/static/my%20docs/"


def test_staticfiles_html_redirects_mount_root(static_dir: Path) -> None:
    (static_dir / "index.html").write_text("home")
    client = client_for(static_dir, html=True)
    assert client.get("/static").headers["location"] == "/static/"
    assert client.get("/static/").text == "home"


def test_staticfiles_html_directory_without_index_is_404(static_dir: Path) -> None:
    response = client_for(static_dir, html=True).get("/static/empty/")
    assert response.status_code == 404


def test_staticfiles_html_serves_404_page(static_dir: Path) -> None:
    (static_dir / "404.html").write_text("<p>Lost?</p>")
    response = client_for(static_dir, html=True).get("/static/missing")
    assert (response.status_code, response.text) == (404, "<p>Lost?</p>")
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_staticfiles_html_without_404_page_is_plain(static_dir: Path) -> None:
    response = client_for(static_dir, html=True).get("/static/missing")
    assert (response.status_code, response.text) == (404, "Not Found")


def test_staticfiles_404_page_unused_without_html(static_dir: Path) -> None:
    (static_dir / "404.html").write_text("<p>Lost?</p>")
    assert client_for(static_dir).get("/static/missing").text == "Not Found"


# Any path at all -----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(path=st.text(alphabet=st.sampled_from("./\\:%2e\x00aé~ \ufffd"), max_size=30))
def test_staticfiles_any_path_is_served_from_inside_or_404(
    tmp_path_factory: pytest.TempPathFactory, path: str
) -> None:
    root = tmp_path_factory.getbasetemp() / "fuzz"
    if not root.exists():
        (root / "static" / "a").mkdir(parents=True)
        (root / "static" / "a" / "in.txt").write_text("inside")
        (root / "a").mkdir()
        (root / "a" / "out.txt").write_text("outside")
    scope = make_scope("GET", "/static/" + path, root_path="/static")
    result = asyncio.run(run(StaticFiles(root / "static"), scope))
    assert result.status in (200, 404)
    assert b"outside" not in result.body


async def test_staticfiles_refuses_lifespan_scope(static_dir: Path) -> None:
    with pytest.raises(ValueError, match="http scopes"):
        await StaticFiles(static_dir)({"type": "lifespan"}, None, None)
