"""An arXiv-like watermark: the vertical identifier arXiv draws in page 1's left margin.

arXiv rewrites each submitted PDF (with pikepdf, skipping PDF/A files) to draw
``arXiv:YYMM.NNNNNvV [cat] D Mon YYYY`` vertically in the left margin of page 1.
pithtex reproduces that rewrite so the test suite can prove a badge survives it:
page 1's content is wrapped in ``q … Q`` and a text object in a standard font is
appended; the rest of the file is rewritten as qpdf does by default.
"""

from __future__ import annotations

from pathlib import Path

from pithtex.pdf._access.editing import open_for_stamping
from pithtex.pdf._access.values import Indirect, Name

__all__ = [
    "BAND_X",
    "FONT_NAME",
    "FONT_SIZE",
    "GREY",
    "add_watermark",
    "arxiv_stamp_text",
    "watermark_content",
]

FONT_SIZE = 20.0
BAND_X = 32.0
"""Baseline of the rotated text: glyphs fill about x = 12 to 32 pt from the left edge."""
GREY = 0.5
FONT_NAME = "/FXarXivStamp"


def arxiv_stamp_text(arxiv_id: str, version: int, category: str, date: str) -> str:
    """The identifier line as arXiv writes it, e.g. ``arXiv:1904.00962v5  [cs.LG]  3 Jan 2020``."""
    return f"arXiv:{arxiv_id}v{version}  [{category}]  {date}"


def _escape_pdf_string(text: str) -> bytes:
    data = text.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def watermark_content(text: str, page_height: float) -> bytes:
    """Content-stream operators drawing ``text`` rotated 90 degrees, centred vertically."""
    approx_width = 0.5 * FONT_SIZE * len(text)
    y = max(36.0, (page_height - approx_width) / 2)
    return b"q %.3f g BT %s %.1f Tf 0 1 -1 0 %.2f %.2f Tm (%s) Tj ET Q\n" % (
        GREY,
        FONT_NAME.encode(),
        FONT_SIZE,
        BAND_X,
        y,
        _escape_pdf_string(text),
    )


def add_watermark(source: Path, target: Path, text: str) -> None:
    """Write ``source`` with ``text`` drawn in page 1's left margin to ``target``."""
    font = Indirect(
        {
            "/Type": Name("/Font"),
            "/Subtype": Name("/Type1"),
            "/BaseFont": Name("/Times-Roman"),
            "/Encoding": Name("/WinAnsiEncoding"),
        }
    )
    with open_for_stamping(source, None) as document:
        document.page1_set_resource("/Font", FONT_NAME, font)
        box = document.page1_geometry().media_box
        document.page1_add_contents(b"q\n", prepend=True)
        document.page1_add_contents(b"\nQ\n" + watermark_content(text, box[3] - box[1]))
        document.save(target, qpdf_defaults=True)
