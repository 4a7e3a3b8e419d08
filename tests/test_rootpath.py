"""root_path: one rule for both server conventions, in routing, mounts,
StaticFiles, WSGI, request.url and links.

A server told ``--root-path /pre`` either puts the prefix in front of
``path`` (uvicorn, as the ASGI spec says) or not (hypercorn, daphne, granian).
Every test here runs under both; ``tests/test_root_path_servers.py`` runs the
same deployment on the real servers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _core_helpers import Result, make_scope, run
from hypothesis import given, settings
from hypothesis import strategies as st

from microasgi import App, Request, StaticFiles, Templates, WSGIApp
from microasgi.core.rootpath import full_path, include_root_path, includes, route_path

pytestmark = pytest.mark.anyio

PREFIXED = "path includes root_path"  # uvicorn
UNPREFIXED = "path without root_path"  # hypercorn, daphne, granian


@pytest.fixture(params=[PREFIXED, UNPREFIXED])
def convention(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def served(convention: str, path: str, root_path: str = "/pre") -> dict[str, Any]:
    """The scope keys a server sends for ``path`` (as the proxy forwards it)."""
    sent_path = root_path + path if convention == PREFIXED else path
    return {"path": sent_path, "raw_path": sent_path.encode(), "root_path": root_path}


def shop_app(tmp_path: Path) -> App:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("static a")
    (tmp_path / "page.html").write_text(
        "{{ request.url.path }} {{ url_for('home') }} {{ url_for('item', n=2) }}"
    )
    templates = Templates(tmp_path)
    shop = App()
    shop.mount("/static", StaticFiles(tmp_path / "static"), name="static")
    shop.add_route("/page", lambda request: templates.response(request, "page.html"))
    shop.add_route("/items/{n:int}", lambda request, n: {"n": n}, name="item")
    app = App()
    app.add_route("/", lambda request: "home", name="home")
    app.mount("/shop", shop)
    return app


async def get(app: Any, convention: str, path: str) -> Result:
    """GET ``path`` as the proxy forwards it, to an app served below ``/pre``."""
    return await run(app, make_scope("GET", **served(convention, path)))


def test_rootpath_includes_is_segment_wise() -> None:
    assert includes("/pre/x", "/pre") and includes("/pre", "/pre")
    assert not includes("/prefix", "/pre")
    assert includes("/pre/x", "/pre/")


@pytest.mark.parametrize(
    ("path", "root_path", "full", "below"),
    [
        ("/pre/x", "/pre", "/pre/x", "/x"),
        ("/x", "/pre", "/pre/x", "/x"),
        ("/pre", "/pre", "/pre", "/"),
        ("/x", "", "/x", "/x"),
        ("/x", "/pre/", "/pre/x", "/x"),
        ("/prefix", "/pre", "/pre/prefix", "/prefix"),
    ],
)
def test_rootpath_full_path_and_route_path(
    path: str, root_path: str, full: str, below: str
) -> None:
    scope = {"path": path, "root_path": root_path}
    assert (full_path(scope), route_path(scope)) == (full, below)


def test_rootpath_include_root_path_prefixes_path_and_raw_path_once() -> None:
    scope = {"path": "/a b", "raw_path": b"/a%20b", "root_path": "/pré"}
    include_root_path(scope)
    include_root_path(scope)
    assert (scope["path"], scope["raw_path"]) == ("/pré/a b", b"/pr%C3%A9/a%20b")


SEGMENTS = st.lists(st.text(st.sampled_from("ab/é%"), min_size=1), max_size=4)


@settings(max_examples=200, deadline=None)
@given(root=SEGMENTS, below=SEGMENTS)
def test_rootpath_both_conventions_route_the_same(
    root: list[str], below: list[str]
) -> None:
    root_path = "".join("/" + part for part in root)
    path = "".join("/" + part for part in below) or "/"
    if root_path and includes(path, root_path):
        return  # the one ambiguous case, documented in microasgi/rootpath.py
    unprefixed = {"path": path, "raw_path": path.encode(), "root_path": root_path}
    prefixed = {"path": full_path(unprefixed), "root_path": root_path}
    assert route_path(unprefixed) == route_path(prefixed) == path
    include_root_path(unprefixed)
    assert unprefixed["path"] == prefixed["path"]
    assert route_path(unprefixed) == path


async def test_rootpath_top_level_route(convention: str, tmp_path: Path) -> None:
    result = await get(shop_app(tmp_path), convention, "/")
    assert (result.status, result.text) == (200, "home")


async def test_rootpath_mounted_app_route(convention: str, tmp_path: Path) -> None:
    result = await get(shop_app(tmp_path), convention, "/shop/items/3")
    assert (result.status, result.body) == (200, b'{"n":3}')


async def test_rootpath_links_carry_the_prefix(convention: str, tmp_path: Path) -> None:
    result = await get(shop_app(tmp_path), convention, "/shop/page")
    assert result.text == "/pre/shop/page /pre/ /pre/shop/items/2"


async def test_rootpath_static_files_in_mounted_app(
    convention: str, tmp_path: Path
) -> None:
    result = await get(shop_app(tmp_path), convention, "/shop/static/a.txt")
    assert (result.status, result.text) == (200, "static a")


async def test_rootpath_static_files_served_alone(
    convention: str, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("alone")
    result = await get(StaticFiles(tmp_path), convention, "/a.txt")
    assert (result.status, result.text) == (200, "alone")


def where(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]


async def test_rootpath_wsgi_mounted(convention: str) -> None:
    app = App()
    app.mount("/legacy", WSGIApp(where))
    result = await get(app, convention, "/legacy/users/7")
    assert result.text == "/pre/legacy|/users/7"


async def test_rootpath_wsgi_served_alone(convention: str) -> None:
    result = await get(WSGIApp(where), convention, "/users/7")
    assert result.text == "/pre|/users/7"


async def test_rootpath_request_url_has_the_prefix_once(convention: str) -> None:
    scope = make_scope(**served(convention, "/items"))
    assert Request(scope, None).url.path == "/pre/items"


async def test_rootpath_mounted_slash_redirect_keeps_the_prefix(
    convention: str, tmp_path: Path
) -> None:
    result = await get(shop_app(tmp_path), convention, "/shop/items/3/")
    assert result.status == 307
    assert result.header("location") == "http://testserver/pre/shop/items/3"
