"""Route explanations: what each route made of a request, and the answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgi import http_scope, run_asgi
from hypothesis import given, settings
from hypothesis import strategies as st

from microasgi import App, HTTPException, PlainTextResponse, Router
from microasgi.tooling.explain import explain


def items_app() -> App:
    app = App()

    @app.get("/items")
    async def list_items(request):
        return []

    @app.post("/items")
    async def create_item(request):
        return {}

    @app.get("/items/new")
    async def new_item_form(request):
        return "form"

    @app.get("/items/{item_id:int}")
    async def read_item(request, item_id: int):
        return {"id": item_id}

    @app.get("/items/{slug}")
    async def read_item_by_slug(request, slug: str):
        return {"slug": slug}

    @app.get("/files/{rest:path}")
    async def files(request, rest: str):
        return rest

    return app


def respond(app: App, method: str, path: str) -> tuple[int, bytes]:
    """The status and body the app really sends."""
    scope = http_scope(path, method)
    request = {"type": "http.request", "body": b"", "more_body": False}
    sent = asyncio.run(run_asgi(app, scope, [request]))
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0]["status"], body


# One behaviour each --------------------------------------------------------


def test_explain_match_names_the_handler_and_its_arguments() -> None:
    result = explain(items_app(), "GET /items/42")
    assert (result.status, result.params) == (200, {"item_id": 42})
    assert result.route is not None
    assert result.route.name == "read_item"
    assert result.lines[-1].startswith("=> 200 OK: read_item(request, item_id=42)")


def test_explain_says_which_converter_failed() -> None:
    result = explain(items_app(), "GET /items/abc")
    assert (
        "  no     GET /items/{item_id:int} (read_item): segment 2 is 'abc', "
        "but {item_id:int} takes digits only, like 42"
    ) in result.lines


def test_explain_says_why_a_literal_segment_wins() -> None:
    result = explain(items_app(), "GET /items/new")
    assert (
        "read_item_by_slug fits too, but new_item_form wins: routes without "
        "parameters are tried before all others."
    ) in result.lines


def test_explain_says_why_a_fixed_segment_wins() -> None:
    app = App()
    app.add_route("/{kind}/{n:int}", lambda request, kind, n: "", name="any")
    app.add_route("/items/{n:int}", lambda request, n: "", name="item")
    result = explain(app, "GET /items/3")
    assert result.lines[-2] == (
        "any fits too, but item wins: at segment 1, a fixed segment beats a parameter."
    )


def test_explain_says_why_the_first_parameter_wins() -> None:
    result = explain(items_app(), "GET /items/7")
    assert (
        "read_item_by_slug fits too, but read_item wins: at segment 2, both have "
        "a parameter; the one added first wins."
    ) in result.lines


def test_explain_405_lists_the_methods() -> None:
    result = explain(items_app(), "DELETE /items")
    assert result.status == 405
    assert (
        "  path   POST /items (create_item): the path fits, but this route does "
        "not take DELETE"
    ) in result.lines
    assert "Methods it takes: GET, HEAD, POST" in result.lines[-1]
    assert "Allow: GET, HEAD, OPTIONS, POST." in result.lines[-1]


def test_explain_404_when_nothing_fits() -> None:
    result = explain(items_app(), "GET /nothing")
    assert result.status == 404
    assert result.lines[-1] == "=> 404 Not Found: no route matches the path /nothing."


def test_explain_trailing_slash_redirect() -> None:
    result = explain(items_app(), "GET /items/")
    assert result.status == 307
    assert result.lines[-1].startswith("=> 307 Temporary Redirect to /items:")


def test_explain_no_redirect_when_turned_off() -> None:
    app = App(redirect_slashes=False)

    @app.get("/items")
    async def list_items(request):
        return []

    assert explain(app, "GET /items/").status == 404


def test_explain_head_uses_the_get_route() -> None:
    result = explain(items_app(), "HEAD /items")
    assert result.status == 200
    assert "a GET route answers HEAD too, without the body." in result.lines[-2]


def test_explain_automatic_options() -> None:
    result = explain(items_app(), "OPTIONS /items")
    assert result.status == 204
    assert "Allow: GET, HEAD, OPTIONS, POST." in result.lines[-1]


def test_explain_path_parameter_takes_the_rest() -> None:
    result = explain(items_app(), "GET /files/a/b.txt")
    assert (result.status, result.params) == (200, {"rest": "a/b.txt"})


def test_explain_root_path_against_a_longer_route() -> None:
    result = explain(items_app(), "GET /")
    assert (
        "  no     GET /items (list_items): segment 1 is '', "
        "this route has 'items' there"
    ) in result.lines


def test_explain_path_longer_than_the_route() -> None:
    result = explain(items_app(), "POST /items/3")
    assert (
        "  no     POST /items (create_item): the path is longer: this route ends at "
        "segment 1"
    ) in result.lines


def test_explain_follows_a_mounted_router() -> None:
    app = App()
    api = App()

    @api.get("/users/{user_id:uuid}")
    async def user(request, user_id):
        return {}

    app.mount("/api", api)
    result = explain(app, "GET /api/users/xyz")
    assert result.status == 404
    assert (
        result.lines[-1]
        == "    => 404 Not Found: no route matches the path /users/xyz."
    )


def test_explain_mounted_foreign_app_decides() -> None:
    async def other(scope: Any, receive: Any, send: Any) -> None:
        pass

    app = App()
    app.mount("/legacy", other)
    result = explain(app, "GET /legacy/x")
    assert result.status is None
    assert result.lines[-1] == "=> the mounted app decides the answer."


def test_explain_notes_a_custom_error_handler() -> None:
    app = items_app()

    @app.exception_handler(404)
    async def not_found(request, exc):
        return PlainTextResponse("gone", status_code=404)

    result = explain(app, "GET /nothing")
    assert result.lines[-1] == "   Your exception handler for 404 writes that response."


def test_explain_ignores_the_query_and_decodes_the_path() -> None:
    result = explain(items_app(), "GET /files/a%20b?x=1")
    assert result.params == {"rest": "a b"}


def test_explain_bare_path_means_get() -> None:
    assert explain(items_app(), "/items").method == "GET"


def test_explain_works_on_a_router() -> None:
    router = Router(prefix="/api")

    @router.get("/ping")
    async def ping(request):
        return "pong"

    assert explain(router, "GET /api/ping").status == 200


def test_explain_str_is_the_lines() -> None:
    result = explain(items_app(), "GET /items")
    assert str(result) == "\n".join(result.lines)


@pytest.mark.parametrize("line", ["", "GET", "GET items", "1 /x", "GET /a b c d"])
def test_explain_refuses_a_bad_request_line(line: str) -> None:
    with pytest.raises(ValueError):
        explain(items_app(), line)


# Agreement with the real router --------------------------------------------

FIXED_CASES = [
    "GET /items", "POST /items", "PUT /items", "HEAD /items", "OPTIONS /items",
    "GET /items/", "GET /items/1", "GET /items/new", "GET /items/x", "HEAD /items/2",
    "DELETE /items/2", "GET /files", "GET /files/", "GET /files/a/b", "GET /",
    "GET /nothing", "POST /items/new", "GET /items/1/", "GET /files/a/",
]  # fmt: skip


@pytest.mark.parametrize("line", FIXED_CASES)
def test_explain_agrees_with_the_app(line: str) -> None:
    app = items_app()
    method, path = line.split()
    status, _ = respond(app, method, path)
    result = explain(app, line)
    assert result.status == status
    match = app.http.match(method, path)
    expected = match.route.name if match else None
    assert (result.route.name if result.route else None) == expected


SEGMENT_KINDS = [
    "a", "b", "", "{{s{i}}}", "{{n{i}:int}}", "{{n{i}:int}}.txt", "{{p{i}:path}}",
]  # fmt: skip
PATH_SEGMENTS = ["a", "b", "", "1", "22", "x", "1.txt", "a.txt"]

templates = st.lists(st.sampled_from(SEGMENT_KINDS), max_size=3).map(
    lambda kinds: "/" + "/".join(kind.format(i=i) for i, kind in enumerate(kinds))
)
route_specs = st.lists(
    st.tuples(templates, st.sampled_from([("GET",), ("POST",), ("GET", "POST")])),
    min_size=1,
    max_size=6,
)
paths = st.lists(st.sampled_from(PATH_SEGMENTS), max_size=4).map(
    lambda parts: "/" + "/".join(parts)
)
methods = st.sampled_from(["GET", "POST", "HEAD", "OPTIONS", "DELETE"])


def app_with(specs: list[tuple[str, tuple[str, ...]]]) -> App:
    """An app whose handlers name themselves in an ``x-route`` header."""
    app = App()
    taken: set[tuple[str, str]] = set()
    for index, (template, route_methods) in enumerate(specs):
        name = f"route{index}"
        wanted = {(template, method) for method in route_methods}
        if wanted & taken:
            continue  # the same method and path twice would be refused
        taken |= wanted

        async def handler(request: Any, __name: str = name, **params: Any) -> Any:
            return PlainTextResponse(__name, headers={"x-route": __name})

        app.add_route(template, handler, route_methods, name=name)
    return app


def dispatched(app: App, method: str, path: str) -> tuple[int, str | None]:
    """The status the app sends, and the name of the route that handled it."""
    scope = http_scope(path, method)
    request = {"type": "http.request", "body": b"", "more_body": False}
    start = asyncio.run(run_asgi(app, scope, [request]))[0]
    headers = dict(start["headers"])
    route = headers.get(b"x-route")
    return start["status"], route.decode() if route is not None else None


@settings(max_examples=300, deadline=None, database=None)
@given(specs=route_specs, method=methods, path=paths)
def test_explain_agrees_with_the_router_on_random_routes(
    specs: list[tuple[str, tuple[str, ...]]], method: str, path: str
) -> None:
    app = app_with(specs)
    result = explain(app, f"{method} {path}")
    status, route = dispatched(app, method, path)
    assert result.status == status
    assert (result.route.name if result.route else None) == route


def test_explain_agrees_on_errors_raised_by_converters() -> None:
    app = App()
    app.add_converter("even", r"[0-9]+", lambda text: _even(int(text)))

    @app.get("/n/{value:even}")
    async def even(request, value: int):
        return "even"

    result = explain(app, "GET /n/3")
    assert result.status == respond(app, "GET", "/n/3")[0] == 404
    assert (
        "right shape for {value:even}, but its converter refused it"
        in (result.lines[2])
    )


def _even(value: int) -> int:
    if value % 2:
        raise ValueError("odd")
    return value


def test_explain_agrees_with_an_http_exception_free_app() -> None:
    app = items_app()

    @app.get("/raise")
    async def raises(request):
        raise HTTPException(418)

    assert explain(app, "GET /raise").status == 200  # the handler decides
