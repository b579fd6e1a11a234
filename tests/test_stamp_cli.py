"""``pithtex stamp`` as a command: refusals, batches, determinism, atomicity."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from conftest import ROOT, SEED_BUNDLE, SEED_NUMBER, SHARED, make_test_bundle, run_cli, write_json
from stamp_pdfs import TITLE, reportlab_pdf
from test_stamp_producers import qpdf_check

from pithtex.core import names as xmpschema

PITH_NUMBER_KEY = f"{{{xmpschema.NAMESPACE_URI}}}number"


def pith_number(path: Path) -> str | None:
    with pikepdf.open(path) as pdf:
        if "/Metadata" not in pdf.Root:
            return None
        return pdf.open_metadata().get(PITH_NUMBER_KEY)  # type: ignore[no-any-return]


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    return reportlab_pdf(tmp_path / "paper.pdf")


def test_wrong_title_is_refused_and_nothing_written(tmp_path: Path) -> None:
    source = reportlab_pdf(tmp_path / "other.pdf", title="A Different Paper Altogether")
    before = source.read_bytes()
    out = tmp_path / "out.pdf"
    result = run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out)
    assert result.returncode == 1
    assert "does not match the record's title" in result.stderr
    assert not out.exists() and source.read_bytes() == before
    forced = run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out, "--force", check=True)
    assert "--force" in forced.stdout
    assert pith_number(out) == SEED_NUMBER


def test_untrusted_bundle_is_refused(tmp_path: Path, paper: Path, test_keyring: Path) -> None:
    bundle = write_json(tmp_path / "b.json", make_test_bundle())
    out = tmp_path / "out.pdf"
    result = run_cli("stamp", paper, "--bundle", bundle, "-o", out)
    assert result.returncode == 1
    assert "untrusted" in result.stderr and "nothing was stamped" in result.stderr
    assert not out.exists()
    # the same bundle with its key in the keyring verifies; the title still has to match
    result = run_cli("stamp", paper, "--bundle", bundle, "-o", out, "--keyring", test_keyring)
    assert result.returncode == 1 and "title" in result.stderr


def test_tampered_bundle_is_refused(tmp_path: Path, paper: Path) -> None:
    data = json.loads(SEED_BUNDLE.read_text())
    data["canonical_record"]["metadata"]["title_canon_sha256"] = "0" * 64
    bundle = write_json(tmp_path / "b.json", data)
    result = run_cli("stamp", paper, "--bundle", bundle, "-o", tmp_path / "o.pdf")
    assert result.returncode == 1 and "invalid" in result.stderr


def test_a_pdf_without_title_takes_it_from_page_one(tmp_path: Path) -> None:
    source = reportlab_pdf(tmp_path / "t.pdf", title=None, page_text=TITLE)
    out = tmp_path / "out.pdf"
    result = run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out, "--json", check=True)
    assert any("found on page 1" in n for n in json.loads(result.stdout)["notes"])
    with pikepdf.open(out) as pdf:
        assert pdf.open_metadata()["dc:title"] == TITLE
        assert str(pdf.docinfo["/Title"]) == TITLE


def test_a_pdf_without_any_title_is_refused(tmp_path: Path) -> None:
    source = reportlab_pdf(tmp_path / "t.pdf", title=None)
    out = tmp_path / "out.pdf"
    result = run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out)
    assert result.returncode == 1 and "has no title" in result.stderr
    assert not out.exists()


def test_malformed_xmp_is_refused_unless_repair_is_asked(tmp_path: Path, paper: Path) -> None:
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(paper) as pdf:
        pdf.Root.Metadata = pdf.make_stream(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF")
        pdf.save(broken, fix_metadata_version=False)
    before = broken.read_bytes()
    out = tmp_path / "out.pdf"
    result = run_cli("stamp", broken, "--bundle", SEED_BUNDLE, "-o", out)
    assert result.returncode == 2
    assert "not well-formed" in result.stderr and "--repair-xmp" in result.stderr
    assert not out.exists() and broken.read_bytes() == before
    run_cli("stamp", broken, "--bundle", SEED_BUNDLE, "-o", out, "--repair-xmp", check=True)
    assert pith_number(out) == SEED_NUMBER
    with pikepdf.open(out) as pdf:
        assert pdf.open_metadata()["dc:title"] == TITLE  # rebuilt from Info


@pytest.mark.parametrize(
    "content",
    [b"", b"%PDF-1.7\n", b"this is not a PDF at all\n" * 20],
)
def test_unreadable_inputs_are_refused(tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "bad.pdf"
    source.write_bytes(content)
    result = run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", tmp_path / "o.pdf")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "o.pdf").exists()


@pytest.mark.parametrize(
    "base", ["https://evil.example/)>>/JS(app.alert(1))", "javascript:alert(1)", "ftp://x.org"]
)
def test_a_resolver_base_that_could_inject_is_refused(
    tmp_path: Path, paper: Path, base: str
) -> None:
    """The base URL goes into the badge's link, its QR code and the XMP: checked first."""
    out = tmp_path / "out.pdf"
    result = run_cli("stamp", paper, "--bundle", SEED_BUNDLE, "-o", out, "--resolver-base", base)
    assert result.returncode == 2
    assert "not a usable resolver base URL" in result.stderr
    assert not out.exists()


