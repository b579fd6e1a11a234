"""The fast path of the strict parser accepts exactly what the strict path accepts.

:func:`pithtex.core.canonical.loads` first parses with orjson and re-checks the
whole document (integers, floats, duplicate keys by counting ``:``, depth);
anything it is unsure of goes through the hooked strict path.  These tests aim
at the places where the counting could be fooled, and compare both paths on
mutated copies of the seed bundle.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from conftest import SEED_BUNDLE
from hypothesis import given, settings
from hypothesis import strategies as st

from pithtex.core.canonical import (
    _UNSURE,
    MAX_SAFE_INTEGER,
    PLAIN_MAX_CONTAINERS,
    ParseLimits,
    _plain_loads,
    _strict_loads,
    loads,
)
from pithtex.core.errors import JSONFormatError


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


PIECES = (
    ":",
    '"',
    "\\",
    "\\u003a",
    "\\ud800",
    "1.5",
    "1e3",
    "NaN",
    str(MAX_SAFE_INTEGER + 1),
    "-0",
    "[",
    "]",
    "{",
    "}",
    ",",
    " ",
    '"x": "y",',
    "true",
    '"a": 1,',
    '\\"',
    "é",
    "\x01",
)


def _mutations(text: str, count: int, seed: int) -> list[str]:
    """Seeded edits of ``text``: inserted tokens, deleted spans, repeated members."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        mutated = text
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(mutated) + 1)
            choice = rnd.random()
            if choice < 0.5:
                mutated = mutated[:at] + rnd.choice(PIECES) + mutated[at:]
            elif choice < 0.8:
                mutated = mutated[:at] + mutated[at + rnd.randint(1, 5) :]
            else:
                start = mutated.find(",", at)
                end = mutated.find(",", start + 1) if start >= 0 else -1
                if end > 0:
                    mutated = mutated[:end] + mutated[start:end] + mutated[end:]
        out.append(mutated)
    return out


def _outcome(parse: Any, text: str) -> tuple[Any, ...]:
    try:
        return ("value", parse(text))
    except JSONFormatError as exc:
        return ("error", exc.code, exc.path)


def test_both_paths_agree_on_mutated_bundles() -> None:
    seed = SEED_BUNDLE.read_text(encoding="utf-8")
    spaced = json.dumps(json.loads(seed), indent=1, ensure_ascii=True)
    for text in _mutations(seed, 600, 1) + _mutations(spaced, 600, 2):
        strict = _outcome(lambda t: _strict_loads(t, ParseLimits()), text)
        assert _outcome(loads, text) == strict, text[:200]
