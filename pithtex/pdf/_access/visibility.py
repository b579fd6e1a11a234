"""Whether text PDFium finds on page 1 is really shown there: facts per glyph.

For each occurrence of a piece of text (the badge's ``pith:…``) on the
sanitised copy of page 1 (:class:`~pithtex.pdf._access.pdfium.Page1View`),
:func:`glyph_facts` gives, glyph by glyph, what a reader's eye would need:

* its tight box, its font size and its text render mode (3 and 7 draw nothing);
* whether its middle lies inside the visible page (the crop box);
* the *ink* it leaves: the largest change in grey (0 to 255) over its box
  between a rendering of the region and one with the text's objects made
  invisible, so text that is clipped away, white on white, drawn under
  something opaque, or drawn over outlines that already supply the same ink,
  leaves little or none;
* the first object drawn *after* it whose box overlaps it (a path, an image,
  a shading or other text), at any depth of form XObjects; paths that neither
  fill nor stroke (clipping paths) draw nothing and do not count.

It decides nothing: :mod:`pithtex.pdf.badge_check` does.  The walk over the
page's objects stops at ``max_drawn_objects``
(:class:`~pithtex.pdf._access.limits.ReadLimits`), beyond which the page is
refused with ``page.too_complex``; renderings stay within ``max_render_pixels``.
"""

from __future__ import annotations

import ctypes
import operator
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from pithtex.pdf._access.limits import StreamError
from pithtex.pdf._access.values import Rect

if TYPE_CHECKING:
    from pithtex.pdf._access.pdfium import Page1View

__all__ = ["Glyph", "Occurrence", "glyph_facts"]

Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_KINDS = {1: "text", 2: "path", 3: "image", 4: "shading", 5: "form"}
INSET = 0.2
"""Each side of a glyph's box is moved in by this fraction before looking for cover,
so that neighbouring glyphs and lines that merely touch it do not count."""
MIN_PIXELS_PER_GLYPH = 12.0
"""Renderings are made so that the smallest glyph is about this many pixels tall."""
MAX_SCALE = 8.0


class Glyph(NamedTuple):
    """One glyph of an occurrence, as drawn on page 1."""

    char: str
    box: Rect
    """Its tight box in user space."""
    font_size: float
    render_mode: int | None
    inside: bool
    """Whether its middle is inside the visible page (the crop box)."""
    ink: int
    """Largest change in grey over its box when its text is made invisible (0 to 255)."""
    covered_by: str | None
    """The kind (``path``, ``image``, ``shading``, ``text``) of the first object drawn
    after it over its box; ``None`` when nothing is."""


class Occurrence(NamedTuple):
    """One place page 1 shows a piece of text."""

    text: str
    glyphs: tuple[Glyph, ...]

    @property
    def box(self) -> Rect | None:
        """The union of its glyph boxes (user space)."""
        if not self.glyphs:
            return None
        boxes = [g.box for g in self.glyphs]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


def glyph_facts(
    view: Page1View, texts: list[str], *, max_each: int, max_objects: int
) -> tuple[Occurrence, ...]:
    """The first ``max_each`` occurrences of each of ``texts`` on page 1, glyph by glyph."""
    ranges = [
        (text, start, length)
        for text in texts
        for start, length in view.search(text, limit=max_each)
    ]
    if not ranges:
        return ()
    return view.with_pdfium(
        lambda page, textpage: _facts(view, page, textpage, ranges, max_objects)
    )


def _facts(
    view: Page1View,
    page: Any,
    textpage: Any,
    ranges: list[tuple[str, int, int]],
    max_objects: int,
) -> tuple[Occurrence, ...]:
    import pypdfium2.raw as pdfium_c

    found: list[tuple[str, list[tuple[str, Rect, float, int, int | None]]]] = []
    for text, start, length in ranges:
        glyphs = []
        for index in range(start, start + length):
            char = _char(pdfium_c, textpage, index)
            if char is None or char[0].isspace():
                continue
            unicode, box, address = char
            size = float(pdfium_c.FPDFText_GetFontSize(textpage, index))
            mode = (
                int(pdfium_c.FPDFTextObj_GetTextRenderMode(_handle(pdfium_c, address)))
                if address
                else None
            )
            glyphs.append((unicode, box, size, address, mode))
        found.append((text, glyphs))
    badge_objects = {g[3] for _, glyphs in found for g in glyphs if g[3]}
    boxes = [g[1] for _, glyphs in found for g in glyphs]
    cover = _Cover(pdfium_c, page, textpage, max_objects, boxes, badge_objects)
    matrix = _display_matrix(view)
    inks = _inks(view, matrix, boxes, badge_objects)
    occurrences = []
    position = 0
    for text, glyphs in found:
        facts = []
        for unicode, box, size, address, mode in glyphs:
            covered = cover.first_over(box, address)
            facts.append(
                Glyph(unicode, box, size, mode, _inside(view, matrix, box), inks[position], covered)
            )
            position += 1
        occurrences.append(Occurrence(text, tuple(facts)))
    return tuple(occurrences)


