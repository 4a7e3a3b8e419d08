from __future__ import annotations

import anyio
import pytest
from asgi import http_scope, run_asgi, websocket_scope

from microasgi.testing.validate import ASGIProtocolError, ConversationChecker, validate

pytestmark = pytest.mark.anyio

REQUEST = {"type": "http.request", "body": b"", "more_body": False}
START = {"type": "http.response.start", "status": 200, "headers": []}
BODY = {"type": "http.response.body", "body": b"ok", "more_body": False}
CONNECT = {"type": "websocket.connect"}
ACCEPT = {"type": "websocket.accept"}


def sender(*messages):
    """A raw app that reads the request, then sends messages in order."""

    async def app(scope, receive, send):
        await receive()
        for message in messages:
            await send(message)

    return app


async def breach_of(app, scope=None, script=(REQUEST,)):
    with pytest.raises(ASGIProtocolError) as caught:
        await run_asgi(validate(app), scope or http_scope(), list(script))
    return str(caught.value)


# HTTP: good apps pass through unchanged


async def test_validate_passes_a_good_response():
    sent = await run_asgi(validate(sender(START, BODY)), http_scope(), [REQUEST])
    assert sent == [START, BODY]


async def test_validate_passes_a_streamed_response():
    chunk = {"type": "http.response.body", "body": b"a", "more_body": True}
    app = sender(START, chunk, chunk, {"type": "http.response.body"})
    sent = await run_asgi(validate(app), http_scope(), [REQUEST])
    assert len(sent) == 4


async def test_validate_passes_an_app_that_stops_after_the_client_left():
    async def app(scope, receive, send):
        await send(START)
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        assert (await receive())["type"] == "http.disconnect"

    script = [{"type": "http.disconnect"}]
    assert len(await run_asgi(validate(app), http_scope(), script)) == 2


async def test_validate_passes_the_apps_own_exception_through():
    async def app(scope, receive, send):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        await run_asgi(validate(app), http_scope(), [])


async def test_validate_materialises_one_shot_header_iterators():
    headers = iter([(b"x-one", b"1")])
    start = {"type": "http.response.start", "status": 200, "headers": headers}
    sent = await run_asgi(validate(sender(start, BODY)), http_scope(), [REQUEST])
    assert list(sent[0]["headers"]) == [(b"x-one", b"1")]


async def test_validate_passes_advertised_unknown_extension_messages():
    hint = {"type": "http.response.early_hint", "links": [b"</a.css>"]}
    scope = http_scope(extensions={"http.response.early_hint": {}})
    sent = await run_asgi(validate(sender(hint, START, BODY)), scope, [REQUEST])
    assert sent[0] == hint


