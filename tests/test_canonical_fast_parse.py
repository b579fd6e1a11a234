"""The fast path of the strict parser accepts exactly what the strict path accepts.

:func:`pithtex.canonical.loads` first parses without per-object hooks and
re-checks the whole document (integers, surrogates, duplicate keys by counting
``:``, depth); anything it is unsure of goes through the hooked strict path.
These tests aim at the places where the counting could be fooled.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pithtex.canonical import (
    _UNSURE,
    MAX_SAFE_INTEGER,
    PLAIN_MAX_CONTAINERS,
    ParseLimits,
    _plain_loads,
    _strict_loads,
    loads,
)
from pithtex.errors import JSONFormatError


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"a": 1, "a": 1}', "$"),
        ('{"a": ":", "a": ":"}', "$"),
        ('{"k:": {"x": 1}, "k:": {"x": 1}}', "$"),
        ('{"a": {"b": "c", "b" : "c"}}', "$.a"),
        ('{"a"  :  1,\n "a"\t:\t2}', "$"),
        ('{"\\u003a": 1, "\\u003a": 2}', "$"),
        ('{"a": "\\u003a", "a": "\\u003a"}', "$"),
        ('{"\\u003a": 1, ":": 2}', "$"),
        ('[{"x": [1, {"y": 2, "y": 2}]}]', "$[0].x[1]"),
    ],
)
def test_duplicate_keys_are_found_whatever_the_colons(text: str, path: str) -> None:
    with pytest.raises(JSONFormatError) as info:
        loads(text)
    assert (info.value.code, info.value.path) == ("json.duplicate_key", path)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": ":::", "b": "x:y", "c:d": {"e": ":"}}',
        '{"\\u003a": "\\u003A", "b": 1}',
        '{"a": "\\\\u003a", "b": "\\\\"}',
        '{"a": "é:ü", "b": ["[", "{", ":"]}',
    ],
)
def test_colons_in_strings_are_not_duplicates(text: str) -> None:
    assert loads(text) == json.loads(text)


def test_fast_path_takes_plain_documents_and_defers_the_rest() -> None:
    plain = '{"a": [1, {"b": "c:d"}], "e": null, "f": true}'
    assert _plain_loads(plain, 64) == json.loads(plain)
    for text in (
        "1.5",
        "1e400",
        str(2**64),
        '"\\ud800"',
        '{"a": 1, "a": 2}',
        '{"a": 1.5}',
        '{"a": [1, 2.0]}',
        '{"a": NaN}',
        f'{{"a": {MAX_SAFE_INTEGER + 1}}}',
        '{"a": "\\ud800"}',
        '{"\\u003a": 1}',
        "[[[[1]]]]",
        '{"a": 1} x',
        "{",
    ):
        assert _plain_loads(text, 3) is _UNSURE, text


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(alphabet=st.sampled_from(':"\\{}[],ab é\n')),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.sampled_from(':ab"\\ {'), max_size=3), inner, max_size=4
        )
    ),
    max_leaves=25,
)


def _with_duplicate(value: Any, key: str) -> str:
    """JSON text of an object holding ``value`` twice under ``key``."""
    member = f"{json.dumps(key)}: {json.dumps(value)}"
    return "{" + member + ", " + member + "}"


@settings(max_examples=300)
@given(json_values, st.booleans())
def test_fast_and_strict_paths_agree(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert loads(text) == value
    assert _strict_loads(text, ParseLimits()) == value


@settings(max_examples=300)
@given(json_values, st.text(alphabet=st.sampled_from(':ab"\\'), max_size=4))
def test_every_duplicate_is_reported(value: Any, key: str) -> None:
    with pytest.raises(JSONFormatError) as info:
        loads(_with_duplicate(value, key))
    assert (info.value.code, info.value.path) == ("json.duplicate_key", "$")


@pytest.mark.parametrize(
    ("text", "code"),
    [("1.5", "json.float"), (str(2**64), "json.integer_range"), ("NaN", "json.nonfinite")],
)
def test_top_level_scalars_are_checked_too(text: str, code: str) -> None:
    with pytest.raises(JSONFormatError) as info:
        loads(text)
    assert info.value.code == code


def test_documents_with_many_containers_take_the_strict_path() -> None:
    many = "[" + ",".join(["{}"] * (PLAIN_MAX_CONTAINERS + 1)) + "]"
    assert loads(many) == [{}] * (PLAIN_MAX_CONTAINERS + 1)
    duplicated = "[" + ",".join(['{"a": 1, "a": 2}'] + ["{}"] * PLAIN_MAX_CONTAINERS) + "]"
    with pytest.raises(JSONFormatError) as info:
        loads(duplicated)
    assert (info.value.code, info.value.path) == ("json.duplicate_key", "$[0]")
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(JSONFormatError) as info:
        loads(deep)
    assert info.value.code == "json.depth"
