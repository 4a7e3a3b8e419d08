"""TrustedHostMiddleware: exact and wildcard hosts, www redirect, websockets."""

from __future__ import annotations

import pytest
from asgi import http_scope, run_asgi, websocket_scope

from microasgi.batteries.middleware import TrustedHostMiddleware

pytestmark = pytest.mark.anyio


def make_scope(host, scope_type="http", path="/", query=b""):
    headers = [] if host is None else [(b"host", host.encode())]
    make = http_scope if scope_type == "http" else websocket_scope
    return make(path, headers=headers, query_string=query)


async def call(app, scope):
    first = "http.request" if scope["type"] == "http" else "websocket.connect"
    return await run_asgi(app, scope, [{"type": first}])


async def ok_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def status_for(host, **options):
    sent = await call(TrustedHostMiddleware(ok_app, **options), make_scope(host))
    return sent[0]["status"]


async def test_trustedhost_allows_a_listed_host():
    assert await status_for("example.com", allowed_hosts=["example.com"]) == 200


async def test_trustedhost_ignores_port_and_case():
    assert await status_for("Example.COM:8000", allowed_hosts=["example.com"]) == 200


async def test_trustedhost_allows_ipv6_literal():
    assert await status_for("[::1]:8000", allowed_hosts=["[::1]"]) == 200


async def test_trustedhost_wildcard_allows_subdomains():
    assert await status_for("api.example.com", allowed_hosts=["*.example.com"]) == 200


async def test_trustedhost_wildcard_does_not_allow_the_bare_domain():
    options = {"allowed_hosts": ["*.example.com"]}
    assert await status_for("example.com", **options) == 400


async def test_trustedhost_wildcard_does_not_allow_lookalike_domains():
    options = {"allowed_hosts": ["*.example.com"]}
    assert await status_for("evilexample.com", **options) == 400


async def test_trustedhost_refuses_other_hosts_with_400():
    app = TrustedHostMiddleware(ok_app, allowed_hosts=["example.com"])
    sent = await call(app, make_scope("evil.com"))
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == b"Invalid host header"


@pytest.mark.parametrize("allowed", [["a.example", "b.example"], ["*"]])
async def test_trustedhost_refuses_two_host_headers_with_400(allowed):
    scope = make_scope("a.example")
    scope["headers"].append((b"host", b"b.example"))
    sent = await call(TrustedHostMiddleware(ok_app, allowed_hosts=allowed), scope)
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == b"Invalid host header: more than one Host header"


async def test_trustedhost_closes_a_websocket_with_two_host_headers():
    scope = make_scope("a.example", "websocket")
    scope["headers"].append((b"host", b"a.example"))
    app = TrustedHostMiddleware(ok_app, allowed_hosts=["a.example"])
    sent = await call(app, scope)
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


async def test_trustedhost_refuses_a_missing_host():
    assert await status_for(None, allowed_hosts=["example.com"]) == 400


async def test_trustedhost_allows_anything_by_default():
    assert await status_for("anything.test") == 200


async def test_trustedhost_redirects_bare_domain_to_www():
    app = TrustedHostMiddleware(ok_app, allowed_hosts=["www.example.com"])
    sent = await call(app, make_scope("example.com:8000", path="/a b", query=b"q=1"))
    assert sent[0]["status"] == 307
    headers = dict(sent[0]["headers"])
    assert headers[b"location"] == b"http://www.example.com:8000/a%20b?q=1"


async def test_trustedhost_www_redirect_keeps_encoded_characters_of_the_path():
    app = TrustedHostMiddleware(ok_app, allowed_hosts=["www.example.com"])
    scope = make_scope("example.com", path="/a?b#c")
    scope["raw_path"] = b"/a%3Fb%23c"
    sent = await call(app, scope)
    assert dict(sent[0]["headers"])[b"location"] == b"http://www.example.com/a%3Fb%23c"


async def test_trustedhost_www_redirect_can_be_turned_off():
    options = {"allowed_hosts": ["www.example.com"], "www_redirect": False}
    assert await status_for("example.com", **options) == 400


async def test_trustedhost_closes_a_refused_websocket_before_accept():
    app = TrustedHostMiddleware(ok_app, allowed_hosts=["example.com"])
    sent = await call(app, make_scope("evil.com", "websocket"))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


async def test_trustedhost_lets_an_allowed_websocket_through():
    seen = []

    async def ws_app(scope, receive, send):
        seen.append(scope["type"])

    app = TrustedHostMiddleware(ws_app, allowed_hosts=["example.com"])
    await call(app, make_scope("example.com", "websocket"))
    assert seen == ["websocket"]


async def test_trustedhost_passes_lifespan_through():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    app = TrustedHostMiddleware(inner, allowed_hosts=["example.com"])
    await app({"type": "lifespan"}, None, None)
    assert seen == ["lifespan"]


@pytest.mark.parametrize("pattern", ["example.*", "a*.example.com", "*example.com"])
def test_trustedhost_misplaced_wildcard_is_refused(pattern):
    with pytest.raises(ValueError, match="wrong place"):
        TrustedHostMiddleware(ok_app, allowed_hosts=[pattern])


def test_trustedhost_string_option_is_a_type_error():
    with pytest.raises(TypeError, match=r"allowed_hosts=\['example.com'\]"):
        TrustedHostMiddleware(ok_app, allowed_hosts="example.com")
