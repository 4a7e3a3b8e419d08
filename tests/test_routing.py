"""Routing: decorators, converters, 404/405/HEAD/OPTIONS, names, mounts, errors."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from _core_helpers import call

from microasgi import App, Request, Response, Router
from microasgi.core import routetree
from microasgi.core.paths import ParamSegment
from microasgi.core.routing import WebSocketRoute
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
async def test_router_decorator_registers_method(method: str) -> None:
    app = App()

    async def thing(request: Request) -> Any:
        return request.method

    getattr(app, method)("/thing")(thing)

    result = await call(app, method.upper(), "/thing")
    assert (result.status, result.text) == (200, method.upper())


async def test_router_head_decorator_registers_head() -> None:
    app = App()

    @app.head("/h")
    async def only_head(request: Request) -> Any:
        return Response(b"ignored", headers={"X-Head": "yes"})

    result = await call(app, "HEAD", "/h")
    assert result.status == 200
    assert result.header("x-head") == "yes"
    assert result.body == b""


async def test_router_options_decorator_overrides_automatic_options() -> None:
    app = App()

    @app.options("/o")
    async def custom_options(request: Request) -> Any:
        return "custom"

    result = await call(app, "OPTIONS", "/o")
    assert (result.status, result.text) == (200, "custom")


async def test_router_route_with_several_methods() -> None:
    app = App()

    @app.route("/things", methods=["GET", "POST"])
    async def things(request: Request) -> Any:
        return request.method

    assert (await call(app, "GET", "/things")).text == "GET"
    assert (await call(app, "POST", "/things")).text == "POST"


def test_router_websocket_decorator_registers_websocket_route() -> None:
    app = App()

    @app.websocket("/ws/{room}")
    async def chat(ws: Any, room: Any) -> Any:
        pass

    match = app.websocket_routes.match("WEBSOCKET", "/ws/lobby")
    assert match is not None
    assert isinstance(match.route, WebSocketRoute)
    assert match.params == {"room": "lobby"}
    assert app.http.match("GET", "/ws/lobby") is None


def test_router_decorator_returns_the_handler_unchanged() -> None:
    app = App()

    async def handler(request: Request) -> Any:
        return "x"

    assert app.get("/")(handler) is handler


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/u/{name}", "/u/ada", {"name": "ada"}),
        ("/u/{n:int}", "/u/42", {"n": 42}),
        ("/u/{x:float}", "/u/2.5", {"x": 2.5}),
        ("/u/{p:path}", "/u/a/b/c.txt", {"p": "a/b/c.txt"}),
        (
            "/u/{u:uuid}",
            "/u/12345678-1234-5678-1234-567812345678",
            {"u": uuid.UUID("12345678-1234-5678-1234-567812345678")},
        ),
    ],
)
async def test_router_converter_passes_typed_kwargs(
    template: str, path: str, expected: dict[str, Any]
) -> None:
    app = App()
    seen: list[Any] = []

    @app.get(template)
    async def handler(request: Request, **params: Any) -> Any:
        seen.append((params, request.path_params))
        return "ok"

    assert (await call(app, "GET", path)).status == 200
    assert seen == [(expected, expected)]


@pytest.mark.parametrize(
    ("template", "path"),
    [("/u/{n:int}", "/u/x"), ("/u/{n:int}", "/u/-1"), ("/u/{u:uuid}", "/u/nope")],
)
async def test_router_converter_mismatch_is_404(template: str, path: str) -> None:
    app = App()
    app.add_route(template, lambda request, **kw: "x")
    assert (await call(app, "GET", path)).status == 404


async def test_router_str_param_does_not_cross_slash() -> None:
    app = App()
    app.add_route("/u/{name}", lambda request, name: name)
    assert (await call(app, "GET", "/u/a/b")).status == 404


async def test_router_add_converter_is_used_both_ways() -> None:
    app = App()
    app.add_converter("hex", "[0-9a-f]+", lambda s: int(s, 16), lambda n: f"{n:x}")

    @app.get("/c/{n:hex}")
    async def color(request: Request, n: Any) -> Any:
        return {"n": n}

    assert (await call(app, "GET", "/c/ff")).body == b'{"n":255}'
    assert app.url_path_for("color", n=255) == "/c/ff"


async def test_router_unknown_path_is_404_plain_text() -> None:
    result = await call(App(), "GET", "/missing")
    assert result.status == 404
    assert result.text == "Not Found"
    assert result.header("content-type") == "text/plain; charset=utf-8"


async def test_router_wrong_method_is_405_with_allow() -> None:
    app = App()
    app.add_route("/x", lambda request: "g", methods=["GET"])
    app.add_route("/x", lambda request: "p", methods=["POST"])
    result = await call(app, "DELETE", "/x")
    assert result.status == 405
    assert result.text == "Method Not Allowed"
    assert result.header("allow") == "GET, HEAD, OPTIONS, POST"


async def test_router_405_for_param_route() -> None:
    app = App()
    app.add_route("/items/{n:int}", lambda request, n: "x", methods=["PUT"])
    result = await call(app, "GET", "/items/3")
    assert (result.status, result.header("allow")) == (405, "OPTIONS, PUT")


async def test_router_head_on_get_route_has_same_headers_no_body() -> None:
    app = App()
    app.add_route("/data", lambda request: {"a": 1})
    get = await call(app, "GET", "/data")
    head = await call(app, "HEAD", "/data")
    assert head.status == 200
    assert head.raw_headers == get.raw_headers
    assert head.messages[1] == {"type": "http.response.body", "body": b""}


async def test_router_head_on_get_param_route() -> None:
    app = App()
    app.add_route("/u/{n:int}", lambda request, n: "x" * n)
    head = await call(app, "HEAD", "/u/5")
    assert (head.status, head.header("content-length"), head.body) == (200, "5", b"")


async def test_router_automatic_options_lists_allow() -> None:
    app = App()
    app.add_route("/x", lambda request: "x", methods=["GET", "POST"])
    result = await call(app, "OPTIONS", "/x")
    assert result.status == 204
    assert result.header("allow") == "GET, HEAD, OPTIONS, POST"
    assert result.body == b""


async def test_router_literal_beats_param() -> None:
    app = App()
    app.add_route("/users/{name}/posts", lambda request, name: f"user {name}")
    app.add_route("/users/me/posts", lambda request: "me")
    assert (await call(app, "GET", "/users/me/posts")).text == "me"
    assert (await call(app, "GET", "/users/ada/posts")).text == "user ada"


async def test_router_static_route_beats_param_route() -> None:
    app = App()
    app.add_route("/users/{name}", lambda request, name: "param")
    app.add_route("/users/me", lambda request: "static")
    assert (await call(app, "GET", "/users/me")).text == "static"


async def test_router_first_registered_param_wins() -> None:
    app = App()
    app.add_route("/v/{n:int}", lambda request, n: "int")
    app.add_route("/v/{s}", lambda request, s: "str")
    assert (await call(app, "GET", "/v/1")).text == "int"
    assert (await call(app, "GET", "/v/x")).text == "str"


def test_router_url_path_for_default_name_is_handler_name() -> None:
    app = App()

    @app.get("/items/{item_id:int}")
    async def read_item(request: Request, item_id: Any) -> Any:
        return "x"

    assert app.url_path_for("read_item", item_id=3) == "/items/3"


def test_router_url_path_for_explicit_name() -> None:
    app = App()
    app.add_route("/about", lambda request: "x", name="about_page")
    assert app.url_path_for("about_page") == "/about"


def test_router_url_path_for_unknown_name_is_lookup_error() -> None:
    app = App()
    app.add_route("/about", lambda request: "x", name="about_page")
    with pytest.raises(LookupError, match=r"no route named 'nope'; known names: about"):
        app.url_path_for("nope")


def test_router_url_path_for_wrong_params_is_value_error() -> None:
    app = App()
    app.add_route("/i/{n:int}", lambda request, n: "x", name="item")
    with pytest.raises(ValueError, match="missing"):
        app.url_path_for("item")


@pytest.mark.parametrize("tag", ["c#", "a?b", "50%", "a b", "café", "x%2Fy"])
def test_router_url_path_for_percent_encodes_and_routes_back(tag: str) -> None:
    app = App()

    @app.get("/tags/{tag}")
    async def show_tag(request: Request, tag: str) -> Any:
        return {"tag": tag}

    path = app.url_path_for("show_tag", tag=tag)
    assert "#" not in path and "?" not in path and " " not in path
    with TestClient(app) as client:
        assert client.get(path).json() == {"tag": tag}


def test_router_url_path_for_encodes_c_sharp_as_the_docs_say() -> None:
    app = App()
    app.add_route("/tags/{tag}", lambda request, tag: tag, name="tag")
    assert app.url_path_for("tag", tag="c#") == "/tags/c%23"


def test_router_url_path_for_path_param_keeps_its_slashes() -> None:
    app = App()
    app.add_route("/files/{rest:path}", lambda request, rest: rest, name="file")
    assert app.url_path_for("file", rest="a b/c#.txt") == "/files/a%20b/c%23.txt"


def test_router_url_path_for_mount_encodes_its_path() -> None:
    app = App()
    app.mount("/static", App(), name="static")
    path = app.url_path_for("static", path="/my docs/a#1.css")
    assert path == "/static/my%20docs/a%231.css"


@pytest.mark.parametrize("value", ["not-a-uuid", "", 42])
def test_router_url_path_for_uuid_refuses_a_non_uuid(value: Any) -> None:
    app = App()
    app.add_route("/u/{uid:uuid}", lambda request, uid: "x", name="user")
    with pytest.raises(ValueError, match=r"route 'user'.*'uid'"):
        app.url_path_for("user", uid=value)


def test_router_url_path_for_uuid_takes_a_uuid_or_its_text() -> None:
    app = App()
    app.add_route("/u/{uid:uuid}", lambda request, uid: "x", name="user")
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert app.url_path_for("user", uid=value) == f"/u/{value}"
    assert app.url_path_for("user", uid=str(value).upper()) == f"/u/{value}"


@pytest.mark.parametrize(
    ("template", "value"),
    [("/i/{n:int}", "abc"), ("/i/{n:int}", 1.5), ("/i/{n:float}", "x"),
     ("/i/{n:int}", None), ("/i/{n:float}", [1])],
)  # fmt: skip
def test_router_url_path_for_wrong_type_names_route_and_param(
    template: str, value: Any
) -> None:
    app = App()
    app.add_route(template, lambda request, n: "x", name="item")
    with pytest.raises(ValueError, match=r"route 'item'.*parameter 'n'") as info:
        app.url_path_for("item", n=value)
    assert "not supported" not in str(info.value)


def test_router_url_path_for_custom_converter_output_must_match_it() -> None:
    app = App()
    app.add_converter("hex", "[0-9a-f]+", lambda s: int(s, 16), lambda n: f"{n:x}")
    app.add_route("/c/{n:hex}", lambda request, n: "x", name="color")
    with pytest.raises(ValueError, match=r"route 'color'.*parameter 'n'.*'-1'"):
        app.url_path_for("color", n=-1)


def test_router_url_path_for_mount() -> None:
    app = App()
    app.mount("/static", App(), name="static")
    assert app.url_path_for("static", path="/css/a.css") == "/static/css/a.css"


async def test_router_prefix_and_include_router() -> None:
    api = Router(prefix="/api")

    @api.get("/users/{uid:int}")
    async def show_user(request: Request, uid: Any) -> Any:
        return {"uid": uid}

    app = App()
    app.include_router(api)
    assert (await call(app, "GET", "/api/users/7")).body == b'{"uid":7}'
    assert (await call(app, "GET", "/users/7")).status == 404
    assert app.url_path_for("show_user", uid=7) == "/api/users/7"


@pytest.mark.parametrize("prefix", ["api", "/api/"])
def test_router_prefix_refuses_bad_form(prefix: str) -> None:
    with pytest.raises(ValueError, match=r"did you mean '/api'"):
        Router(prefix=prefix)


async def test_router_redirect_slashes_adds_slash() -> None:
    app = App()
    app.add_route("/dir/", lambda request: "x")
    result = await call(app, "GET", "/dir", query=b"a=1")
    assert result.status == 307
    assert result.header("location") == "http://testserver/dir/?a=1"


async def test_router_redirect_slashes_removes_slash() -> None:
    app = App()
    app.add_route("/items", lambda request: "x")
    result = await call(app, "GET", "/items/")
    assert (result.status, result.header("location")) == (
        307,
        "http://testserver/items",
    )


@pytest.mark.parametrize("name", ["a?b", "a#b", "a b"])
def test_router_redirect_slashes_keeps_encoded_characters(name: str) -> None:
    app = App()

    @app.get("/files/{name}/")
    async def show(request: Request, name: str) -> str:
        return name

    with TestClient(app) as client:
        response = client.get(f"/files/{quote(name, safe='')}")
    assert response.history[0].headers["location"] == (
        f"http://testserver/files/{quote(name, safe='')}/"
    )
    assert response.text == name


async def test_router_redirect_slashes_does_not_strip_an_encoded_slash() -> None:
    app = App()
    app.add_route("/files/{name}", lambda request, name: name)
    result = await call(app, "GET", "/files/a/", raw_path=b"/files/a%2F")
    assert result.status == 404


async def test_router_redirect_slashes_off_gives_404() -> None:
    app = App(redirect_slashes=False)
    app.add_route("/items", lambda request: "x")
    assert (await call(app, "GET", "/items/")).status == 404


def test_router_scales_without_scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    app = App()
    for index in range(1000):
        app.add_route(f"/s{index}", lambda request: "s", name=f"s{index}")
        app.add_route(f"/r{index}/{{n:int}}", lambda request, n: "r", name=f"r{index}")
    calls: list[str] = []
    original = ParamSegment.match

    def counting_match(self: ParamSegment, text: str) -> Any:
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(ParamSegment, "match", counting_match)
    assert len(app.http.static) == 1000
    assert len(app.http.tree.literal) == 1000
    match = app.http.match("GET", "/r999/5")
    assert match is not None
    assert (match.route.name, match.params) == ("r999", {"n": 5})
    assert calls == ["5"]  # one pattern tried, not a thousand
    static = app.http.match("GET", "/s999")
    assert static is not None
    assert static.route.name == "s999"


def near_miss_app() -> App:
    app = App()
    app.add_route("/items/{item_id:int}", lambda request, item_id: "item")
    app.add_route("/items/{name}", lambda request, name: "made", methods=["POST"])
    app.add_route("/files/{rest:path}/", lambda request, rest: rest)
    return app


def count_walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the path of each walk of a route tree (its first step only)."""
    walks: list[str] = []
    original = routetree._walk

    def counting_walk(node: Any, segments: list[str], index: int, *rest: Any) -> Any:
        if index == 0:
            walks.append("/" + "/".join(segments))
        return original(node, segments, index, *rest)

    monkeypatch.setattr(routetree, "_walk", counting_walk)
    return walks


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("HEAD", "/items/3", 200),  # HEAD answered by the GET route
        ("HEAD", "/items/abc", 405),  # only POST fits: 405, Allow
        ("OPTIONS", "/items/abc", 204),  # the automatic OPTIONS
        ("HEAD", "/items/3/", 307),  # the path without its final "/" fits
        ("HEAD", "/files/a/b", 307),  # the path with a final "/" fits
        ("HEAD", "/nothing/here", 404),
    ],
)
async def test_router_walks_the_tree_once_per_request(
    monkeypatch: pytest.MonkeyPatch, method: str, path: str, status: int
) -> None:
    app = near_miss_app()
    walks = count_walks(monkeypatch)
    assert (await call(app, method, path)).status == status
    assert walks == [path]


