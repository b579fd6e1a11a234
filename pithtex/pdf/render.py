"""Page 1 for a person to look at: a PNG rendering, with where the badge is.

:func:`render_page_png` renders one page of a PDF with PDFium (pypdfium2) at
the largest scale that stays within ``max_pixels``, encodes it as an RGB PNG,
and maps rectangles of the page onto the picture: those a caller names (the
title block the checker found, say) and the badge's own, found here:

* ``badge``: each ``pith:…`` token in the page's text;
* ``link``: each link annotation whose URI has a ``/pith/`` path, on any host
  (labelled with the URI, so a reader sees where the badge points).

It reads, never writes, and decides nothing.  It is meant to run in a bounded
worker (:mod:`pithtex.jobs.executor`) after the checker read the file, like
every other call into a PDF library.  This module is the only place outside
the reader that calls PDFium; it moves behind the PDF access layer when that
layer exists.
"""

from __future__ import annotations

import ctypes
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pithtex.core.errors import InputError
from pithtex.core.names import RESOLVER_PATH

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "Mark",
    "PageImage",
    "Region",
    "RenderError",
    "encode_png",
    "render_page_png",
]

DEFAULT_MAX_PIXELS = 1_200_000
"""Pixels of one rendering: a letter page at about 115 dpi."""
MAX_REGIONS = 24
"""Regions found on a page beyond this many are left out (a hostile page may have thousands)."""
MAX_LINKS = 5000
"""Link annotations looked at, at most."""
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:")
_TOKEN_MAX = 40
_PNG_LEVEL = 3
"""zlib level: a rendered text page at level 3 is within 3% of level 6 at half the time."""


class RenderError(InputError):
    """A page that cannot be rendered; ``code`` is ``render.unreadable|no_page|empty``."""

    default_code = "render.unreadable"


@dataclass(frozen=True, slots=True)
class Mark:
    """A rectangle of the page to show on the rendering, in PDF user space."""

    kind: str
    label: str
    rect: tuple[float, float, float, float]
    """``(left, bottom, right, top)`` in the page's user space (points)."""


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle on the rendering, in pixels from its top left corner."""

    kind: str
    label: str
    box: tuple[int, int, int, int]
    """``(left, top, right, bottom)``, clipped to the picture."""

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page rendered: the PNG and the regions on it."""

    png: bytes
    width: int
    height: int
    page_width: float
    """Width of the page as shown (crop box, rotation applied), in points."""
    page_height: float
    regions: tuple[Region, ...] = ()


def render_page_png(
    path: str | Path,
    page: int = 0,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    marks: Sequence[Mark] = (),
) -> PageImage:
    """Page ``page`` (0 is page 1) of the PDF at ``path``, rendered within ``max_pixels``.

    ``marks`` are mapped onto the picture first, then the badge regions found
    on the page.  Raises :class:`RenderError` when PDFium cannot open or
    render the page.
    """
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise RenderError(f"cannot open the PDF to render it ({_first_line(exc)})") from None
    try:
        if not 0 <= page < len(document):
            raise RenderError(f"the PDF has no page {page + 1}", code="render.no_page")
        return _render(document, document[page], max_pixels, marks)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"cannot render page {page + 1} ({_first_line(exc)})") from None
    finally:
        document.close()


def _render(document: Any, page: Any, max_pixels: int, marks: Sequence[Mark]) -> PageImage:
    width, height = page.get_size()
    if not (math.isfinite(width) and math.isfinite(height)) or width < 1 or height < 1:
        raise RenderError(f"the page is {width} x {height} points", code="render.empty")
    scale = _scale(width, height, max_pixels)
    bitmap = page.render(scale=scale, rev_byteorder=True, may_draw_forms=True)
    try:
        png = encode_png(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride)
        convert = bitmap.get_posconv(page)
        found = [*marks, *_badge_marks(document, page)][:MAX_REGIONS]
        regions = tuple(
            r for r in (_region(m, convert, bitmap.width, bitmap.height) for m in found) if r
        )
        return PageImage(png, bitmap.width, bitmap.height, width, height, regions)
    finally:
        bitmap.close()


