"""Page 1's title block read by OCR from its rendering, for scans (``check --ocr``).

When page 1 has no visible title text to read (a scan, text drawn as outlines),
:func:`read_title_by_ocr` reads the title block from what the page *shows*:

1. **Layout.** The upper part of the displayed page (its crop box and
   ``/Rotate``; the top :data:`OCR_REGION` of it) is rendered by PDFium in grey at
   :data:`LAYOUT_DPI`, within the pixel cap of
   :class:`~pithtex.pdf._access.limits.ReadLimits`, and Tesseract (through
   pytesseract, in hOCR, which gives each line its text size) reads its lines and
   words.  Lines that lie side by side are one line unless more than
   :data:`SPLIT_EMS` ems apart, as in the text finder.
2. **The title block**, found the way :mod:`pithtex.pdf.title_block` finds it in
   text: whole lines of one size, in type :data:`CLEARLY_LARGER` than the body
   size (the size most of the region's characters have), each of whose words
   stands out from its background by :data:`MIN_CONTRAST` grey levels (the
   text finder's threshold); the run of consecutive such lines in the largest
   type, topmost.  A line cut by the lower edge of the region is not whole.
3. **Reading.** The block alone is rendered again so that its lines are
   :data:`READ_LINE_PX` pixels tall (the size Tesseract reads best: a 17 pt title
   at 300 dpi is twice that, and is read worse), and Tesseract's reading of it
   is the block's text.  Each word must stand out again, and no glyph may sit
   raised or lowered against the line's baseline (a superscript ``7⁶`` is not
   ``76``, whatever the OCR makes of it): a line with one is not read as it is
   shown, and :attr:`OcrLine.hidden` says why.

Each Tesseract run is bounded by :data:`TESSERACT_TIMEOUT` seconds of wall time
and runs on one thread.  What was read is plain data (:class:`OcrReading`); the
checker compares it with the record, for exact equality of the canonical forms.
Nothing here decides a verdict.  pytesseract and Pillow are imported on first use.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pithtex.core.errors import MissingToolError
from pithtex.pdf._access.glyphs import MIN_INK_CONTRAST
from pithtex.pdf._access.limits import StreamError
from pithtex.pdf._access.pdfium import Page1View, Rendering
from pithtex.pdf.title_block import SPLIT_EMS, TITLE_REGION, TitleLine

__all__ = [
    "CLEARLY_LARGER",
    "LAYOUT_DPI",
    "MIN_CONTRAST",
    "OCR_REGION",
    "READ_LINE_PX",
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
"""Height in pixels of the title block's tall letters at the reading rendering (body text
at 300 dpi: Tesseract reads larger type worse)."""
MAX_READ_DPI = 600.0
CLEARLY_LARGER = 1.2
"""A title line's type is at least this many times the body size."""
SAME_SIZE = 0.15
"""Lines whose sizes differ by less than this fraction are of one size."""
MIN_CONTRAST = MIN_INK_CONTRAST
"""Grey levels (of 255) between a word's ink and its background for it to be seen."""
TESSERACT_TIMEOUT = 20.0
"""Seconds of wall time each Tesseract run may take."""
LANGUAGE = "eng"
_LINE_CLASSES = frozenset({"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"})
_MISSING = (
    "OCR of scanned title pages needs Tesseract, which is not installed (or not on "
    "PATH): apt-get install tesseract-ocr tesseract-ocr-eng (Debian, Ubuntu), "
    "dnf install tesseract tesseract-langpack-eng (Fedora), brew install tesseract (macOS)"
)


# ------------------------------------------------------------------ the tool


def tesseract_missing() -> MissingToolError | None:
    """Why OCR cannot run here (pytesseract, Tesseract or its English data missing), if so."""
    try:
        import pytesseract
    except ImportError:
        return MissingToolError(
            "OCR of scanned title pages needs the Python package pytesseract: "
            "pip install 'pithtex[ocr]'",
            code="tool.pytesseract",
        )
    command = str(pytesseract.pytesseract.tesseract_cmd)
    if shutil.which(command) is None:
        return MissingToolError(_MISSING, code="tool.tesseract")
    try:
        languages = pytesseract.get_languages(config="")
    except (OSError, pytesseract.TesseractNotFoundError):
        return MissingToolError(_MISSING, code="tool.tesseract")
    if LANGUAGE not in languages:
        return MissingToolError(
            "Tesseract has no English language data (eng): apt-get install "
            "tesseract-ocr-eng (Debian, Ubuntu)",
            code="tool.tesseract",
        )
    return None


