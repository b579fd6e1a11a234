"""``-`` for standard input and output with PDFs: ``check -``, ``stamp - -o OUT``, ``-o -``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SEED_BUNDLE, SEED_NUMBER
from stamp_pdfs import reportlab_pdf


def run_bytes(*args: str | os.PathLike[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pithtex", *map(str, args)],
        input=data,
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_stamp_from_stdin_to_stdout_then_check_from_stdin(tmp_path: Path) -> None:
    paper = reportlab_pdf(tmp_path / "paper.pdf")
    original = paper.read_bytes()
    stamped = run_bytes(
        "stamp", "--bundle", SEED_BUNDLE, "--embed-bundle", "--json", "-", "-o", "-", data=original
    )
    assert stamped.returncode == 0, stamped.stderr
    assert stamped.stdout.startswith(b"%PDF-") and stamped.stdout != original
    report = json.loads(stamped.stderr)  # the PDF owns stdout, so the report is on stderr
    assert (report["file"], report["output"], report["exit_code"]) == ("-", "-", 0)
    assert report["status"] == "stamped"
    checked = run_bytes("check", "--json", "-", data=stamped.stdout)
    doc = json.loads(checked.stdout)
    assert (doc["file"], doc["number"], doc["bundle"]["source"]) == ("-", SEED_NUMBER, "embedded")
    on_disk = tmp_path / "stamped.pdf"
    on_disk.write_bytes(stamped.stdout)
    same = json.loads(run_bytes("check", "--json", on_disk, data=b"").stdout)
    assert checked.returncode == same["exit_code"]
    assert [c["code"] for c in doc["checks"]] == [c["code"] for c in same["checks"]]
    assert doc["sha256"] == same["sha256"]
    assert paper.read_bytes() == original


def test_stamp_file_to_stdout_keeps_the_input(tmp_path: Path) -> None:
    paper = reportlab_pdf(tmp_path / "paper.pdf")
    original = paper.read_bytes()
    result = run_bytes("stamp", "--bundle", SEED_BUNDLE, paper, "-o", "-", data=b"")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"%PDF-")
    assert b"stamped" in result.stderr
    assert paper.read_bytes() == original
    assert not (tmp_path / "-").exists()


def test_stamp_from_stdin_into_a_missing_folder(tmp_path: Path) -> None:
    paper = reportlab_pdf(tmp_path / "paper.pdf")
    out = tmp_path / "made" / "here" / "out.pdf"
    result = run_bytes("stamp", "--bundle", SEED_BUNDLE, "-", "-o", out, data=paper.read_bytes())
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_refused_stamp_to_stdout_writes_no_pdf(tmp_path: Path) -> None:
    other = reportlab_pdf(tmp_path / "other.pdf", title="A Different Paper Altogether")
    result = run_bytes("stamp", "--bundle", SEED_BUNDLE, "--json", other, "-o", "-", data=b"")
    assert result.returncode == 1, result.stderr
    assert result.stdout == b""
    report = json.loads(result.stderr)
    assert report["status"] == "refused" and report["output"] is None
    assert report["exit_code"] == 1 and report["error"]["code"]


def test_stdin_that_is_not_a_pdf_is_a_clear_error() -> None:
    for verb in (("check",), ("stamp", "--bundle", str(SEED_BUNDLE), "-o", "-")):
        result = run_bytes(*verb, "-", data=b"hello, not a PDF\n")
        assert result.returncode == 2
        assert b"standard input: not a PDF" in result.stderr
        assert b"Traceback" not in result.stderr


def test_stdin_cannot_carry_both_pdf_and_bundle(tmp_path: Path) -> None:
    result = run_bytes("check", "--bundle", "-", "-", data=b"%PDF-1.7\n")
    assert result.returncode == 2
    assert b"both the PDF and the bundle" in result.stderr
    assert run_bytes("check", "-", tmp_path, data=b"%PDF-1.7\n").returncode == 2