def _scale(width: float, height: float, max_pixels: int) -> float:
    """The largest scale (at most 4, 288 dpi) whose whole-pixel picture fits ``max_pixels``."""
    scale = min(4.0, math.sqrt(max(1, max_pixels) / (width * height)))
    for _ in range(50):  # PDFium rounds the picture's sides up
        if math.ceil(width * scale) * math.ceil(height * scale) <= max_pixels:
            break
        scale *= 0.99
    return scale


def _region(mark: Mark, convert: Any, width: int, height: int) -> Region | None:
    left, bottom, right, top = mark.rect
    corners = [convert.to_bitmap(x, y) for x in (left, right) for y in (bottom, top)]
    xs = [min(max(0, round(x)), width) for x, _ in corners]
    ys = [min(max(0, round(y)), height) for _, y in corners]
    box = (min(xs), min(ys), max(xs), max(ys))
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        return None  # off the picture, or of no size
    return Region(mark.kind, mark.label, box)


# ------------------------------------------------------------------ the badge on the page


def _badge_marks(document: Any, page: Any) -> list[Mark]:
    return [*_token_marks(page), *_link_marks(document, page)]


def _token_marks(page: Any) -> list[Mark]:
    """Each ``pith:…`` token of the page text, as the union of its characters' boxes."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        searcher = textpage.search("pith:", match_case=False)
        marks = []
        for _ in range(MAX_REGIONS):
            found = searcher.get_next()
            if found is None:
                break
            start, length = found
            while length < _TOKEN_MAX and start + length < count:
                if textpage.get_text_range(start + length, 1) not in _TOKEN_CHARS:
                    break
                length += 1
            rects = [textpage.get_rect(i) for i in range(textpage.count_rects(start, length))]
            if rects:
                token = textpage.get_text_range(start, length)
                marks.append(Mark("badge", f"badge text {token}", _union(rects)))
        searcher.close()
        return marks
    finally:
        textpage.close()


def _link_marks(document: Any, page: Any) -> list[Mark]:
    """Link annotations whose URI has a resolver path, labelled with the URI."""
    import pypdfium2.raw as pdfium_c

    marks = []
    position = ctypes.c_int(0)
    link = pdfium_c.FPDF_LINK()
    for _ in range(MAX_LINKS):
        if not pdfium_c.FPDFLink_Enumerate(page.raw, ctypes.byref(position), ctypes.byref(link)):
            break
        uri = _link_uri(pdfium_c, document, link)
        rect = pdfium_c.FS_RECTF()
        if uri is None or RESOLVER_PATH not in uri:
            continue
        if pdfium_c.FPDFLink_GetAnnotRect(link, ctypes.byref(rect)):
            marks.append(Mark("link", f"link to {uri[:120]}", _normal(rect)))
            if len(marks) >= MAX_REGIONS:
                break
    return marks


def _link_uri(pdfium_c: Any, document: Any, link: Any) -> str | None:
    action = pdfium_c.FPDFLink_GetAction(link)
    if not action or pdfium_c.FPDFAction_GetType(action) != pdfium_c.PDFACTION_URI:
        return None
    size = pdfium_c.FPDFAction_GetURIPath(document.raw, action, None, 0)
    if size <= 0 or size > 64 * 1024:
        return None
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFAction_GetURIPath(document.raw, action, buffer, size)
    return buffer.raw[: size - 1].decode("latin-1").strip()


def _normal(rect: Any) -> tuple[float, float, float, float]:
    left, right = sorted((rect.left, rect.right))
    bottom, top = sorted((rect.bottom, rect.top))
    return (left, bottom, right, top)


def _union(rects: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (
        min(r[0] for r in rects),
        min(r[1] for r in rects),
        max(r[2] for r in rects),
        max(r[3] for r in rects),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


# ------------------------------------------------------------------ PNG


def encode_png(pixels: bytes, width: int, height: int, stride: int) -> bytes:
    """An 8-bit RGB PNG of ``height`` rows of ``stride`` bytes (``width`` RGB pixels each)."""
    row = width * 3
    raw = b"".join(b"\x00" + pixels[y * stride : y * stride + row] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, _PNG_LEVEL)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