def require_tesseract() -> None:
    """Raise :class:`~pithtex.core.errors.MissingToolError` (exit 5) unless OCR can run."""
    missing = tesseract_missing()
    if missing is not None:
        raise missing


class OcrError(Exception):
    """Tesseract could not read a rendering (missing, failed, timed out)."""


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Tesseract on one thread (``OMP_THREAD_LIMIT=1`` unless set): its OpenMP threads
    cost more than they give on a shared machine, and batches run files in parallel."""
    if "OMP_THREAD_LIMIT" in os.environ:
        yield
        return
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        os.environ.pop("OMP_THREAD_LIMIT", None)


def _hocr(rendering: Rendering, psm: int) -> bytes:
    import pytesseract
    from PIL import Image

    image = Image.frombytes("L", (rendering.width, rendering.height), rendering.pixels)
    try:
        with _one_thread():
            data = pytesseract.image_to_pdf_or_hocr(
                image,
                lang=LANGUAGE,
                config=f"--psm {psm}",
                extension="hocr",
                timeout=TESSERACT_TIMEOUT,
            )
    except pytesseract.TesseractNotFoundError:
        raise OcrError("Tesseract is not installed") from None
    except pytesseract.TesseractError as exc:
        raise OcrError(f"Tesseract failed: {str(exc.message)[:200]}") from None
    except RuntimeError as exc:  # pytesseract's timeout
        if "timeout" not in str(exc):
            raise
        raise OcrError(f"Tesseract did not finish within {TESSERACT_TIMEOUT:g} s") from None
    return bytes(data)


# ------------------------------------------------------------------ hOCR


PixelBox = tuple[int, int, int, int]
"""``(left, top, right, bottom)`` in pixels of a rendering, y downwards."""


class _Word(NamedTuple):
    text: str
    box: PixelBox
    confidence: float


class _Line(NamedTuple):
    box: PixelBox
    size: float
    """Tesseract's ``x_size``: the line's height from ascenders to descenders, in pixels."""
    descenders: float
    baseline: tuple[float, float]
    """``(slope, offset)``: the baseline's pixel row at ``x`` is
    ``bottom + offset + slope * (x - left)``."""
    words: tuple[_Word, ...]

    @property
    def height(self) -> float:
        """The height of its tall letters above the baseline (``x_size`` less the
        descenders): steadier across lines than ``x_size``, which shrinks on a line
        without descenders."""
        return max(self.size - self.descenders, 1.0)

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    def baseline_at(self, x: float) -> float:
        slope, offset = self.baseline
        return self.box[3] + offset + slope * (x - self.box[0])


def _properties(title: str) -> dict[str, list[str]]:
    """An hOCR ``title`` attribute (``bbox 1 2 3 4; x_size 36``) as name -> values."""
    found: dict[str, list[str]] = {}
    for part in title.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


def _box(values: Sequence[str]) -> PixelBox | None:
    try:
        left, top, right, bottom = (int(v) for v in values)
    except ValueError:
        return None
    return (left, top, right, bottom) if left < right and top < bottom else None


def _number(values: Sequence[str] | None, default: float) -> float:
    try:
        return float(values[0]) if values else default
    except ValueError:
        return default


def _parse_hocr(data: bytes) -> list[_Line]:
    """The lines and words of Tesseract's hOCR (XHTML), parsed without DTD or entities."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OcrError(f"Tesseract's hOCR does not parse: {exc}") from None
    lines = []
    for element in root.iter("{*}span"):
        if element.get("class") not in _LINE_CLASSES:
            continue
        line = _parse_line(element)
        if line is not None:
            lines.append(line)
    return lines


def _parse_line(element: Any) -> _Line | None:
    props = _properties(element.get("title", ""))
    box = _box(props.get("bbox", ()))
    if box is None:
        return None
    words = []
    for child in element.iter("{*}span"):
        if child.get("class") != "ocrx_word":
            continue
        text = " ".join("".join(child.itertext()).split())
        word_props = _properties(child.get("title", ""))
        word_box = _box(word_props.get("bbox", ()))
        if text and word_box is not None:
            words.append(_Word(text, word_box, _number(word_props.get("x_wconf"), 0.0)))
    if not words:
        return None
    baseline = props.get("baseline", ["0", "0"])
    slope, offset = (_number(baseline[i : i + 1], 0.0) for i in (0, 1))
    size = _number(props.get("x_size"), float(box[3] - box[1]))
    descenders = _number(props.get("x_descenders"), 0.0)
    return _Line(box, size, descenders, (slope, offset), tuple(words))