async def test_router_405_and_redirect_come_from_one_lookup() -> None:
    index = near_miss_app().http
    found = index.lookup("HEAD", "/items/abc")
    assert (found.route, found.allowed) == (None, {"POST"})
    found = index.lookup("GET", "/items/3/")
    assert (found.route, found.allowed, found.slash_fits) == (None, set(), True)


def test_router_explain_lists_the_candidates_in_the_order_tried() -> None:
    app = App()
    app.add_route("/items/{slug}", lambda request, slug: "slug", name="slug")
    app.add_route("/items/new", lambda request: "new", name="new")
    app.add_route("/items/{item_id:int}", lambda request, item_id: 1, name="by_id")
    app.add_route("/{rest:path}", lambda request, rest: rest, name="rest")
    found = app.http.explain("GET", "/items/new")
    fits = [candidate for candidate in found.candidates if not candidate.slash]
    assert [candidate.routes["GET"].name for candidate in fits] == [
        "new",
        "slug",
        "rest",
    ]
    assert [[step.kind for step in candidate.trail] for candidate in fits] == [
        ["static"],
        ["literal", "parameter"],
        ["path"],
    ]
    assert found.route is not None
    assert found.route.name == "new"


# Registration errors: raised at decoration time, saying what, expected and fix.


def test_router_refuses_path_without_leading_slash() -> None:
    app = App()
    with pytest.raises(ValueError, match=r"'items' must start with '/'; did you mean"):
        app.get("items")(lambda request: "x")


