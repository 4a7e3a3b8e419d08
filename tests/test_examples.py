"""Every example in examples/ and examples/tutorial/ imports and answers once.

Each module gets one request (listed in HITS) through the test client, with
the lifespan run, so a snippet shown in the docs cannot silently break.
Examples that hold their own pytest tests are run with pytest, as the docs
tell readers to run them. The apps in examples/chat/ and examples/site/ have
tests of their own.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from microasgi import TestClient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@dataclass
class Hit:
    """One request to an example app and what it must answer."""

    method: str
    path: str
    status: int
    contains: str
    options: dict[str, Any] = field(default_factory=dict)
    attribute: str = "app"
    base_url: str = "http://testserver"
    prepare: Callable[[ModuleType, Path], None] | None = None


def use_tmp_upload_dir(module: ModuleType, tmp_path: Path) -> None:
    module.app.state.upload_dir = tmp_path / "uploads"


def use_tmp_hits_db(module: ModuleType, tmp_path: Path) -> None:
    module.app.state.shared_db = tmp_path / "hits.db"


JSON_HELLO = {"json": {"name": "Ada"}}

HITS: dict[str, Hit] = {
    # examples/
    "background_howto": Hit(
        "POST", "/signup", 201, '"ok":true', {"json": {"email": "a@example.com"}}
    ),
    "clock_sse": Hit("GET", "/", 200, "EventSource"),
    "deploy_howto": Hit(
        "GET",
        "/whoami",
        200,
        '"url":"http://localhost/whoami"',
        base_url="http://localhost",
    ),
    "extensions_howto": Hit("GET", "/squares.csv", 200, "1000,1000000"),
    "flask_inside": Hit("GET", "/legacy/", 200, "Hello from Flask, served at /legacy/"),
    "forms_upload_howto": Hit(
        "POST",
        "/profile",
        200,
        '"name":"Ada","size":32',
        {"data": {"name": "Ada"}, "files": {"avatar": ("a.png", PNG, "image/png")}},
        prepare=use_tmp_upload_dir,
    ),
    "hello": Hit("GET", "/", 200, "Hello, World!"),
    "hello_raw": Hit("GET", "/", 200, "Hello, World!"),
    "lifespan_howto": Hit("GET", "/", 200, '"database":"notes.db"'),
    "middleware_howto": Hit(
        "GET",
        "/",
        200,
        "Hello from inside four middleware",
        base_url="https://example.com",
    ),
    "quickstart": Hit("GET", "/items/3?q=books", 200, '{"id":3,"q":"books"}'),
    "hub_howto": Hit("POST", "/feeds/news", 200, '"id":', {"json": {"title": "hi"}}),
    "scaling_howto": Hit(
        "GET",
        "/hits",
        200,
        '"this_process":1,"all_processes":1',
        prepare=use_tmp_hits_db,
    ),
    "streaming_howto": Hit("GET", "/squares.csv", 200, "1000,1000000"),
    "sync_handlers_howto": Hit(
        "POST", "/notes", 200, '"id":1', {"json": {"text": "hi"}}
    ),
    "todo_api": Hit("POST", "/todos", 201, '"title":"x"', {"json": {"title": "x"}}),
    "upload": Hit("GET", "/", 200, 'enctype="multipart/form-data"'),
    "watching_howto": Hit("GET", "/slow", 200, "done"),
    "wsgi_howto": Hit(
        "POST", "/legacy/upload", 200, "Flask read 5 bytes", {"content": b"hello"}
    ),
    # examples/tutorial/
    "tutorial.ch01_hello": Hit("GET", "/anything", 200, "Hello, World!"),
    "tutorial.ch01_lifespan": Hit("GET", "/", 200, "Hello, World!"),
    "tutorial.ch02_read_body": Hit(
        "POST", "/echo", 200, "POST /echo: 11 bytes", {"content": b"hello there"}
    ),
    "tutorial.ch02_request": Hit("POST", "/", 200, "Hello, Ada! (POST /)", JSON_HELLO),
    "tutorial.ch03_response": Hit("GET", "/json", 200, '"method": "GET"'),
    "tutorial.ch03_streaming": Hit("GET", "/", 200, "tick 3\ndone\n"),
    "tutorial.ch04_if_elif": Hit("GET", "/users/7", 200, '{"id": 7}'),
    "tutorial.ch04_regex": Hit("DELETE", "/", 405, "Method Not Allowed"),
    "tutorial.ch04_router": Hit("GET", "/users/7", 200, '{"id": 7}'),
    "tutorial.ch05_app": Hit("POST", "/echo", 200, '{"name": "Ada"}', JSON_HELLO),
    "tutorial.ch05_microasgi": Hit("GET", "/users/3", 200, '{"id":3}'),
    "tutorial.ch06_answer_early": Hit(
        "GET", "/", 200, "Welcome in", {"headers": {"x-api-key": "secret"}}
    ),
    "tutorial.ch06_message_logger": Hit("POST", "/echo", 200, "hi", {"content": b"hi"}),
    "tutorial.ch06_timing": Hit("GET", "/", 200, "Hello, World!"),
    "tutorial.ch07_catch_errors": Hit("GET", "/", 200, "Fine"),
    "tutorial.ch07_http_exception": Hit("GET", "/stock/pear", 409, "out of stock"),
    "tutorial.ch08_call_directly": Hit("GET", "/", 200, "Hello, World!"),
    "tutorial.ch08_testclient": Hit("GET", "/greet/Ada", 200, "Hello, Ada!"),
    "tutorial.ch09_form_by_hand": Hit(
        "POST", "/greet", 200, "Hello, &lt;Ada&gt;!", {"data": {"name": "<Ada>"}}
    ),
    "tutorial.ch09_forms": Hit(
        "POST", "/sign", 200, "<b>Ada</b>: hi", {"data": {"name": "Ada", "text": "hi"}}
    ),
    "tutorial.ch09_templates": Hit(
        "POST", "/sign", 200, "&lt;hi&gt;", {"data": {"name": "Ada", "text": "<hi>"}}
    ),
}

# Examples whose own pytest tests the docs tell readers to run.
WITH_TESTS = [
    "examples/project/test_items_api.py",
    "examples/testing_howto.py",
    "examples/watching_howto.py",
    "examples/tutorial/ch08_call_directly.py",
    "examples/tutorial/ch08_testclient.py",
]


def example_names() -> list[str]:
    top = [path.stem for path in EXAMPLES.glob("*.py")]
    tutorial = [
        f"tutorial.{path.stem}" for path in (EXAMPLES / "tutorial").glob("*.py")
    ]
    return sorted(top + tutorial)


# Examples hit by a test of their own below (HITS holds HTTP requests only).
HIT_BY_OWN_TEST = {"testing_howto", "websockets_howto"}


def test_examples_every_file_has_a_hit_or_its_own_test() -> None:
    assert sorted(set(example_names()) - HITS.keys() - HIT_BY_OWN_TEST) == []


def test_examples_every_hit_names_an_existing_file() -> None:
    assert sorted(HITS.keys() - set(example_names())) == []


@pytest.mark.parametrize("name", sorted(HITS))
def test_examples_answer(name: str, tmp_path: Path) -> None:
    hit = HITS[name]
    module = importlib.import_module(f"examples.{name}")
    if hit.prepare is not None:
        hit.prepare(module, tmp_path)
    app = getattr(module, hit.attribute)
    with TestClient(app, base_url=hit.base_url) as client:
        response = client.request(hit.method, hit.path, **hit.options)
    assert response.status_code == hit.status
    assert hit.contains in response.text


def test_examples_ch03_response_object_is_an_app() -> None:
    module = importlib.import_module("examples.tutorial.ch03_response")
    with TestClient(module.hello) as client:  # no lifespan: not inside `with`
        response = client.get("/whatever")
    assert response.text == "Hello from a Response object!\n"


def test_examples_ch07_catch_errors_answers_500_before_start() -> None:
    module = importlib.import_module("examples.tutorial.ch07_catch_errors")
    with TestClient(module.app) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.text == "Internal Server Error\n"


def test_examples_ch07_catch_errors_reraises_after_start() -> None:
    module = importlib.import_module("examples.tutorial.ch07_catch_errors")
    with TestClient(module.app) as client, pytest.raises(RuntimeError):
        client.get("/half")


def test_examples_ch06_answer_early_refuses_without_key() -> None:
    module = importlib.import_module("examples.tutorial.ch06_answer_early")
    with TestClient(module.app) as client:
        response = client.get("/")
    assert response.status_code == 401
    assert response.headers.get_list("x-seen-by") == ["outer"]


def test_examples_websockets_howto_echoes() -> None:
    module = importlib.import_module("examples.websockets_howto")
    with TestClient(module.app) as client, client.websocket_connect("/echo") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "hello"


def test_examples_with_tests_pass_under_pytest() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *WITH_TESTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def served_examples() -> list[Path]:
    """Example files that define an ``app`` to serve (not the test examples)."""
    paths = [*EXAMPLES.glob("*.py"), *EXAMPLES.glob("*/*.py")]
    tested = {ROOT / path for path in WITH_TESTS}
    return sorted(
        path
        for path in paths
        if path not in tested and re.search(r"^app = ", path.read_text(), re.M)
    )


@pytest.mark.parametrize(
    "path", served_examples(), ids=lambda path: str(path.relative_to(EXAMPLES))
)
def test_examples_say_how_to_serve_them_from_the_repository_root(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    assert f"uvicorn {module}:app" in docstring
    others = re.findall(r"uvicorn (?!examples\.)[\w.]+:", docstring)
    assert others == [], "one style: uvicorn examples.NAME:app, from the root"