def _join_side_by_side(lines: list[_Line]) -> list[_Line]:
    """Lines of one size on one band, less than :data:`SPLIT_EMS` ems apart, as one."""
    joined: list[_Line] = []
    for line in sorted(lines, key=lambda line: (line.box[1], line.box[0])):
        for index, other in enumerate(joined):
            if _one_band(other, line):
                joined[index] = _joined(other, line)
                break
        else:
            joined.append(line)
    return sorted(joined, key=lambda line: line.box[1])


def _one_band(a: _Line, b: _Line) -> bool:
    overlap = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    height = min(a.box[3] - a.box[1], b.box[3] - b.box[1])
    gap = max(a.box[0], b.box[0]) - min(a.box[2], b.box[2])
    return _same_size(a.height, b.height) and overlap > 0.5 * height and gap <= SPLIT_EMS * a.size


def _joined(a: _Line, b: _Line) -> _Line:
    left, right = (a, b) if a.box[0] <= b.box[0] else (b, a)
    box = (
        left.box[0],
        min(a.box[1], b.box[1]),
        max(a.box[2], b.box[2]),
        max(a.box[3], b.box[3]),
    )
    return left._replace(box=box, words=(*left.words, *right.words))


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_SIZE * max(a, b)


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

    def rect(self, box: PixelBox) -> tuple[float, float, float, float]:
        """``box`` in points of the displayed page, ``(left, bottom, right, top)``, origin
        bottom-left (as :attr:`TitleLine.rect`)."""
        left, top, right, bottom = box
        scale = self.scale
        return (
            self.left + left / scale,
            self.page_height - (self.top + bottom / scale),
            self.left + right / scale,
            self.page_height - (self.top + top / scale),
        )

    def pixels_of(self, rect: tuple[float, float, float, float]) -> PixelBox:
        left, bottom, right, top = rect
        scale, width, height = self.scale, self.rendering.width, self.rendering.height
        return (
            max(0, math.floor((left - self.left) * scale)),
            max(0, math.floor((self.page_height - top - self.top) * scale)),
            min(width, math.ceil((right - self.left) * scale)),
            min(height, math.ceil((self.page_height - bottom - self.top) * scale)),
        )

    def rows(self, box: PixelBox) -> list[bytes]:
        left, top, right, bottom = box
        width, pixels = self.rendering.width, self.rendering.pixels
        right, bottom = min(right, width), min(bottom, self.rendering.height)
        return [pixels[y * width + left : y * width + right] for y in range(max(0, top), bottom)]

    def contrast(self, box: PixelBox) -> int:
        """The grey levels between ink and background inside ``box``: its 5th and 95th
        percentiles apart (a speck of dirt or a stray pixel does not count)."""
        counts = Counter(b"".join(self.rows(box)))
        low, high = _percentiles(counts, (0.05, 0.95))
        return high - low

    @property
    def pixels(self) -> int:
        return self.rendering.width * self.rendering.height


def _percentiles(counts: Counter[int], fractions: Sequence[float]) -> list[int]:
    total = sum(counts.values())
    found = []
    for fraction in fractions:
        wanted, seen = fraction * total, 0
        value = 0
        for value in sorted(counts):
            seen += counts[value]
            if seen > wanted:
                break
        found.append(value)
    return found


def _render(view: Page1View, rect: tuple[float, float, float, float], scale: float) -> _Raster:
    """``rect`` (display points, origin bottom-left) rendered at ``scale`` pixels per point,
    or less, to stay within the pixel cap."""
    left, bottom, right, top = rect
    area = max((right - left) * (top - bottom), 1.0)
    scale = min(scale, (view.limits.max_render_pixels / area) ** 0.5 * 0.999)
    rendering = view.render(rect, scale=scale)
    return _Raster(rendering, left, view.height - top, scale, view.height)


