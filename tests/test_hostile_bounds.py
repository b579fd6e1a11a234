"""Hostile PDFs against ``pithtex stamp`` and ``pithtex check`` in a bounded address space.

Each attack is made here with pikepdf: an XMP packet that inflates to 1 GiB
from a 1 MB file, a 128 MiB XMP packet (PDFium decodes ``/Metadata`` when it
opens a file), a form XObject that draws itself, forms drawing forms ten
times over ten levels, and page content that would make PDFium build
hundreds of megabytes of objects.  Then every file of the public corpora.
Every command runs with its address space limited to 1.5 GiB and must end
with a documented exit code and status code, never a traceback.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import ROOT, SEED_BUNDLE, SEED_TITLE, SHARED
from pdfsamples import draw_page

MIB = 1024 * 1024
ADDRESS_SPACE = 1536 * MIB
"""What each command may map (``RLIMIT_AS``): PDFium past its bounds needs far more."""

STAMP_CODES = {
    "title.mismatch",
    "title.missing",
    "pdf.encrypted",
    "pdf.password",
    "xmp.malformed",
    "xmp.unreadable",
    "pdf.unreadable",
    "pdf.damaged",
    "pdf.no_pages",
    "stream.too_large",
    "stream.corrupt",
    "page.cycle",
    "page.too_complex",
}
"""The refusal codes docs/stamp.md lists for a file (the bundle itself is verified), less
``stamp.failed``: a library failing in a way the stamper did not foresee."""
CHECK_CODE_PREFIXES = (
    "check.pdf.",
    "check.claims.",
    "check.xmp.",
    "check.embedded.",
    "check.number.",
    "check.bundle.",
)
"""The checks that may decide the verdict on files without a verifiable bundle."""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    max_rss: int
    """Peak resident memory of the command's own process, in bytes."""


def bounded(*args: str | os.PathLike[str]) -> Run:
    """``python -m pithtex ARGS`` with its address space capped at :data:`ADDRESS_SPACE`."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "pithtex", *map(str, args)],
            stdout=out,
            stderr=err,
            env=env,
            preexec_fn=limit,  # noqa: PLW1509 - only setrlimit, before exec
        )
        _, status, usage = os.wait4(process.pid, 0)  # its own peak memory, not the others'
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    assert "Traceback" not in stdout + stderr, stderr
    assert process.returncode >= 0, f"killed by signal {-process.returncode}: {stderr}"
    return Run(process.returncode, stdout, stderr, usage.ru_maxrss * 1024)


def zeros_flate(size: int) -> bytes:
    """Flate data inflating to ``size`` zero bytes, made without holding them in memory."""
    packer = zlib.compressobj(9)
    chunk = bytes(MIB)
    parts = [packer.compress(chunk) for _ in range(size // MIB)]
    parts.append(packer.flush())
    return b"".join(parts)


def titled_paper() -> pikepdf.Pdf:
    """A one-page paper whose Info /Title is the seed record's (so stamping goes on)."""
    pdf = pikepdf.open(io.BytesIO(draw_page(SEED_TITLE, None)))
    pdf.docinfo["/Title"] = SEED_TITLE
    return pdf


def save(pdf: pikepdf.Pdf, path: Path) -> Path:
    pdf.save(path, fix_metadata_version=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return path


def xmp_bomb(path: Path, size: int) -> Path:
    """``/Metadata`` inflating to ``size`` bytes (no ``/Subtype /XML``: qpdf would inflate it)."""
    pdf = titled_paper()
    stream = pikepdf.Stream(pdf, b"")
    stream.write(zeros_flate(size), filter=pikepdf.Name.FlateDecode)
    stream.Type = pikepdf.Name.Metadata
    pdf.Root.Metadata = pdf.make_indirect(stream)
    return save(pdf, path)


def form(pdf: pikepdf.Pdf, content: bytes) -> pikepdf.Stream:
    xobject = pdf.make_stream(content)
    xobject.Type, xobject.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    xobject.BBox = pikepdf.Array([0, 0, 100, 100])
    return xobject


def drawn(pdf: pikepdf.Pdf, xobject: pikepdf.Stream, name: str = "/X0") -> pikepdf.Pdf:
    page = pdf.pages[0]
    page.add_resource(xobject, pikepdf.Name.XObject, pikepdf.Name(name))
    page.contents_add(pdf.make_stream(f"q {name} Do Q".encode()))
    return pdf


def self_drawing_form(path: Path) -> Path:
    """A form XObject that draws itself twice: 1 KB, and PDFium grows past 4 GiB on it."""
    pdf = titled_paper()
    xobject = form(pdf, b"/X0 Do /X0 Do")
    xobject.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X0=xobject))
    return save(drawn(pdf, xobject), path)


