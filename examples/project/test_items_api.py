"""The items API's tests: run `python -m pytest examples/project/`.

In your own project this is tests/test_items_api.py; it needs the `test`
extra (`pip install 'microasgi[test]'`) for `TestClient` and pytest.
"""

import pytest
from items_api import app

from microasgi import TestClient


@pytest.fixture
def client():
    with TestClient(app) as client:
        yield client


def test_read_item(client):
    assert client.get("/items/1").json() == {"id": 1, "name": "kettle"}


def test_missing_item_is_404(client):
    response = client.get("/items/99")
    assert response.status_code == 404
    assert response.text == "No item 99"


def test_search_reads_the_query_string(client):
    assert client.get("/search", params={"q": "kett"}).json()[0]["id"] == 1


def test_create_item(client):
    response = client.post("/items", json={"name": "teapot"})
    assert response.json()["name"] == "teapot"
    assert client.get(f"/items/{response.json()['id']}").status_code == 200


def test_create_item_without_a_name_is_422(client):
    assert client.post("/items", json={"title": "x"}).status_code == 422
