"""What a page of a compiled paper shows, read back with real PDF libraries.

:func:`read_page` collects, in PDF points with the origin at the bottom left of
the page: every glyph with its tight box and font size (pypdfium2's text
page), the text lines (``pdftotext -bbox-layout``, poppler), every graphic
object on the page, rules, images and forms alike (pypdfium2's page objects),
and the link annotations (pikepdf).  :func:`badge_layout` then says where the
badge is and what it touches, and :func:`title_lines` where the title is, so
that the tests can assert what docs/latex.md promises: the badge below the
title and author block, overlapping nothing, aligned as the title, outside
arXiv's band, once.
"""

from __future__ import annotations

import ctypes
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import require_tool

ARXIV_BAND = 72.0
"""arXiv stamps its identifier into the first inch of page 1 from the left: keep out."""


@dataclass(frozen=True)
class Rect:
    left: float
    bottom: float
    right: float
    top: float

    @property
    def center_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    def overlaps(self, other: Rect, margin: float = 0.0) -> bool:
        """Whether the two boxes share area (``margin`` shrinks this one first)."""
        return (
            self.left + margin < other.right
            and other.left < self.right - margin
            and self.bottom + margin < other.top
            and other.bottom < self.top - margin
        )

    def within(self, other: Rect, slack: float = 0.5) -> bool:
        return (
            self.left >= other.left - slack
            and self.right <= other.right + slack
            and self.bottom >= other.bottom - slack
            and self.top <= other.top + slack
        )

    def union(self, other: Rect) -> Rect:
        return Rect(
            min(self.left, other.left),
            min(self.bottom, other.bottom),
            max(self.right, other.right),
            max(self.top, other.top),
        )


@dataclass(frozen=True)
class Glyph:
    char: str
    rect: Rect
    size: float


@dataclass(frozen=True)
class Line:
    text: str
    rect: Rect


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    glyphs: tuple[Glyph, ...]
    lines: tuple[Line, ...]
    graphics: tuple[Rect, ...]
    """Bounds of every path, image and form object drawn on the page."""
    links: tuple[tuple[str | None, Rect], ...]

    def find(self, needle: str) -> list[Line]:
        """The lines that contain ``needle``, top first (letters and digits only,
        so that case, spacing and small capitals split into words do not matter)."""
        want = _letters(needle)
        found = [line for line in self.lines if want in _letters(line.text)]
        return sorted(found, key=lambda line: -line.rect.top)

    def links_to(self, uri: str) -> list[Rect]:
        return [rect for target, rect in self.links if target == uri]


def read_page(pdf: Path, index: int = 0) -> Page:
    import pikepdf
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(str(pdf))
    try:
        page = document[index]
        width, height = (float(v) for v in page.get_size())
        textpage = page.get_textpage()
        glyphs = []
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = textpage.get_charbox(i)
            if right <= left or top <= bottom:
                continue
            size = float(pdfium_c.FPDFText_GetFontSize(textpage.raw, i))
            glyphs.append(Glyph(char, Rect(left, bottom, right, top), size))
        graphics = []
        for obj in page.get_objects(max_depth=1):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
                graphics.append(path_rect(obj))
            elif obj.type in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM):
                graphics.append(Rect(*obj.get_bounds()))
    finally:
        document.close()
    links = []
    with pikepdf.open(pdf) as doc:
        for annot in doc.pages[index].get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            uri = str(action.get("/URI")) if action is not None and "/URI" in action else None
            x0, y0, x1, y1 = (float(v) for v in annot.Rect)
            links.append((uri, Rect(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))))
    return Page(
        width, height, tuple(glyphs), _lines(pdf, index, height), tuple(graphics), tuple(links)
    )


