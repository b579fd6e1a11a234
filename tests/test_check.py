"""``pithtex check`` on PDFs carrying claims in every channel: verified, and each failure
caught by the check that owns it."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    SEED_BODY,
    SEED_BUNDLE,
    SEED_HASH,
    SEED_NUMBER,
    SEED_TITLE,
    TEST_PAPER,
    check_codes,
    make_test_bundle,
    run_cli,
    write_json,
)
from conftest import test_key as signing_key
from pdfsamples import bundle_claims, bundle_title, claimed_pdf, make_pdf, xmp_packet

from pithtex.core.model import load_bundle
from pithtex.pdf.check import CheckOptions, Verdict, check_pdf
from pithtex.trust.keyring import Keyring
from pithtex.trust.signing import PaperMetadata

OTHER_PAPER = PaperMetadata(
    source_id="2611.09999",
    title="An Entirely Different Paper About Graph Colouring",
    abstract="Other things.",
    submitted_at="2026-11-05T10:00:00Z",
    primary_cat="math.CO",
)


@pytest.fixture
def fresh() -> dict[str, Any]:
    """A bundle signed now by test key 1 (trusted with the ``test_keyring`` fixture)."""
    return make_test_bundle()


codes = check_codes


def check(path: Path, keyring: Keyring | None = None, **options: Any) -> Any:
    return check_pdf(str(path), CheckOptions(keyring=keyring or Keyring.default(), **options))


def trusting(keyring_file: Path) -> Keyring:
    return Keyring.build([keyring_file])


# ------------------------------------------------------------------ verified


def test_every_channel_agrees_and_the_seed_pdf_verifies(tmp_path: Path, seed: dict) -> None:
    report = check(claimed_pdf(tmp_path / "lamb.pdf", seed))
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert report.exit_code == 0
    assert report.number == SEED_NUMBER
    assert {c.channel for c in report.evidence.numbers} == {
        "xmp.number",
        "xmp.identifier",
        "xmp.resolver",
        "info.number",
        "info.resolver",
        "link",
        "text",
    }
    corroborating = {"check.authors", "check.abstract"}  # shown, never deciding
    assert all(c.status.value == "pass" for c in report.checks if c.check not in corroborating)
    assert codes(report)["check.title"] == "check.title.ok"


def test_fresh_bundle_verifies_only_with_its_keyring(
    tmp_path: Path, fresh: dict, test_keyring: Path
) -> None:
    pdf = claimed_pdf(tmp_path / "fresh.pdf", fresh)
    assert check(pdf, trusting(test_keyring)).verdict is Verdict.VERIFIED
    untrusted = check(pdf)
    assert untrusted.verdict is Verdict.FAILED
    assert untrusted.code == "check.signature.untrusted"


def test_only_the_badge_text_and_a_bundle_argument(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "text.pdf", title=SEED_TITLE, badge="pith:J655K2KR")
    report = check(pdf, bundle=load_bundle(SEED_BUNDLE))
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert codes(report)["check.number"] == "check.number.absent"
    assert codes(report)["check.title"] == "check.title.ok"


def test_page_title_alone_matches_when_metadata_has_none(tmp_path: Path, seed: dict) -> None:
    claims = bundle_claims(seed)
    claims["xmp"] = xmp_packet({"number": SEED_NUMBER})
    claims["info"] = {"PithNumber": SEED_NUMBER}
    report = check(make_pdf(tmp_path / "p.pdf", title=SEED_TITLE, **claims))
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert next(c for c in report.checks if c.check == "check.title").subject == "page1"


def test_bundle_sources_in_order_of_preference(tmp_path: Path, seed: dict) -> None:
    pdf = claimed_pdf(tmp_path / "lamb.pdf", seed)
    assert check(pdf).bundle_source == "embedded"
    given = check(pdf, bundle=load_bundle(SEED_BUNDLE), bundle_label="b.json")
    assert given.bundle_source == "argument"
    ignored = check(pdf, use_embedded=False)
    assert ignored.verdict is Verdict.INDETERMINATE
    assert ignored.exit_code == 4
    assert ignored.code == "check.bundle.unavailable"
    assert "--ignore-embedded" in ignored.reason
    assert not any(c.failed for c in ignored.checks)
    assert "no bundle" in ignored.reason


def test_embedded_bundle_only_in_the_names_tree(tmp_path: Path, seed: dict) -> None:
    report = check(claimed_pdf(tmp_path / "n.pdf", seed, embed_as=("names",)))
    assert report.verdict is Verdict.VERIFIED
    assert report.evidence.embedded.where.startswith("EmbeddedFiles")


def test_mirror_resolver_links_count_only_when_configured(tmp_path: Path, seed: dict) -> None:
    mirror = "https://mirror.example.org/registry"
    pdf = claimed_pdf(tmp_path / "m.pdf", seed, link=f"{mirror}/pith/{SEED_BODY}")
    assert "link" in {c.channel for c in check(pdf).evidence.numbers}  # read, ...
    assert "link" not in {c.channel for c in check(pdf).claims}  # ... but not a claim
    report = check(pdf, resolvers=("https://pith.science", mirror))
    assert "link" in {c.channel for c in report.claims}
    assert report.verdict is Verdict.VERIFIED


# ------------------------------------------------------------------ failures


def test_wrong_bundle_argument_is_caught_by_the_record_check(tmp_path: Path, seed: dict) -> None:
    other = write_json(tmp_path / "other.json", make_test_bundle())
    report = check(claimed_pdf(tmp_path / "lamb.pdf", seed), bundle=load_bundle(other))
    assert report.verdict is Verdict.FAILED
    assert codes(report)["check.record"] == "check.record.mismatch"


def test_wrong_embedded_bundle_is_caught_by_the_number_check(tmp_path: Path, seed: dict) -> None:
    report = check(claimed_pdf(tmp_path / "lamb.pdf", seed, bundle=make_test_bundle()))
    assert codes(report)["check.number"] == "check.number.mismatch"
    assert codes(report)["check.record"] == "check.record.mismatch"


def test_tampered_bundle_is_caught_by_the_signature_check(tmp_path: Path, seed: dict) -> None:
    tampered = copy.deepcopy(seed)
    tampered["built_at"] = "2030-01-01T00:00:00Z"  # a field the bundle signature covers
    report = check(claimed_pdf(tmp_path / "t.pdf", seed, bundle=tampered))
    assert report.verdict is Verdict.FAILED
    assert codes(report)["check.signature"] == "check.signature.invalid"
    assert codes(report)["check.stamp"] == "check.stamp.mismatch"


def test_badge_transplanted_onto_another_paper(tmp_path: Path, seed: dict) -> None:
    claims = bundle_claims(seed)
    claims["xmp"] = xmp_packet(
        {"number": SEED_NUMBER, "canonicalSHA256": SEED_HASH}, title=OTHER_PAPER.title
    )
    claims["info"] = {"PithNumber": SEED_NUMBER, "Title": OTHER_PAPER.title}
    report = check(make_pdf(tmp_path / "x.pdf", title=OTHER_PAPER.title, **claims))
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.title.mismatch"
    assert OTHER_PAPER.title in report.reason
    assert codes(report)["check.signature"] == "check.signature.ok"  # the badge is genuine


def test_transplant_with_copied_metadata_title_is_caught_on_the_page(
    tmp_path: Path, seed: dict
) -> None:
    """The metadata claims the genuine title, but page 1 shows another paper."""
    report = check(claimed_pdf(tmp_path / "x.pdf", seed, title=OTHER_PAPER.title))
    assert report.verdict is Verdict.FAILED
    assert codes(report)["check.title"] == "check.title.mismatch"
    assert OTHER_PAPER.title in report.reason


def test_xmp_number_and_link_number_disagree(tmp_path: Path, seed: dict) -> None:
    other = make_test_bundle(paper=OTHER_PAPER)
    other_body = other["pith_number"].rsplit(":", 1)[-1]
    pdf = claimed_pdf(tmp_path / "x.pdf", seed, link=f"https://pith.science/pith/{other_body}")
    report = check(pdf)
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.number.mismatch"
    assert "link" in report.reason and other_body in report.reason


def test_bundle_signed_by_an_untrusted_key(tmp_path: Path) -> None:
    rogue = make_test_bundle(key=signing_key(7))
    report = check(claimed_pdf(tmp_path / "r.pdf", rogue))
    assert report.code == "check.signature.untrusted"
    assert report.exit_code == 1


def test_pdf_without_any_claim(tmp_path: Path) -> None:
    report = check(make_pdf(tmp_path / "plain.pdf", title="A Paper Without a Badge"))
    assert report.verdict is Verdict.NO_CLAIM
    assert report.exit_code == 3
    assert report.code == "check.claims.none"


def test_badge_text_not_a_prefix_of_the_number(tmp_path: Path, seed: dict) -> None:
    report = check(claimed_pdf(tmp_path / "b.pdf", seed, badge="pith:ABCDEFGH"))
    assert report.code == "check.text.mismatch"


def test_hash_in_metadata_differs_from_the_bundle(tmp_path: Path, seed: dict) -> None:
    claims = bundle_claims(seed)
    claims["info"] = {**claims["info"], "PithCanonicalSHA256": "0" * 64}
    report = check(make_pdf(tmp_path / "h.pdf", title=SEED_TITLE, **claims))
    assert report.code == "check.hash.mismatch"


def test_malformed_number_in_metadata(tmp_path: Path, seed: dict) -> None:
    claims = bundle_claims(seed)
    claims["info"] = {**claims["info"], "PithNumber": "pith:2019:NOT-A-NUMBER"}
    report = check(make_pdf(tmp_path / "m.pdf", title=SEED_TITLE, **claims))
    assert report.code == "check.claims.malformed"


def test_malformed_xmp_is_a_finding_not_repaired(tmp_path: Path, seed: dict) -> None:
    whole = xmp_packet({"number": SEED_NUMBER})
    broken = whole[: len(whole) // 2]  # cut inside the packet
    report = check(claimed_pdf(tmp_path / "x.pdf", seed, xmp=broken))
    assert report.verdict is Verdict.FAILED
    assert codes(report)["check.xmp"] == "check.xmp.malformed"
    assert "xmp.number" not in {c.channel for c in report.evidence.numbers}


def test_malformed_xmp_without_other_claims_is_not_no_claim(tmp_path: Path) -> None:
    broken = xmp_packet({"number": SEED_NUMBER}, prolog='<!DOCTYPE x [<!ENTITY a "b">]>')
    report = check(make_pdf(tmp_path / "x.pdf", title=SEED_TITLE, xmp=broken))
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.xmp.entities"


def test_embedded_bundle_that_does_not_parse(tmp_path: Path, seed: dict) -> None:
    report = check(claimed_pdf(tmp_path / "e.pdf", seed, bundle=b'{"bundle_type": 1}'))
    assert codes(report)["check.embedded"] == "check.embedded.malformed"
    assert report.verdict is Verdict.FAILED


def test_checker_never_writes_to_the_pdf(tmp_path: Path, seed: dict) -> None:
    pdf = claimed_pdf(tmp_path / "lamb.pdf", seed)
    pdf.chmod(0o444)
    before = (hashlib.sha256(pdf.read_bytes()).hexdigest(), pdf.stat().st_mtime_ns)
    assert run_cli("check", pdf).returncode == 0
    check(pdf)
    assert (hashlib.sha256(pdf.read_bytes()).hexdigest(), pdf.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lamb.pdf"]


def test_test_paper_title_with_tex_specials(tmp_path: Path, fresh: dict, test_keyring: Path):
    assert bundle_title(fresh) == TEST_PAPER.title
    report = check(claimed_pdf(tmp_path / "t.pdf", fresh), trusting(test_keyring))
    assert report.verdict is Verdict.VERIFIED, report.reason


# ------------------------------------------------------------------ the CLI


def test_cli_report_verdict_and_exit_codes(tmp_path: Path, seed: dict) -> None:
    good = run_cli("check", claimed_pdf(tmp_path / "lamb.pdf", seed))
    assert good.returncode == 0, good.stderr
    lines = good.stdout.splitlines()
    assert any(line.startswith("PASS  check.title") for line in lines)
    assert lines[-1].startswith("verdict: VERIFIED") and SEED_NUMBER in lines[-1]
    plain = run_cli("check", make_pdf(tmp_path / "plain.pdf", title="Plain"))
    assert plain.returncode == 3
    assert "NO-CLAIM" in plain.stdout
    missing = run_cli("check", tmp_path / "missing.pdf")
    assert missing.returncode == 2
    assert "no such file" in missing.stdout
    notpdf = tmp_path / "notes.pdf"
    notpdf.write_text("hello")
    assert run_cli("check", notpdf).returncode == 2


def test_cli_bad_bundle_argument_is_unusable_input(tmp_path: Path, seed: dict) -> None:
    pdf = claimed_pdf(tmp_path / "lamb.pdf", seed)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = run_cli("check", pdf, "--bundle", broken)
    assert result.returncode == 2
    assert result.stderr.startswith("pithtex: error:") and "broken.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_json_schema(tmp_path: Path, seed: dict) -> None:
    pdf = claimed_pdf(tmp_path / "lamb.pdf", seed)
    result = run_cli("check", "--json", pdf)
    doc = json.loads(result.stdout)
    assert doc["schema"] == "pithtex.check/1"
    assert (doc["verdict"], doc["exit_code"], doc["code"]) == ("verified", 0, "check.verified")
    assert doc["number"] == SEED_NUMBER
    assert doc["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert doc["bundle"]["source"] == "embedded" and doc["bundle"]["verdict"] == "verified"
    assert {c["check"] for c in doc["checks"]} >= {"check.number", "check.title", "check.hash"}
    assert all(set(c) == {"check", "status", "code", "subject", "reason"} for c in doc["checks"])
    assert {"channel", "value", "where", "number", "problem"} == set(doc["claims"][0])
    offline = ("--offline", "--cache-dir", tmp_path / "cache")  # no bundle anywhere
    undecided = json.loads(run_cli("check", "--json", "--ignore-embedded", *offline, pdf).stdout)
    assert (undecided["verdict"], undecided["exit_code"]) == ("indeterminate", 4)
    assert undecided["code"] == "check.bundle.unavailable"
    bundle_line = next(c for c in undecided["checks"] if c["check"] == "check.bundle")
    assert bundle_line["status"] == "indeterminate"


def test_cli_keyring_option_trusts_a_test_registry(
    tmp_path: Path, fresh: dict, test_keyring: Path
) -> None:
    pdf = claimed_pdf(tmp_path / "fresh.pdf", fresh)
    assert run_cli("check", "-q", pdf).returncode == 1
    trusted = run_cli("check", "-q", "--keyring", test_keyring, pdf)
    assert trusted.returncode == 0
    assert trusted.stdout.startswith("verdict: VERIFIED")


def test_cli_colour_on_request(tmp_path: Path, seed: dict) -> None:
    pdf = claimed_pdf(tmp_path / "lamb.pdf", seed)
    coloured = run_cli("check", pdf, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\033[32mPASS\033[0m" in coloured.stdout
    assert "\033[" not in run_cli("check", pdf).stdout


def test_without_a_bundle_the_hash_must_derive_to_the_number(tmp_path: Path, seed: dict) -> None:
    claims = {k: v for k, v in bundle_claims(seed).items() if k != "bundle"}
    good = check(make_pdf(tmp_path / "g.pdf", title=SEED_TITLE, **claims))
    assert codes(good)["check.hash"] == "check.hash.no_bundle"
    assert good.code == "check.bundle.unavailable"
    other = make_test_bundle()["canonical_sha256"]
    claims["info"] = {**claims["info"], "PithCanonicalSHA256": other}
    claims["xmp"] = xmp_packet({"number": SEED_NUMBER, "canonicalSHA256": other})
    bad = check(make_pdf(tmp_path / "b.pdf", title=SEED_TITLE, **claims))
    assert codes(bad)["check.hash"] == "check.hash.mismatch"
