"""compile_path: templates, converters, formatting and early errors."""

from __future__ import annotations

import uuid

import pytest

from microasgi.core.paths import CONVERTERS, Converter, SegmentPattern, compile_path


def test_compile_path_static_template_has_literal_segments() -> None:
    template = compile_path("/users/me")
    assert template.is_static
    assert template.segments == ("users", "me")
    assert template.tail is None


def test_compile_path_param_segment_matches_and_converts() -> None:
    template = compile_path("/items/{item_id:int}")
    segment = template.segments[1]
    assert isinstance(segment, SegmentPattern)
    assert segment.match("42") == {"item_id": 42}
    assert segment.match("x") is None


def test_compile_path_mixed_segment_holds_several_params() -> None:
    template = compile_path("/files/{name}.{ext}")
    segment = template.segments[1]
    assert isinstance(segment, SegmentPattern)
    assert segment.match("report.pdf") == {"name": "report", "ext": "pdf"}


def test_compile_path_path_param_becomes_the_tail() -> None:
    template = compile_path("/static/{rest:path}")
    assert template.segments == ("static",)
    assert template.tail is not None
    assert template.tail.match("css/site.css") == {"rest": "css/site.css"}


def test_compile_path_float_converter() -> None:
    segment = compile_path("/{x:float}").segments[0]
    assert isinstance(segment, SegmentPattern)
    assert segment.match("1.5") == {"x": 1.5}
    assert segment.match("-1.5") is None


def test_compile_path_uuid_converter() -> None:
    value = uuid.uuid4()
    segment = compile_path("/{u:uuid}").segments[0]
    assert isinstance(segment, SegmentPattern)
    assert segment.match(str(value)) == {"u": value}
    assert segment.match("not-a-uuid") is None


def test_compile_path_str_converter_stops_at_slash() -> None:
    template = compile_path("/{name}")
    assert template.tail is None
    assert template.param_names == ("name",)


def test_compile_path_custom_converter() -> None:
    converters = {
        **CONVERTERS,
        "hex": Converter("[0-9a-f]+", lambda s: int(s, 16), hex),
    }
    segment = compile_path("/{n:hex}", converters).segments[0]
    assert isinstance(segment, SegmentPattern)
    assert segment.match("ff") == {"n": 255}


def test_compile_path_refuses_missing_leading_slash_with_suggestion() -> None:
    with pytest.raises(ValueError, match=r"must start with '/'; did you mean '/users'"):
        compile_path("users")


def test_compile_path_refuses_duplicate_param() -> None:
    with pytest.raises(ValueError, match=r"uses parameter 'id' twice"):
        compile_path("/{id}/{id}")


def test_compile_path_refuses_unknown_converter_listing_known_ones() -> None:
    with pytest.raises(ValueError) as info:
        compile_path("/{id:integer}")
    message = str(info.value)
    assert "unknown converter 'integer'" in message
    assert "int, path, str, uuid" in message
    assert "add_converter" in message


def test_compile_path_refuses_unbalanced_brace() -> None:
    with pytest.raises(ValueError, match="unbalanced brace"):
        compile_path("/items/{id")


def test_compile_path_refuses_non_identifier_param() -> None:
    with pytest.raises(ValueError, match="not a valid Python identifier"):
        compile_path("/{item-id}")


def test_path_template_format_builds_path() -> None:
    template = compile_path("/items/{item_id:int}/{slug}")
    assert template.format(item_id=3, slug="hat") == "/items/3/hat"


def test_path_template_format_path_param_keeps_slashes() -> None:
    assert compile_path("/s/{p:path}").format(p="a/b.css") == "/s/a/b.css"


def test_path_template_format_float_drops_trailing_zero() -> None:
    template = compile_path("/{x:float}")
    assert template.format(x=2.0) == "/2"
    assert template.format(x=2.5) == "/2.5"


def test_path_template_format_refuses_missing_and_extra_params() -> None:
    template = compile_path("/items/{item_id:int}")
    with pytest.raises(ValueError, match=r"missing \['item_id'\], unexpected \['x'\]"):
        template.format(x=1)


@pytest.mark.parametrize("value", [-1, float("nan")])
def test_path_template_format_refuses_negative_or_nan_numbers(value: float) -> None:
    template = compile_path("/{x:float}")
    with pytest.raises(ValueError, match="must be"):
        template.format(x=value)