def path_rect(obj: Any) -> Rect:
    """The area a path paints.  pdfium's own bounds add half the line width on
    every side; TeX draws a thin rule as a stroked line as wide as the rule,
    which paints only across the line, so the points are taken instead."""
    import pypdfium2.raw as pdfium_c

    a, b, c, d, e, f = obj.get_matrix().get()
    xs, ys = [], []
    for i in range(pdfium_c.FPDFPath_CountSegments(obj.raw)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj.raw, i)
        x, y = ctypes.c_float(), ctypes.c_float()
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        xs.append(a * x.value + c * y.value + e)
        ys.append(b * x.value + d * y.value + f)
    if not xs:
        return Rect(*obj.get_bounds())
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fill), ctypes.byref(stroke))
    width = ctypes.c_float()
    half = 0.0
    if stroke.value and pdfium_c.FPDFPageObj_GetStrokeWidth(obj.raw, ctypes.byref(width)):
        half = width.value * max(abs(a), abs(d)) / 2
    left, right, bottom, top = min(xs), max(xs), min(ys), max(ys)
    if right - left < 1e-3:
        left, right = left - half, right + half
    elif top - bottom < 1e-3:
        bottom, top = bottom - half, top + half
    else:
        left, right, bottom, top = left - half, right + half, bottom - half, top + half
    return Rect(left, bottom, right, top)


def _lines(pdf: Path, index: int, height: float) -> tuple[Line, ...]:
    result = subprocess.run(
        [
            require_tool("pdftotext"),
            "-enc",
            "UTF-8",
            "-f",
            str(index + 1),
            "-l",
            str(index + 1),
            "-bbox-layout",
            str(pdf),
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    xhtml = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", result.stdout)  # not XML characters
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xhtml))
    lines = []
    for element in root.iter():
        if not element.tag.endswith("}line"):
            continue
        words = [w.text or "" for w in element if w.tag.endswith("}word")]
        x0, y0, x1, y1 = (float(element.attrib[k]) for k in ("xMin", "yMin", "xMax", "yMax"))
        lines.append(Line(" ".join(words), Rect(x0, height - y1, x1, height - y0)))
    return tuple(lines)


@dataclass(frozen=True)
class BadgeLayout:
    """Where the badge is and what else is drawn where it is."""

    rect: Rect
    """The link annotation of the badge: mark, text and QR code."""
    text: Rect
    """The glyphs of the badge text."""
    size: float
    """The badge text's font size."""
    touching: tuple[str, ...]
    """Glyphs and graphics of the page that overlap the badge, described."""


def badge_layout(page: Page, label: str, uri: str) -> BadgeLayout:
    """The badge ``label`` linked to ``uri`` on ``page``, and what it overlaps."""
    (rect,) = page.links_to(uri)
    own = [g for g in page.glyphs if g.rect.within(rect, slack=1.0)]
    text = "".join(g.char for g in own)
    if label not in text:
        raise AssertionError(f"the badge link does not cover {label!r} but {text!r}")
    text_box = own[0].rect
    for glyph in own[1:]:
        text_box = text_box.union(glyph.rect)
    touching = [
        f"glyph {g.char!r} at {_where(g.rect)}"
        for g in page.glyphs
        if g not in own and rect.overlaps(g.rect, margin=0.25)
    ]
    touching += [
        f"graphic at {_where(r)}"
        for r in page.graphics
        if not r.within(rect, slack=0.5) and rect.overlaps(r, margin=0.25)
    ]
    sizes = sorted(g.size for g in own if g.char.isalnum())
    return BadgeLayout(rect, text_box, sizes[len(sizes) // 2], tuple(touching))


def _where(rect: Rect) -> str:
    return f"({rect.left:.1f}, {rect.bottom:.1f})-({rect.right:.1f}, {rect.top:.1f})"


def title_lines(page: Page, title: str) -> list[Line]:
    """The lines of the title: lines of at least eight letters of the title, in
    its order, at the largest height among such lines (a running head with the
    title is smaller).  Letters only, so that small capitals split into words
    and hyphenation do not matter."""
    whole = _letters(title)
    candidates = [
        line
        for line in page.lines
        if len(_letters(line.text)) >= 8 and _letters(line.text) in whole
    ]
    if not candidates:
        return []
    tallest = max(line.rect.height for line in candidates)
    return sorted(
        (line for line in candidates if line.rect.height >= 0.8 * tallest),
        key=lambda line: -line.rect.top,
    )


def _letters(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def body_size(page: Page) -> float:
    """The most common font size of the page's glyphs: the body text's."""
    counts: dict[float, int] = {}
    for glyph in page.glyphs:
        key = round(glyph.size, 1)
        counts[key] = counts.get(key, 0) + 1
    return max(counts, key=lambda size: counts[size])
