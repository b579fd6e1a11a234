"""Hostile input: every malformed, hostile or enormous PDF gets a per-file result with a
reason, never a crash or a hang.  Generated files (see ``hostile.py``) and the public
corpora in ``../shared/corpora`` run through the real batch CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_BUNDLE, SHARED, run_cli
from hostile import generate
from pdfsamples import claimed_pdf

from pithtex.pdf.check import CheckOptions, Verdict, check_pdf
from pithtex.pdf.evidence import PdfError, ReadLimits, read_pdf
from pithtex.trust.keyring import Keyring

VERDICTS = {"verified", "failed", "unusable", "no-claim"}
INTERNAL = {"check.pdf.error", "check.internal.error"}
"""The codes of an exception that escaped the reader or the checks: a bug, even if handled."""


def batch(*paths: str | Path, jobs: int = 2) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    options = ("--json", "--jobs", jobs, "--timeout", 60, "--offline", "--cache-dir", paths[-1])
    result = run_cli("check", *options, *paths, timeout=900)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines, result.stderr
    summary = lines.pop()
    assert summary["schema"] == "pithtex.check-summary/1"
    assert summary["files"] == len(lines)
    for doc in lines:
        assert doc["schema"] == "pithtex.check/1"
        assert doc["verdict"] in VERDICTS
        assert doc["reason"], doc
        assert doc["code"] not in INTERNAL, doc
    return result.returncode, lines, summary


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    directory = tmp_path_factory.mktemp("hostile")
    genuine = claimed_pdf(directory / "genuine.pdf", json.loads(SEED_BUNDLE.read_bytes()))
    data = genuine.read_bytes()
    genuine.unlink()
    return directory, generate(directory, data)


@pytest.mark.slow
def test_generated_corpus_each_file_its_expected_outcome(corpus: tuple[Path, dict]) -> None:
    directory, expectations = corpus
    code, lines, _summary = batch(directory)
    assert code in (1, 2, 3)
    by_name = {Path(doc["file"]).name: doc for doc in lines}
    assert set(by_name) == set(expectations)
    for name, expected in expectations.items():
        doc = by_name[name]
        assert doc["verdict"] in expected.verdicts, (name, doc["code"], doc["reason"])
        if expected.code:
            assert doc["code"] == expected.code, (name, doc["reason"])
        if expected.problem:
            assert expected.problem in {p["code"] for p in doc["problems"]}, (name, doc)


def test_decompression_bomb_is_capped_not_inflated(corpus: tuple[Path, dict]) -> None:
    directory, _ = corpus
    evidence = read_pdf(directory / "page-content-bomb.pdf")
    assert [p.code for p in evidence.problems] == ["stream.too_large"]
    assert evidence.page_text == ""


def test_xmp_entities_in_a_pdf_are_never_expanded(corpus: tuple[Path, dict]) -> None:
    directory, _ = corpus
    evidence = read_pdf(directory / "xmp-entities.pdf")
    assert evidence.xmp_error is not None and evidence.xmp_error.code == "xmp.entities"
    assert evidence.xmp is None and evidence.numbers == ()


def test_file_size_cap(corpus: tuple[Path, dict]) -> None:
    directory, _ = corpus
    with pytest.raises(PdfError) as info:
        read_pdf(directory / "plain.pdf", limits=ReadLimits(max_file_bytes=100))
    assert info.value.code == "pdf.too_large"


def test_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    import pikepdf

    source = claimed_pdf(tmp_path / "lamb.pdf", json.loads(SEED_BUNDLE.read_bytes()))
    target = tmp_path / "locked.pdf"
    with pikepdf.open(source) as pdf:
        pdf.save(target, encryption=pikepdf.Encryption(user="", owner="owner"))
    report = check_pdf(str(target), CheckOptions(keyring=Keyring.default()))
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert report.evidence.encrypted


@pytest.mark.slow
def test_public_fuzz_and_safedocs_corpora(tmp_path: Path) -> None:
    fuzz = sorted((SHARED / "corpora" / "qpdf-fuzz").glob("*.fuzz"))
    safedocs = sorted((SHARED / "corpora" / "safedocs").glob("*.pdf"))
    assert len(fuzz) > 50 and len(safedocs) > 20
    # the fuzz inputs mostly lack a header; a copy with one reaches the parser proper
    for path in fuzz:
        (tmp_path / f"{path.stem}.pdf").write_bytes(b"%PDF-1.7\n" + path.read_bytes())
    code, lines, summary = batch(*fuzz, *safedocs, tmp_path)
    assert summary["files"] == 2 * len(fuzz) + len(safedocs)
    assert code in (1, 2, 3)
    assert summary["verdicts"]["verified"] == 0
    encrypted = [d for d in lines if "Unicode_passwords-corrigendum" in d["file"]]
    assert encrypted and all(d["code"] == "check.pdf.encrypted" for d in encrypted)
