"""``pithtex check`` shows the record as the registry page does, and a correction on top.

Bundles are signed with the project's own code; a retraction is a signed ``correction``
event.  The card comes only from a bundle that verified: an untrusted one shows none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import TEST_PAPER, make_test_bundle, run_cli, test_key, write_json
from pdfsamples import claimed_pdf

from pithtex.core.digests import record_number
from pithtex.trust.signing import (
    BundleBuilder,
    graph_snapshot_event,
    mint_record,
    record_created_event,
    sign_event,
)

T0 = "2026-11-03T12:00:00Z"
RETRACTED_AT = "2026-11-10T09:00:00Z"


def _retracted_bundle() -> dict[str, Any]:
    key = test_key(1)
    record = mint_record(TEST_PAPER)
    builder = BundleBuilder(record, key)
    builder.events.append(record_created_event(record, key, T0))
    paper = {"title": TEST_PAPER.title, "authors_text": "Ada Lovelace, Alan Turing"}
    builder.events.append(graph_snapshot_event(record, paper, key, T0))
    retraction = {"correction_type": "retraction", "reason": "the data were fabricated"}
    builder.events.append(
        sign_event("correction", record_number(record), "record", retraction, key, RETRACTED_AT)
    )
    bundle: dict[str, Any] = builder.build("2026-11-11T00:00:00Z")
    return bundle


def _check(pdf: Path, keyring: Path, *extra: str) -> tuple[int, str]:
    result = run_cli("check", pdf, "--keyring", keyring, "--offline", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


def test_a_retraction_is_shown_first_and_beside_the_verdict(
    tmp_path: Path, test_keyring: Path
) -> None:
    pdf = claimed_pdf(tmp_path / "retracted.pdf", _retracted_bundle())
    code, text = _check(pdf, test_keyring)
    lines = text.splitlines()
    assert code == 0
    assert lines[0].startswith(f"RETRACTED {RETRACTED_AT}")
    assert "the data were fabricated" in lines[0]
    assert lines[1] == "record:"
    verdict = lines[-1]
    assert verdict.startswith("verdict: VERIFIED RETRACTED")
    card = "\n".join(lines[: lines.index("") + 1])
    assert "PASS" not in card
    for shown in (
        TEST_PAPER.title,
        "Ada Lovelace, Alan Turing",
        "arxiv:2611.01234 v2",
        "submitted 2026-11-02",
        "cs.DL · cs.CR",
        test_key(1).key_id,
    ):
        assert shown in card, (shown, card)
    assert "not anchored" in card and "no replications" in card
    quiet = run_cli("check", pdf, "--keyring", test_keyring, "--offline", "-q")
    assert quiet.stdout.startswith("verdict: VERIFIED RETRACTED"), quiet.stdout


def test_the_json_report_carries_the_record_and_the_notice(
    tmp_path: Path, test_keyring: Path
) -> None:
    pdf = claimed_pdf(tmp_path / "retracted.pdf", _retracted_bundle())
    result = run_cli("check", pdf, "--keyring", test_keyring, "--offline", "--json")
    doc = json.loads(result.stdout)
    assert (result.returncode, doc["verdict"], doc["notice"]) == (0, "verified", "retracted")
    record = doc["record"]
    assert record["title"] == TEST_PAPER.title and record["authors"] == "Ada Lovelace, Alan Turing"
    assert record["source"] == {"kind": "arxiv", "id": "2611.01234", "version": 2}
    assert record["categories"] == ["cs.DL", "cs.CR"] and record["retracted"] is True
    (correction,) = record["status"]["corrections"]
    assert correction["retraction"] and correction["created_at"] == RETRACTED_AT
    assert record["signed_by"]["key_id"] == test_key(1).key_id


def test_a_badge_on_another_paper_fails_but_names_the_record_it_claims(
    tmp_path: Path, test_keyring: Path
) -> None:
    bundle = make_test_bundle()
    pdf = claimed_pdf(tmp_path / "other.pdf", bundle, title="Small Batches Are All You Need")
    code, text = _check(pdf, test_keyring)
    assert code == 1 and "verdict: FAILED" in text
    assert "the record it claims:" in text and TEST_PAPER.title in text
    result = run_cli("check", pdf, "--keyring", test_keyring, "--offline", "--json")
    doc = json.loads(result.stdout)
    assert doc["verdict"] == "failed" and doc["record"]["title"] == TEST_PAPER.title
    assert doc["notice"] is None


def test_an_untrusted_bundle_shows_no_record(tmp_path: Path) -> None:
    rogue = make_test_bundle(key=test_key(7))
    ring = write_json(tmp_path / "ring.json", {"keys": [test_key(1).public_entry()]})
    pdf = claimed_pdf(tmp_path / "rogue.pdf", rogue)
    result = run_cli("check", pdf, "--keyring", ring, "--offline", "--json")
    doc = json.loads(result.stdout)
    assert (result.returncode, doc["code"]) == (1, "check.signature.untrusted")
    assert doc["record"] is None and doc["notice"] is None
    code, text = _check(pdf, ring)
    assert code == 1 and text.startswith("PASS  check.pdf")
    assert "record:" not in text and "the record it claims" not in text


def test_bundle_show_reads_the_bundle_a_pdf_embeds(tmp_path: Path, test_keyring: Path) -> None:
    pdf = claimed_pdf(tmp_path / "retracted.pdf", _retracted_bundle())
    shown = run_cli("bundle", "show", pdf, "--keyring", test_keyring)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("verdict     VERIFIED")
    assert lines[1].startswith(f"RETRACTED {RETRACTED_AT}")
    assert TEST_PAPER.title in shown.stdout
