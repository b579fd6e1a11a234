"""Page 1 for a person to look at: a PNG rendering, with where the badge is.

:func:`render_page_png` renders page 1 of a PDF with PDFium at the largest
scale that stays within ``max_pixels``, encodes it as an RGB PNG, and maps
rectangles of the page onto the picture: those a caller names (the title
block the checker found, say) and the badge's own, found here:

* ``badge``: each ``pith:…`` token in the page's text;
* ``link``: each link annotation whose URI has a ``/pith/`` path, on any host
  (labelled with the URI, so a reader sees where the badge points).

It reads, never writes, and decides nothing.  Like every other use of PDFium
it goes through the PDF access layer: PDFium renders the copy of page 1 that
passed the reader's caps (:mod:`pithtex.pdf._access.page1`), images included
when they fit them, never the received file.  It is meant to run in a bounded
worker (:mod:`pithtex.jobs.executor`) after the checker read the file.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pithtex.core.errors import InputError
from pithtex.core.names import RESOLVER_PATH
from pithtex.pdf._access.document import Document, open_for_reading
from pithtex.pdf._access.limits import DEFAULT_READ_LIMITS, PdfError, ReadLimits, StreamError
from pithtex.pdf._access.pdfium import Page1View
from pithtex.pdf._access.values import Rect

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_LINKS",
    "MAX_REGIONS",
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
    limits: ReadLimits = DEFAULT_READ_LIMITS,
) -> PageImage:
    """Page 1 (``page`` 0, the only one rendered) of the PDF at ``path``, within ``max_pixels``.

    ``marks`` are mapped onto the picture first, then the badge regions found
    on the page.  Raises :class:`RenderError` when the PDF cannot be read, page
    1 does not pass the reader's caps, or PDFium cannot render it.
    """
    if page != 0:
        raise RenderError(f"only page 1 is rendered, not page {page + 1}", code="render.no_page")
    try:
        with open_for_reading(path, limits) as document:
            return _render(document, document.page1_view(images=True), max_pixels, marks)
    except PdfError as exc:
        code = "render.no_page" if exc.code == "pdf.no_pages" else "render.unreadable"
        raise RenderError(f"cannot open the PDF to render it ({exc.message})", code=code) from None
    except StreamError as exc:
        raise RenderError(f"cannot render page 1 ({exc.message})") from None


def _render(
    document: Document, view: Page1View, max_pixels: int, marks: Sequence[Mark]
) -> PageImage:
    width, height = view.width, view.height
    if not (math.isfinite(width) and math.isfinite(height)) or width < 1 or height < 1:
        raise RenderError(f"the page is {width} x {height} points", code="render.empty")
    scale = _scale(width, height, max_pixels)
    picture = view.render_rgb(scale)
    png = encode_png(picture.pixels, picture.width, picture.height, picture.stride)
    found = [*marks, *_badge_marks(document, view)][:MAX_REGIONS]
    regions = tuple(
        r for r in (_region(m, view, picture.width, picture.height) for m in found) if r
    )
    return PageImage(png, picture.width, picture.height, width, height, regions)


def _scale(width: float, height: float, max_pixels: int) -> float:
    """The largest scale (at most 4, 288 dpi) whose whole-pixel picture fits ``max_pixels``."""
    scale = min(4.0, math.sqrt(max(1, max_pixels) / (width * height)))
    for _ in range(50):  # PDFium rounds the picture's sides up
        if math.ceil(width * scale) * math.ceil(height * scale) <= max_pixels:
            break
        scale *= 0.99
    return scale


def _region(mark: Mark, view: Page1View, width: int, height: int) -> Region | None:
    left, bottom, right, top = mark.rect
    corners = [view.to_pixels(x, y, width, height) for x in (left, right) for y in (bottom, top)]
    xs = [min(max(0, round(x)), width) for x, _ in corners]
    ys = [min(max(0, round(y)), height) for _, y in corners]
    box = (min(xs), min(ys), max(xs), max(ys))
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        return None  # off the picture, or of no size
    return Region(mark.kind, mark.label, box)


# ------------------------------------------------------------------ the badge on the page


def _badge_marks(document: Document, view: Page1View) -> list[Mark]:
    return [*_token_marks(view), *_link_marks(document)]


def _token_marks(view: Page1View) -> list[Mark]:
    """Each ``pith:…`` token of the page text, as the union of its characters' boxes."""
    count = view.char_count()
    marks = []
    for start, found in view.search("pith:", limit=MAX_REGIONS):
        length = found
        while length < _TOKEN_MAX and start + length < count:
            if view.text_range(start + length, 1) not in _TOKEN_CHARS:
                break
            length += 1
        rects = view.range_boxes(start, length)
        if rects:
            token = view.text_range(start, length)
            marks.append(Mark("badge", f"badge text {token}", _union(rects)))
    return marks


def _link_marks(document: Document) -> list[Mark]:
    """Link annotations whose URI has a resolver path, labelled with the URI."""
    marks = []
    try:
        links = document.page1_links()
    except StreamError:
        return []  # the picture helps a reader: links it cannot read are left off
    for link in links[:MAX_LINKS]:
        if link.rect is not None and RESOLVER_PATH in link.uri:
            marks.append(Mark("link", f"link to {link.uri[:120]}", link.rect))
            if len(marks) >= MAX_REGIONS:
                break
    return marks


def _union(rects: list[Rect]) -> Rect:
    return (
        min(r[0] for r in rects),
        min(r[1] for r in rects),
        max(r[2] for r in rects),
        max(r[3] for r in rects),
    )


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
