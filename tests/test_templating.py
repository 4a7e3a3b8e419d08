"""Templates: Jinja2 rendering into HTML responses, autoescaping, url_for."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from microasgi import App, BackgroundTask, HTMLResponse, StaticFiles, Templates
from microasgi.core.requests import Request
from microasgi.testing.client import TestClient


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "hello.html").write_text("Hello, {{ name }}!")
    (folder / "method.html").write_text("{{ request.method }} {{ request.url.path }}")
    (folder / "feed.xml").write_text("<title>{{ title }}</title>")
    (folder / "note.txt").write_text("{{ text }}")
    (folder / "base.html").write_text("<main>{% block body %}{% endblock %}</main>")
    (folder / "child.html").write_text(
        '{% extends "base.html" %}{% block body %}child{% endblock %}'
    )
    return folder


def client_for(templates: Templates, name: str, context=None, **options) -> TestClient:
    app = App()

    @app.get("/page")
    async def page(request):
        return templates.response(request, name, context, **options)

    return TestClient(app)


def test_templates_response_renders_html(template_dir: Path) -> None:
    client = client_for(Templates(template_dir), "hello.html", {"name": "Ada"})
    response = client.get("/page")
    assert (response.status_code, response.text) == (200, "Hello, Ada!")
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_templates_response_is_html_response(template_dir: Path) -> None:
    request = Request(
        {"type": "http", "headers": [], "method": "GET", "path": "/"}, None
    )
    response = Templates(template_dir).response(request, "hello.html", {"name": "x"})
    assert isinstance(response, HTMLResponse)


def test_templates_context_has_request(template_dir: Path) -> None:
    response = client_for(Templates(template_dir), "method.html").get("/page")
    assert response.text == "GET /page"


def test_templates_response_passes_status_headers_and_media_type(
    template_dir: Path,
) -> None:
    client = client_for(
        Templates(template_dir),
        "hello.html",
        {"name": "x"},
        status_code=201,
        headers={"x-rendered": "yes"},
        media_type="application/xhtml+xml",
    )
    response = client.get("/page")
    assert response.status_code == 201
    assert response.headers["x-rendered"] == "yes"
    assert response.headers["content-type"] == "application/xhtml+xml"


def test_templates_response_runs_background(template_dir: Path) -> None:
    ran: list[str] = []
    task = BackgroundTask(ran.append, "sent")
    client = client_for(Templates(template_dir), "hello.html", background=task)
    client.get("/page")
    assert ran == ["sent"]


def test_templates_escape_html(template_dir: Path) -> None:
    html = Templates(template_dir).render("hello.html", {"name": "<script>x</script>"})
    assert html == "Hello, &lt;script&gt;x&lt;/script&gt;!"


def test_templates_escape_xml(template_dir: Path) -> None:
    xml = Templates(template_dir).render("feed.xml", {"title": "a & b"})
    assert xml == "<title>a &amp; b</title>"


def test_templates_leave_plain_text_unescaped(template_dir: Path) -> None:
    text = Templates(template_dir).render("note.txt", {"text": "a < b"})
    assert text == "a < b"


def test_templates_support_inheritance(template_dir: Path) -> None:
    assert Templates(template_dir).render("child.html") == "<main>child</main>"


def test_templates_env_takes_filters(template_dir: Path) -> None:
    templates = Templates(template_dir)
    templates.env.filters["shout"] = lambda value: value.upper() + "!"
    (template_dir / "shout.html").write_text("{{ word | shout }}")
    assert templates.render("shout.html", {"word": "hey"}) == "HEY!"


def test_templates_are_cached(template_dir: Path) -> None:
    templates = Templates(template_dir)
    first = templates.env.get_template("hello.html")
    assert templates.env.get_template("hello.html") is first


def test_templates_auto_reload_picks_up_edits(template_dir: Path) -> None:
    templates = Templates(template_dir)
    templates.render("hello.html", {"name": "x"})
    edit_later(template_dir / "hello.html", "Bye, {{ name }}!")
    assert templates.render("hello.html", {"name": "x"}) == "Bye, x!"


def test_templates_without_auto_reload_keep_first_version(template_dir: Path) -> None:
    templates = Templates(template_dir, auto_reload=False)
    templates.render("hello.html", {"name": "x"})
    edit_later(template_dir / "hello.html", "Bye, {{ name }}!")
    assert templates.render("hello.html", {"name": "x"}) == "Hello, x!"


def edit_later(path: Path, text: str) -> None:
    modified = path.stat().st_mtime
    path.write_text(text)
    os.utime(path, (modified + 10, modified + 10))


def test_templates_missing_template_raises(template_dir: Path) -> None:
    with pytest.raises(jinja2.TemplateNotFound):
        Templates(template_dir).render("missing.html")


def test_templates_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Templates(tmp_path / "nowhere")


# url_for -------------------------------------------------------------------------


def url_app(template_dir: Path, static_dir: Path) -> App:
    (template_dir / "links.html").write_text(
        "{{ url_for('show_item', item_id=3) }} "
        "{{ url_for('static', path='css/site.css') }}"
    )
    templates = Templates(template_dir)
    app = App()
    app.mount("/static", StaticFiles(static_dir), name="static")

    @app.get("/items/{item_id:int}")
    async def show_item(request, item_id: int):
        return templates.response(request, "links.html")

    return app


def test_templates_url_for_builds_route_and_mount_paths(
    template_dir: Path, tmp_path: Path
) -> None:
    client = TestClient(url_app(template_dir, tmp_path))
    assert client.get("/items/1").text == "/items/3 /static/css/site.css"


def test_templates_url_for_adds_root_path(template_dir: Path, tmp_path: Path) -> None:
    client = TestClient(url_app(template_dir, tmp_path), root_path="/shop")
    response = client.get("/shop/items/1")
    assert response.text == "/shop/items/3 /shop/static/css/site.css"


def nested_app(template_dir: Path) -> App:
    """An outer app with routes "home" and "cart", and a sub-app at /shop
    whose page links to its own route "item" and to the outer routes."""
    (template_dir / "nav.html").write_text(
        "{{ url_for('home') }} {{ url_for('item', item_id=7) }} "
        "{{ url_for('cart', owner='ada lovelace') }}"
    )
    templates = Templates(template_dir)
    shop = App()

    @shop.get("/")
    async def page(request):
        return templates.response(request, "nav.html")

    @shop.get("/items/{item_id:int}")
    async def item(request, item_id: int):
        return "item"

    app = App()
    app.add_route("/", lambda request: "home", name="home")
    app.add_route("/carts/{owner}", lambda request, owner: owner, name="cart")
    app.mount("/shop", shop)
    return app


def test_templates_url_for_in_mounted_app_finds_outer_route_names(
    template_dir: Path,
) -> None:
    response = TestClient(nested_app(template_dir)).get("/shop/")
    assert response.status_code == 200
    assert response.text == "/ /shop/items/7 /carts/ada%20lovelace"


def test_templates_url_for_in_mounted_app_keeps_root_path(template_dir: Path) -> None:
    client = TestClient(nested_app(template_dir), root_path="/pre")
    response = client.get("/pre/shop/")
    assert response.text == "/pre/ /pre/shop/items/7 /pre/carts/ada%20lovelace"


def test_templates_url_for_unknown_name_lists_the_app_names(template_dir: Path) -> None:
    (template_dir / "bad.html").write_text("{{ url_for('nowhere') }}")
    app = App()
    app.add_route("/", lambda request: "home", name="home")
    scope = {"type": "http", "headers": [], "method": "GET", "path": "/", "app": app}
    context = {"request": Request(scope, None)}
    with pytest.raises(
        LookupError, match="no route named 'nowhere'; known names: home"
    ):
        Templates(template_dir).render("bad.html", context)


def test_templates_url_for_without_request_raises(template_dir: Path) -> None:
    (template_dir / "link.html").write_text("{{ url_for('home') }}")
    with pytest.raises(RuntimeError, match="needs the request"):
        Templates(template_dir).render("link.html")