# ------------------------------------------------------------------ what was read


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One word Tesseract read."""

    text: str
    rect: tuple[float, float, float, float]
    """``(left, bottom, right, top)`` in points of the displayed page."""
    confidence: float
    """Tesseract's confidence, 0 to 100."""
    contrast: int | None = None
    """Grey levels between its ink and its background (when measured)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "rect": [round(v, 2) for v in self.rect],
            "confidence": round(self.confidence, 1),
            "contrast": self.contrast,
        }


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line Tesseract read, with its size and whether it counts as shown."""

    text: str
    rect: tuple[float, float, float, float]
    """``(left, bottom, right, top)`` in points of the displayed page."""
    size: float
    """The height of its tall letters above the baseline, in points (about 0.7 of the
    font size)."""
    words: tuple[OcrWord, ...] = ()
    hidden: str | None = None
    """Why the line does not count as read as shown (``None``: it does)."""

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
    layout_dpi: float | None = None
    reading_dpi: float | None = None
    pixels: int = 0
    """Pixels of the largest rendering OCR read (within ``max_render_pixels``)."""
    note: str | None = None
    """Why no title block was read, when none was."""
    notes: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.block)

    @property
    def title_lines(self) -> tuple[TitleLine, ...]:
        return tuple(line.title_line() for line in self.block)

    @property
    def flaw(self) -> str | None:
        """Why the block is not read as it is shown (a faint word, a raised glyph), if so."""
        return next((line.hidden for line in self.block if line.hidden), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": "tesseract",
            "text": self.text or None,
            "block": [line.to_json() for line in self.block],
            "lines": [line.to_json() for line in self.lines],
            "body_size": None if self.body_size is None else round(self.body_size, 2),
            "layout_dpi": None if self.layout_dpi is None else round(self.layout_dpi, 1),
            "reading_dpi": None if self.reading_dpi is None else round(self.reading_dpi, 1),
            "pixels": self.pixels,
            "note": self.note,
        }


# ------------------------------------------------------------------ the title block


def _body_size(lines: Sequence[_Line]) -> float | None:
    """The size most of the region's characters have (a median weighted by characters)."""
    weighted = sorted((line.height, len(line.text)) for line in lines)
    total = sum(weight for _, weight in weighted)
    seen = 0
    for size, weight in weighted:
        seen += weight
        if seen * 2 >= total:
            return size
    return None


def _faint_word(raster: _Raster, words: Sequence[_Word]) -> tuple[str | None, list[int]]:
    contrasts = [raster.contrast(word.box) for word in words]
    faint = [word.text for word, c in zip(words, contrasts, strict=True) if c < MIN_CONTRAST]
    if faint:
        return (
            f"{len(faint)} of its {len(words)} words ({', '.join(faint[:3])!s:.60}) do not "
            f"stand out from their background by {MIN_CONTRAST} grey levels",
            contrasts,
        )
    return None, contrasts


def _block(raster: _Raster, lines: Sequence[_Line]) -> tuple[list[_Line], float | None, str]:
    """The title block of the layout reading (lines top to bottom), the body size, and
    why there is no block when there is none."""
    bottom_edge = raster.rendering.height - 1
    whole = [line for line in lines if line.box[3] < bottom_edge]
    body = _body_size(whole)
    if body is None:
        return [], None, "OCR read no text in the upper part of page 1"
    candidates = [line for line in whole if line.height >= CLEARLY_LARGER * body]
    if not candidates:
        return [], body, "OCR read no line in type clearly larger than the text around it"
    shown = {id(line): _faint_word(raster, line.words)[0] is None for line in candidates}
    runs: list[list[_Line]] = []
    run: list[_Line] = []
    for line in candidates:
        follows = bool(run) and _same_size(run[-1].height, line.height)
        follows = follows and 0 < line.box[1] - run[-1].box[1] <= 2.5 * line.size
        if run and (not shown[id(line)] or not follows):
            runs.append(run)
            run = []
        if shown[id(line)]:
            run.append(line)
    if run:
        runs.append(run)
    if not runs:
        return [], body, "no line OCR read in larger type stands out from its background"
    best = max(runs, key=lambda run: (max(line.height for line in run), -run[0].box[1]))
    return best, body, ""


# ------------------------------------------------------------------ the reading


