"""Round trips with the real stamper: ``pithtex stamp`` writes, ``pithtex check`` reads.

A foreign PDF (made by reportlab, no badge) and a TeX-made PDF (with its own
hyperref badge) are stamped with every option and checked; a badge stamped
with ``--force`` onto another paper must fail the title check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_BUNDLE, SEED_NUMBER, SEED_TITLE, TEST_PAPER, run_cli, write_json
from pdfsamples import make_pdf

STAMP_ALL = ("--embed-bundle", "--badge", "--deterministic")


def stamp(source: Path, bundle: Path, out: Path, *options: str | Path) -> None:
    result = run_cli("stamp", "--bundle", bundle, "-o", out, *options, source)
    assert result.returncode == 0, result.stdout + result.stderr


def check(pdf: Path, *options: str | Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--json", *options, pdf)
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def fresh(tmp_path: Path, bundle_factory: Any) -> Path:
    return write_json(tmp_path / "bundle.json", bundle_factory())


def test_foreign_pdf_stamped_with_everything_verifies(
    tmp_path: Path, fresh: Path, test_keyring: Path
) -> None:
    foreign = make_pdf(tmp_path / "foreign.pdf", title=TEST_PAPER.title)
    stamped = tmp_path / "stamped.pdf"
    stamp(foreign, fresh, stamped, "--keyring", test_keyring, *STAMP_ALL)
    code, doc = check(stamped, "--keyring", test_keyring)
    assert code == 0, doc["reason"]
    channels = {c["channel"] for c in doc["claims"]}
    assert {"xmp.number", "xmp.identifier", "info.number", "link", "badge", "embedded"} <= channels
    assert "text" in channels  # the stamped badge's text is extractable
    checks = {c["check"]: c["code"] for c in doc["checks"]}
    assert checks["check.stamp"] == "check.stamp.ok"
    assert checks["check.hash"] == "check.hash.ok"
    assert doc["bundle"]["source"] == "embedded"
    # the stamped file, checked without the test keyring, is genuine but untrusted
    assert check(stamped)[1]["code"] == "check.signature.untrusted"


def test_stamped_without_embedded_bundle_needs_one(
    tmp_path: Path, fresh: Path, test_keyring: Path
) -> None:
    foreign = make_pdf(tmp_path / "foreign.pdf", title=TEST_PAPER.title)
    stamped = tmp_path / "stamped.pdf"
    stamp(foreign, fresh, stamped, "--keyring", test_keyring)
    code, doc = check(stamped, "--keyring", test_keyring, "--offline", "--cache-dir", tmp_path)
    assert (code, doc["code"]) == (4, "check.bundle.unavailable")
    code, doc = check(stamped, "--keyring", test_keyring, "--bundle", fresh)
    assert code == 0, doc["reason"]


@pytest.mark.tex
def test_tex_badge_and_stamp_together(tmp_path: Path) -> None:
    from test_check_tex import compile_latex

    from pithtex.core.numbers import parse_full_number

    body = parse_full_number(SEED_NUMBER).body
    tex = compile_latex(tmp_path, SEED_TITLE, SEED_NUMBER, body)
    stamped = tmp_path / "stamped.pdf"
    stamp(tex, SEED_BUNDLE, stamped, "--embed-bundle")
    code, doc = check(stamped)
    assert code == 0, doc["reason"]
    assert doc["number"] == SEED_NUMBER


def test_forced_stamp_on_another_paper_fails_the_title(
    tmp_path: Path, fresh: Path, test_keyring: Path
) -> None:
    other = make_pdf(tmp_path / "other.pdf", title="A Different Paper on Graph Colouring")
    target = tmp_path / "x.pdf"
    refused = run_cli("stamp", "--bundle", fresh, "--keyring", test_keyring, "-o", target, other)
    assert refused.returncode == 1 and not target.exists()  # the stamper refuses it too
    stamped = tmp_path / "forced.pdf"
    stamp(other, fresh, stamped, "--keyring", test_keyring, "--force", *STAMP_ALL)
    code, doc = check(stamped, "--keyring", test_keyring)
    assert code == 1
    assert doc["code"] == "check.title.mismatch"
    assert "A Different Paper on Graph Colouring" in doc["reason"]  # the title on page 1
    checks = {c["check"]: c["code"] for c in doc["checks"]}
    assert checks["check.signature"] == "check.signature.ok"


@pytest.mark.tex
@pytest.mark.parametrize("producer", ["latex", "pdfa", "hyperxmp"])
def test_real_producers_stamped_and_checked(tmp_path: Path, producer: str) -> None:
    """pdfLaTeX, a pdfx PDF/A-2b file (extension schemas) and hyperxmp (a DOI in
    dc:identifier, so the number goes to xmp:Identifier): the checker reads them all.
    """
    import stamp_pdfs

    build = {
        "latex": stamp_pdfs.latex_pdf,
        "pdfa": stamp_pdfs.pdfa_pdf,
        "hyperxmp": stamp_pdfs.hyperxmp_pdf,
    }[producer]
    source = build(tmp_path)
    stamped = tmp_path / "stamped.pdf"
    stamp(source, SEED_BUNDLE, stamped, "--badge", "--deterministic")
    code, doc = check(stamped, "--bundle", SEED_BUNDLE)
    if producer == "hyperxmp":  # its page 1 shows no title at all, only its metadata does
        assert (code, doc["code"]) == (1, "check.title.mismatch")
        assert "Rich XMP from hyperxmp" in doc["reason"]  # what page 1 shows instead
        assert [c["check"] for c in doc["checks"] if c["status"] == "fail"] == ["check.title"]
    else:
        assert code == 0, doc["reason"]
    where = {c["where"] for c in doc["claims"]}
    assert {"XMP pith:number", "page 1 /PithBadge /PithNumber"} <= where
    identifier = "XMP xmp:Identifier" if producer == "hyperxmp" else "XMP dc:identifier"
    assert identifier in where
    assert {c["check"]: c["status"] for c in doc["checks"]}["check.xmp"] == "pass"


def test_bundle_show_reads_the_bundle_a_stamped_pdf_carries(
    tmp_path: Path, fresh: Path, test_keyring: Path
) -> None:
    foreign = make_pdf(tmp_path / "foreign.pdf", title=TEST_PAPER.title)
    stamped = tmp_path / "stamped.pdf"
    stamp(foreign, fresh, stamped, "--embed-bundle", "--keyring", test_keyring)
    shown = run_cli("bundle", "show", stamped, "--json", "--keyring", test_keyring)
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["from"] == f"embedded in {stamped}" and doc["verdict"] == "verified"
    assert doc["record"]["title"] == TEST_PAPER.title
    piped = run_cli("bundle", "show", "-", "--keyring", test_keyring, input=None)
    assert piped.returncode == 2  # empty standard input is not a bundle
    bare = tmp_path / "bare.pdf"
    stamp(foreign, fresh, bare, "--keyring", test_keyring)
    refused = run_cli("bundle", "show", bare)
    assert refused.returncode == 2 and "no embedded pith-bundle.json" in refused.stderr
    assert "Traceback" not in refused.stderr
