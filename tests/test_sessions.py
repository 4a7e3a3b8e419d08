"""SessionMiddleware: request.session kept in a signed cookie; cookie attributes."""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timezone
from typing import Any

import pytest
from _core_helpers import make_scope, run

from microasgi import App, PlainTextResponse, Response
from microasgi.batteries.middleware.sessions import SessionMiddleware, Signer
from microasgi.testing.client import TestClient

pytestmark = pytest.mark.anyio

SECRET = "a-test-secret-of-some-length"


def session_app(**options: Any) -> App:
    app = App()
    app.add_middleware(SessionMiddleware, secret_key=SECRET, **options)

    @app.get("/count")
    async def count(request):
        request.session["count"] = request.session.get("count", 0) + 1
        return {"count": request.session["count"]}

    @app.get("/read")
    async def read(request):
        return dict(request.session)

    @app.get("/clear")
    async def clear(request):
        request.session.clear()
        return "cleared"

    @app.get("/put")
    async def put(request):
        request.session.update(request.query_params)
        return "stored"

    return app


def set_cookie(response) -> str | None:
    return response.headers.get("set-cookie")


def signed(payload: Any, secret: str = SECRET, now: float | None = None) -> str:
    return Signer(secret).sign(json.dumps(payload), now=now)


# Reading and writing -------------------------------------------------------------


def test_session_starts_empty_without_cookie() -> None:
    response = TestClient(session_app()).get("/read")
    assert response.json() == {}
    assert set_cookie(response) is None


def test_session_answers_vary_on_cookie() -> None:
    # A page built from one visitor's session must not be served from a shared
    # cache to another visitor.
    client = TestClient(session_app())
    assert client.get("/read").headers["vary"] == "Cookie"
    assert client.get("/count").headers["vary"] == "Cookie"


def test_session_change_sets_cookie() -> None:
    response = TestClient(session_app()).get("/count")
    assert response.json() == {"count": 1}
    assert set_cookie(response).startswith("session=")


def test_session_survives_between_requests() -> None:
    client = TestClient(session_app())
    client.get("/count")
    client.get("/count")
    assert client.get("/count").json() == {"count": 3}


def test_session_reads_signed_cookie() -> None:
    client = TestClient(session_app())
    cookie = signed({"user": "ada"})
    response = client.get("/read", headers={"cookie": f"session={cookie}"})
    assert response.json() == {"user": "ada"}


def test_session_unchanged_sends_no_cookie() -> None:
    client = TestClient(session_app())
    client.get("/count")
    assert set_cookie(client.get("/read")) is None


def test_session_same_value_again_sends_no_cookie() -> None:
    client = TestClient(session_app())
    client.get("/put", params={"theme": "dark"})
    assert set_cookie(client.get("/put", params={"theme": "dark"})) is None


def test_session_cleared_deletes_cookie() -> None:
    client = TestClient(session_app())
    client.get("/count")
    header = set_cookie(client.get("/clear"))
    assert header.startswith("session=; Max-Age=0; expires=Thu, 01 Jan 1970")
    assert client.get("/read").json() == {}


def test_session_cookie_holds_json_payload() -> None:
    response = TestClient(session_app()).get("/count")
    value = set_cookie(response).split(";")[0].removeprefix("session=")
    data, timestamp, signature = value.split(".")
    payload = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    assert json.loads(payload) == {"count": 1}
    assert timestamp.isdigit()
    assert len(signature) == 43  # SHA-256, base64url without padding


def test_session_refuses_values_json_cannot_hold() -> None:
    app = App()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)

    @app.get("/")
    async def store(request):
        request.session["when"] = datetime.now(timezone.utc)
        return "ok"

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/").status_code == 500


def test_session_too_large_is_logged_and_not_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = TestClient(session_app())
    with caplog.at_level(logging.ERROR, logger="microasgi"):
        response = client.get("/put", params={"blob": "x" * 5000})
    assert response.status_code == 200
    assert set_cookie(response) is None
    assert "over the 4096" in caplog.text


def test_session_does_not_change_shared_response_headers() -> None:
    # A response object reused for every request must not collect cookies.
    shared = PlainTextResponse("ok")
    before = list(shared.raw_headers)
    app = App()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)

    @app.get("/")
    async def touch(request):
        request.session["seen"] = True
        return shared

    TestClient(app).get("/")
    assert shared.raw_headers == before


# Cookie attributes -----------------------------------------------------------


def test_session_cookie_default_attributes() -> None:
    header = set_cookie(TestClient(session_app()).get("/count"))
    attributes = header.split("; ")[1:]
    # In the order Response.set_cookie writes them: one Set-Cookie builder.
    assert attributes == ["Max-Age=1209600", "Path=/", "SameSite=Lax", "HttpOnly"]