async def test_validate_passes_trailers_when_advertised():
    start = {**START, "trailers": True}
    trailers = {"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]}
    scope = http_scope(extensions={"http.response.trailers": {}})
    sent = await run_asgi(validate(sender(start, BODY, trailers)), scope, [REQUEST])
    assert sent[-1] == trailers


# HTTP: one test per breach


async def test_validate_rejects_str_body_naming_field_and_value():
    text = await breach_of(
        sender(START, {"type": "http.response.body", "body": "hello"})
    )
    assert text == "'http.response.body' field 'body' must be bytes, got str ('hello')"


async def test_validate_rejects_a_message_that_is_not_a_dict():
    assert "must be a dict, got list" in await breach_of(
        sender(["http.response.start"])
    )


async def test_validate_rejects_a_message_without_a_str_type():
    assert "needs a str 'type'" in await breach_of(sender({"status": 200}))


async def test_validate_rejects_a_message_type_of_another_scope():
    text = await breach_of(sender({"type": "websocket.send", "text": "hi"}))
    assert text.startswith("'websocket.send' is not a message to send on a 'http'")


async def test_validate_rejects_a_receive_type_sent_by_the_app():
    assert "not a message to send" in await breach_of(sender(REQUEST))


async def test_validate_rejects_body_before_start():
    text = await breach_of(sender(BODY))
    assert text.startswith("'http.response.body' sent before 'http.response.start'")


async def test_validate_rejects_start_sent_twice():
    assert "sent twice" in await breach_of(sender(START, START, BODY))


async def test_validate_rejects_body_after_the_final_body():
    text = await breach_of(sender(START, BODY, BODY))
    assert text.startswith("'http.response.body' sent after the response completed")


async def test_validate_rejects_start_after_the_response_completed():
    assert "after the response completed" in await breach_of(sender(START, BODY, START))


async def test_validate_rejects_a_missing_status():
    text = await breach_of(sender({"type": "http.response.start"}, BODY))
    assert text == "'http.response.start' is missing the required field 'status'"


async def test_validate_rejects_a_str_status():
    text = await breach_of(sender({**START, "status": "200"}, BODY))
    assert "field 'status' must be an int from 100 to 599, got str ('200')" in text


async def test_validate_rejects_a_status_out_of_range():
    assert "got int (600)" in await breach_of(sender({**START, "status": 600}, BODY))


async def test_validate_rejects_upper_case_header_names():
    start = {**START, "headers": [(b"Content-Type", b"text/plain")]}
    text = await breach_of(sender(start, BODY))
    assert (
        "item 0 name b'Content-Type' must be lower-case (use b'content-type')" in text
    )


async def test_validate_rejects_str_header_names():
    start = {**START, "headers": [("content-type", b"text/plain")]}
    assert "item 0 must be a [name, value] pair of bytes" in await breach_of(
        sender(start, BODY)
    )


async def test_validate_rejects_headers_that_are_not_pairs():
    start = {**START, "headers": [(b"a", b"b", b"c")]}
    assert "must be a [name, value] pair" in await breach_of(sender(start, BODY))


async def test_validate_rejects_headers_given_as_a_dict():
    start = {**START, "headers": {b"a": b"b"}}
    assert "must be an iterable of [name, value]" in await breach_of(
        sender(start, BODY)
    )


async def test_validate_rejects_newlines_in_header_values():
    start = {**START, "headers": [(b"x-a", b"1\r\nx-b: 2")]}
    assert "contains CR, LF or NUL" in await breach_of(sender(start, BODY))


async def test_validate_rejects_pseudo_headers():
    start = {**START, "headers": [(b":status", b"200")]}
    assert "pseudo-header" in await breach_of(sender(start, BODY))


async def test_validate_rejects_a_non_bool_more_body():
    body = {"type": "http.response.body", "body": b"", "more_body": 1}
    assert "field 'more_body' must be a bool" in await breach_of(sender(START, body))


async def test_validate_rejects_trailers_without_the_extension():
    trailers = {"type": "http.response.trailers", "headers": []}
    text = await breach_of(sender(START, BODY, trailers))
    assert "needs the 'http.response.trailers' extension" in text


async def test_validate_rejects_returning_without_a_response():
    text = await breach_of(sender())
    assert text.startswith("the app returned without sending 'http.response.start'")


async def test_validate_rejects_returning_before_the_final_body():
    chunk = {"type": "http.response.body", "body": b"a", "more_body": True}
    text = await breach_of(sender(START, chunk))
    assert text.startswith("the app returned before completing the response")


async def test_validate_rejects_a_server_sending_a_str_request_body():
    text = await breach_of(sender(START, BODY), script=[{**REQUEST, "body": "x"}])
    assert text.startswith("'http.request' field 'body' must be bytes")


async def test_validate_rejects_headers_with_a_non_pair_item():
    start = {**START, "headers": [42]}
    assert "item 0 must be a [name, value] pair" in await breach_of(sender(start, BODY))


async def test_validate_rejects_trailers_before_the_final_body():
    start = {**START, "trailers": True}
    trailers = {"type": "http.response.trailers", "headers": []}
    scope = http_scope(extensions={"http.response.trailers": {}})
    text = await breach_of(sender(start, trailers), scope)
    assert text.startswith("'http.response.trailers' sent before the final body")


async def test_validate_rejects_a_body_where_trailers_are_due():
    start = {**START, "trailers": True}
    scope = http_scope(extensions={"http.response.trailers": {}})
    text = await breach_of(sender(start, BODY, BODY), scope)
    assert "only trailers may follow" in text


async def test_validate_rejects_returning_before_the_promised_trailers():
    start = {**START, "trailers": True}
    scope = http_scope(extensions={"http.response.trailers": {}})
    text = await breach_of(sender(start, BODY), scope)
    assert text == "the app returned before its final 'http.response.trailers'"


async def test_validate_counts_pathsend_as_the_final_body():
    pathsend = {"type": "http.response.pathsend", "path": "/srv/a.txt"}
    scope = http_scope(extensions={"http.response.pathsend": {}})
    assert await run_asgi(validate(sender(START, pathsend)), scope, [REQUEST])


async def test_validate_rejects_a_server_sending_more_body_after_the_end():
    async def app(scope, receive, send):
        await receive()
        await receive()

    text = await breach_of(app, script=[REQUEST, REQUEST])
    assert "'http.request' received after the request body was complete" in text


async def test_validate_rejects_an_unknown_message_from_the_server():
    text = await breach_of(sender(START, BODY), script=[{"type": "http.nonsense"}])
    assert "'http.nonsense' is not a message to receive" in text


# Breaches cannot be swallowed


async def test_validate_raises_a_swallowed_breach_on_return():
    async def app(scope, receive, send):
        await send(START)
        try:
            await send({"type": "http.response.body", "body": "oops"})
        except ASGIProtocolError:
            await send(BODY)

    assert "field 'body' must be bytes" in await breach_of(app)


async def test_validate_raises_the_breach_over_a_later_error():
    async def app(scope, receive, send):
        try:
            await send(BODY)
        except ASGIProtocolError as exc:
            raise RuntimeError("error page failed") from exc

    with pytest.raises(ASGIProtocolError) as caught:
        await run_asgi(validate(app), http_scope(), [])
    assert isinstance(caught.value.__cause__, RuntimeError)


async def test_validate_raises_the_breach_directly_not_in_a_group():
    async def app(scope, receive, send):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send, BODY)

    with pytest.raises(ASGIProtocolError, match=r"sent before 'http\.response\.start'"):
        await run_asgi(validate(app), http_scope(), [])


