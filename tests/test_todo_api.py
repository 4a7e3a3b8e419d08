"""The to-do JSON API in examples/todo_api.py, request by request."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.todo_api import create_app  # noqa: E402
from microasgi import TestClient  # noqa: E402


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        yield client


def add(client: TestClient, title: str, done: bool = False) -> dict[str, object]:
    response = client.post("/todos", json={"title": title, "done": done})
    assert response.status_code == 201
    body: dict[str, object] = response.json()
    return body


def test_todo_api_lists_nothing_at_first(client: TestClient) -> None:
    response = client.get("/todos")
    assert response.status_code == 200
    assert response.json() == []


def test_todo_api_create_answers_201_with_location(client: TestClient) -> None:
    response = client.post("/todos", json={"title": "Write docs"})
    assert response.status_code == 201
    assert response.headers["location"] == "/todos/1"
    assert response.json() == {"id": 1, "title": "Write docs", "done": False}


def test_todo_api_read_returns_the_todo(client: TestClient) -> None:
    add(client, "Write docs")
    response = client.get("/todos/1")
    assert response.status_code == 200
    assert response.json() == {"id": 1, "title": "Write docs", "done": False}


def test_todo_api_list_filters_by_done(client: TestClient) -> None:
    add(client, "Write docs")
    add(client, "Ship it", done=True)
    response = client.get("/todos", params={"done": "true"})
    assert response.json() == [{"id": 2, "title": "Ship it", "done": True}]


def test_todo_api_list_refuses_a_bad_done_filter(client: TestClient) -> None:
    response = client.get("/todos", params={"done": "maybe"})
    assert response.status_code == 400
    assert response.json() == {"error": "done must be 'true' or 'false'"}


def test_todo_api_patch_changes_only_given_fields(client: TestClient) -> None:
    add(client, "Write docs")
    response = client.patch("/todos/1", json={"done": True})
    assert response.status_code == 200
    assert response.json() == {"id": 1, "title": "Write docs", "done": True}
    assert client.get("/todos/1").json()["done"] is True


def test_todo_api_delete_answers_204_then_404(client: TestClient) -> None:
    add(client, "Write docs")
    response = client.delete("/todos/1")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/todos/1").status_code == 404


def test_todo_api_missing_todo_is_a_json_404(client: TestClient) -> None:
    response = client.get("/todos/99")
    assert response.status_code == 404
    assert response.json() == {"error": "No to-do with id 99"}


def test_todo_api_patch_of_missing_todo_is_404(client: TestClient) -> None:
    response = client.patch("/todos/99", json={"done": True})
    assert response.status_code == 404


def test_todo_api_unknown_path_is_a_json_404(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


def test_todo_api_wrong_method_is_a_json_405_with_allow(client: TestClient) -> None:
    response = client.put("/todos/1", json={"title": "x"})
    assert response.status_code == 405
    assert response.json() == {"error": "Method Not Allowed"}
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"


def test_todo_api_missing_title_is_a_400_naming_the_field(client: TestClient) -> None:
    response = client.post("/todos", json={})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid to-do",
        "fields": {"title": "must be a non-empty string"},
    }


def test_todo_api_wrong_types_and_unknown_fields_are_all_reported(
    client: TestClient,
) -> None:
    response = client.post("/todos", json={"title": 3, "done": "yes", "due": 1})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "title": "must be a non-empty string",
        "done": "must be true or false",
        "due": "unknown field",
    }


def test_todo_api_too_long_title_is_a_400(client: TestClient) -> None:
    response = client.post("/todos", json={"title": "x" * 201})
    assert response.status_code == 400
    assert response.json()["fields"] == {"title": "must be at most 200 characters"}


def test_todo_api_body_must_be_an_object(client: TestClient) -> None:
    response = client.post("/todos", json=["Write docs"])
    assert response.status_code == 400
    assert response.json()["fields"] == {"body": "must be a JSON object"}


def test_todo_api_malformed_json_is_a_json_400(client: TestClient) -> None:
    response = client.post(
        "/todos", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid JSON: Expecting")


def test_todo_api_json_without_json_content_type_is_a_400(client: TestClient) -> None:
    response = client.post("/todos", content=b'{"title": "x"}')
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.json()["error"]


def test_todo_api_apps_do_not_share_their_store() -> None:
    with TestClient(create_app()) as first, TestClient(create_app()) as second:
        add(first, "Only here")
        assert second.get("/todos").json() == []