def test_router_refuses_duplicate_param_at_decoration() -> None:
    with pytest.raises(ValueError, match="uses parameter 'a' twice"):
        App().get("/{a}/{a}")(lambda request, a: "x")


def test_router_refuses_unknown_converter_at_decoration() -> None:
    with pytest.raises(ValueError, match=r"unknown converter 'slug'.*add_converter"):
        App().get("/{s:slug}")(lambda request, s: "x")


def test_router_refuses_handler_missing_path_param() -> None:
    app = App()
    with pytest.raises(TypeError) as info:

        @app.get("/users/{user_id}")
        async def show_user(request: Request) -> Any:
            return "x"

    message = str(info.value)
    assert "handler 'show_user' for GET /users/{user_id}" in message
    assert "has no parameter 'user_id'" in message
    assert "def show_user(request, user_id)" in message


def test_router_refuses_handler_requiring_non_path_param() -> None:
    with pytest.raises(TypeError, match=r"parameter 'limit' that is not in the path"):
        App().get("/items")(lambda request, limit: "x")


def test_router_refuses_handler_without_arguments() -> None:
    with pytest.raises(TypeError, match="takes no arguments"):
        App().get("/")(lambda: "x")


def test_router_accepts_handler_with_kwargs_catch_all() -> None:
    app = App()
    app.get("/{a}/{b}")(lambda request, **params: "x")
    assert app.http.match("GET", "/1/2") is not None


