"""Page 1s for the title check's attacks: pdfLaTeX papers, scans of them, pikepdf overlays.

Each page claims the seed record in every channel (the metadata title included, by
:func:`pdfsamples.stamp_pdf`), so that only page 1 itself can decide ``check.title``:

* :func:`typeset`: a pdfLaTeX paper (``\\maketitle``, an abstract, an introduction);
  :func:`pdflatex`: the same, claiming the record;
* :func:`scan`: a PDF turned into a raster page by Ghostscript (``pdfimage24``) or
  into outlines (``-dNoOutputFonts``), claiming the record; :func:`ghostscript` does
  it to the reportlab page of :func:`pdfsamples.draw_page`;
* :func:`add_invisible_text`: text in render mode 3 over page 1 (a scanner's OCR layer,
  or a forger's);
* :func:`check`: ``check_pdf`` against the seed bundle, trusting the shipped key.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
from conftest import SEED_BUNDLE, SEED_TITLE, require_tool
from pdfsamples import draw_page, stamp_pdf

from pithtex.core.model import load_bundle
from pithtex.pdf.check import CheckOptions, CheckReport, check_pdf
from pithtex.trust.keyring import Keyring

OTHER_TITLE = "Graph Colouring with Few Colours in Linear Time"
BODY = (
    "We study how graphs can be coloured with few colours. Our method runs in linear "
    "time on every graph of bounded degree, and we show that it is optimal."
)
RASTER = ("-sDEVICE=pdfimage24", "-r150")
"""Ghostscript's options for a scan at 150 dpi."""
OUTLINES = ("-sDEVICE=pdfwrite", "-dNoOutputFonts")


def seed() -> dict[str, Any]:
    return dict(json.loads(SEED_BUNDLE.read_text()))


def check(path: Path, **options: Any) -> CheckReport:
    """``check_pdf`` of ``path`` against the seed bundle (``options``: more CheckOptions)."""
    bundle = load_bundle(SEED_BUNDLE)
    return check_pdf(str(path), CheckOptions(Keyring.default(), bundle=bundle, **options))


def title_check(report: CheckReport) -> Any:
    return next(c for c in report.checks if c.check == "check.title")


def title_code(report: CheckReport) -> str:
    return str(title_check(report).code)


def claim(path: Path, data: bytes) -> Path:
    """``data`` with every channel claiming the seed record, written to ``path``."""
    path.write_bytes(stamp_pdf(data, seed(), badge=False))
    return path


def typeset(
    tmp_path: Path, title: str, abstract: str = BODY, preamble: str = "", name: str = "paper"
) -> Path:
    """A pdfLaTeX paper with ``title`` (tests that call it carry ``pytest.mark.tex``)."""
    require_tool("pdflatex")
    source = tmp_path / f"{name}.tex"
    source.write_text(
        "\\documentclass{article}\n" + preamble + "\n"
        f"\\title{{{title}}}\\author{{Yang You \\and Jing Li}}\\date{{}}\n"
        "\\begin{document}\\maketitle\n"
        f"\\begin{{abstract}}{abstract}\\end{{abstract}}\n"
        "\\section{Introduction}" + BODY * 6 + "\n\\end{document}\n"
    )
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    return tmp_path / f"{name}.pdf"


def pdflatex(tmp_path: Path, title: str, abstract: str = BODY, preamble: str = "") -> Path:
    """A pdfLaTeX paper with ``title``, claiming the seed record."""
    paper = typeset(tmp_path, title, abstract, preamble)
    return claim(tmp_path / "claimed.pdf", paper.read_bytes())


def scan(tmp_path: Path, source: Path, *args: str) -> Path:
    """``source`` redrawn by Ghostscript with ``args`` (default :data:`RASTER`: a scan),
    claiming the seed record."""
    require_tool("gs")
    out = tmp_path / f"{source.stem}-gs.pdf"
    subprocess.run(
        [
            "gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", *(args or RASTER),
            f"-sOutputFile={out}", str(source),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return claim(tmp_path / f"{source.stem}-claimed.pdf", out.read_bytes())


def ghostscript(tmp_path: Path, *args: str) -> Path:
    """The reportlab page of the record's title (Helvetica) redrawn by Ghostscript."""
    genuine = tmp_path / "genuine.pdf"
    genuine.write_bytes(draw_page(SEED_TITLE, None))
    return scan(tmp_path, genuine, *args)


def record_title_at(y: int = 600, x: int = 60, size: float = 12, before: bytes = b"") -> bytes:
    """Content drawing the record's title in Helvetica-Bold (font ``/FT``)."""
    return b"BT /FT %g Tf %s %d %d Td (%s) Tj ET\n" % (size, before, x, y, SEED_TITLE.encode())


def add_invisible_text(path: Path, y: int = 760, size: float = 10) -> Path:
    """The record's title in render mode 3 (drawn invisible) over page 1 of ``path``."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        resources.Font = pikepdf.Dictionary(FT=pdf.make_indirect(font))
        page.obj.Resources = resources
        drawn = b"Q\n" + record_title_at(y=y, size=size, before=b"3 Tr")
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)  # gs leaves its cm
        page.contents_add(pikepdf.Stream(pdf, drawn), prepend=False)
        pdf.save(path)
    return path
