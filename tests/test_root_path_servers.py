"""root_path on real servers: an app deployed below ``/pre`` behind a proxy
that strips the prefix, on all five servers.

uvicorn puts ``root_path`` in front of ``path`` (as the ASGI spec says);
hypercorn, daphne and granian send the path as they received it. Either way
top-level routes, a mounted App, StaticFiles inside it and a mounted WSGI app
must answer, and every link they build must carry ``/pre``. Requests are sent
as the proxy forwards them: without the prefix.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from servers import Server, http_client, serve, server_params
from websockets.asyncio.client import connect

pytestmark = pytest.mark.anyio

APP_FILE = Path(__file__).resolve().parent / "apps" / "root_path_app.py"


def write_files(folder: Path) -> None:
    """The templates and static files the app serves."""
    (folder / "templates").mkdir()
    (folder / "templates" / "top.html").write_text(
        "{{ request.url.path }} {{ url_for('home') }} "
        "{{ url_for('shop', path='/page') }}"
    )
    (folder / "templates" / "page.html").write_text(
        "{{ request.url.path }} {{ url_for('home') }} {{ url_for('page') }} "
        "{{ url_for('static', path='/a.txt') }}"
    )
    (folder / "static" / "docs").mkdir(parents=True)
    (folder / "static" / "a.txt").write_text("static a")
    (folder / "static" / "docs" / "index.html").write_text("docs index")


@pytest.fixture(scope="module", params=server_params())
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("root_path_app")
    write_files(folder)
    env = {"ROOT_PATH_APP_FILES": str(folder)}
    with serve(request.param, APP_FILE, env=env, root_path="/pre") as running:
        yield running


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(server) as client:
        yield client


async def test_root_path_top_level_route_links_carry_the_prefix(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/top")
    assert (response.status_code, response.text) == (
        200,
        "/pre/top /pre/ /pre/shop/page",
    )


async def test_root_path_mounted_app_answers_and_links_carry_the_prefix(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/shop/page")
    assert response.status_code == 200
    assert response.text == "/pre/shop/page /pre/ /pre/shop/page /pre/shop/static/a.txt"


async def test_root_path_static_files_inside_a_mounted_app(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/shop/static/a.txt")
    assert (response.status_code, response.text) == (200, "static a")


async def test_root_path_static_directory_redirect_keeps_the_prefix(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/shop/static/docs")
    assert response.status_code == 307
    assert response.headers["location"] == "/pre/shop/static/docs/"
    response = await client.get("/shop/static/docs/")
    assert (response.status_code, response.text) == (200, "docs index")


async def test_root_path_slash_redirect_keeps_the_prefix(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/shop/page/")
    assert response.status_code == 307
    assert httpx.URL(response.headers["location"]).path == "/pre/shop/page"


async def test_root_path_wsgi_app_gets_script_name_and_path_info(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/wsgi/users/7")
    assert (response.status_code, response.text) == (200, "/pre/wsgi|/users/7")


async def test_root_path_unknown_paths_are_404(client: httpx.AsyncClient) -> None:
    for path in ("/nope", "/shop/nope", "/shop/static/nope.txt"):
        assert (await client.get(path)).status_code == 404, path


async def test_root_path_websocket_in_mounted_app(server: Server) -> None:
    async with connect(f"{server.ws_url}/shop/ws", proxy=None) as ws:
        assert await ws.recv() == "/pre/shop/ws"
