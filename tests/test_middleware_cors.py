"""CORSMiddleware: simple and preflight requests, origins, credentials."""

from __future__ import annotations

import pytest
from asgi import http_scope, run_asgi

from microasgi.batteries.middleware import CORSMiddleware

pytestmark = pytest.mark.anyio


def cors_scope(method="GET", headers=()):
    encoded = [(name.encode(), value.encode()) for name, value in headers]
    return http_scope("/", method, headers=encoded)


async def call(app, scope):
    return await run_asgi(app, scope, [{"type": "http.request"}])


def text_app(status=200, headers=()):
    async def app(scope, receive, send):
        await send(
            {"type": "http.response.start", "status": status, "headers": list(headers)}
        )
        await send({"type": "http.response.body", "body": b"hello"})

    return app


def response_headers(sent):
    return {name.decode(): value.decode() for name, value in sent[0]["headers"]}


async def simple(origin, **options):
    app = CORSMiddleware(text_app(), **options)
    return await call(app, cors_scope(headers=[("origin", origin)]))


async def preflight(
    origin="https://a.com", method="GET", request_headers=None, **options
):
    headers = [("origin", origin), ("access-control-request-method", method)]
    if request_headers is not None:
        headers.append(("access-control-request-headers", request_headers))
    app = CORSMiddleware(text_app(), **options)
    return await call(app, cors_scope("OPTIONS", headers))


# --- simple requests ------------------------------------------------------


async def test_cors_request_without_origin_gets_only_vary_origin():
    # The answer to an allowed origin differs, so a shared cache must not hand
    # this one to it: Vary says the answer depends on Origin.
    app = CORSMiddleware(text_app(), allow_origins=["https://a.com"])
    sent = await call(app, cors_scope())
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"vary", b"Origin")],
        },
        {"type": "http.response.body", "body": b"hello"},
    ]


async def test_cors_request_without_origin_passes_unchanged_for_any_origin():
    app = CORSMiddleware(text_app(), allow_origins=["*"])
    sent = await call(app, cors_scope())
    assert sent == [
        {"type": "http.response.start", "status": 200, "headers": []},
        {"type": "http.response.body", "body": b"hello"},
    ]


async def test_cors_options_without_origin_reaches_the_app_with_vary():
    headers = [("access-control-request-method", "GET")]
    app = CORSMiddleware(text_app(), allow_origins=["https://a.com"])
    sent = await call(app, cors_scope("OPTIONS", headers))
    assert sent[0]["headers"] == [(b"vary", b"Origin")]
    assert sent[1]["body"] == b"hello"


async def test_cors_allowed_origin_is_echoed_with_vary():
    sent = await simple("https://a.com", allow_origins=["https://a.com"])
    assert sent[0] == {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"access-control-allow-origin", b"https://a.com"),
            (b"vary", b"Origin"),
        ],
    }
    assert sent[1] == {"type": "http.response.body", "body": b"hello"}


async def test_cors_other_origin_gets_no_allow_origin():
    sent = await simple("https://evil.com", allow_origins=["https://a.com"])
    assert sent[0]["headers"] == [(b"vary", b"Origin")]


async def test_cors_wildcard_origin_sends_star_without_vary():
    sent = await simple("https://any.com", allow_origins=["*"])
    assert sent[0]["headers"] == [(b"access-control-allow-origin", b"*")]


async def test_cors_wildcard_with_credentials_echoes_origin():
    sent = await simple("https://any.com", allow_origins=["*"], allow_credentials=True)
    assert response_headers(sent) == {
        "access-control-allow-origin": "https://any.com",
        "access-control-allow-credentials": "true",
        "vary": "Origin",
    }


async def test_cors_origin_regex_allows_matching_origin():
    sent = await simple("https://app.a.com", allow_origin_regex=r"https://.*\.a\.com")
    assert response_headers(sent)["access-control-allow-origin"] == "https://app.a.com"


async def test_cors_origin_regex_must_match_whole_origin():
    regex = r"https://.*\.a\.com"
    sent = await simple("https://x.a.com.evil.com", allow_origin_regex=regex)
    assert "access-control-allow-origin" not in response_headers(sent)


async def test_cors_expose_headers_are_listed():
    sent = await simple(
        "https://a.com", allow_origins=["*"], expose_headers=["X-Total", "X-Page"]
    )
    assert response_headers(sent)["access-control-expose-headers"] == "X-Total, X-Page"


async def test_cors_headers_added_to_error_responses():
    app = CORSMiddleware(text_app(status=500), allow_origins=["https://a.com"])
    sent = await call(app, cors_scope(headers=[("origin", "https://a.com")]))
    assert sent[0]["status"] == 500
    assert response_headers(sent)["access-control-allow-origin"] == "https://a.com"


