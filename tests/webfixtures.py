"""Fixtures of the verify page tests (loaded with ``pytest_plugins = ("webfixtures",)``).

``samples`` makes the PDFs once per session: the sample paper as ``pithtex demo``
compiles and stamps it, the same file tampered with, a file that is not a PDF,
and a hostile PDF whose page 1 takes seconds to read and render.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from conftest import run_cli
from hostile import raw_pdf, stream
from webpage import Samples


def _tampered(source: Path, target: Path) -> Path:
    with pikepdf.open(source) as pdf:
        pdf.docinfo["/PithCanonicalSHA256"] = "0" * 64
        pdf.save(target)
    return target


def _slow(target: Path, copies: int = 1) -> Path:
    """Page 1 draws a form that draws a form of 1000 rectangles 1000 times, ``copies`` times.

    Once is 15 MB of content for PDFium: within the reader's 16 MiB content cap (forms
    counted at each use), and a second or more of parsing.  Twice is refused by the cap
    before PDFium sees the page."""
    rects = b"".join(b"%d %d 3 3 re f\n" % ((i % 40) * 15, (i // 40) * 15) for i in range(1000))
    form = b"/Type /XObject /Subtype /Form /BBox [0 0 612 792]"
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Many 6 0 R >> >> >>",
        4: stream(b"/Many Do\n" * copies),
        5: stream(rects, form, flate=True),
        6: stream(b"/Rects Do\n" * 1000, form + b" /Resources << /XObject << /Rects 5 0 R >> >>"),
    }
    target.write_bytes(raw_pdf(objects))
    return target


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Samples]:
    folder = tmp_path_factory.mktemp("page-samples")
    for tool in ("latexmk", "pdflatex", "pdftoppm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run ./bootstrap.sh (as root) first")
    demo = run_cli("demo", cwd=folder)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    stamped = folder / "pithtex-demo" / "paper.pdf"
    not_pdf = folder / "notes.pdf"
    not_pdf.write_text("These are my notes about the paper, not a PDF.\n")
    yield Samples(
        stamped=stamped,
        tampered=_tampered(stamped, folder / "tampered.pdf"),
        not_pdf=not_pdf,
        slow=_slow(folder / "slow.pdf"),
    )
