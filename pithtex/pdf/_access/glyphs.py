"""Page 1's glyphs one by one, as displayed, and renderings with text objects hidden.

What :mod:`pithtex.pdf.title_block` needs of PDFium to find the title block as a
reader sees it, read from a :class:`~pithtex.pdf._access.pdfium.Page1View`:

* :func:`page_runs`: the runs of text (one text object's characters on one line)
  of the upper part of page 1, each with its box and font size, and font sizes
  sampled over the whole page; :func:`run_glyphs`: the characters of chosen runs, each with
  its box in *display space* (points, origin at the top-left corner of the crop
  box, ``/Rotate`` applied, y downwards), its baseline, font size, angle, text
  render mode, fill colour, whether PDFium generated it (a space or line break it
  inferred) and the text object that draws it;
* :func:`render_pair`: a grey rendering of one region of page 1 twice, as it is
  and with chosen text objects switched to render mode 3 (drawing nothing), so
  that the difference is exactly the ink those text objects leave on the page,
  after clipping, covering, blending and colour.  The render modes are put back
  before it returns.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable
from typing import Any, NamedTuple

from pithtex.pdf._access.pdfium import Page1View, Rendering

__all__ = [
    "DisplayBox",
    "Glyph",
    "PageRuns",
    "TextRun",
    "glyphs_at",
    "page_runs",
    "render_pair",
    "run_glyphs",
]

DisplayBox = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in display points: origin top-left, y downwards."""


class Glyph(NamedTuple):
    """One character of page 1's text layer."""

    char: str
    box: DisplayBox
    """Its tight box, in display points (:data:`DisplayBox`)."""
    baseline: float
    """The display y of its origin (its baseline)."""
    size: float
    angle: float | None
    """Radians anticlockwise in user space; ``None`` when PDFium does not know."""
    render_mode: int | None
    fill: tuple[int, int, int, int] | None
    """``(r, g, b, a)`` of its fill colour, 0-255."""
    generated: bool
    """PDFium inferred it (a space between words, a line break)."""
    text_object: int
    """An opaque handle of the text object that draws it (0: none)."""
    position: int
    """Its index in page 1's text."""


class TextRun(NamedTuple):
    """A run of page 1's text (one text object's characters on one line)."""

    box: DisplayBox
    size: float
    """The font size of a character inside it (a text object has one size)."""
    rect: tuple[float, float, float, float]
    """Its box in user space, ``(left, top, right, bottom)`` as PDFium gives it."""
    probe: int
    """The index of one of its characters."""


class PageRuns(NamedTuple):
    """What :func:`page_runs` read."""

    width: float
    """The displayed page's width and height in points (its crop box, rotated)."""
    height: float
    runs: tuple[TextRun, ...]
    """The runs whose box reaches above ``max_top`` (display y)."""
    sizes: tuple[float, ...]
    """Font sizes of characters sampled evenly over the whole page (the body size)."""
    total: int
    """How many characters page 1's text layer has."""


