"""Junk events: payloads with a non-object where an object belongs break no verb.

A bundle may carry events whose payloads are free-form JSON, signed by a
trusted key or by nobody the keyring knows.  Whatever shape they have, every
verb gives a verdict or a one-line error with its documented exit code, never
an internal error; and nothing from a junk event reaches a reader as fact.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_PAPER, run_cli, test_key
from pdfsamples import make_pdf

from pithtex.core.digests import record_number
from pithtex.core.errors import PithError
from pithtex.core.model import Fields, PublicKey, parse_bundle
from pithtex.trust.keyring import Keyring
from pithtex.trust.record import record_card
from pithtex.trust.signing import (
    BundleBuilder,
    graph_snapshot_event,
    mint_record,
    record_created_event,
    sign_event,
)
from pithtex.trust.verify import require_verified, verify_bundle

T0 = "2026-11-03T12:00:00Z"
T1 = "2026-11-04T12:00:00Z"
JUNK: tuple[Any, ...] = ("junk", [], ["a", 1], 7, None, True, {"x": "y"})
SHAPES = (
    lambda j: {"graph_snapshot": j},
    lambda j: {"graph_snapshot": {"paper": j}},
    lambda j: {"graph_snapshot": {"paper": {"title": j, "authors_text": j}}},
    lambda j: {"summary": j, "correction_type": j, "reason": j},
)
EVENT_TYPES = ("graph_snapshot", "correction", "timestamp_anchor", "author_attestation")


def _ring() -> Keyring:
    return Keyring((PublicKey.parse(Fields(test_key(1).public_entry(), "$")),))


def _bundle(event_type: str, payload: dict[str, Any], *, trusted: bool) -> dict[str, Any]:
    key = test_key(1)
    signer = key if trusted else test_key(9)
    record = mint_record(TEST_PAPER)
    builder = BundleBuilder(record, key)
    builder.events.append(record_created_event(record, key, T0))
    builder.events.append(graph_snapshot_event(record, {"title": TEST_PAPER.title}, key, T0))
    target = "graph" if event_type == "graph_snapshot" else "record"
    builder.events.append(
        sign_event(event_type, record_number(record), target, payload, signer, T1)
    )
    return builder.build("2026-11-05T00:00:00Z")


CASES = [
    (kind, shape(junk), trusted)
    for kind, shape, junk, trusted in itertools.product(EVENT_TYPES, SHAPES, JUNK, (True, False))
]


@pytest.mark.parametrize(("event_type", "payload", "trusted"), CASES)
def test_junk_payloads_give_a_verdict_in_the_library(
    event_type: str, payload: dict[str, Any], trusted: bool
) -> None:
    bundle = parse_bundle(json.dumps(_bundle(event_type, payload, trusted=trusted)))
    _ = bundle.title, bundle.paper
    verification = verify_bundle(bundle, _ring())
    assert verification.verdict.value in ("verified", "untrusted", "invalid")
    if not trusted:
        assert not verification.verified
    try:
        card = record_card(require_verified(bundle, _ring()))
    except PithError:
        return
    assert card.title in (TEST_PAPER.title, None)
    assert all(isinstance(item.summary, str) for item in card.status)
    json.dumps(card.to_json())


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-signer", "unknown-signer"])
def test_junk_snapshot_breaks_no_verb(tmp_path: Path, trusted: bool) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(
        json.dumps(_bundle("graph_snapshot", {"graph_snapshot": "junk"}, trusted=trusted))
    )
    ring = tmp_path / "ring.json"
    ring.write_text(json.dumps({"keys": [test_key(1).public_entry()]}))
    pdf = make_pdf(tmp_path / "paper.pdf", title=TEST_PAPER.title)
    runs = {
        "bundle verify": run_cli("bundle", "verify", bundle, "--keyring", ring),
        "bundle show": run_cli("bundle", "show", bundle, "--keyring", ring),
        "tex --force": run_cli("tex", bundle, "--force", "-o", tmp_path, "--keyring", ring),
        "check --bundle": run_cli("check", pdf, "--bundle", bundle, "--keyring", ring),
        "stamp": run_cli(
            "stamp", pdf, "--bundle", bundle, "-o", tmp_path / "out.pdf", "--keyring", ring
        ),
        "number": run_cli("number", bundle),
    }
    for verb, result in runs.items():
        assert "internal error" not in result.stderr, (verb, result.stderr)
        assert "Traceback" not in result.stderr, (verb, result.stderr)
        assert result.returncode in (0, 1, 2, 3), (verb, result.returncode, result.stderr)