def form_fan_out(path: Path, levels: int = 10, fan: int = 10) -> Path:
    """Forms drawing the next form ``fan`` times, ``levels`` deep: no cycle, 10^10 forms."""
    pdf = titled_paper()
    inner = form(pdf, b"0 0 m 1 1 l S")
    for _ in range(levels):
        outer = form(pdf, b"/F Do " * fan)
        outer.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=inner))
        inner = outer
    return save(drawn(pdf, inner), path)


def dense_content(path: Path, size: int = 32 * MIB) -> Path:
    """Page content of ``size`` bytes of text objects: 25 times that in PDFium's memory."""
    pdf = titled_paper()
    line = b"BT /F1 1 Tf (ab) Tj ET\n"
    body = zlib.compress(line * (size // len(line)), 9)
    stream = pikepdf.Stream(pdf, b"")
    stream.write(body, filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].contents_add(pdf.make_indirect(stream))
    return save(pdf, path)


ATTACKS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "xmp-1gib.pdf": (lambda p: xmp_bomb(p, 1024 * MIB), "stream.too_large"),
    "xmp-128mib.pdf": (lambda p: xmp_bomb(p, 128 * MIB), "stream.too_large"),
    "form-draws-itself.pdf": (self_drawing_form, "page.cycle"),
    "form-fan-out.pdf": (form_fan_out, "page.too_complex"),
    "dense-content.pdf": (dense_content, "stream.too_large"),
}
"""Each attack and the problem code the checker reports for it."""


@pytest.fixture(scope="module")
def attacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("attacks")
    return {name: make(directory / name) for name, (make, _) in ATTACKS.items()}


def test_the_attacks_are_small_files(attacks: dict[str, Path]) -> None:
    assert attacks["xmp-1gib.pdf"].stat().st_size < 1.1 * MIB
    assert attacks["form-draws-itself.pdf"].stat().st_size < 4096
    assert all(path.stat().st_size < 1.1 * MIB for path in attacks.values())


def stamp_json(source: Path, out: Path, *extra: str) -> tuple[Run, dict[str, Any]]:
    run = bounded("stamp", source, "--bundle", SEED_BUNDLE, "-o", out, "--json", *extra)
    return run, json.loads(run.stdout)


@pytest.mark.parametrize("badge", [False, True], ids=["plain", "badge"])
def test_xmp_bomb_is_refused_at_its_cap(
    attacks: dict[str, Path], tmp_path: Path, badge: bool
) -> None:
    """1 MB that inflates to 1 GiB: refused for its size, costing far less than 1 GiB."""
    out = tmp_path / "out.pdf"
    run, doc = stamp_json(attacks["xmp-1gib.pdf"], out, *(["--badge"] if badge else []))
    assert run.returncode == 2
    assert doc["status"] == "refused" and doc["error"]["code"] == "xmp.malformed"
    assert "over 4194304 bytes" in doc["error"]["message"]
    assert run.max_rss < 400 * MIB, run.max_rss
    assert not out.exists()


def test_xmp_bomb_is_replaced_with_repair_xmp(attacks: dict[str, Path], tmp_path: Path) -> None:
    """--repair-xmp writes a new packet without ever inflating the old one."""
    out = tmp_path / "out.pdf"
    run, doc = stamp_json(attacks["xmp-1gib.pdf"], out, "--repair-xmp")
    assert run.returncode == 0, doc
    assert doc["status"] == "stamped"
    assert run.max_rss < 400 * MIB, run.max_rss
    with pikepdf.open(out) as pdf:
        assert len(pdf.Root.Metadata.read_bytes()) < 64 * 1024


@pytest.mark.parametrize("name", ["xmp-128mib.pdf"])
def test_large_xmp_is_refused_by_stamp(attacks: dict[str, Path], tmp_path: Path, name: str) -> None:
    run, doc = stamp_json(attacks[name], tmp_path / "out.pdf", "--badge")
    assert run.returncode == 2 and doc["error"]["code"] == "xmp.malformed"


@pytest.mark.parametrize("name", ["form-draws-itself.pdf", "form-fan-out.pdf", "dense-content.pdf"])
def test_page_attacks_stamp_without_badge(
    attacks: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """Without --badge the stamper never hands page 1 to PDFium: the title is in Info."""
    run, doc = stamp_json(attacks[name], tmp_path / "out.pdf")
    assert run.returncode == 0, doc
    assert doc["status"] == "stamped"


@pytest.mark.parametrize("name", ["form-draws-itself.pdf", "form-fan-out.pdf", "dense-content.pdf"])
def test_page_attacks_get_no_badge(attacks: dict[str, Path], tmp_path: Path, name: str) -> None:
    """With --badge, a page 1 over the reader's bounds is refused with the bound's code."""
    out = tmp_path / "out.pdf"
    run, doc = stamp_json(attacks[name], out, "--badge")
    assert run.returncode == 2, doc
    assert doc["status"] == "refused"
    assert doc["error"]["code"] == ATTACKS[name][1], doc["error"]
    assert run.max_rss < 600 * MIB, run.max_rss
    assert not out.exists()


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_check_reports_each_attack_as_a_problem(
    attacks: dict[str, Path], tmp_path: Path, name: str
) -> None:
    run = bounded("check", attacks[name], "--json", "--offline", "--cache-dir", tmp_path)
    doc = json.loads(run.stdout)
    assert run.returncode == 1, doc["reason"]
    assert doc["verdict"] == "failed" and doc["code"] == "check.pdf.partial", doc["reason"]
    assert ATTACKS[name][1] in {p["code"] for p in doc["problems"]}, doc["problems"]


def test_pdfium_never_sees_metadata_or_other_pages(attacks: dict[str, Path]) -> None:
    """The copy PDFium gets holds page 1 alone: no /Metadata, one page, decoded content."""
    from pithtex.pdf._access.document import open_for_reading

    with open_for_reading(attacks["xmp-128mib.pdf"]) as document:
        copy = document.page1_view().pdf_bytes
    assert b"/Metadata" not in copy
    with pikepdf.open(io.BytesIO(copy)) as pdf:
        assert len(pdf.pages) == 1 and "/Metadata" not in pdf.Root
        assert SEED_TITLE.split()[0].encode() in pdf.pages[0].Contents.read_bytes()


# ---------------------------------------------------------------- the public corpora


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    fuzz = sorted((SHARED / "corpora" / "qpdf-fuzz").glob("*.fuzz"))
    safedocs = sorted((SHARED / "corpora" / "safedocs").glob("*.pdf"))
    assert len(fuzz) > 50 and len(safedocs) > 20
    directory = tmp_path_factory.mktemp("corpus")
    headed = []
    for path in fuzz:  # the fuzz inputs mostly lack a header; a copy with one reaches qpdf
        copy = directory / f"{path.stem}.pdf"
        copy.write_bytes(b"%PDF-1.7\n" + path.read_bytes())
        headed.append(copy)
    return [*fuzz, *headed, *safedocs]


@pytest.mark.slow
@pytest.mark.parametrize("badge", [False, True], ids=["plain", "badge"])
def test_corpora_through_stamp(corpus: list[Path], tmp_path: Path, badge: bool) -> None:
    """One batch of every file; --force takes files without the record's title further."""
    out = tmp_path / "out"
    extra = ["--force", "--badge"] if badge else ["--force"]
    run = bounded("stamp", *corpus, "--bundle", SEED_BUNDLE, "--out-dir", out, "--json", *extra)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    summary = lines.pop()
    assert summary["schema"] == "pithtex.stamp-summary/1"
    assert summary["files"] == len(corpus) == len(lines)
    assert run.returncode in (0, 1, 2)
    for doc in lines:
        assert doc["status"] in {"stamped", "refused"}, doc
        if doc["status"] == "refused":
            assert doc["error"]["code"] in STAMP_CODES, doc["error"]


@pytest.mark.slow
def test_corpora_through_check(corpus: list[Path], tmp_path: Path) -> None:
    run = bounded("check", "--json", "--jobs", "2", "--offline", "--cache-dir", tmp_path, *corpus)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    summary = lines.pop()
    assert summary["files"] == len(corpus) == len(lines)
    assert run.returncode in (1, 2, 3)
    for doc in lines:
        assert doc["code"].startswith(CHECK_CODE_PREFIXES), doc["code"]
        assert doc["code"] not in {"check.pdf.error", "check.pdf.crashed", "check.pdf.memory"}, doc
