"""The seed bundle is the golden vector: it verifies, and every tampering is caught by name."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import SEED_TEXT, test_key

from pithtex.core.canonical import canonical_bytes
from pithtex.core.digests import state_sha256
from pithtex.core.errors import SchemaError
from pithtex.core.model import Fields, PublicKey, parse_bundle
from pithtex.trust.keyring import Keyring
from pithtex.trust.signing import BundleBuilder, graph_snapshot_event
from pithtex.trust.verify import BundleVerdict, verify_bundle

KEYRING = Keyring.default()
Bundle = dict[str, Any]


def verify(raw: Bundle, keyring: Keyring = KEYRING):  # type: ignore[no-untyped-def]
    return verify_bundle(parse_bundle(json.dumps(raw)), keyring)


def test_seed_verifies_and_is_trusted() -> None:
    result = verify_bundle(parse_bundle(SEED_TEXT), KEYRING)
    assert result.verdict is BundleVerdict.VERIFIED
    assert not result.failures
    codes = {c.code for c in result.checks}
    for code in (
        "record.hash.ok",
        "number.derivation.ok",
        "receipt.signature.ok",
        "event.signature.ok",
        "state.recompute.ok",
        "bundle.signature.ok",
        "key.trusted",
        "record.title.ok",
        "bundle.aliases.ok",
    ):
        assert code in codes


def test_seed_state_recomputes_byte_identically() -> None:
    seed = json.loads(SEED_TEXT)
    result = verify_bundle(parse_bundle(SEED_TEXT), KEYRING)
    assert canonical_bytes(result.state) == canonical_bytes(seed["state"])


def test_seed_is_valid_but_untrusted_without_the_keyring() -> None:
    result = verify_bundle(parse_bundle(SEED_TEXT), Keyring.empty())
    assert result.valid and not result.trusted
    assert result.verdict is BundleVerdict.UNTRUSTED
    assert [c.code for c in result.failures] == ["key.untrusted"]


# -- tampering ---------------------------------------------------------------------------


def _flip_b64(value: str) -> str:
    data = bytearray(base64.b64decode(value))
    data[40] ^= 0x01  # inside S: keeps R decodable, so the failure is the equation itself
    return base64.b64encode(bytes(data)).decode()


def _rehash_state(b: Bundle) -> None:
    b["state"]["state_sha256"] = state_sha256(b["state"])


def _swap(b: Bundle, a: tuple[Any, ...], c: tuple[Any, ...]) -> None:
    def walk(path: tuple[Any, ...]) -> tuple[Any, Any]:
        node: Any = b
        for key in path[:-1]:
            node = node[key]
        return node, path[-1]

    (na, ka), (nc, kc) = walk(a), walk(c)
    na[ka], nc[kc] = nc[kc], na[ka]


def _set(path: str, value: Any) -> Callable[[Bundle], None]:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]

    def apply(b: Bundle) -> None:
        node: Any = b
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value(node[keys[-1]]) if callable(value) else value

    return apply


def _seq(*steps: Callable[[Bundle], None]) -> Callable[[Bundle], None]:
    def apply(b: Bundle) -> None:
        for step in steps:
            step(b)

    return apply


EV0_SIG = ("events", 0, "signature", "signature_b64")
EV1_SIG = ("events", 1, "signature", "signature_b64")
BUNDLE_SIG = ("bundle_signature", "signature_b64")
RECEIPT_SIG = ("events", 0, "payload", "receipt", "signature_b64")

TAMPERS: dict[str, tuple[Callable[[Bundle], None], str]] = {
    "record source version": (_set("canonical_record.source.version", 6), "record.hash.mismatch"),
    "record primary category": (
        _set("canonical_record.metadata.primary_cat", "cs.CV"),
        "record.hash.mismatch",
    ),
    "record title hash": (
        _set("canonical_record.metadata.title_canon_sha256", "0" * 64),
        "record.hash.mismatch",
    ),
    "record submitted_at": (
        _set("canonical_record.metadata.submitted_at", "2018-04-01T16:53:35Z"),
        "record.hash.mismatch",
    ),
    "record extra field": (_set("canonical_record.schema_version", "1.1"), "record.hash.mismatch"),
    "declared canonical hash": (_set("canonical_sha256", "1" * 64), "record.hash.mismatch"),
    "pith number body": (
        _set("pith_number", "pith:2019:J655K2KRI7DJHF4SOFYZCQRRE6"),
        "number.derivation.mismatch",
    ),
    "pith number year": (
        _set("pith_number", "pith:2020:J655K2KRI7DJHF4SOFYZCQRRE5"),
        "number.derivation.mismatch",
    ),
    "short number": (
        _set("short_pith_number", "pith:J655K2KS"),
        "number.derivation.short_mismatch",
    ),
    "alias value": (
        _set("source_aliases.2.alias_value", "10.48550/arxiv.1904.00963"),
        "bundle.aliases.mismatch",
    ),
    "alias dropped": (_set("source_aliases", lambda a: a[:-1]), "bundle.aliases.mismatch"),
    "top-level source": (_set("source.version", 4), "bundle.aliases.source_mismatch"),
    "event payload title": (
        _set("events.1.payload.graph_snapshot.paper.title", "Small Batch Optimization"),
        "event.hash.mismatch",
    ),
    "event created_at": (
        _set("events.0.created_at", "2026-05-21T21:29:49Z"),
        "event.hash.mismatch",
    ),
    "event signer id": (_set("events.1.signer.signer_id", "evil.example"), "event.hash.mismatch"),
    "event content hash": (_set("events.1.content_sha256", "2" * 64), "event.hash.mismatch"),
    "event id": (_set("events.1.event_id", "sha256:" + "3" * 64), "event.hash.id_mismatch"),
    "receipt signature in payload": (
        _set("events.0.payload.receipt.signature_b64", _flip_b64),
        "event.hash.mismatch",
    ),
    "event signature flipped": (
        _set("events.1.signature.signature_b64", _flip_b64),
        "event.signature.mismatch",
    ),
    "event signatures swapped": (lambda b: _swap(b, EV0_SIG, EV1_SIG), "event.signature.mismatch"),
    "event and bundle signatures swapped": (
        lambda b: _swap(b, EV1_SIG, BUNDLE_SIG),
        "bundle.signature.mismatch",
    ),
    "receipt and bundle signatures swapped": (
        lambda b: _swap(b, RECEIPT_SIG, BUNDLE_SIG),
        "bundle.signature.mismatch",
    ),
    "event signature names another key": (
        _set("events.1.signature.public_key_fingerprint", "0" * 32),
        "event.signature.signer_mismatch",
    ),
    "graph snapshot dropped": (_set("events", lambda e: e[:1]), "state.recompute.mismatch"),
    "record_created dropped": (_set("events", lambda e: e[1:]), "record.created.missing"),
    "event duplicated": (
        _set("events", lambda e: [*e, copy.deepcopy(e[1])]),
        "events.unique.duplicate",
    ),
    "events reordered": (_set("events", lambda e: e[::-1]), "bundle.hash.mismatch"),
    "state count edited": (_set("state.event_count", 3), "state.hash.mismatch"),
    "state count edited and rehashed": (
        _seq(_set("state.event_count", 3), _rehash_state),
        "state.recompute.mismatch",
    ),
    "state order edited and rehashed": (
        _seq(_set("state.applied_event_ids", lambda ids: ids[::-1]), _rehash_state),
        "state.recompute.mismatch",
    ),
    "state current edited and rehashed": (
        _seq(_set("state.current.graph_snapshots", []), _rehash_state),
        "state.recompute.mismatch",
    ),
    "state hash edited": (_set("state.state_sha256", "4" * 64), "state.hash.mismatch"),
    "built_at": (_set("built_at", "2027-01-01T00:00:00Z"), "bundle.hash.mismatch"),
    "links": (
        _set("links.resolver", "https://evil.example/pith/J655K2KRI7DJHF4SOFYZCQRRE5"),
        "bundle.hash.mismatch",
    ),
    "mirror hint": (
        _set("mirror_hints.0.base_url", "https://evil.example"),
        "bundle.hash.mismatch",
    ),
    "declared bundle hash": (
        _set("bundle_signature.bundle_sha256", "5" * 64),
        "bundle.hash.mismatch",
    ),
    "bundle signature flipped": (
        _set("bundle_signature.signature_b64", _flip_b64),
        "bundle.signature.mismatch",
    ),
    "carried key fingerprint": (
        _set("public_keys.0.fingerprint_sha256_hex", "6" * 32),
        "key.fingerprint.mismatch",
    ),
    "carried key hex": (_set("public_keys.0.public_key_hex", "7" * 64), "key.fingerprint.mismatch"),
}


def test_there_are_at_least_thirty_tamperings() -> None:
    assert len(TAMPERS) >= 30


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tampering_is_caught_by_the_right_check(name: str, seed_bundle: Bundle) -> None:
    mutate, expected = TAMPERS[name]
    mutate(seed_bundle)
    result = verify(seed_bundle)
    codes = [c.code for c in result.failures]
    assert expected in codes, codes
    assert result.verdict is BundleVerdict.INVALID


def test_whole_bundle_resigned_with_another_key_is_untrusted(seed_bundle: Bundle) -> None:
    """An attacker re-signs everything and swaps in their own key: consistent, not trusted."""
    attacker = test_key(66, signer_id="pith.science")
    record = seed_bundle["canonical_record"]
    from pithtex.trust.signing import record_created_event

    paper = seed_bundle["events"][1]["payload"]["graph_snapshot"]["paper"]
    builder = BundleBuilder(record, attacker)
    builder.events.append(record_created_event(record, attacker, "2026-05-21T21:29:48Z"))
    builder.events.append(graph_snapshot_event(record, paper, attacker, "2026-05-21T21:29:48Z"))
    forged = builder.build("2026-05-22T21:53:44Z")
    assert forged["pith_number"] == seed_bundle["pith_number"]
    assert [k["key_id"] for k in forged["public_keys"]] == [attacker.key_id]
    result = verify(forged)
    assert result.valid
    assert result.verdict is BundleVerdict.UNTRUSTED
    assert {c.code for c in result.failures} == {"key.untrusted"}
    assert verify(forged, Keyring.default().extended([_public(attacker)])).verified


def _public(key: Any) -> PublicKey:
    return PublicKey.parse(Fields(key.public_entry(), "$"))


def test_event_from_another_record_is_not_mixed_in(seed_bundle: Bundle) -> None:
    from conftest import make_test_bundle

    other = make_test_bundle()
    seed_bundle["events"].append(other["events"][1])  # validly signed, about another record
    ring = Keyring.default().extended([_public(test_key(1))])
    result = verify(seed_bundle, ring)
    assert "event.subject.mismatch" in [c.code for c in result.failures]
    assert result.state["invalid_events"] == [
        {"event_id": other["events"][1]["event_id"], "reason": "event.subject.mismatch"}
    ]


def test_title_hash_disagreeing_with_the_signed_snapshot() -> None:
    """A registry-signed bundle whose snapshot title is not the record's title."""
    from conftest import TEST_PAPER

    from pithtex.trust.signing import mint_record, record_created_event

    key = test_key(1)
    record = mint_record(TEST_PAPER)
    builder = BundleBuilder(record, key)
    builder.events.append(record_created_event(record, key, "2026-11-03T12:00:00Z"))
    builder.events.append(
        graph_snapshot_event(record, {"title": "Some Other Title"}, key, "2026-11-03T12:00:00Z")
    )
    ring = Keyring.empty().extended([_public(key)])
    result = verify(builder.build("2026-11-03T12:00:00Z"), ring)
    assert [c.code for c in result.failures] == ["record.title.mismatch"]


def test_key_used_after_rotation_is_rejected(tmp_path: Any) -> None:
    seed = json.loads(SEED_TEXT)
    entry = dict(seed["public_keys"][0], rotates_at="2026-01-01T00:00:00Z")
    ring = Keyring((PublicKey.parse(Fields(entry, "$")),))
    result = verify(seed, ring)
    assert "key.rotated" in [c.code for c in result.failures]


@pytest.mark.parametrize("where", ["bundle_signature", "event_signature"])
def test_an_unhashed_signature_block_takes_no_extra_field(where: str) -> None:
    """Signature blocks are covered by no hash: a field smuggled into one is refused."""
    doc = json.loads(SEED_TEXT)
    block = (
        doc["bundle_signature"] if where == "bundle_signature" else doc["events"][0]["signature"]
    )
    block["note"] = "added after signing"
    with pytest.raises(SchemaError) as caught:
        parse_bundle(json.dumps(doc))
    assert caught.value.code == "schema.unknown_key" and "note" in caught.value.message