# WebSocket


async def test_validate_passes_a_good_websocket_conversation():
    close = {"type": "websocket.close", "code": 1000, "reason": "bye"}
    app = sender(ACCEPT, {"type": "websocket.send", "text": "hi"}, close)
    sent = await run_asgi(validate(app), websocket_scope(), [CONNECT])
    assert [message["type"] for message in sent] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]


async def test_validate_passes_a_denial_response():
    start = {"type": "websocket.http.response.start", "status": 401, "headers": []}
    body = {"type": "websocket.http.response.body", "body": b"no"}
    sent = await run_asgi(validate(sender(start, body)), websocket_scope(), [CONNECT])
    assert sent == [start, body]


async def test_validate_rejects_websocket_send_before_accept():
    app = sender({"type": "websocket.send", "text": "hi"})
    text = await breach_of(app, websocket_scope(), [CONNECT])
    assert text.startswith("'websocket.send' sent before 'websocket.accept'")


async def test_validate_rejects_accept_sent_twice():
    text = await breach_of(sender(ACCEPT, ACCEPT), websocket_scope(), [CONNECT])
    assert "sent after the handshake was answered" in text


async def test_validate_rejects_websocket_send_after_close():
    app = sender(
        ACCEPT, {"type": "websocket.close"}, {"type": "websocket.send", "text": "x"}
    )
    text = await breach_of(app, websocket_scope(), [CONNECT])
    assert text == "'websocket.send' sent after the WebSocket was closed or denied"


async def test_validate_rejects_websocket_send_with_text_and_bytes():
    app = sender(ACCEPT, {"type": "websocket.send", "text": "a", "bytes": b"a"})
    text = await breach_of(app, websocket_scope(), [CONNECT])
    assert (
        text == "'websocket.send' must carry exactly one of 'bytes' or 'text', got both"
    )


async def test_validate_rejects_websocket_send_with_bytes_as_text():
    app = sender(ACCEPT, {"type": "websocket.send", "text": b"a"})
    text = await breach_of(app, websocket_scope(), [CONNECT])
    assert "field 'text' must be a str or None, got bytes" in text


async def test_validate_rejects_a_close_code_that_is_an_http_status():
    app = sender({"type": "websocket.close", "code": 403})
    text = await breach_of(app, websocket_scope(), [CONNECT])
    assert "field 'code' must be an int from 1000 to 4999, got int (403)" in text


async def test_validate_rejects_a_close_reason_that_is_not_str():
    app = sender(ACCEPT, {"type": "websocket.close", "reason": b"bye"})
    text = await breach_of(app, websocket_scope(), [CONNECT])
    assert "field 'reason' must be a str or None" in text


async def test_validate_rejects_a_subprotocol_that_is_not_str():
    app = sender({"type": "websocket.accept", "subprotocol": b"chat"})
    text = await breach_of(app, websocket_scope(), [CONNECT])
    assert "field 'subprotocol' must be a str or None" in text


