"""Page 1's glyphs one by one, as displayed, and renderings with text objects hidden.

What :mod:`pithtex.pdf.title_block` needs of PDFium to find the title block as a
reader sees it, read from a :class:`~pithtex.pdf._access.pdfium.Page1View`:

* :func:`page_glyphs`: every character of page 1's text layer (up to a cap) with
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

__all__ = ["DisplayBox", "Glyph", "PageGlyphs", "page_glyphs", "render_pair"]

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


class PageGlyphs(NamedTuple):
    """What :func:`page_glyphs` read."""

    width: float
    """The displayed page's width and height in points (its crop box, rotated)."""
    height: float
    glyphs: tuple[Glyph, ...]
    """The characters whose box reaches above ``max_top`` (display y), in text order."""
    sizes: tuple[float, ...]
    """The font size of every character read (the whole page), for the body size."""
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


def page_glyphs(view: Page1View, *, max_top: float, max_chars: int = 20000) -> PageGlyphs:
    """The characters of page 1 whose box reaches above ``max_top`` (display y), and the
    font sizes of all of them (the first ``max_chars``)."""
    return view._call(lambda: _page_glyphs(view, max_top, max_chars))


def _page_glyphs(view: Page1View, max_top: float, max_chars: int) -> PageGlyphs:
    import pypdfium2.raw as pdfium_c

    textpage = view._text()
    page = view._page.raw
    width, height = view.width, view.height
    matrix = _display_matrix(pdfium_c, page, width, height)
    total = int(pdfium_c.FPDFText_CountChars(textpage))
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    red, green, blue, alpha = (ctypes.c_uint() for _ in range(4))
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    glyphs: list[Glyph] = []
    sizes: list[float] = []
    for index in range(min(total, max_chars)):
        size = float(pdfium_c.FPDFText_GetFontSize(textpage, index))
        sizes.append(size)
        pdfium_c.FPDFText_GetCharBox(textpage, index, left, right, bottom, top)
        corners = (
            matrix.apply(left.value, bottom.value),
            matrix.apply(right.value, top.value),
            matrix.apply(left.value, top.value),
            matrix.apply(right.value, bottom.value),
        )
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        if min(ys) > max_top:
            continue
        code = int(pdfium_c.FPDFText_GetUnicode(textpage, index))
        generated = int(pdfium_c.FPDFText_IsGenerated(textpage, index)) == 1
        text_object = pdfium_c.FPDFText_GetTextObject(textpage, index)
        handle = ctypes.cast(text_object, ctypes.c_void_p).value or 0
        mode = None
        if handle:
            mode = int(pdfium_c.FPDFTextObj_GetTextRenderMode(text_object))
        fill = None
        if pdfium_c.FPDFText_GetFillColor(textpage, index, red, green, blue, alpha):
            fill = (red.value, green.value, blue.value, alpha.value)
        pdfium_c.FPDFText_GetCharOrigin(textpage, index, origin_x, origin_y)
        turned = float(pdfium_c.FPDFText_GetCharAngle(textpage, index))
        glyphs.append(
            Glyph(
                chr(code) if 0 <= code < 0x110000 else "\ufffd",
                (min(xs), min(ys), max(xs), max(ys)),
                matrix.apply(origin_x.value, origin_y.value)[1],
                size,
                turned if turned >= 0 else None,
                mode,
                fill,
                generated,
                handle,
            )
        )
    return PageGlyphs(width, height, tuple(glyphs), tuple(sizes), total)


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