def _reading_region(
    raster: _Raster, block: Sequence[_Line], lines: Sequence[_Line]
) -> tuple[float, float, float, float]:
    """The block with a margin (display points, origin bottom-left): half its size above and
    below, but no nearer than halfway to the next line read; an em and a half aside."""
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
    view: Page1View, raster: _Raster, block: Sequence[_Line], lines: Sequence[_Line]
) -> tuple[_Raster, list[OcrLine]]:
    """The block rendered again at :data:`READ_LINE_PX` pixels a line, and read."""
    height = max(line.height for line in block) / raster.scale
    region = _reading_region(raster, block, lines)
    scale = min(READ_LINE_PX / max(height, 0.5), MAX_READ_DPI / 72)
    second = _render(view, region, scale)
    read = _join_side_by_side(_parse_hocr(_hocr(second.rendering, 6)))
    shown = []
    for line in block:
        band = raster.rect(line.box)
        mine = [r for r in read if _inside_band(second.rect(r.box), band)]
        shown.append(_shown_line(second, band, line.height / raster.scale, mine))
    return second, shown


def _inside_band(rect: tuple[float, ...], band: tuple[float, ...]) -> bool:
    middle = (rect[1] + rect[3]) / 2
    return band[1] <= middle <= band[3]


def _shown_line(
    raster: _Raster, band: tuple[float, float, float, float], size: float, read: list[_Line]
) -> OcrLine:
    """The reading of one line of the block (``band``, ``size`` points), from the lines
    of the reading rendering whose middle lies on it."""
    if not read:
        return OcrLine("", band, size, (), "OCR read nothing there at the reading resolution")
    words = sorted((w for line in read for w in line.words), key=lambda w: w.box[0])
    faint, contrasts = _faint_word(raster, words)
    misplaced = next((m for line in read if (m := _misplaced_glyph(raster, line))), None)
    rect = raster.rect(
        (
            min(line.box[0] for line in read),
            min(line.box[1] for line in read),
            max(line.box[2] for line in read),
            max(line.box[3] for line in read),
        )
    )
    return OcrLine(
        " ".join(word.text for word in words),
        rect,
        size,
        tuple(
            OcrWord(w.text, raster.rect(w.box), w.confidence, c)
            for w, c in zip(words, contrasts, strict=True)
        ),
        faint or misplaced,
    )


# ------------------------------------------------------------------ raised glyphs

RAISED = 0.3
"""A glyph whose bottom is this many caps (the height of the line's tall glyphs) above the
baseline is raised."""
LOWERED = 0.12
"""A glyph whose bottom is this many caps below the baseline and whose top is lower than
:data:`LOWERED_TOP` caps above it (below a descender's top) is lowered."""
LOWERED_TOP = 0.5
MIN_GLYPH = 0.45
"""Glyphs shorter than this many caps (dots, accents, quotes, commas) are not judged."""


def _misplaced_glyph(raster: _Raster, line: _Line) -> str | None:
    """Why a glyph of ``line`` sits off its baseline (a superscript or subscript), if one does.

    Heights are in *caps*: the height above the baseline of the line's tall glyphs (the
    90th percentile of the glyphs that sit on it), read from the glyphs themselves.
    """
    glyphs = _stacked(_glyph_boxes(raster, line.box), 0.1 * line.size)
    placed = [(g, line.baseline_at((g[0] + g[2]) / 2)) for g in glyphs]
    sitting = sorted(
        base - g[1] for g, base in placed if abs(g[3] - base) <= 0.1 * line.size and g[3] > g[1]
    )
    if len(sitting) < 3:
        return None
    cap = sitting[min(len(sitting) - 1, int(0.9 * len(sitting)))]
    for (_, top, _, bottom), baseline in placed:
        if bottom - top < MIN_GLYPH * cap:
            continue
        if bottom <= baseline - RAISED * cap:
            where = "raised above"
        elif bottom >= baseline + LOWERED * cap and top >= baseline - LOWERED_TOP * cap:
            where = "lowered below"
        else:
            continue
        return (
            f"a glyph of it is {where} its baseline (a superscript or subscript?): OCR does "
            "not read the line as it is shown"
        )
    return None


_RUN = re.compile(rb"\x01+")
INK_SHARE = 0.65
"""A pixel is ink when it lies this far from the background towards the ink's grey (low
enough that the thin strokes joining a glyph's parts at a small resolution count)."""


