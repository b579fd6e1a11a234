"""Regenerate the sample PDFs of non-LaTeX producers, for the stamper and the checker.

Usage: ``python3 samples/producers/make.py`` (writes beside this script).

* ``reportlab.pdf``: made with ReportLab (``invariant=1``: the same bytes every
  time), the seed paper's title in the Info dictionary and on page 1;
* ``ghostscript.pdf``: PostScript turned into PDF by Ghostscript's pdfwrite,
  with the title on page 1 only (no title in the metadata), as many
  converters and scanners leave it.  Ghostscript writes a fresh document ID on
  each run, so only that differs between runs (dates come from
  ``SOURCE_DATE_EPOCH``).

Both are one page, US letter, with the seed paper's title, authors and the
first lines of its abstract; neither carries a Pith badge: ``pithtex stamp``
adds one.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TITLE = "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes"
TITLE_LINES = ("Large Batch Optimization for Deep Learning:", "Training BERT in 76 minutes")
AUTHORS = "Yang You, Jing Li, Sashank Reddi, Jonathan Hseu, Sanjiv Kumar, et al."
ABSTRACT = (
    "Training large deep neural networks on massive datasets is computationally very",
    "challenging. Large batch stochastic optimization methods promise to reduce the",
    "wall-clock time of training by using many accelerators in parallel. We study a",
    "principled layerwise adaptation strategy and derive LAMB, a layerwise adaptive",
    "large batch optimizer, which trains BERT in 76 minutes.",
)
SOURCE_DATE_EPOCH = "1554076800"  # 1 April 2019


def reportlab_pdf(target: Path) -> None:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(target), pagesize=letter, invariant=1)
    pdf.setTitle(TITLE)
    pdf.setAuthor(AUTHORS)
    pdf.setCreator("pithtex samples/producers/make.py")
    width, height = letter
    pdf.setFont("Times-Bold", 18)
    for index, line in enumerate(TITLE_LINES):
        pdf.drawCentredString(width / 2, height - 110 - 24 * index, line)
    pdf.setFont("Times-Roman", 11)
    pdf.drawCentredString(width / 2, height - 175, AUTHORS)
    pdf.setFont("Times-Bold", 10)
    pdf.drawCentredString(width / 2, height - 215, "Abstract")
    pdf.setFont("Times-Roman", 10)
    for index, line in enumerate(ABSTRACT):
        pdf.drawString(90, height - 235 - 13 * index, line)
    pdf.showPage()
    pdf.save()


def _ps_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def postscript() -> str:
    lines = [
        "%!PS-Adobe-3.0",
        "%%Pages: 1",
        "%%EndComments",
        "<< /PageSize [612 792] >> setpagedevice",
        "/centre { dup stringwidth pop 2 div 306 exch sub 3 -1 roll moveto } def",
        "/Times-Bold findfont 18 scalefont setfont",
    ]
    for index, line in enumerate(TITLE_LINES):
        lines.append(f"{682 - 24 * index} {_ps_string(line)} centre show")
    lines.append("/Times-Roman findfont 11 scalefont setfont")
    lines.append(f"617 {_ps_string(AUTHORS)} centre show")
    lines.append("/Times-Bold findfont 10 scalefont setfont")
    lines.append("577 (Abstract) centre show")
    lines.append("/Times-Roman findfont 10 scalefont setfont")
    for index, line in enumerate(ABSTRACT):
        lines.append(f"90 {557 - 13 * index} moveto {_ps_string(line)} show")
    lines.extend(["showpage", "%%EOF", ""])
    return "\n".join(lines)


def ghostscript_pdf(target: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "paper.ps"
        source.write_text(postscript())
        subprocess.run(
            [
                "gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                "-dCompatibilityLevel=1.7", f"-sOutputFile={target}", str(source),
            ],
            check=True,
            env={**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
        )  # fmt: skip


def main() -> None:
    reportlab_pdf(HERE / "reportlab.pdf")
    ghostscript_pdf(HERE / "ghostscript.pdf")
    for name in ("reportlab.pdf", "ghostscript.pdf"):
        print(HERE / name, (HERE / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