async def test_validate_rejects_a_subprotocol_set_as_an_accept_header():
    accept = {
        "type": "websocket.accept",
        "headers": [(b"sec-websocket-protocol", b"a")],
    }
    text = await breach_of(sender(accept), websocket_scope(), [CONNECT])
    assert "use the 'subprotocol' field" in text


async def test_validate_rejects_a_denial_without_the_extension():
    start = {"type": "websocket.http.response.start", "status": 401}
    text = await breach_of(sender(start), websocket_scope(extensions={}), [CONNECT])
    assert "needs the 'websocket.http.response' extension" in text


async def test_validate_rejects_a_denial_after_accept():
    start = {"type": "websocket.http.response.start", "status": 401}
    text = await breach_of(sender(ACCEPT, start), websocket_scope(), [CONNECT])
    assert "sent after the handshake was answered" in text


async def test_validate_rejects_a_denial_body_before_its_start():
    body = {"type": "websocket.http.response.body", "body": b"no"}
    text = await breach_of(sender(body), websocket_scope(), [CONNECT])
    assert "sent before 'websocket.http.response.start'" in text


async def test_validate_rejects_a_close_during_a_denial_response():
    start = {"type": "websocket.http.response.start", "status": 401}
    app = sender(start, {"type": "websocket.close"})
    text = await breach_of(app, websocket_scope(), [CONNECT])
    assert "'websocket.close' sent during a denial response" in text


async def test_validate_rejects_a_server_delivering_data_before_accept():
    receive_text = {"type": "websocket.receive", "text": "early"}
    text = await breach_of(sender(ACCEPT), websocket_scope(), [receive_text])
    assert text == "'websocket.receive' received before 'websocket.accept'"


# Lifespan


def lifespan_app(*replies_per_event):
    async def app(scope, receive, send):
        for replies in replies_per_event:
            await receive()
            for reply in replies:
                await send({"type": reply})

    return app


LIFESPAN_SCRIPT = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]


async def test_validate_passes_a_good_lifespan():
    app = lifespan_app(["lifespan.startup.complete"], ["lifespan.shutdown.complete"])
    sent = await run_asgi(validate(app), {"type": "lifespan"}, LIFESPAN_SCRIPT)
    assert len(sent) == 2


async def test_validate_rejects_startup_complete_before_startup():
    async def app(scope, receive, send):
        await send({"type": "lifespan.startup.complete"})

    text = await breach_of(app, {"type": "lifespan"}, [])
    assert text.startswith(
        "'lifespan.startup.complete' sent with no 'lifespan.startup'"
    )


async def test_validate_rejects_startup_complete_sent_twice():
    replies = ["lifespan.startup.complete", "lifespan.startup.complete"]
    text = await breach_of(lifespan_app(replies), {"type": "lifespan"}, LIFESPAN_SCRIPT)
    assert "no 'lifespan.startup' waiting" in text


async def test_validate_rejects_shutdown_complete_during_startup():
    app = lifespan_app(["lifespan.shutdown.complete"])
    text = await breach_of(app, {"type": "lifespan"}, LIFESPAN_SCRIPT)
    assert "no 'lifespan.shutdown' waiting" in text


async def test_validate_rejects_a_failure_message_that_is_not_str():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.failed", "message": ValueError("db")})

    text = await breach_of(app, {"type": "lifespan"}, LIFESPAN_SCRIPT)
    assert "field 'message' must be a str, got ValueError" in text


async def test_validate_rejects_a_server_sending_shutdown_before_startup():
    app = lifespan_app(["lifespan.shutdown.complete"])
    text = await breach_of(app, {"type": "lifespan"}, [{"type": "lifespan.shutdown"}])
    assert "'lifespan.shutdown' received out of order" in text


# ConversationChecker on its own


def test_conversation_checker_returns_the_breach_without_raising():
    checker = ConversationChecker(http_scope())
    assert checker.check_send(START) is None
    assert checker.check_send({"type": "http.response.body", "body": "hi"}) == (
        "'http.response.body' field 'body' must be bytes, got str ('hi')"
    )


def test_conversation_checker_ignores_unknown_scope_types():
    checker = ConversationChecker({"type": "webtransport"})
    assert checker.check_send("anything") is None
    assert checker.check_return() is None