class _Affine(NamedTuple):
    """User space to display points: ``x' = a x + c y + e``, ``y' = b x + d y + f``."""

    a: float
    b: float
    c: float
    d: float
    e: float
    f: float

    def apply(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f


_FINE = 64
"""Device pixels per point used to read the page's display matrix precisely."""


def _display_matrix(pdfium_c: Any, page: Any, width: float, height: float) -> _Affine:
    size_x, size_y = round(width * _FINE), round(height * _FINE)

    def device(x: float, y: float) -> tuple[float, float]:
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(
            page, 0, 0, size_x, size_y, 0, x, y, ctypes.byref(dx), ctypes.byref(dy)
        )
        return dx.value / _FINE, dy.value / _FINE

    origin, unit_x, unit_y = device(0, 0), device(100, 0), device(0, 100)
    return _Affine(
        (unit_x[0] - origin[0]) / 100,
        (unit_x[1] - origin[1]) / 100,
        (unit_y[0] - origin[0]) / 100,
        (unit_y[1] - origin[1]) / 100,
        origin[0],
        origin[1],
    )


_SAMPLES = 400
"""Characters whose font size is read to find the body size."""
_MAX_RUNS = 4000
_MAX_RUN_CHARS = 2000


def page_runs(view: Page1View, *, max_top: float) -> PageRuns:
    """The text runs of page 1 whose box reaches above ``max_top`` (display y), each
    with its font size, and font sizes sampled over the whole page."""
    return view._call(lambda: _page_runs(view, max_top))


def _page_runs(view: Page1View, max_top: float) -> PageRuns:
    import pypdfium2.raw as pdfium_c

    textpage = view._text()
    width, height = view.width, view.height
    matrix = _display_matrix(pdfium_c, view._page.raw, width, height)
    total = int(pdfium_c.FPDFText_CountChars(textpage))
    font_size = pdfium_c.FPDFText_GetFontSize
    step = max(1, total // _SAMPLES)
    sizes = tuple(float(font_size(textpage, i)) for i in range(0, total, step))
    left, top, right, bottom = (ctypes.c_double() for _ in range(4))
    refs = [ctypes.byref(v) for v in (left, top, right, bottom)]
    runs = []
    count = min(int(pdfium_c.FPDFText_CountRects(textpage, 0, -1)), _MAX_RUNS)
    for index in range(count):
        if not pdfium_c.FPDFText_GetRect(textpage, index, *refs):
            continue
        rect = (left.value, top.value, right.value, bottom.value)
        box = _display_box(matrix, rect)
        if box[1] > max_top:
            continue
        middle_x, middle_y = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
        reach_x, reach_y = abs(rect[2] - rect[0]) / 2 + 0.5, abs(rect[1] - rect[3]) / 2 + 0.5
        probe = int(
            pdfium_c.FPDFText_GetCharIndexAtPos(textpage, middle_x, middle_y, reach_x, reach_y)
        )
        if probe < 0:
            continue
        runs.append(TextRun(box, float(font_size(textpage, probe)), rect, probe))
    return PageRuns(width, height, tuple(runs), sizes, total)


def _display_box(matrix: _Affine, rect: tuple[float, float, float, float]) -> DisplayBox:
    x0, y0, x1, y1 = rect
    corners = (
        matrix.apply(x0, y0),
        matrix.apply(x1, y1),
        matrix.apply(x0, y1),
        matrix.apply(x1, y0),
    )
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def run_glyphs(view: Page1View, runs: Iterable[TextRun]) -> tuple[Glyph, ...]:
    """The characters of ``runs``, in text order, each read once."""
    return view._call(lambda: _run_glyphs(view, tuple(runs)))


def _run_glyphs(view: Page1View, runs: tuple[TextRun, ...]) -> tuple[Glyph, ...]:
    import pypdfium2.raw as pdfium_c

    textpage = view._text()
    matrix = _display_matrix(pdfium_c, view._page.raw, view.width, view.height)
    total = int(pdfium_c.FPDFText_CountChars(textpage))
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    refs = [ctypes.byref(v) for v in (left, right, bottom, top)]

    def inside(index: int, rect: tuple[float, float, float, float]) -> bool:
        pdfium_c.FPDFText_GetCharBox(textpage, index, *refs)
        x0, y0, x1, y1 = (
            min(rect[0], rect[2]),
            min(rect[1], rect[3]),
            max(rect[0], rect[2]),
            max(rect[1], rect[3]),
        )
        return (
            left.value <= x1 + 0.5 and right.value >= x0 - 0.5
            and bottom.value <= y1 + 0.5 and top.value >= y0 - 0.5
        )  # fmt: skip

    chosen: set[int] = set()
    for run in runs:
        if run.probe in chosen:
            continue
        first = last = run.probe
        while first > 0 and run.probe - first < _MAX_RUN_CHARS and inside(first - 1, run.rect):
            first -= 1
        while last + 1 < total and last - run.probe < _MAX_RUN_CHARS and inside(last + 1, run.rect):
            last += 1
        chosen.update(range(first, last + 1))
    return tuple(_glyph(pdfium_c, textpage, matrix, index) for index in sorted(chosen))


def glyphs_at(view: Page1View, indices: Iterable[int]) -> tuple[Glyph, ...]:
    """The characters at ``indices`` of page 1's text."""

    def read() -> tuple[Glyph, ...]:
        import pypdfium2.raw as pdfium_c

        textpage = view._text()
        matrix = _display_matrix(pdfium_c, view._page.raw, view.width, view.height)
        return tuple(_glyph(pdfium_c, textpage, matrix, i) for i in indices)

    return view._call(read)


def _glyph(pdfium_c: Any, textpage: Any, matrix: _Affine, index: int) -> Glyph:
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    pdfium_c.FPDFText_GetCharBox(textpage, index, left, right, bottom, top)
    box = _display_box(matrix, (left.value, bottom.value, right.value, top.value))
    code = int(pdfium_c.FPDFText_GetUnicode(textpage, index))
    generated = int(pdfium_c.FPDFText_IsGenerated(textpage, index)) == 1
    text_object = pdfium_c.FPDFText_GetTextObject(textpage, index)
    handle = ctypes.cast(text_object, ctypes.c_void_p).value or 0
    mode = int(pdfium_c.FPDFTextObj_GetTextRenderMode(text_object)) if handle else None
    red, green, blue, alpha = (ctypes.c_uint() for _ in range(4))
    fill = None
    if pdfium_c.FPDFText_GetFillColor(textpage, index, red, green, blue, alpha):
        fill = (red.value, green.value, blue.value, alpha.value)
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage, index, origin_x, origin_y)
    turned = float(pdfium_c.FPDFText_GetCharAngle(textpage, index))
    return Glyph(
        chr(code) if 0 <= code < 0x110000 else "\ufffd",
        box,
        matrix.apply(origin_x.value, origin_y.value)[1],
        float(pdfium_c.FPDFText_GetFontSize(textpage, index)),
        turned if turned >= 0 else None,
        mode,
        fill,
        generated,
        handle,
        index,
    )


def render_pair(
    view: Page1View, region: DisplayBox, scale: float, hide: Iterable[int]
) -> tuple[Rendering, Rendering]:
    """``region`` (display points) rendered at ``scale`` pixels per point as it is, and
    with the text objects ``hide`` (handles from :class:`Glyph`) drawing nothing.

    Pixel ``(x, y)`` of both renderings is display point ``(left + x / scale,
    top + y / scale)``.  Refused (``render.too_large``) beyond ``max_render_pixels``.
    """
    import pypdfium2.raw as pdfium_c

    left, top, right, bottom = region
    box = (left, view.height - bottom, right, view.height - top)  # bottom-left origin
    shown = view.render(box, scale=scale)
    handles = [ctypes.cast(h, pdfium_c.FPDF_PAGEOBJECT) for h in dict.fromkeys(hide) if h]
    modes = [int(pdfium_c.FPDFTextObj_GetTextRenderMode(h)) for h in handles]
    try:
        for handle in handles:
            pdfium_c.FPDFTextObj_SetTextRenderMode(handle, 3)
        hidden = view.render(box, scale=scale)
    finally:
        for handle, mode in zip(handles, modes, strict=True):
            pdfium_c.FPDFTextObj_SetTextRenderMode(handle, mode)
    return shown, hidden
