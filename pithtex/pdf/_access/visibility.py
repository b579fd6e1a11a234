"""Whether text PDFium finds on page 1 is really shown there: facts per glyph.

For each occurrence of a piece of text (the badge's ``pith:…``) on the
sanitised copy of page 1 (:class:`~pithtex.pdf._access.pdfium.Page1View`),
:func:`glyph_facts` gives, glyph by glyph, what a reader's eye would need:

* its tight box, its font size and its text render mode (3 and 7 draw nothing),
  read by :mod:`pithtex.pdf._access.glyphs` as the title block's glyphs are;
* whether its middle lies inside the visible page (the crop box);
* the *ink* it leaves: the largest change in grey (0 to 255) over its box
  between a rendering of the region and one with the text's objects made
  invisible (:func:`~pithtex.pdf._access.glyphs.judge_in_stages`, the title
  block's test, first at
  :data:`~pithtex.pdf._access.glyphs.SMALL_TYPE_PX_PER_EM`), so text that is
  clipped away, white on white, drawn under something opaque, or drawn over
  outlines that already supply the same ink, leaves little or none;
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
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from pithtex.pdf._access import glyphs as reader
from pithtex.pdf._access.limits import StreamError
from pithtex.pdf._access.pdfium import address_of, c_function, out_parameters
from pithtex.pdf._access.values import Matrix, Rect, compose, union

if TYPE_CHECKING:
    from pithtex.pdf._access.pdfium import Page1View

__all__ = ["Glyph", "GlyphFacts", "Occurrence", "glyph_facts"]

_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_KINDS = {1: "text", 2: "path", 3: "image", 4: "shading", 5: "form"}
INSET = 0.2
"""Each side of a glyph's box is moved in by this fraction before looking for cover,
so that neighbouring glyphs and lines that merely touch it do not count."""


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
    aspect: float = 1.0
    """The horizontal scale it is drawn with over its vertical scale (1: as designed)."""


class Occurrence(NamedTuple):
    """One place page 1 shows a piece of text."""

    text: str
    glyphs: tuple[Glyph, ...]

    @property
    def box(self) -> Rect | None:
        """The union of its glyph boxes (user space)."""
        return union([g.box for g in self.glyphs])


class GlyphFacts(NamedTuple):
    """What :func:`glyph_facts` found."""

    occurrences: tuple[Occurrence, ...]
    renders: int
    """How many region renderings deciding the glyphs' ink took (2: the first stage)."""


def glyph_facts(
    view: Page1View, texts: list[str], *, max_each: int, max_objects: int
) -> GlyphFacts:
    """The first ``max_each`` occurrences of each of ``texts`` on page 1, glyph by glyph."""
    ranges = [
        (text, start, length)
        for text in texts
        for start, length in view.search(text, limit=max_each)
    ]
    if not ranges:
        return GlyphFacts((), 0)
    frame = reader.reading_frame(view)
    found = [
        (
            text,
            [
                g
                for g in reader.glyphs_at(view, frame, range(start, start + length))
                if not g.generated and not g.char.isspace()
            ],
        )
        for text, start, length in ranges
    ]
    drawn = [g for _, glyphs in found for g in glyphs]
    objects = {g.text_object for g in drawn if g.text_object}
    cover = view.with_pdfium(
        lambda page, textpage: _Cover(view, page, max_objects, [g.rect for g in drawn], objects)
    )
    inks, renders = _inks(view, frame, drawn, objects)
    occurrences = []
    for text, glyphs in found:
        facts = [
            Glyph(
                g.char,
                g.rect,
                g.size,
                g.render_mode,
                _inside(frame, g.box),
                inks[id(g)],
                cover.first_over(g.rect, g.text_object),
                g.aspect,
            )
            for g in glyphs
        ]
        occurrences.append(Occurrence(text, tuple(facts)))
    return GlyphFacts(tuple(occurrences), renders)


def _inks(
    view: Page1View, frame: reader.Frame, drawn: list[reader.Glyph], objects: set[int]
) -> tuple[dict[int, int], int]:
    """For each glyph (by ``id``), the largest change in grey when ``objects`` draw nothing;
    and how many renderings that took."""
    inks = {id(g): 0 for g in drawn}
    if not drawn:
        return inks, 0

    def judge(index: int, comparison: reader.InkComparison) -> str | None:
        glyph = drawn[index]
        inks[id(glyph)] = max(inks[id(glyph)], comparison.ink(glyph.box))
        return None if inks[id(glyph)] >= reader.MIN_INK_CONTRAST else "faint"

    regions = [(b[0] - 1, b[1] - 1, b[2] + 1, b[3] + 1) for b in (g.box for g in drawn)]
    ems = [g.size for g in drawn]
    _, renders = reader.judge_in_stages(
        view, frame, regions, ems, objects, judge, first_px_per_em=reader.SMALL_TYPE_PX_PER_EM
    )
    return inks, renders


