"""Strict JSON: every rejection names its JSON path and a stable code."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pithtex.core.canonical import MAX_SAFE_INTEGER, ParseLimits, canonical_bytes, loads
from pithtex.core.errors import JSONFormatError


@pytest.mark.parametrize(
    ("text", "code", "path"),
    [
        ('{"a": 1, "a": 2}', "json.duplicate_key", "$"),
        ('{"x": {"y": [{"k": 1, "k": 1}]}}', "json.duplicate_key", "$.x.y[0]"),
        ('{"a": 1.5}', "json.float", "$.a"),
        ('{"a": 1e3}', "json.float", "$.a"),
        ('{"a": -0.0}', "json.float", "$.a"),
        ('{"a": [NaN]}', "json.nonfinite", "$.a[0]"),
        ('{"a": Infinity}', "json.nonfinite", "$.a"),
        ('{"a": -Infinity}', "json.nonfinite", "$.a"),
        (f'{{"a": {MAX_SAFE_INTEGER + 1}}}', "json.integer_range", "$.a"),
        (f'{{"a": {-MAX_SAFE_INTEGER - 1}}}', "json.integer_range", "$.a"),
        ('{"a": 1' + "0" * 400 + "}", "json.integer_range", "$.a"),
        ('{"a": "\\ud800"}', "json.surrogate", "$.a"),
        ('{"\\udfff": 1}', "json.surrogate", '$["\\udfff"]'),
        ('{"a": "\\ude00\\ud83d"}', "json.surrogate", "$.a"),
        ('{"a": 1} trailing', "json.syntax", "$"),
        ('{"a": }', "json.syntax", "$"),
        ("", "json.syntax", "$"),
    ],
)
def test_rejections_name_path_and_code(text: str, code: str, path: str) -> None:
    with pytest.raises(JSONFormatError) as info:
        loads(text)
    assert info.value.code == code
    assert info.value.path == path
    assert str(info.value).startswith(path)


def test_limits_are_configurable() -> None:
    nested = "[" * 10 + "]" * 10
    assert loads(nested) == [[[[[[[[[[]]]]]]]]]]
    with pytest.raises(JSONFormatError) as info:
        loads(nested, limits=ParseLimits(max_depth=5))
    assert info.value.code == "json.depth"
    with pytest.raises(JSONFormatError) as info:
        loads('{"a": "' + "x" * 100 + '"}', limits=ParseLimits(max_bytes=50))
    assert info.value.code == "json.too_large"


def test_very_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(JSONFormatError) as info:
        loads("[" * 200_000 + "]" * 200_000, limits=ParseLimits(max_bytes=10**6))
    assert info.value.code == "json.depth"


def test_invalid_utf8_is_rejected() -> None:
    with pytest.raises(JSONFormatError) as info:
        loads(b'{"a": "\xff"}')
    assert info.value.code == "json.encoding"


def test_valid_surrogate_pairs_and_bom_are_accepted() -> None:
    assert loads('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert loads(f"[{MAX_SAFE_INTEGER}, {-MAX_SAFE_INTEGER}]") == [
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
    ]


def test_canonical_bytes_matches_the_format_definition() -> None:
    value = {"b": [1, {"z": "é", "a": None}], "a": True}
    assert canonical_bytes(value) == '{"a":true,"b":[1,{"a":null,"z":"é"}]}'.encode()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=("Cs",))), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_round_trip(value: object) -> None:
    encoded = canonical_bytes(value)
    assert loads(encoded) == value
    assert canonical_bytes(loads(encoded)) == encoded
    assert loads(json.dumps(value, indent=2)) == value
