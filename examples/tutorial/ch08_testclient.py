"""Chapter 8: test with `TestClient`, an httpx client that calls the app
in-process: no server, no sockets.

Run the tests with `python -m pytest examples/tutorial/ch08_testclient.py`.
"""

from microasgi import App, TestClient

app = App()


@app.on_startup
async def load_greeting():
    app.state.greeting = "Hello"


@app.get("/greet/{name}")
async def greet(request, name: str):
    return {"message": f"{request.app.state.greeting}, {name}!"}


def test_greet_says_hello():
    with TestClient(app) as client:  # `with` runs startup and shutdown
        response = client.get("/greet/Ada")
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, Ada!"}


def test_unknown_path_is_404():
    with TestClient(app) as client:
        response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_greet_sends_start_then_body():
    with TestClient(app) as client:
        client.get("/greet/Ada")
        events = client.last_conversation.events
    assert [(event.direction, event.message["type"]) for event in events] == [
        ("send", "http.response.start"),
        ("send", "http.response.body"),
    ]
