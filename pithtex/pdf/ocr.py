"""Page 1's title block read by OCR from its rendering, for scans (``check --ocr``).

When page 1 has no visible title text to read (a scan, text drawn as outlines),
:func:`read_title_by_ocr` reads the title block from what the page *shows*:

1. **Layout.** The upper part of the displayed page (its crop box and ``/Rotate``;
   the top :data:`OCR_REGION` of it, as for the text finder) is rendered by PDFium in
   grey at :data:`LAYOUT_DPI`, lowered to stay within the pixel cap of
   :class:`~pithtex.pdf._access.limits.ReadLimits`, and Tesseract reads its lines
   and words (:mod:`pithtex.pdf.tesseract`).  Lines of one size side by side are one
   line unless more than :data:`~pithtex.pdf.title_block.SPLIT_EMS` ems apart, as in
   the text finder.  A line's size is the height of its tall letters.
2. **The title block**, found the way :mod:`pithtex.pdf.title_block` finds it in
   text: whole lines (a line cut by the region's lower edge is not), in type at least
   :data:`CLEARLY_LARGER` times the body size (the smallest size that a fifth of the
   region's characters have), each of whose words stands out from its background by
   :data:`MIN_CONTRAST` grey levels (the text finder's threshold,
   :func:`pithtex.pdf.ink.contrast`); the run of consecutive such lines of one size in
   the largest type, topmost.
3. **Reading.** The block alone is rendered again so that its tall letters are
   :data:`READ_LINE_PX` pixels high (the size of body text at 300 dpi, which
   Tesseract reads best: it reads a 17 pt title at 300 dpi worse), and Tesseract's
   reading of it is the block's text.  Each word must stand out again, and no glyph
   may sit raised or lowered against its line's baseline
   (:func:`pithtex.pdf.ink.off_baseline`: a superscript ``7⁶`` is not ``76``,
   whatever the OCR makes of it); :attr:`OcrLine.hidden` says why a line fails.

What was read is plain data (:class:`OcrReading`); the checker compares it with the
record, the whole block for exact equality of the canonical forms.  Nothing here
decides a verdict, and nothing here raises for what the page holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pithtex.pdf._access.glyphs import MIN_INK_CONTRAST
from pithtex.pdf._access.limits import StreamError
from pithtex.pdf._access.pdfium import Page1View, Rendering
from pithtex.pdf.ink import contrast, off_baseline
from pithtex.pdf.tesseract import (
    TESSERACT_TIMEOUT,
    HocrLine,
    HocrWord,
    OcrError,
    PixelBox,
    read_lines,
    require_tesseract,
    tesseract_missing,
)
from pithtex.pdf.title_block import SPLIT_EMS, TITLE_REGION, TitleLine

__all__ = [
    "BODY_SHARE",
    "CLEARLY_LARGER",
    "LAYOUT_DPI",
    "MAX_READ_DPI",
    "MIN_CONTRAST",
    "OCR_REGION",
    "READ_LINE_PX",
    "SAME_SIZE",
    "TESSERACT_TIMEOUT",
    "OcrLine",
    "OcrReading",
    "OcrWord",
    "read_title_by_ocr",
    "require_tesseract",
    "tesseract_missing",
]

OCR_REGION = TITLE_REGION
"""Fraction of the displayed page, from the top, that is rendered and read."""
LAYOUT_DPI = 300.0
"""Resolution of the layout rendering (lowered to stay within the pixel cap)."""
READ_LINE_PX = 28.0
"""Height in pixels of the title block's tall letters in the reading rendering."""
MAX_READ_DPI = 600.0
CLEARLY_LARGER = 1.2
"""A title line's type is at least this many times the body size."""
SAME_SIZE = 0.15
"""Lines whose sizes differ by less than this fraction are of one size."""
BODY_SHARE = 0.2
"""The body size is the smallest size at least this share of the region's characters have."""
MIN_CONTRAST = MIN_INK_CONTRAST
"""Grey levels (of 255) between a word's ink and its background for it to be seen."""

Rect = tuple[float, float, float, float]
"""``(left, bottom, right, top)`` in points of the displayed page, origin bottom-left."""


