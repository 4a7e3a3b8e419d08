"""MultiDict, QueryParams, Headers, MutableHeaders, URL, State, Limits."""

from __future__ import annotations

from typing import Any

import pytest

from microasgi.core.datastructures import (
    URL,
    Headers,
    Limits,
    MultiDict,
    MutableHeaders,
    QueryParams,
    State,
)
from microasgi.core.http import encode_header, is_valid_host


def test_multidict_last_value_wins_and_getlist_keeps_all() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert d["a"] == "3"
    assert d.getlist("a") == ["1", "3"]
    assert list(d) == ["a", "b"]
    assert len(d) == 2


def test_multidict_multi_items_keeps_repeats() -> None:
    d = MultiDict([("a", "1"), ("a", "2")])
    assert d.multi_items() == [("a", "1"), ("a", "2")]


def test_multidict_getlist_missing_key_is_empty() -> None:
    assert MultiDict().getlist("nope") == []


def test_multidict_equality_ignores_order() -> None:
    assert MultiDict([("a", "1"), ("b", "2")]) == MultiDict([("b", "2"), ("a", "1")])
    assert MultiDict([("a", "1")]) != MultiDict([("a", "2")])


def test_queryparams_parses_bytes_with_blank_values() -> None:
    params = QueryParams(b"tag=a&tag=b&empty=&q=x%20y")
    assert params.getlist("tag") == ["a", "b"]
    assert params["empty"] == ""
    assert params["q"] == "x y"


def test_queryparams_decodes_bad_percent_encoding_leniently() -> None:
    params = QueryParams(b"a=%zz&b=%ff&c=%e2%82")
    assert params["a"] == "%zz"
    assert params["b"] == "\ufffd"
    assert "\ufffd" in params["c"]


def test_queryparams_decodes_raw_invalid_utf8_leniently() -> None:
    assert QueryParams(b"name=\xff\xfe")["name"] == "\ufffd\ufffd"


def test_queryparams_str_round_trips_encoded() -> None:
    params = QueryParams([("q", "a b&c"), ("q", "d")])
    assert str(params) == "q=a%20b%26c&q=d"


def test_headers_lookup_is_case_insensitive() -> None:
    headers = Headers([(b"content-type", b"text/html")])
    assert headers["Content-Type"] == "text/html"
    assert "CONTENT-TYPE" in headers
    assert headers.get("x-missing") is None


def test_headers_multi_valued_getlist_in_order() -> None:
    headers = Headers([(b"accept", b"a"), (b"x", b"1"), (b"accept", b"b")])
    assert headers.getlist("Accept") == ["a", "b"]
    assert list(headers) == ["accept", "x"]
    assert len(headers) == 2


def test_headers_get_and_getitem_give_the_first_value() -> None:
    headers = Headers([(b"host", b"a.example"), (b"host", b"b.example")])
    assert headers.get("host") == "a.example"
    assert headers["Host"] == "a.example"


def test_headers_missing_key_raises_keyerror() -> None:
    with pytest.raises(KeyError):
        Headers()["host"]


def test_headers_share_a_given_list() -> None:
    raw = [(b"a", b"1")]
    Headers(raw).raw.append((b"b", b"2"))
    assert raw == [(b"a", b"1"), (b"b", b"2")]


def test_headers_from_mapping_lowercases_names() -> None:
    assert Headers.from_mapping({"X-Id": "7"}).raw == [(b"x-id", b"7")]


def test_mutableheaders_set_replaces_every_earlier_value() -> None:
    headers = MutableHeaders([(b"x", b"1"), (b"x", b"2")])
    headers["X"] = "3"
    assert headers.raw == [(b"x", b"3")]


def test_mutableheaders_append_keeps_earlier_values() -> None:
    headers = MutableHeaders()
    headers.append("Set-Cookie", "a=1")
    headers.append("Set-Cookie", "b=2")
    assert headers.getlist("set-cookie") == ["a=1", "b=2"]


def test_mutableheaders_delete_and_setdefault() -> None:
    headers = MutableHeaders([(b"x", b"1")])
    del headers["X"]
    assert headers.setdefault("y", "2") == "2"
    assert headers.setdefault("y", "3") == "2"
    assert headers.raw == [(b"y", b"2")]


@pytest.mark.parametrize("value", ["a\r\nset-cookie: x=1", "a\nb", "a\rb", "a\x00b"])
def test_mutableheaders_refuses_control_characters_in_value(value: str) -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        MutableHeaders()["x-test"] = value


@pytest.mark.parametrize("name", ["x test", "x:y", "x\r\ny", ""])
def test_encode_header_refuses_invalid_name(name: str) -> None:
    with pytest.raises(ValueError, match="invalid header name"):
        encode_header(name, "v")


def test_encode_header_refuses_non_latin1_value() -> None:
    with pytest.raises(ValueError, match="percent-encode"):
        encode_header("x-name", "snowman \u2603")


def test_encode_header_allows_tab_in_value() -> None:
    assert encode_header("X-A", "a\tb") == (b"x-a", b"a\tb")


@pytest.mark.parametrize(
    "host", ["example.com", "example.com:8000", "127.0.0.1:80", "[::1]:8000"]
)
def test_is_valid_host_accepts_plain_hosts(host: str) -> None:
    assert is_valid_host(host)


@pytest.mark.parametrize(
    "host", ["", "evil.com/x", "a@b.com", "a b", "example.com:80:80", "x?y"]
)
def test_is_valid_host_refuses_malformed_hosts(host: str) -> None:
    assert not is_valid_host(host)


def test_url_parts() -> None:
    url = URL("https://Example.com:8443/a/b?x=1#frag")
    assert (url.scheme, url.netloc, url.path, url.query, url.fragment) == (
        "https",
        "Example.com:8443",
        "/a/b",
        "x=1",
        "frag",
    )
    assert url.hostname == "example.com"
    assert url.port == 8443


def test_url_ipv6_hostname_and_port() -> None:
    url = URL("http://[::1]:8000/")
    assert url.hostname == "::1"
    assert url.port == 8000


def test_url_without_port_has_none() -> None:
    assert URL("http://example.com/").port is None


def test_url_replace_returns_a_copy() -> None:
    url = URL("http://example.com/a?x=1")
    other = url.replace(scheme="https", path="/b")
    assert str(other) == "https://example.com/b?x=1"
    assert str(url) == "http://example.com/a?x=1"


def test_url_equals_its_string() -> None:
    assert URL("http://a/b") == "http://a/b"


def test_state_attributes_round_trip() -> None:
    state = State()
    state.db = "conn"
    assert state.db == "conn"
    del state.db
    with pytest.raises(AttributeError, match="db"):
        _ = state.db


def test_state_wraps_a_given_dict() -> None:
    values: dict[str, object] = {"a": 1}
    State(values).b = 2
    assert values == {"a": 1, "b": 2}


def test_limits_defaults() -> None:
    limits = Limits()
    assert limits.max_body_size == 1024 * 1024
    assert limits.max_fields == 1000
    assert limits.max_files == 100


@pytest.mark.parametrize("value", [-1, 1.5, True, "10"])
def test_limits_refuse_bad_values_naming_the_setting(value: Any) -> None:
    with pytest.raises(ValueError, match=r"max_body_size must be a non-negative int"):
        Limits(max_body_size=value)