def _char(pdfium_c: Any, textpage: Any, index: int) -> tuple[str, Rect, int] | None:
    """A glyph that is not generated: its text, tight box and text object's address."""
    if pdfium_c.FPDFText_IsGenerated(textpage, index) == 1:
        return None
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    code = int(pdfium_c.FPDFText_GetUnicode(textpage, index))
    if not pdfium_c.FPDFText_GetCharBox(
        textpage, index, ctypes.byref(left), ctypes.byref(right),
        ctypes.byref(bottom), ctypes.byref(top),
    ):  # fmt: skip
        return None
    handle = pdfium_c.FPDFText_GetTextObject(textpage, index)
    address = ctypes.cast(handle, ctypes.c_void_p).value or 0
    box = (left.value, bottom.value, right.value, top.value)
    return (chr(code) if 0 < code < 0x110000 else "\ufffd"), box, address


def _handle(pdfium_c: Any, address: int) -> Any:
    return ctypes.cast(ctypes.c_void_p(address), pdfium_c.FPDF_PAGEOBJECT)


class _Cover:
    """What page 1 draws over the badge: the objects whose box meets the badge's region,
    in drawing order; other text is then compared glyph by glyph."""

    def __init__(
        self,
        pdfium_c: Any,
        page: Any,
        textpage: Any,
        max_objects: int,
        boxes: list[Rect],
        badge_objects: set[int],
    ) -> None:
        self._pdfium, self._textpage = pdfium_c, textpage
        self._badge_objects = badge_objects
        self._order: dict[int, int] = {}
        self._near: list[tuple[int, str, Rect, int]] = []
        self._glyphs: dict[int, list[Rect]] | None = None
        region = _union(boxes)
        for order, (handle, kind, matrix) in enumerate(_walk(pdfium_c, page, max_objects)):
            address = ctypes.cast(handle, ctypes.c_void_p).value or 0
            if kind == "text":
                self._order[address] = order
            elif kind == "path" and not _paints(pdfium_c, handle):
                continue
            box = _bounds(pdfium_c, handle, matrix)
            if region is not None and box is not None and _overlap(region, box):
                self._near.append((order, kind, box, address))

    def first_over(self, box: Rect, address: int) -> str | None:
        """The kind of the first object drawn after the glyph ``box`` (of the text object at
        ``address``) over it."""
        inner = _inset(box)
        order = self._order.get(address, -1)
        for later, kind, bounds, other in self._near:
            if later <= order or other in self._badge_objects or not _overlap(inner, bounds):
                continue
            if kind != "text" or any(_overlap(inner, _inset(g)) for g in self._text_glyphs(other)):
                return kind
        return None

    def _text_glyphs(self, address: int) -> list[Rect]:
        if self._glyphs is None:
            self._glyphs = {}
            pdfium_c, textpage = self._pdfium, self._textpage
            for index in range(int(pdfium_c.FPDFText_CountChars(textpage))):
                char = _char(pdfium_c, textpage, index)
                if char is not None and not char[0].isspace():
                    self._glyphs.setdefault(char[2], []).append(char[1])
        return self._glyphs.get(address, [])


def _union(boxes: list[Rect]) -> Rect | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _walk(pdfium_c: Any, page: Any, max_objects: int) -> Iterator[tuple[Any, str, Matrix]]:
    stack: list[tuple[Any, bool, int, Matrix]] = [(page, True, 0, _IDENTITY)]
    seen = 0
    while stack:
        parent, is_page, index, matrix = stack.pop()
        count = (
            pdfium_c.FPDFPage_CountObjects(parent)
            if is_page
            else pdfium_c.FPDFFormObj_CountObjects(parent)
        )
        if index >= count:
            continue
        stack.append((parent, is_page, index + 1, matrix))
        child = (
            pdfium_c.FPDFPage_GetObject(parent, index)
            if is_page
            else pdfium_c.FPDFFormObj_GetObject(parent, index)
        )
        seen += 1
        if seen > max_objects:
            raise StreamError(
                "page.too_complex", f"page 1 draws more than {max_objects} objects (cap exceeded)"
            )
        kind = _KINDS.get(int(pdfium_c.FPDFPageObj_GetType(child)), "other")
        if kind == "form":
            stack.append((child, False, 0, _compose(_matrix(pdfium_c, child), matrix)))
        else:
            yield child, kind, matrix


