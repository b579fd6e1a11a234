"""The merge: deterministic, order-independent, and strict about what it applies."""

from __future__ import annotations

import itertools
import random
from typing import Any

from conftest import SEED_TEXT, TEST_PAPER, test_key
from hypothesis import given, settings
from hypothesis import strategies as st

from pithtex.core.canonical import canonical_bytes, loads
from pithtex.core.digests import record_number, record_sha256
from pithtex.core.model import Event, Fields, PublicKey, parse_bundle
from pithtex.trust.keyring import Keyring
from pithtex.trust.merge import merge
from pithtex.trust.signing import (
    graph_snapshot_event,
    mint_record,
    record_created_event,
    sign_event,
)

KEY = test_key(1)
OTHER = test_key(2, signer_id="author.example", signer_type="author")
RECORD = mint_record(TEST_PAPER)
NUMBER = record_number(RECORD)
T0 = "2026-11-03T12:00:00Z"


def _keys(*keys: Any) -> Any:
    table = {k.fingerprint: PublicKey.parse(Fields(k.public_entry(), "$")) for k in keys}
    return table.get


def _parse(raw: list[dict[str, Any]]) -> list[Event]:
    return [Event.parse(Fields(e, f"$[{i}]")) for i, e in enumerate(raw)]


def _merge(raw: list[dict[str, Any]], *keys: Any) -> dict[str, Any]:
    return merge(NUMBER, record_sha256(RECORD), _parse(raw), _keys(*(keys or (KEY,)))).state


def _base_events() -> list[dict[str, Any]]:
    created = record_created_event(RECORD, KEY, T0)
    snap1 = graph_snapshot_event(RECORD, {"title": TEST_PAPER.title}, KEY, T0)
    snap2 = graph_snapshot_event(
        RECORD, {"title": TEST_PAPER.title, "v": 2}, KEY, "2026-11-04T00:00:00Z"
    )
    attest = sign_event(
        "author_attestation",
        NUMBER,
        "record",
        {"claim": "I wrote it"},
        OTHER,
        "2026-11-05T00:00:00Z",
    )
    return [created, snap1, snap2, attest]


def test_seed_state_is_reproduced_whatever_the_event_order() -> None:
    bundle = parse_bundle(SEED_TEXT)
    expected = canonical_bytes(loads(SEED_TEXT)["state"])
    ring = Keyring.default()
    number = record_number(bundle.record.raw)
    for order in itertools.permutations(bundle.events):
        state = merge(number, bundle.canonical_sha256, list(order), ring.get).state
        assert canonical_bytes(state) == expected


def test_record_created_applies_first_even_with_equal_timestamps() -> None:
    events = _base_events()
    state = _merge([events[1], events[0]], KEY)
    assert state["applied_event_ids"] == [events[0]["event_id"], events[1]["event_id"]]
    assert state["current"]["record_created"]["event_id"] == events[0]["event_id"]


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_order_independence(rng: random.Random) -> None:
    events = _base_events()
    reference = canonical_bytes(_merge(events, KEY, OTHER))
    shuffled = events[:]
    rng.shuffle(shuffled)
    assert canonical_bytes(_merge(shuffled, KEY, OTHER)) == reference


def test_current_lists_and_counts() -> None:
    events = _base_events()
    state = _merge(events, KEY, OTHER)
    current = state["current"]
    assert [s["event_id"] for s in current["graph_snapshots"]] == [
        events[1]["event_id"],
        events[2]["event_id"],
    ]
    assert [a["event_id"] for a in current["author_attestations"]] == [events[3]["event_id"]]
    assert current["canonical_record"] == RECORD
    assert {a["alias_kind"] for a in current["source_aliases"]} == {
        "arxiv",
        "arxiv_version",
        "doi",
        "pith_short_8",
        "pith_short_12",
        "pith_short_16",
    }
    assert (state["event_count"], state["valid_event_count"], state["invalid_event_count"]) == (
        4,
        4,
        0,
    )


def test_unknown_signer_and_bad_events_go_to_invalid_events() -> None:
    events = _base_events()
    tampered = dict(events[2], payload={"graph_snapshot": {"paper": {"title": "x"}}})
    state = _merge([events[0], events[1], tampered, events[3]], KEY)  # OTHER unknown
    reasons = {e["event_id"]: e["reason"] for e in state["invalid_events"]}
    assert reasons == {
        events[2]["event_id"]: "event.hash.mismatch",
        events[3]["event_id"]: "event.signature.unknown_key",
    }
    assert state["applied_event_ids"] == [events[0]["event_id"], events[1]["event_id"]]
    assert (state["event_count"], state["valid_event_count"], state["invalid_event_count"]) == (
        4,
        2,
        2,
    )