def test_session_https_only_marks_cookie_secure() -> None:
    header = set_cookie(TestClient(session_app(https_only=True)).get("/count"))
    assert header.endswith("; SameSite=Lax; Secure; HttpOnly")


def test_session_cookie_options() -> None:
    app = session_app(
        session_cookie="sid", path="/app", domain="example.com", same_site="strict"
    )
    header = set_cookie(TestClient(app).get("/count"))
    assert header.startswith("sid=")
    assert "; Path=/app; Domain=example.com; SameSite=Strict; HttpOnly" in header


def test_session_without_max_age_is_a_browser_session_cookie() -> None:
    header = set_cookie(TestClient(session_app(max_age=None)).get("/count"))
    assert "Max-Age" not in header


def test_session_same_site_none_needs_https_only() -> None:
    with pytest.raises(ValueError, match="https_only=True"):
        SessionMiddleware(App(), secret_key=SECRET, same_site="none")


def test_session_rejects_bad_same_site() -> None:
    value: Any = "sometimes"
    with pytest.raises(ValueError, match="same_site"):
        SessionMiddleware(App(), secret_key=SECRET, same_site=value)


def test_session_rejects_bad_cookie_name() -> None:
    with pytest.raises(ValueError, match="session_cookie"):
        SessionMiddleware(App(), secret_key=SECRET, session_cookie="my session")


def test_session_rejects_path_with_semicolon() -> None:
    with pytest.raises(ValueError, match="path"):
        SessionMiddleware(App(), secret_key=SECRET, path="/; Domain=evil.example")


def test_session_rejects_short_secret_key() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        SessionMiddleware(App(), secret_key="short")


def test_session_accepts_bytes_secret_key() -> None:
    app = App()
    app.add_middleware(SessionMiddleware, secret_key=SECRET.encode())

    @app.get("/")
    async def read(request):
        return dict(request.session)

    cookie = signed({"a": 1})
    assert TestClient(app).get("/", headers={"cookie": f"session={cookie}"}).json() == {
        "a": 1
    }


# Other scopes ------------------------------------------------------------------


async def test_session_is_readable_on_websocket() -> None:
    seen: list[dict[str, Any]] = []

    async def websocket_app(scope, receive, send):
        seen.append(scope["session"])
        await receive()
        await send({"type": "websocket.close", "code": 1000, "reason": ""})

    cookie = signed({"user": "ada"})
    scope = make_scope("GET", "/ws", type="websocket")
    scope["headers"].append((b"cookie", f"session={cookie}".encode()))
    middleware = SessionMiddleware(websocket_app, secret_key=SECRET)
    result = await run(middleware, scope, [{"type": "websocket.connect"}])
    assert seen == [{"user": "ada"}]
    assert result.messages == [{"type": "websocket.close", "code": 1000, "reason": ""}]


async def test_session_passes_lifespan_through() -> None:
    scopes: list[dict[str, Any]] = []

    async def lifespan_app(scope, receive, send):
        scopes.append(dict(scope))

    await SessionMiddleware(lifespan_app, secret_key=SECRET)(
        {"type": "lifespan"}, None, None
    )
    assert scopes == [{"type": "lifespan"}]


async def test_session_adds_cookie_to_start_message_only() -> None:
    async def app(scope, receive, send):
        scope["session"]["k"] = "v"
        await Response("hi", media_type="text/plain")(scope, receive, send)

    result = await run(SessionMiddleware(app, secret_key=SECRET), make_scope())
    assert [name for name, _ in result.raw_headers].count(b"set-cookie") == 1
    assert result.messages[1] == {"type": "http.response.body", "body": b"hi"}


# Response.set_cookie, as a browser sees it ---------------------------------------


def cookie_response(**options: Any) -> str:
    response = Response("ok")
    response.set_cookie("theme", "dark", **options)
    return response.headers["set-cookie"]


def test_set_cookie_all_attributes() -> None:
    header = cookie_response(
        max_age=60,
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="strict",
        partitioned=True,
    )
    assert header == (
        "theme=dark; Max-Age=60; expires=Wed, 02 Jan 2030 03:04:05 GMT; "
        "Path=/app; Domain=example.com; SameSite=Strict; Secure; HttpOnly; "
        "Partitioned"
    )


def test_set_cookie_round_trips_through_client() -> None:
    app = App()

    @app.get("/set")
    async def set_theme(request):
        response = PlainTextResponse("set")
        response.set_cookie("theme", "dark", httponly=True)
        return response

    @app.get("/get")
    async def get_theme(request):
        return request.cookies.get("theme", "none")

    client = TestClient(app)
    client.get("/set")
    assert client.get("/get").text == "dark"