@pytest.mark.parametrize("path", ["/same", "/same/{n:int}", "/files/{p:path}"])
def test_router_refuses_duplicate_route(path: str) -> None:
    app = App()
    app.add_route(path, lambda request, **kw: "x", name="first")
    with pytest.raises(ValueError) as info:
        app.add_route(path, lambda request, **kw: "y", name="second")
    assert str(info.value) == (
        f"GET {path} is already handled by 'first'; 'second' would never be "
        "called - use another path or method"
    )


def test_router_same_path_other_method_is_not_duplicate() -> None:
    app = App()
    app.add_route("/x", lambda request: "g", methods=["GET"])
    app.add_route("/x", lambda request: "p", methods=["POST"])
    assert app.http.allowed_methods("/x") == {"GET", "HEAD", "POST"}


def test_router_refuses_invalid_method() -> None:
    with pytest.raises(ValueError, match="invalid HTTP method 'GE T'"):
        App().add_route("/x", lambda request: "x", methods=["GE T"])


def test_router_refuses_empty_methods() -> None:
    with pytest.raises(ValueError, match="method"):
        App().add_route("/x", lambda request: "x", methods=[])


def test_router_refuses_methods_given_as_a_string() -> None:
    with pytest.raises((TypeError, ValueError), match="methods"):
        App().add_route("/x", lambda request: "x", methods="POST")