# ------------------------------------------------------------------ what was read


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One word of the title block, as the reading rendering shows it."""

    text: str
    rect: Rect
    confidence: float
    """Tesseract's confidence, 0 to 100."""
    contrast: int
    """Grey levels between its ink and its background."""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "rect": [round(v, 2) for v in self.rect],
            "confidence": round(self.confidence, 1),
            "contrast": self.contrast,
        }


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line OCR read, with its size and, in the block, why it does not count."""

    text: str
    rect: Rect
    size: float
    """The height of its tall letters above the baseline, in points (about 0.7 of the
    font size)."""
    words: tuple[OcrWord, ...] = ()
    hidden: str | None = None
    """Why the line is not read as it is shown (``None``: it is)."""

    @property
    def visible(self) -> bool:
        return self.hidden is None

    def title_line(self) -> TitleLine:
        return TitleLine(self.text, self.rect, self.size, self.visible, self.hidden)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "rect": [round(v, 2) for v in self.rect],
            "text_height": round(self.size, 2),
            "visible": self.visible,
            "hidden": self.hidden,
            "words": [word.to_json() for word in self.words],
        }


@dataclass(frozen=True)
class OcrReading:
    """What OCR read of page 1's title region."""

    lines: tuple[OcrLine, ...]
    """The lines of the layout rendering, top to bottom."""
    block: tuple[OcrLine, ...] = ()
    """The title block as the reading rendering shows it (empty: none was found)."""
    body_size: float | None = None
    """The body size in points (tall letters' height), as :data:`BODY_SHARE` defines it."""
    layout_dpi: float | None = None
    reading_dpi: float | None = None
    pixels: int = 0
    """Pixels of the largest rendering OCR read (within ``max_render_pixels``)."""
    note: str | None = None
    """Why no title block was read, when none was."""

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.block)

    @property
    def title_lines(self) -> tuple[TitleLine, ...]:
        """The block as title lines, for :func:`pithtex.pdf.title_match.match_whole_block`."""
        return tuple(line.title_line() for line in self.block)

    @property
    def flaw(self) -> str | None:
        """Why the block is not read as it is shown (a faint word, a raised glyph), if so."""
        return next((line.hidden for line in self.block if line.hidden), None)

    def to_json(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "engine": "tesseract",
            "text": self.text or None,
            "block": [line.to_json() for line in self.block],
            "lines": [line.to_json() for line in self.lines],
            "body_size": rounded(self.body_size),
            "layout_dpi": rounded(self.layout_dpi),
            "reading_dpi": rounded(self.reading_dpi),
            "pixels": self.pixels,
            "note": self.note,
        }


# ------------------------------------------------------------------ renderings


class _Raster(NamedTuple):
    """A grey rendering of a region of the displayed page, and where it lies."""

    rendering: Rendering
    left: float
    """Display points (origin top-left) of pixel ``(0, 0)``."""
    top: float
    scale: float
    """Pixels per point."""
    page_height: float

    def rect(self, box: PixelBox) -> Rect:
        left, top, right, bottom = box
        scale = self.scale
        return (
            self.left + left / scale,
            self.page_height - (self.top + bottom / scale),
            self.left + right / scale,
            self.page_height - (self.top + top / scale),
        )

    @property
    def pixels(self) -> int:
        return self.rendering.width * self.rendering.height


def _render(view: Page1View, rect: Rect, scale: float) -> _Raster:
    """``rect`` rendered at ``scale`` pixels per point, or less, within the pixel cap."""
    left, bottom, right, top = rect
    scale = view.scale_within(right - left, top - bottom, scale)
    rendering = view.render(rect, scale=scale)
    return _Raster(rendering, left, view.height - top, scale, view.height)


# ------------------------------------------------------------------ the layout


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_SIZE * max(a, b)


def _join_side_by_side(lines: list[HocrLine]) -> list[HocrLine]:
    """Lines of one size on one band, less than :data:`SPLIT_EMS` ems apart, as one; top
    to bottom."""
    joined: list[HocrLine] = []
    for line in sorted(lines, key=lambda line: (line.box[1], line.box[0])):
        for index, other in enumerate(joined):
            if _one_band(other, line):
                joined[index] = _joined(other, line)
                break
        else:
            joined.append(line)
    return sorted(joined, key=lambda line: line.box[1])


