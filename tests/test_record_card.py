"""The record card: what a reader is shown about the record, from the verified state."""

from __future__ import annotations

import json

import pytest
from conftest import SEED_BUNDLE, SEED_TITLE, TEST_PAPER, test_key

from pithtex.core.digests import record_number
from pithtex.core.errors import UnverifiedBundleError
from pithtex.core.model import Fields, PublicKey, load_bundle, parse_bundle
from pithtex.trust.keyring import Keyring
from pithtex.trust.record import record_card
from pithtex.trust.signing import (
    BundleBuilder,
    graph_snapshot_event,
    mint_record,
    record_created_event,
    sign_event,
)
from pithtex.trust.verify import require_verified

T0 = "2026-11-03T12:00:00Z"


def _ring() -> Keyring:
    return Keyring((PublicKey.parse(Fields(test_key(1).public_entry(), "$")),))


def test_the_seed_record_as_the_registry_page_shows_it() -> None:
    card = record_card(require_verified(load_bundle(SEED_BUNDLE), Keyring.default()))
    assert card.number == "pith:2019:J655K2KRI7DJHF4SOFYZCQRRE5"
    assert card.short_number == "pith:J655K2KR"
    assert card.title == SEED_TITLE
    assert card.authors is not None and card.authors.startswith("Cho-Jui Hsieh, James Demmel")
    assert card.source_label == "arxiv:1904.00962 v5"
    assert card.submitted_at == "2019-04-01T16:53:35Z"
    assert card.categories == ("cs.LG", "cs.AI", "cs.CL", "stat.ML")
    assert card.doi == "10.48550/arxiv.1904.00962"
    assert ("pith_short_12", "J655K2KRI7DJ") in card.aliases
    assert card.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert (card.signer_key_id, card.signer_id) == ("pith-v1-2026-05", "pith.science")
    assert card.first_computed_at == "2026-05-21T21:29:48.720470Z"
    assert card.status == () and not card.retracted
    doc = card.to_json()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["status"]["timestamp_anchors"] == [] and doc["doi"] == card.doi


def _bundle_with_status() -> bytes:
    key = test_key(1)
    record = mint_record(TEST_PAPER)
    number = record_number(record)
    builder = BundleBuilder(record, key)
    builder.events.append(record_created_event(record, key, T0))
    snapshot = {"title": TEST_PAPER.title, "authors_text": "Ada Lovelace, Alan Turing"}
    builder.events.append(graph_snapshot_event(record, snapshot, key, T0))
    status = [
        ("timestamp_anchor", {"chain": "bitcoin", "txid": "ab" * 32}, "2026-11-04T00:00:00Z"),
        ("storage_attestation", {"service": "Internet Archive"}, "2026-11-05T00:00:00Z"),
        ("citation_signature", {"doi": "10.1/citing"}, "2026-11-06T00:00:00Z"),
        ("replication_record", {"summary": "reproduced Table 2"}, "2026-11-07T00:00:00Z"),
        ("author_attestation", {"claim": "I am Ada Lovelace"}, "2026-11-08T00:00:00Z"),
        ("correction", {"correction_type": "retraction", "reason": "data error"}, T0),
    ]
    for event_type, payload, when in status:
        builder.events.append(sign_event(event_type, number, "record", payload, key, when))
    return json.dumps(builder.build("2026-11-09T00:00:00Z")).encode()


def test_status_items_come_from_signed_events_corrections_first() -> None:
    ring = _ring()
    card = record_card(require_verified(parse_bundle(_bundle_with_status()), ring))
    assert card.title == TEST_PAPER.title and card.authors == "Ada Lovelace, Alan Turing"
    kinds = [item.kind for item in card.status]
    assert kinds == [
        "correction",
        "author attestation",
        "timestamp anchor",
        "storage attestation",
        "citation",
        "replication",
    ]
    assert card.retracted and card.corrections[0].summary == "data error"
    assert card.corrections[0].retraction
    assert card.status[2].summary == "bitcoin"
    assert card.count("timestamp anchor") == 1
    assert all(item.key_id == test_key(1).key_id for item in card.status)
    doc = card.to_json()
    assert doc["retracted"] is True
    assert [i["summary"] for i in doc["status"]["replication_records"]] == ["reproduced Table 2"]


def test_no_card_for_a_snapshot_title_that_does_not_hash_to_the_record() -> None:
    """A title the signed record does not vouch for never reaches a card: no VerifiedBundle."""
    key = test_key(1)
    record = mint_record(TEST_PAPER)
    builder = BundleBuilder(record, key)
    builder.events.append(record_created_event(record, key, T0))
    builder.events.append(graph_snapshot_event(record, {"title": "Another Paper"}, key, T0))
    with pytest.raises(UnverifiedBundleError, match=r"record\.title"):
        require_verified(parse_bundle(json.dumps(builder.build(T0))), _ring())