class _Objects(NamedTuple):
    """PDFium's page-object functions through direct C prototypes (see
    :func:`~pithtex.pdf._access.pdfium.c_function`): a walk calls them per object."""

    page_count: Callable[[int], int]
    page_object: Callable[[int, int], int | None]
    form_count: Callable[[int], int]
    form_object: Callable[[int, int], int | None]
    kind: Callable[[int], int]
    bounds: Callable[..., int]
    matrix: Callable[[int, Any], int]
    draw_mode: Callable[..., int]


@functools.cache
def _objects() -> _Objects:
    import pypdfium2.raw as pdfium_c

    address, integer = ctypes.c_void_p, ctypes.c_int
    return _Objects(
        c_function(pdfium_c.FPDFPage_CountObjects, integer, address),
        c_function(pdfium_c.FPDFPage_GetObject, address, address, integer),
        c_function(pdfium_c.FPDFFormObj_CountObjects, integer, address),
        c_function(pdfium_c.FPDFFormObj_GetObject, address, address, ctypes.c_ulong),
        c_function(pdfium_c.FPDFPageObj_GetType, integer, address),
        c_function(pdfium_c.FPDFPageObj_GetBounds, integer, address, *[address] * 4),
        c_function(pdfium_c.FPDFPageObj_GetMatrix, integer, address, address),
        c_function(pdfium_c.FPDFPath_GetDrawMode, integer, address, address, address),
    )


class _Cover:
    """What page 1 draws over the badge: the objects whose box meets the badge's region,
    in drawing order; other text is then compared glyph by glyph."""

    def __init__(
        self,
        view: Page1View,
        page: Any,
        max_objects: int,
        boxes: list[Rect],
        badge_objects: set[int],
    ) -> None:
        self._view = view
        self._badge_objects = badge_objects
        self._order: dict[int, int] = {}
        self._near: list[tuple[int, str, Rect, int]] = []
        self._glyphs: dict[int, list[Rect]] | None = None
        region = union(boxes)
        functions = _objects()
        bounds = _Bounds(functions)
        for order, (address, kind, matrix) in enumerate(
            _walk(functions, address_of(page), max_objects)
        ):
            if kind == "text":
                self._order[address] = order
            elif kind == "path" and not _paints(functions, address):
                continue
            box = bounds(address, matrix)
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
            self._glyphs = reader.object_glyph_boxes(self._view)
        return self._glyphs.get(address, [])


def _walk(functions: _Objects, page: int, max_objects: int) -> Iterator[tuple[int, str, Matrix]]:
    """Page 1's objects in drawing order, inside forms, as ``(address, kind, matrix)``:
    ``matrix`` takes a form's content to the page (the identity outside forms)."""
    stack: list[tuple[int, bool, int, int, Matrix]] = [
        (page, True, 0, int(functions.page_count(page)), _IDENTITY)
    ]
    seen = 0
    while stack:
        parent, is_page, index, count, matrix = stack.pop()
        if index >= count:
            continue
        stack.append((parent, is_page, index + 1, count, matrix))
        child = (
            functions.page_object(parent, index)
            if is_page
            else functions.form_object(parent, index)
        ) or 0
        seen += 1
        if seen > max_objects:
            raise StreamError(
                "page.too_complex", f"page 1 draws more than {max_objects} objects (cap exceeded)"
            )
        if not child:
            continue
        kind = _KINDS.get(int(functions.kind(child)), "other")
        if kind == "form":
            inner = compose(_matrix(functions, child), matrix)
            stack.append((child, False, 0, int(functions.form_count(child)), inner))
        else:
            yield child, kind, matrix


def _matrix(functions: _Objects, address: int) -> Matrix:
    import pypdfium2.raw as pdfium_c

    m = pdfium_c.FS_MATRIX()
    if not functions.matrix(address, ctypes.byref(m)):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _paints(functions: _Objects, address: int) -> bool:
    modes = (ctypes.c_int * 2)()
    if not functions.draw_mode(address, *out_parameters(modes)):
        return True
    return bool(modes[0] or modes[1])


class _Bounds:
    """``FPDFPageObj_GetBounds`` of one object after ``matrix``, into four floats kept
    for the whole walk."""

    def __init__(self, functions: _Objects) -> None:
        self._get = functions.bounds
        self._sides = (ctypes.c_float * 4)()
        self._out = out_parameters(self._sides)

    def __call__(self, address: int, matrix: Matrix) -> Rect | None:
        if not self._get(address, *self._out):
            return None
        sides = self._sides
        left, bottom, right, top = sides[0], sides[1], sides[2], sides[3]
        if matrix == _IDENTITY:
            return left, bottom, right, top
        a, b, c, d, e, f = matrix
        corners = ((left, bottom), (left, top), (right, bottom), (right, top))
        xs = [a * x + c * y + e for x, y in corners]
        ys = [b * x + d * y + f for x, y in corners]
        return min(xs), min(ys), max(xs), max(ys)


def _inset(box: Rect) -> Rect:
    dx, dy = (box[2] - box[0]) * INSET, (box[3] - box[1]) * INSET
    return box[0] + dx, box[1] + dy, box[2] - dx, box[3] - dy


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(frame: reader.Frame, box: reader.DisplayBox) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return 0 <= x <= frame.width and 0 <= y <= frame.height