def _one_band(a: HocrLine, b: HocrLine) -> bool:
    overlap = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    height = min(a.box[3] - a.box[1], b.box[3] - b.box[1])
    gap = max(a.box[0], b.box[0]) - min(a.box[2], b.box[2])
    return _same_size(a.height, b.height) and overlap > 0.5 * height and gap <= SPLIT_EMS * a.size


def _joined(a: HocrLine, b: HocrLine) -> HocrLine:
    left, right = (a, b) if a.box[0] <= b.box[0] else (b, a)
    box = (left.box[0], min(a.box[1], b.box[1]), max(a.box[2], b.box[2]), max(a.box[3], b.box[3]))
    return left._replace(box=box, words=(*left.words, *right.words))


def _body_size(lines: Sequence[HocrLine]) -> float | None:
    """The smallest size that at least :data:`BODY_SHARE` of the characters have (sizes
    within :data:`SAME_SIZE` of each other are one): a large title filling most of the
    region is not taken for the body."""
    clusters: list[list[float]] = []  # [size, characters]
    for line in sorted(lines, key=lambda line: line.height):
        if clusters and _same_size(clusters[-1][0], line.height):
            clusters[-1][1] += len(line.text)
        else:
            clusters.append([line.height, float(len(line.text))])
    total = sum(characters for _, characters in clusters)
    return next((size for size, chars in clusters if chars >= BODY_SHARE * total), None)


def _faint(rendering: Rendering, words: Sequence[HocrWord]) -> tuple[str | None, list[int]]:
    """Why some of ``words`` do not stand out from their background (``None``: all do),
    and each word's contrast."""
    contrasts = [contrast(rendering, word.box) for word in words]
    faint = [word.text for word, c in zip(words, contrasts, strict=True) if c < MIN_CONTRAST]
    if not faint:
        return None, contrasts
    listed = ", ".join(repr(text[:20]) for text in faint[:3])
    return (
        f"{len(faint)} of its {len(words)} words ({listed}) do not stand out from their "
        f"background by {MIN_CONTRAST} grey levels",
        contrasts,
    )


def _block(raster: _Raster, lines: Sequence[HocrLine]) -> tuple[list[HocrLine], float | None, str]:
    """The title block of the layout reading (lines top to bottom), the body size in
    pixels, and why there is no block when there is none."""
    whole = [line for line in lines if line.box[3] < raster.rendering.height - 1]
    body = _body_size(whole)
    if body is None:
        return [], None, "OCR read no text in the upper part of page 1"
    candidates = [line for line in whole if line.height >= CLEARLY_LARGER * body]
    if not candidates:
        return [], body, "OCR read no line in type clearly larger than the text around it"
    runs: list[list[HocrLine]] = []
    run: list[HocrLine] = []
    for line in candidates:
        shown = _faint(raster.rendering, line.words)[0] is None
        follows = bool(run) and _same_size(run[-1].height, line.height)
        follows = follows and 0 < line.box[1] - run[-1].box[1] <= 2.5 * line.size
        if run and (not shown or not follows):
            runs.append(run)
            run = []
        if shown:
            run.append(line)
    if run:
        runs.append(run)
    if not runs:
        return [], body, "no line OCR read in larger type stands out from its background"
    best = max(runs, key=lambda run: (max(line.height for line in run), -run[0].box[1]))
    return best, body, ""


# ------------------------------------------------------------------ the reading


def _reading_region(raster: _Raster, block: Sequence[HocrLine], lines: Sequence[HocrLine]) -> Rect:
    """The block with a margin: half its size above and below, but no nearer than halfway
    to the next line read; an em and a half on either side."""
    size = max(line.size for line in block)
    top = min(line.box[1] for line in block)
    bottom = max(line.box[3] for line in block)
    above = [line.box[3] for line in lines if line.box[3] <= top]
    below = [line.box[1] for line in lines if line.box[1] >= bottom]
    pad_top = min(size / 2, (top - max(above)) / 2) if above else size / 2
    pad_bottom = min(size / 2, (min(below) - bottom) / 2) if below else size / 2
    box = (
        round(min(line.box[0] for line in block) - 1.5 * size),
        round(top - pad_top),
        round(max(line.box[2] for line in block) + 1.5 * size),
        round(bottom + pad_bottom),
    )
    left, bottom_pt, right, top_pt = raster.rect(box)
    return (max(0.0, left), max(0.0, bottom_pt), right, top_pt)