def _matrix(pdfium_c: Any, handle: Any) -> Matrix:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(handle, ctypes.byref(m)):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _paints(pdfium_c: Any, handle: Any) -> bool:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(handle, ctypes.byref(fill), ctypes.byref(stroke)):
        return True
    return bool(fill.value or stroke.value)


def _bounds(pdfium_c: Any, handle: Any, matrix: Matrix) -> Rect | None:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(
        handle, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top)
    ):
        return None
    a, b, c, d, e, f = matrix
    xs, ys = [], []
    for x, y in (
        (left.value, bottom.value),
        (left.value, top.value),
        (right.value, bottom.value),
        (right.value, top.value),
    ):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return min(xs), min(ys), max(xs), max(ys)


def _inset(box: Rect) -> Rect:
    dx, dy = (box[2] - box[0]) * INSET, (box[3] - box[1]) * INSET
    return box[0] + dx, box[1] + dy, box[2] - dx, box[3] - dy


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(view: Page1View, matrix: Matrix, box: Rect) -> bool:
    x, y = _to_display(matrix, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    return 0 <= x <= view.width and 0 <= y <= view.height


_FINE = 64
"""Sub-point precision of :func:`_to_display` (pixels per point of the mapping)."""


def _to_display(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    """The point ``(x, y)`` of user space in points of the displayed page (origin at its
    bottom left), ``matrix`` being :func:`_display_matrix`."""
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


_REACH = 1000.0


def _display_matrix(view: Page1View) -> Matrix:
    """The matrix from user space to the displayed page, found once per view from where
    PDFium maps three points."""
    width, height = view.width, view.height

    def point(x: float, y: float) -> tuple[float, float]:
        px, py = view.to_pixels(x, y, round(width * _FINE), round(height * _FINE))
        return px / _FINE, height - py / _FINE

    ox, oy = point(0.0, 0.0)
    ax, ay = point(_REACH, 0.0)
    cx, cy = point(0.0, _REACH)
    matrix = (
        (ax - ox) / _REACH,
        (ay - oy) / _REACH,
        (cx - ox) / _REACH,
        (cy - oy) / _REACH,
        ox,
        oy,
    )
    return matrix


def _inks(view: Page1View, matrix: Matrix, boxes: list[Rect], objects: set[int]) -> list[int]:
    """For each glyph box, the largest change in grey when ``objects`` are made invisible."""
    import pypdfium2.raw as pdfium_c

    if not boxes:
        return []
    display = [_display_box(matrix, box) for box in boxes]
    region = (
        max(0.0, min(b[0] for b in display) - 1),
        max(0.0, min(b[1] for b in display) - 1),
        min(view.width, max(b[2] for b in display) + 1),
        min(view.height, max(b[3] for b in display) + 1),
    )
    if region[0] >= region[2] or region[1] >= region[3]:
        return [0] * len(boxes)
    smallest = min(max(b[3] - b[1], 0.5) for b in display)
    scale = min(MAX_SCALE, max(1.0, MIN_PIXELS_PER_GLYPH / smallest))
    area = (region[2] - region[0]) * (region[3] - region[1])
    scale = min(scale, (view.limits.max_render_pixels / max(area, 1.0)) ** 0.5)
    shown = view.render(region, scale=scale)
    handles = [_handle(pdfium_c, address) for address in objects]
    modes = [int(pdfium_c.FPDFTextObj_GetTextRenderMode(h)) for h in handles]
    try:
        for handle in handles:
            pdfium_c.FPDFTextObj_SetTextRenderMode(handle, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)
        hidden = view.render(region, scale=scale)
    finally:
        for handle, mode in zip(handles, modes, strict=True):
            pdfium_c.FPDFTextObj_SetTextRenderMode(handle, mode)
    return [_largest_change(shown, hidden, region, scale, box) for box in display]


def _display_box(matrix: Matrix, box: Rect) -> Rect:
    """``box`` (user space) in points of the page as displayed, origin at its bottom left."""
    corners = [
        _to_display(matrix, x, y)
        for x, y in ((box[0], box[1]), (box[0], box[3]), (box[2], box[1]), (box[2], box[3]))
    ]
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _largest_change(shown: Any, hidden: Any, region: Rect, scale: float, box: Rect) -> int:
    if (shown.width, shown.height) != (hidden.width, hidden.height):
        return 0
    x0 = max(0, int((box[0] - region[0]) * scale))
    x1 = min(shown.width, int((box[2] - region[0]) * scale) + 1)
    y0 = max(0, int((region[3] - box[3]) * scale))
    y1 = min(shown.height, int((region[3] - box[1]) * scale) + 1)
    largest = 0
    for row in range(y0, y1):
        start = row * shown.width
        a = shown.pixels[start + x0 : start + x1]
        b = hidden.pixels[start + x0 : start + x1]
        if a != b:
            largest = max(largest, *map(abs, map(operator.sub, a, b)))
    return largest