def _glyph_boxes(raster: _Raster, box: PixelBox) -> list[PixelBox]:
    """The boxes of the connected shapes of ink inside ``box`` (runs of ink joined row by
    row), in pixels of the rendering."""
    rows = raster.rows(box)
    counts = Counter(b"".join(rows))
    if not counts:
        return []
    low, middle, high = _percentiles(counts, (0.05, 0.5, 0.95))
    dark_ink = middle - low > high - middle  # the background is the light side
    if dark_ink:
        table = bytes(1 if v < high - INK_SHARE * (high - low) else 0 for v in range(256))
    else:
        table = bytes(1 if v > low + INK_SHARE * (high - low) else 0 for v in range(256))
    parent: list[int] = []
    boxes: list[list[int]] = []

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    previous: list[tuple[int, int, int]] = []
    for y, row in enumerate(rows):
        current = []
        for match in _RUN.finditer(row.translate(table)):
            start, end = match.span()
            index = len(parent)
            parent.append(index)
            boxes.append([start, y, end, y + 1])
            for p_start, p_end, p_index in previous:
                if p_start <= end and start <= p_end:  # touching, diagonals included
                    a, b = find(p_index), find(index)
                    if a != b:
                        parent[b] = a
            current.append((start, end, index))
        previous = current
    merged: dict[int, list[int]] = {}
    for index, (x0, y0, x1, y1) in enumerate(boxes):
        root = find(index)
        seen = merged.setdefault(root, [x0, y0, x1, y1])
        seen[0], seen[1] = min(seen[0], x0), min(seen[1], y0)
        seen[2], seen[3] = max(seen[2], x1), max(seen[3], y1)
    dx, dy = box[0], max(0, box[1])
    return [(x0 + dx, y0 + dy, x1 + dx, y1 + dy) for x0, y0, x1, y1 in merged.values()]


def _stacked(boxes: list[PixelBox], gap: float) -> list[PixelBox]:
    """Shapes one above the other (mostly overlapping across, at most ``gap`` apart) as one
    glyph: the parts of a ``g`` or an ``i`` that a thin stroke or a small gap separates."""
    glyphs = sorted(boxes)
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(glyphs):
            for j in range(i + 1, len(glyphs)):
                b = glyphs[j]
                if b[0] >= a[2]:
                    break
                across = min(a[2], b[2]) - max(a[0], b[0])
                apart = max(a[1], b[1]) - min(a[3], b[3])
                if across >= 0.5 * min(a[2] - a[0], b[2] - b[0]) and apart <= gap:
                    glyphs[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del glyphs[j]
                    changed = True
                    break
            if changed:
                break
    return glyphs


# ------------------------------------------------------------------ entry point


def read_title_by_ocr(view: Page1View) -> OcrReading:
    """The title block of page 1 as OCR reads it from the rendered page (see above).

    Never raises for what the page holds: a rendering over the caps, Tesseract failing
    or timing out, no block found are each an :class:`OcrReading` with a ``note``.
    """
    width, height = view.width, view.height
    region = (0.0, height * (1 - OCR_REGION), width, height)
    try:
        layout = _render(view, region, LAYOUT_DPI / 72)
    except StreamError as exc:
        return OcrReading((), note=f"page 1 could not be rendered for OCR: {exc.message}")
    dpi = layout.scale * 72
    try:
        lines = _join_side_by_side(_parse_hocr(_hocr(layout.rendering, 3)))
    except OcrError as exc:
        return OcrReading((), layout_dpi=dpi, pixels=layout.pixels, note=str(exc))
    read = tuple(
        OcrLine(line.text, layout.rect(line.box), line.height / layout.scale) for line in lines
    )
    block, body, why = _block(layout, lines)
    body_points = None if body is None else body / layout.scale
    if not block:
        return OcrReading(read, (), body_points, dpi, None, layout.pixels, why)
    try:
        second, shown = _read_block(view, layout, block, lines)
    except StreamError as exc:
        note = f"the title block could not be rendered again: {exc.message}"
        return OcrReading(read, (), body_points, dpi, None, layout.pixels, note)
    except OcrError as exc:
        return OcrReading(read, (), body_points, dpi, None, layout.pixels, str(exc))
    pixels = max(layout.pixels, second.pixels)
    return OcrReading(read, tuple(shown), body_points, dpi, second.scale * 72, pixels)