async def test_cors_keeps_the_apps_headers_and_vary():
    inner = text_app(headers=[(b"vary", b"Accept"), (b"x-app", b"1")])
    app = CORSMiddleware(inner, allow_origins=["https://a.com"])
    sent = await call(app, cors_scope(headers=[("origin", "https://a.com")]))
    assert sent[0]["headers"] == [
        (b"vary", b"Accept"),
        (b"x-app", b"1"),
        (b"access-control-allow-origin", b"https://a.com"),
        (b"vary", b"Origin"),
    ]


async def test_cors_replaces_an_allow_origin_set_by_the_app():
    inner = text_app(headers=[(b"access-control-allow-origin", b"*")])
    app = CORSMiddleware(inner, allow_origins=["https://a.com"])
    sent = await call(app, cors_scope(headers=[("origin", "https://a.com")]))
    values = [value for name, value in sent[0]["headers"] if name.startswith(b"access")]
    assert values == [b"https://a.com"]


async def test_cors_does_not_change_the_apps_header_list():
    app_headers = [(b"x-app", b"1")]
    app = CORSMiddleware(text_app(headers=app_headers), allow_origins=["*"])
    await call(app, cors_scope(headers=[("origin", "https://a.com")]))
    assert app_headers == [(b"x-app", b"1")]


# --- preflight requests ---------------------------------------------------


async def test_cors_preflight_allowed_is_answered_without_the_app():
    sent = await preflight(
        method="POST",
        request_headers="X-Token, content-type",
        allow_origins=["https://a.com"],
        allow_methods=["GET", "POST"],
        allow_headers=["X-Token"],
        max_age=120,
    )
    assert sent[0]["status"] == 200
    assert response_headers(sent) == {
        "access-control-allow-origin": "https://a.com",
        "vary": "Origin",
        "access-control-allow-methods": "GET, POST",
        "access-control-max-age": "120",
        "access-control-allow-headers": (
            "accept, accept-language, content-language, content-type, x-token"
        ),
        "content-length": "2",
        "content-type": "text/plain; charset=utf-8",
    }
    assert sent[1]["body"] == b"OK"


async def test_cors_preflight_disallowed_origin_is_400():
    sent = await preflight(origin="https://evil.com", allow_origins=["https://a.com"])
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == b"Disallowed CORS origin"
    assert "access-control-allow-origin" not in response_headers(sent)


async def test_cors_preflight_names_every_refused_part():
    sent = await preflight(
        origin="https://evil.com",
        method="DELETE",
        request_headers="X-Secret",
        allow_origins=["https://a.com"],
    )
    assert sent[1]["body"] == b"Disallowed CORS origin, method, headers"


async def test_cors_preflight_safelisted_headers_need_no_listing():
    sent = await preflight(request_headers="Content-Type, Accept", allow_origins=["*"])
    assert sent[0]["status"] == 200


async def test_cors_preflight_wildcard_headers_echo_the_request():
    sent = await preflight(
        request_headers="X-One, X-Two", allow_origins=["*"], allow_headers=["*"]
    )
    assert response_headers(sent)["access-control-allow-headers"] == "x-one, x-two"


async def test_cors_preflight_wildcard_methods_echo_the_request():
    sent = await preflight(method="PATCH", allow_origins=["*"], allow_methods=["*"])
    assert response_headers(sent)["access-control-allow-methods"] == "PATCH"


async def test_cors_preflight_with_credentials_never_sends_star():
    sent = await preflight(
        allow_origins=["*"], allow_methods=["*"], allow_credentials=True
    )
    headers = response_headers(sent)
    assert headers["access-control-allow-origin"] == "https://a.com"
    assert headers["access-control-allow-methods"] == "GET"
    assert headers["access-control-allow-credentials"] == "true"


async def test_cors_options_without_request_method_reaches_the_app():
    app = CORSMiddleware(text_app(), allow_origins=["*"])
    sent = await call(app, cors_scope("OPTIONS", [("origin", "https://a.com")]))
    assert sent[1]["body"] == b"hello"


async def test_cors_passes_other_scopes_through():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    await CORSMiddleware(inner, allow_origins=["*"])({"type": "websocket"}, None, None)
    assert seen == ["websocket"]


def test_cors_string_option_is_a_type_error():
    with pytest.raises(TypeError, match=r"allow_origins=\['https://a.com'\]"):
        CORSMiddleware(text_app(), allow_origins="https://a.com")


def test_cors_expose_star_with_credentials_is_refused():
    with pytest.raises(ValueError, match="list the header names"):
        CORSMiddleware(text_app(), expose_headers=["*"], allow_credentials=True)