def _read_block(
    view: Page1View, raster: _Raster, block: Sequence[HocrLine], lines: Sequence[HocrLine]
) -> tuple[_Raster, list[OcrLine]]:
    """The block rendered again, its tall letters :data:`READ_LINE_PX` pixels high, and
    read as one block of text; each of its lines from the lines read on its band."""
    height = max(line.height for line in block) / raster.scale
    region = _reading_region(raster, block, lines)
    scale = min(READ_LINE_PX / max(height, 0.5), MAX_READ_DPI / 72)
    second = _render(view, region, scale)
    read = read_lines(second.rendering, psm=6)
    shown = []
    for line in block:
        band = raster.rect(line.box)
        on_band = [r for r in read if band[1] <= sum(second.rect(r.box)[1::2]) / 2 <= band[3]]
        shown.append(_shown_line(second, band, line.height / raster.scale, on_band))
    return second, shown


def _shown_line(raster: _Raster, band: Rect, size: float, read: list[HocrLine]) -> OcrLine:
    """The reading of one line of the block (``band``, ``size`` points) from the lines of
    the reading rendering whose middle lies on it, left to right."""
    if not read:
        return OcrLine("", band, size, (), "OCR read nothing there at the reading resolution")
    words = sorted((w for line in read for w in line.words), key=lambda w: w.box[0])
    faint, contrasts = _faint(raster.rendering, words)
    misplaced = next((m for line in read if (m := off_baseline(raster.rendering, line))), None)
    box = (
        min(line.box[0] for line in read),
        min(line.box[1] for line in read),
        max(line.box[2] for line in read),
        max(line.box[3] for line in read),
    )
    return OcrLine(
        " ".join(word.text for word in words),
        raster.rect(box),
        size,
        tuple(
            OcrWord(w.text, raster.rect(w.box), w.confidence, c)
            for w, c in zip(words, contrasts, strict=True)
        ),
        faint or misplaced,
    )


# ------------------------------------------------------------------ entry point


def read_title_by_ocr(view: Page1View) -> OcrReading:
    """The title block of page 1 as OCR reads it from the rendered page (see above).

    Tesseract must be installed (:func:`require_tesseract` says so before any file is
    read); a rendering refused by the caps, Tesseract failing or timing out, and no
    block found are each an :class:`OcrReading` with a ``note``, never an exception.
    """
    width, height = view.width, view.height
    region = (0.0, height * (1 - OCR_REGION), width, height)
    try:
        layout = _render(view, region, LAYOUT_DPI / 72)
    except StreamError as exc:
        return OcrReading((), note=f"page 1 could not be rendered for OCR: {exc.message}")
    dpi, pixels = layout.scale * 72, layout.pixels
    try:
        lines = _join_side_by_side(read_lines(layout.rendering, psm=3))
    except OcrError as exc:
        return OcrReading((), layout_dpi=dpi, pixels=pixels, note=str(exc))
    read = tuple(
        OcrLine(line.text, layout.rect(line.box), line.height / layout.scale) for line in lines
    )
    block, body, why = _block(layout, lines)
    body_size = None if body is None else body / layout.scale
    if not block:
        return OcrReading(read, (), body_size, dpi, None, pixels, why)
    try:
        second, shown = _read_block(view, layout, block, lines)
    except StreamError as exc:
        note = f"the title block could not be rendered again: {exc.message}"
        return OcrReading(read, (), body_size, dpi, None, pixels, note)
    except OcrError as exc:
        return OcrReading(read, (), body_size, dpi, None, pixels, str(exc))
    pixels = max(pixels, second.pixels)
    return OcrReading(read, tuple(shown), body_size, dpi, second.scale * 72, pixels)
