"""The signing side: what it makes verifies, and any change to a signed field fails."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_PAPER, make_test_bundle, test_key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pithtex.core.errors import InputError, KeyringError
from pithtex.core.model import Fields, PublicKey, parse_bundle
from pithtex.trust.keyring import Keyring
from pithtex.trust.signing import PaperMetadata, SigningKey, build_paper_bundle
from pithtex.trust.verify import BundleVerdict, verify_bundle

KEY = test_key(1)
RING = Keyring.empty().extended([PublicKey.parse(Fields(KEY.public_entry(), "$"))])

UNSIGNED = {("bundle_signature", "signed_at"), ("bundle_signature", "signature_status")}
"""The only fields no hash covers: when the bundle was signed and a status label."""


def _verify(bundle: dict[str, Any]) -> BundleVerdict:
    return verify_bundle(parse_bundle(json.dumps(bundle)), RING).verdict


text = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=60)
papers = st.builds(
    PaperMetadata,
    source_id=st.from_regex(r"2[0-9]{3}\.[0-9]{5}", fullmatch=True),
    title=text,
    abstract=text,
    submitted_at=st.from_regex(
        r"20[0-9]{2}-0[1-9]-1[0-9]T1[0-9]:[0-5][0-9]:[0-5][0-9]Z", fullmatch=True
    ),
    primary_cat=st.sampled_from(["cs.LG", "math.AG", "hep-th"]),
    cross_cats=st.lists(st.sampled_from(["cs.AI", "stat.ML", "q-bio.NC"]), unique=True),
    version=st.integers(1, 20),
)


@settings(max_examples=30, deadline=None)
@given(papers)
def test_bundles_made_by_the_signing_side_verify(paper: PaperMetadata) -> None:
    bundle = build_paper_bundle(paper, KEY, created_at="2026-11-03T12:00:00Z")
    assert _verify(bundle) is BundleVerdict.VERIFIED
    assert bundle["pith_number"].startswith(f"pith:{paper.submitted_at[:4]}:")


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))] or [path]
    return [path]


def _mutated(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("A" if value[-1:] != "A" else "B") if value else "x"
    if value is None:
        return "null"
    if isinstance(value, list):
        return [*value, "extra"]
    return {**value, "extra": 1}


SIGNED_BUNDLE = make_test_bundle()
SIGNED_LEAVES = [p for p in _leaves(SIGNED_BUNDLE) if p not in UNSIGNED]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SIGNED_LEAVES))
def test_any_change_to_a_signed_field_fails(path: tuple[Any, ...]) -> None:
    bundle = copy.deepcopy(SIGNED_BUNDLE)
    node: Any = bundle
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = _mutated(node[path[-1]])
    try:
        verdict = _verify(bundle)
    except InputError:
        return  # the change broke the format itself: rejected before verification
    assert verdict is BundleVerdict.INVALID, path


def test_unsigned_fields_are_exactly_the_signature_metadata() -> None:
    for path in UNSIGNED:
        bundle = copy.deepcopy(SIGNED_BUNDLE)
        bundle[path[0]][path[1]] = "2030-01-01T00:00:00Z" if path[1] == "signed_at" else "x"
        assert _verify(bundle) is BundleVerdict.VERIFIED


def test_signing_key_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    KEY.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = SigningKey.load(path)
    assert loaded.public_raw == KEY.public_raw and loaded.key_id == KEY.key_id
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "pith_signing_key", "algorithm": "ed25519"}')
    with pytest.raises(KeyringError, match=r"key_id|private_key_b64"):
        SigningKey.load(bad)


def test_record_minting_is_canonical() -> None:
    from pithtex.core.digests import text_canon_sha256
    from pithtex.trust.signing import mint_record

    record = mint_record(TEST_PAPER)
    assert record["metadata"]["title_canon_sha256"] == text_canon_sha256(TEST_PAPER.title)
    assert record["metadata"]["cross_cats_sorted"] == sorted(TEST_PAPER.cross_cats)
    assert record["source"] == {"kind": "arxiv", "id": "2611.01234", "version": 2}
