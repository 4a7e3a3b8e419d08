"""Habits from other frameworks get a message that names the fix.

A FastAPI user writes handlers without the request, expects query parameters
as arguments and forgets an ``await``; each mistake is reported with the
handler's name and what to write instead, at decoration time where possible.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest

from microasgi import App, Request, Templates, TestClient

ROOT = Path(__file__).resolve().parents[1]


def registration_error(path: str, handler: Any, websocket: bool = False) -> str:
    app = App()
    register = app.websocket(path) if websocket else app.get(path)
    with pytest.raises(TypeError) as info:
        register(handler)
    return str(info.value)


def test_habits_handler_without_request_says_request_comes_first() -> None:
    async def read_item(item_id: int) -> Any:
        return {"id": item_id}

    assert registration_error("/items/{item_id:int}", read_item) == (
        "handler 'read_item' for GET /items/{item_id:int} takes 'item_id: int' "
        "first, but handlers take the request first and path parameters after "
        "it, by name; write: async def read_item(request, item_id: int)"
    )


def test_habits_handler_without_request_and_no_path_param_is_caught() -> None:
    def search(q: str) -> Any:
        return q

    message = registration_error("/search", search)
    assert "takes 'q: str' first" in message
    assert message.endswith("write: def search(request, q: str)")


def test_habits_websocket_handler_without_ws_says_ws_comes_first() -> None:
    async def chat(room: str) -> None:
        pass

    message = registration_error("/ws/{room}", chat, websocket=True)
    assert message.endswith("write: async def chat(ws, room: str)")


def test_habits_query_parameter_as_argument_is_refused() -> None:
    async def search(request: Request, q: str = "") -> Any:
        return {"q": q}

    assert registration_error("/search", search) == (
        "handler 'search' for GET /search has a parameter 'q' that is not in the "
        "path, so nothing would ever pass it: a handler gets the request and the "
        "path parameters, nothing else. Read a query parameter from the request: "
        "q = request.query_params.get('q', ''); or put {q} in the path"
    )


def test_habits_keyword_only_extra_parameter_is_refused() -> None:
    async def items(request: Request, *, limit: int = 10) -> Any:
        return []

    message = registration_error("/items", items)
    assert "parameter 'limit' that is not in the path" in message
    assert "request.query_params.get('limit', 10)" in message


def test_habits_underscore_parameter_binds_a_value() -> None:
    app = App()
    for word in ["a", "b"]:
        app.get(f"/{word}")(lambda request, _word=word: _word)
    assert TestClient(app).get("/b").text == "b"


@pytest.fixture
def handler_error(caplog: pytest.LogCaptureFixture) -> Callable[..., str]:
    """Serve ``handler`` once; the message of the error it was logged with."""

    def serve_once(handler: Any) -> str:
        app = App()
        app.get("/")(handler)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. "coroutine was never awaited"
            response = TestClient(app, raise_server_exceptions=False).get("/")
        assert response.status_code == 500
        assert response.text == "Internal Server Error"
        [record] = [r for r in caplog.records if r.name == "microasgi"]
        assert record.exc_info is not None
        return str(record.exc_info[1])

    return serve_once


def test_habits_forgotten_await_in_returned_dict_names_handler_and_call(
    handler_error: Callable[..., str],
) -> None:
    async def create(request: Request) -> Any:
        return {"data": request.json()}  # the await is missing

    assert handler_error(create) == (
        "handler 'create' returned a dict whose value at ['data'] is a coroutine "
        "of Request.json(), called without await; add the missing await before "
        "the call to Request.json()"
    )


def test_habits_forgotten_await_deep_in_a_list_gives_its_place(
    handler_error: Callable[..., str],
) -> None:
    async def fetch(name: str) -> str:
        return name

    def listing(request: Request) -> Any:
        return [{"name": "a"}, {"name": fetch("b")}]

    message = handler_error(listing)
    assert "returned a list whose value at [1]['name'] is a coroutine of" in message
    assert "fetch()" in message


def test_habits_returned_coroutine_asks_for_await(
    handler_error: Callable[..., str],
) -> None:
    async def body(request: Request) -> Any:
        return request.body()

    assert handler_error(body) == (
        "handler 'body' returned a coroutine of Request.body() instead of its "
        "result; add the missing await before the call to Request.body()"
    )


def test_habits_datetime_in_returned_dict_names_handler_and_key(
    handler_error: Callable[..., str],
) -> None:
    async def event(request: Request) -> Any:
        return {"name": "launch", "at": datetime.datetime(2026, 1, 2, 3, 4)}

    message = handler_error(event)
    assert message.startswith(
        "handler 'event' returned a dict whose value at ['at'] is a "
        "datetime.datetime (datetime.datetime(2026, 1, 2, 3, 4))"
    )
    assert message.endswith(
        "which JSON cannot encode; convert it to text first, e.g. value.isoformat()"
    )


def test_habits_nan_in_returned_dict_is_explained(
    handler_error: Callable[..., str],
) -> None:
    async def stats(request: Request) -> Any:
        return {"mean": float("nan")}

    message = handler_error(stats)
    assert "value at ['mean'] is the float nan" in message
    assert "JSON has no NaN or infinity" in message


def test_habits_set_in_returned_dict_is_explained(
    handler_error: Callable[..., str],
) -> None:
    message = handler_error(lambda request: {"tags": {"a"}})
    assert "convert it to a list first, e.g. sorted(value)" in message


def test_habits_unencodable_dict_subclass_takes_the_same_path(
    handler_error: Callable[..., str],
) -> None:
    class Payload(dict[str, Any]):
        pass

    message = handler_error(lambda request: Payload(at=datetime.date(2026, 1, 2)))
    assert "returned a Payload whose value at ['at'] is a datetime.date" in message


def run_microasgi(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "microasgi", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_habits_dot_for_colon_on_the_command_line_suggests_the_colon(
    tmp_path: Path,
) -> None:
    (tmp_path / "items_api.py").write_text(
        "from microasgi import App\napp = App()\n", "utf-8"
    )
    result = run_microasgi(tmp_path, "run", "items_api.app")
    assert result.returncode == 1
    assert result.stderr == (
        "microasgi run: error: no module named 'items_api.app'; did you mean "
        "'items_api:app'? A colon separates the module from the app in it: "
        "module:attribute\n"
    )


def test_habits_dot_for_colon_in_a_package_suggests_the_colon() -> None:
    result = run_microasgi(ROOT, "trace", "examples.hello.app", "GET", "/")
    assert "did you mean 'examples.hello:app'?" in result.stderr


def test_habits_dotted_name_without_such_attribute_says_no_module(
    tmp_path: Path,
) -> None:
    (tmp_path / "items_api.py").write_text("app = None\n", "utf-8")
    result = run_microasgi(tmp_path, "run", "items_api.application")
    assert "no module named 'items_api.application' (looked in" in result.stderr
    assert "did you mean" not in result.stderr


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    (tmp_path / "pages").mkdir()
    for name in ["base.html", "index.html", "pages/about.html"]:
        (tmp_path / name).write_text("{{ 1 }}", "utf-8")
    (tmp_path / "broken.html").write_text('{% extends "bse.html" %}', "utf-8")
    return Templates(tmp_path)


def test_habits_missing_template_suggests_the_closest_name(
    templates: Templates, tmp_path: Path
) -> None:
    with pytest.raises(jinja2.TemplateNotFound) as info:
        templates.render("indx.html")
    assert info.value.name == "indx.html"
    assert str(info.value) == (
        f"no template 'indx.html' in {str(tmp_path)!r}; did you mean 'index.html'? "
        "(there: base.html, broken.html, index.html, pages/about.html)"
    )


def test_habits_missing_template_in_a_folder_suggests_the_path(
    templates: Templates,
) -> None:
    with pytest.raises(
        jinja2.TemplateNotFound, match=r"did you mean 'pages/about\.html'"
    ):
        templates.render("about.html")


def test_habits_missing_extended_template_is_named(templates: Templates) -> None:
    with pytest.raises(jinja2.TemplateNotFound) as info:
        templates.render("broken.html")
    assert "no template 'bse.html'" in str(info.value)
    assert "did you mean 'base.html'?" in str(info.value)


def test_habits_missing_template_with_nothing_close_lists_what_exists(
    templates: Templates,
) -> None:
    with pytest.raises(jinja2.TemplateNotFound) as info:
        templates.render("zzz.txt")
    assert "did you mean" not in str(info.value)
    assert str(info.value).endswith(
        "(there: base.html, broken.html, index.html, pages/about.html)"
    )
