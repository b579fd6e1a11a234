"""The fast canonical encoder writes exactly the bytes of the ``json.dumps`` definition."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SEED_BUNDLE
from hypothesis import given, settings
from hypothesis import strategies as st

from pithtex.core.canonical import (
    MAX_SAFE_INTEGER,
    canonical_bytes,
    loads,
    reference_canonical_bytes,
)
from pithtex.core.digests import bundle_sha256

EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)

strict_scalars = (
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | st.text()
)
strict_values = st.recursive(
    strict_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


def test_every_character_is_escaped_alike() -> None:
    assert canonical_bytes(EVERY_CHARACTER) == reference_canonical_bytes(EVERY_CHARACTER)
    as_keys = {c: i for i, c in enumerate(EVERY_CHARACTER[:0x3000])}
    assert canonical_bytes(as_keys) == reference_canonical_bytes(as_keys)


@settings(max_examples=400)
@given(strict_values)
def test_strict_values_encode_alike(value: Any) -> None:
    assert canonical_bytes(value) == reference_canonical_bytes(value)


@settings(max_examples=200)
@given(st.dictionaries(st.text(), st.integers(), min_size=2, max_size=30))
def test_keys_sort_by_code_point(value: dict[str, int]) -> None:
    assert canonical_bytes(value) == reference_canonical_bytes(value)


def test_seed_bundle_encodes_alike() -> None:
    document = loads(SEED_BUNDLE.read_bytes())
    assert canonical_bytes(document) == reference_canonical_bytes(document)
    assert bundle_sha256(document) == document["bundle_signature"]["bundle_sha256"]


class _Text(str):
    __slots__ = ()


class _Object(dict[str, Any]):
    pass


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**70, "small": -(2**64)},
        {1: "integer keys", 2: None},
        _Object(b=1, a=_Text("subclass")),
        [_Text("x"), (1, 2)],
        [[[[[]]]]] * 3,
    ],
)
def test_values_outside_the_fast_subset_use_the_definition(value: Any) -> None:
    assert canonical_bytes(value) == reference_canonical_bytes(value)


def test_deep_nesting_uses_the_definition() -> None:
    value: Any = []
    for _ in range(400):  # deeper than orjson's limit, within the interpreter's
        value = [value]
    assert canonical_bytes(value) == json.dumps(value, separators=(",", ":")).encode()


def test_unencodable_values_fail_as_the_definition_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes({"a": "\ud800"})
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular"):
        canonical_bytes(cycle)
    with pytest.raises(TypeError):
        canonical_bytes({"a": object()})