def test_prev_event_orders_and_missing_prev_is_invalid() -> None:
    events = _base_events()
    # a correction created *earlier* than the snapshot it follows: prev_event wins over time
    correction = sign_event(
        "correction",
        NUMBER,
        "record",
        {"fix": 1},
        KEY,
        "2026-11-01T00:00:00Z",
        prev_event=events[2]["event_id"],
    )
    orphan = sign_event(
        "correction", NUMBER, "record", {"fix": 2}, KEY, T0, prev_event="sha256:" + "0" * 64
    )
    state = _merge([*events[:3], correction, orphan], KEY)
    applied = state["applied_event_ids"]
    assert applied.index(correction["event_id"]) > applied.index(events[2]["event_id"])
    assert {"event_id": orphan["event_id"], "reason": "event.prev_event.missing"} in state[
        "invalid_events"
    ]


def test_supersedes_removes_the_signers_own_event_from_current() -> None:
    events = _base_events()
    newer = graph_snapshot_event(
        RECORD, {"title": TEST_PAPER.title, "v": 3}, KEY, "2026-11-06T00:00:00Z"
    )
    newer = sign_event(
        "graph_snapshot",
        NUMBER,
        "graph",
        newer["payload"],
        KEY,
        "2026-11-06T00:00:00Z",
        supersedes=[events[1]["event_id"]],
    )
    # another signer cannot supersede the registry's snapshot
    hijack = sign_event(
        "author_attestation",
        NUMBER,
        "record",
        {},
        OTHER,
        "2026-11-06T00:00:00Z",
        supersedes=[events[2]["event_id"]],
    )
    state = _merge([*events, newer, hijack], KEY, OTHER)
    snapshots = [s["event_id"] for s in state["current"]["graph_snapshots"]]
    assert snapshots == [events[2]["event_id"], newer["event_id"]]
    assert events[1]["event_id"] in state["applied_event_ids"]


def test_equivocations_are_reported_and_not_applied() -> None:
    events = _base_events()
    second_record = record_created_event(RECORD, KEY, "2026-11-03T12:00:01Z")
    fork_a = sign_event(
        "correction",
        NUMBER,
        "record",
        {"fix": "a"},
        KEY,
        "2026-11-07T00:00:00Z",
        prev_event=events[1]["event_id"],
    )
    fork_b = sign_event(
        "correction",
        NUMBER,
        "record",
        {"fix": "b"},
        KEY,
        "2026-11-07T00:00:01Z",
        prev_event=events[1]["event_id"],
    )
    state = _merge([*events, second_record, fork_a, fork_b], KEY, OTHER)
    kinds = sorted(e["kind"] for e in state["equivocations"])
    assert kinds == ["duplicate_record_created", "forked_prev_event"]
    assert state["equivocation_count"] == 2
    assert second_record["event_id"] not in state["applied_event_ids"]
    assert fork_a["event_id"] in state["applied_event_ids"]
    assert fork_b["event_id"] not in state["applied_event_ids"]


def test_record_created_for_another_record_is_invalid() -> None:
    other_record = mint_record(TEST_PAPER.__class__(**{**TEST_PAPER.__dict__, "version": 3}))
    wrong = record_created_event(other_record, KEY, T0)
    state = _merge([wrong], KEY)
    assert state["invalid_events"][0]["reason"] == "event.subject.mismatch"
    assert state["current"]["record_created"] is None


def test_copies_of_an_event_count_once() -> None:
    events = _base_events()
    tampered = dict(events[1], created_at="2026-11-09T00:00:00Z")
    state = _merge([events[0], events[0], tampered, tampered, events[1]], KEY)
    assert state["applied_event_ids"] == [events[0]["event_id"], events[1]["event_id"]]
    assert state["invalid_events"] == [
        {"event_id": events[1]["event_id"], "reason": "event.hash.mismatch"}
    ]
    assert (state["event_count"], state["valid_event_count"]) == (3, 2)


def test_unknown_event_types_are_not_applied() -> None:
    events = _base_events()
    odd = sign_event("telepathy", NUMBER, "record", {}, KEY, T0)
    state = _merge([events[0], odd], KEY)
    assert state["invalid_events"] == [
        {"event_id": odd["event_id"], "reason": "event.type.unknown"}
    ]