def test_a_resolver_base_names_the_link_everywhere(tmp_path: Path, paper: Path) -> None:
    out = tmp_path / "out.pdf"
    run_cli(
        "stamp", paper, "--bundle", SEED_BUNDLE, "-o", out, "--badge",
        "--resolver-base", "https://mirror.example.org/pith-mirror/", check=True,
    )  # fmt: skip
    link = "https://mirror.example.org/pith-mirror/pith/" + SEED_NUMBER.rsplit(":", 1)[1]
    from pithtex.pdf.evidence import read_pdf

    claims = {(c.channel, c.value) for c in read_pdf(out).numbers}
    assert {("xmp.resolver", link), ("info.resolver", link), ("link", link)} <= claims


def test_output_must_be_chosen(paper: Path) -> None:
    result = run_cli("stamp", paper, "--bundle", SEED_BUNDLE)
    assert result.returncode == 2 and "say where to write" in result.stderr


def test_in_place_and_dry_run(paper: Path) -> None:
    before = paper.read_bytes()
    dry = run_cli("stamp", paper, "--bundle", SEED_BUNDLE, "--in-place", "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["status"] == "planned"
    assert paper.read_bytes() == before
    run_cli("stamp", paper, "--bundle", SEED_BUNDLE, "--in-place", check=True)
    assert pith_number(paper) == SEED_NUMBER
    assert not list(paper.parent.glob(".pithtex-*"))


def test_deterministic_output_is_byte_identical(tmp_path: Path, paper: Path) -> None:
    outs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.pdf"
        run_cli(
            "stamp",
            paper,
            "--bundle",
            SEED_BUNDLE,
            "-o",
            out,
            "--deterministic",
            "--embed-bundle",
            check=True,
        )
        outs.append(out.read_bytes())
        time.sleep(1.1)  # a wall-clock time would now differ
    assert outs[0] == outs[1]
    with pikepdf.open(paper) as pdf:
        original_date = str(pdf.docinfo["/ModDate"])
    with pikepdf.open(tmp_path / "a.pdf") as pdf:
        meta = pdf.open_metadata()
        assert f"{{{xmpschema.NAMESPACE_URI}}}stampedAt" not in meta
        assert str(pdf.docinfo["/ModDate"]) == original_date
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    for name in ("c", "d"):
        run_cli(
            "stamp",
            paper,
            "--bundle",
            SEED_BUNDLE,
            "-o",
            tmp_path / f"{name}.pdf",
            "--deterministic",
            env=env,
            check=True,
        )
    assert (tmp_path / "c.pdf").read_bytes() == (tmp_path / "d.pdf").read_bytes()
    with pikepdf.open(tmp_path / "c.pdf") as pdf:
        meta = pdf.open_metadata()
        assert meta[f"{{{xmpschema.NAMESPACE_URI}}}stampedAt"] == "2023-11-14T22:13:20+00:00"
        assert str(pdf.docinfo["/ModDate"]) == "D:20231114221320+00'00'"


def test_batch_over_a_directory_and_a_glob(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(4):
        reportlab_pdf(inputs / f"p{i}.pdf")
    (inputs / "broken.pdf").write_bytes(b"not a pdf")
    reportlab_pdf(inputs / "wrong.pdf", title="Another Paper")
    extra = tmp_path / "extra"
    extra.mkdir()
    reportlab_pdf(extra / "x1.pdf")
    out = tmp_path / "out"
    result = run_cli(
        "stamp",
        inputs,
        f"{extra}/*.pdf",
        "--bundle",
        SEED_BUNDLE,
        "--out-dir",
        out,
        "--jobs",
        "2",
        "--json",
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    files, summary = lines[:-1], lines[-1]
    assert summary == {
        "schema": "pithtex.stamp-summary/1",
        "files": 7,
        "stamped": 5,
        "refused": 2,
    }
    by_name = {Path(r["file"]).name: r for r in files}
    assert by_name["broken.pdf"]["error"]["code"] == "pdf.unreadable"
    assert by_name["wrong.pdf"]["error"]["code"] == "title.mismatch"
    assert result.returncode == 1  # the batch policy: a title mismatch outranks a broken file
    for name in ("p0.pdf", "p1.pdf", "p2.pdf", "p3.pdf", "x1.pdf"):
        assert pith_number(out / name) == SEED_NUMBER
        qpdf_check(out / name)
    assert not (out / "broken.pdf").exists() and not (out / "wrong.pdf").exists()
    assert [Path(r["file"]).name for r in files] == sorted(
        by_name, key=lambda n: (n.startswith("x"), n)
    )


def test_batch_text_report_and_progress(tmp_path: Path) -> None:
    for i in range(3):
        reportlab_pdf(tmp_path / f"p{i}.pdf")
    result = run_cli(
        "stamp", tmp_path, "--bundle", SEED_BUNDLE, "--in-place", "--progress", check=True
    )
    assert result.stdout.count("stamped  ") == 3
    assert "3 files: 3 stamped" in result.stderr
    assert "stamping" in result.stderr  # the progress bar


def test_clashing_output_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    reportlab_pdf(tmp_path / "a" / "p.pdf")
    reportlab_pdf(tmp_path / "b" / "p.pdf")
    result = run_cli(
        "stamp",
        tmp_path / "a",
        tmp_path / "b",
        "--bundle",
        SEED_BUNDLE,
        "--out-dir",
        tmp_path / "out",
    )
    assert result.returncode == 2 and "collide" in result.stderr


def test_kill_9_never_leaves_a_partial_output(tmp_path: Path) -> None:
    """Kill the stamper at random moments: the input stays, the output is absent or whole."""
    source = reportlab_pdf(tmp_path / "big.pdf", pages=400)
    before = source.read_bytes()
    out = tmp_path / "out.pdf"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(4)
    outcomes = set()
    for _ in range(12):
        out.unlink(missing_ok=True)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pithtex",
                "stamp",
                str(source),
                "--bundle",
                str(SEED_BUNDLE),
                "-o",
                str(out),
                "--embed-bundle",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert source.read_bytes() == before
        if out.exists():
            qpdf_check(out)
            assert pith_number(out) == SEED_NUMBER
            outcomes.add("complete")
        else:
            outcomes.add("absent")
        for temp in tmp_path.glob(".pithtex-*.part"):
            temp.unlink()  # what a killed run leaves: only a hidden temporary file
    assert "absent" in outcomes


def test_hostile_pdfs_never_stop_a_batch(tmp_path: Path) -> None:
    corpus = sorted((SHARED / "corpora" / "qpdf-fuzz").iterdir())[:40]
    corpus += sorted((SHARED / "corpora" / "safedocs").iterdir())[:10]
    result = run_cli(
        "stamp",
        *corpus,
        "--bundle",
        SEED_BUNDLE,
        "--out-dir",
        tmp_path,
        "--force",
        "--jobs",
        "2",
        "--json",
        timeout=600,
    )
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1]["files"] == len(corpus) == len(lines) - 1
    for record in lines[:-1]:
        if record["status"] == "refused":
            assert record["output"] is None and record["exit_code"] in (1, 2)
        else:
            assert record["exit_code"] == 0
            assert pith_number(Path(record["output"])) == SEED_NUMBER
