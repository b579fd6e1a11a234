"""Page 1's glyphs one by one, as displayed, and renderings with text objects hidden.

What :mod:`pithtex.pdf.title_block` needs of PDFium to find the title block as a
reader sees it, read from a :class:`~pithtex.pdf._access.pdfium.Page1View`:

* :func:`reading_frame` (:class:`Frame`): how page 1 is read: the displayed page
  (crop box, ``/Rotate``) turned by the quarter turn that makes most of its text run
  left to right; every box below is in this frame (points, origin at its top-left
  corner, y downwards);
* :func:`page_runs`: the runs of text (one text object's characters on one line)
  of the upper part of page 1 that do not run sideways, each with its box and font
  size, and font sizes sampled over the whole page; :func:`run_glyphs`: the
  characters of chosen runs, each with its box, its baseline, font size, angle, text
  render mode, whether PDFium generated it (a space or line break it inferred) and
  the text object that draws it, each character read once per view (the title block
  and the badge share the reads; colour and contrast are left to the renderings).
  A font size is the size a reader sees: the text state's size
  times the vertical scale of the matrix the character is drawn with (text matrix,
  horizontal scaling and the current transformation matrix), so that type shrunk by
  ``cm`` is small type and ``1 Tf`` with a scaled text matrix is the size it shows;
  each character also carries its *aspect*, the ratio of that matrix's horizontal to
  its vertical scale (1 for type as designed; small when ``Tz`` or a matrix squashes it);
* :func:`judge_in_stages`: the one way visibility is tested, by the title block and
  the badge alike: the region of what is judged compared (:func:`compare_ink`) at
  :data:`LOW_PX_PER_EM`, and what did not pass again at :data:`HIGH_PX_PER_EM`;
  :data:`MIN_INK_CONTRAST` is the change in grey that counts as seen;
* :func:`compare_ink` (:class:`InkComparison`): a grey rendering of one region of
  page 1 twice, as it is and with chosen text objects switched to render mode 3
  (drawing nothing), so that the difference is exactly the ink those text objects
  leave on the page, after clipping, covering, blending and colour.  The render
  modes are put back before it returns.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from pithtex.pdf._access.pdfium import (
    Page1View,
    Rendering,
    address_of,
    c_function,
    out_parameters,
)

__all__ = [
    "HIGH_PX_PER_EM",
    "LOW_PX_PER_EM",
    "MIN_ASPECT",
    "MIN_INK_CONTRAST",
    "SIDEWAYS_SINE",
    "SMALL_TYPE_PX_PER_EM",
    "DisplayBox",
    "Frame",
    "Glyph",
    "InkComparison",
    "PageRuns",
    "TextRun",
    "compare_ink",
    "glyphs_at",
    "judge_in_stages",
    "object_glyph_boxes",
    "page_runs",
    "reading_frame",
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
    """Radians anticlockwise as read (0: along the reading frame's lines); ``None`` when
    PDFium does not know."""
    render_mode: int | None
    generated: bool
    """PDFium inferred it (a space between words, a line break: PDFium infers only white
    space, so only white space is asked about)."""
    text_object: int
    """An opaque handle of the text object that draws it (0: none)."""
    position: int
    """Its index in page 1's text."""
    rect: tuple[float, float, float, float]
    """Its tight box in user space, ``(left, bottom, right, top)``."""
    aspect: float = 1.0
    """The horizontal scale it is drawn with over its vertical scale (1: as designed)."""


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
    frame: Frame
    """How page 1 is read: the frame of every box."""


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


MIN_INK_CONTRAST = 64
"""The least change in grey (of 255) a glyph must make where it is drawn to be seen."""
MIN_ASPECT = 0.4
"""The least aspect (horizontal over vertical scale of the matrix a glyph is drawn with)
of a readable glyph: condensed type set with ``Tz`` is above it, a squashed smear below."""
LOW_PX_PER_EM = 6.0
"""Pixels per em of the smallest text of a region at its first rendering."""
HIGH_PX_PER_EM = 18.0
"""Pixels per em of the rendering again, for what the first one did not show."""
SMALL_TYPE_PX_PER_EM = 12.0
"""Pixels per em of the first rendering of small type read glyph by glyph (the badge: a
9 pt colon is two dots of a point, which :data:`LOW_PX_PER_EM` leaves a pixel faint)."""
SIDEWAYS_SINE = 0.5
"""Text whose direction has a sine beyond this, as read, runs sideways."""
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


def _compose(outer: _Affine, inner: _Affine) -> _Affine:
    """``outer`` after ``inner``."""
    return _Affine(
        outer.a * inner.a + outer.c * inner.b,
        outer.b * inner.a + outer.d * inner.b,
        outer.a * inner.c + outer.c * inner.d,
        outer.b * inner.c + outer.d * inner.d,
        outer.a * inner.e + outer.c * inner.f + outer.e,
        outer.b * inner.e + outer.d * inner.f + outer.f,
    )


def _inverse(m: _Affine) -> _Affine:
    det = m.a * m.d - m.b * m.c
    a, b, c, d = m.d / det, -m.b / det, -m.c / det, m.a / det
    return _Affine(a, b, c, d, -(a * m.e + c * m.f), -(b * m.e + d * m.f))


def _quarter_turn(turn: int, width: float, height: float) -> _Affine:
    """Display points to the page turned by ``turn`` quarters so that text running in
    display direction (1, 0), (0, 1), (-1, 0) or (0, -1) (``turn`` 0 to 3) runs left to
    right; the origin stays at the turned page's top-left corner."""
    return (
        _Affine(1, 0, 0, 1, 0, 0),
        _Affine(0, -1, 1, 0, 0, width),
        _Affine(-1, 0, 0, -1, width, height),
        _Affine(0, 1, -1, 0, height, 0),
    )[turn % 4]


class Frame(NamedTuple):
    """Page 1 as it is read: the displayed page (crop box, ``/Rotate``) turned by a
    quarter turn so that most of its text runs left to right, y downwards."""

    to_reading: _Affine
    """User space to reading points."""
    to_display: _Affine
    """Reading points to display points (origin top-left of the displayed page)."""
    width: float
    height: float
    turn: int
    """Quarter turns from the displayed page to the reading frame."""

    def display_box(self, box: DisplayBox) -> DisplayBox:
        """A box of the reading frame on the displayed page (origin top-left)."""
        return _box_through(self.to_display, box)

    def angle(self, user_angle: float) -> float:
        """A direction of user space (radians anticlockwise) as read, in [0, 2 pi)."""
        m = self.to_reading
        ux, uy = math.cos(user_angle), math.sin(user_angle)
        dx, dy = m.a * ux + m.c * uy, m.b * ux + m.d * uy
        return math.atan2(-dy, dx) % (2 * math.pi)


_DIRECTION_SAMPLES = 64
"""Characters whose direction is read to find which way page 1's text runs."""


def _frame(pdfium_c: Any, view: Page1View, textpage: Any, total: int) -> Frame:
    width, height = view.width, view.height
    display = _display_matrix(pdfium_c, view._page.raw, width, height)
    votes = [0, 0, 0, 0]
    char_angle, address = _direct().char_angle, address_of(textpage)
    for index in range(0, total, max(1, total // _DIRECTION_SAMPLES)):
        angle = float(char_angle(address, index))
        if angle < 0:
            continue
        ux, uy = math.cos(angle), math.sin(angle)
        dx, dy = display.a * ux + display.c * uy, display.b * ux + display.d * uy
        if abs(dx) >= abs(dy):
            votes[0 if dx > 0 else 2] += 1
        else:
            votes[1 if dy > 0 else 3] += 1
    turn = max(range(4), key=lambda k: (votes[k], k == 0))
    turned = _quarter_turn(turn, width, height)
    to_reading = _compose(turned, display)
    if turn % 2:
        width, height = height, width
    return Frame(to_reading, _inverse(turned), width, height, turn)


def reading_frame(view: Page1View) -> Frame:
    """How page 1 is read (see :class:`Frame`), found once per view."""
    frame = view.memo.get("frame")
    if frame is None:

        def read() -> Frame:
            import pypdfium2.raw as pdfium_c

            textpage = view._text()
            return _frame(pdfium_c, view, textpage, int(pdfium_c.FPDFText_CountChars(textpage)))

        frame = view.memo["frame"] = view._call(read)
    assert isinstance(frame, Frame)
    return frame


_SAMPLES = 200
"""Characters whose font size is read to find the body size (evenly spread over the
page's text: the body text's size is the most common)."""
_MAX_RUNS = 4000
_MAX_RUN_CHARS = 2000


def page_runs(view: Page1View, *, max_top: float) -> PageRuns:
    """The text runs of page 1 running the page's way (not sideways) whose box reaches
    above ``max_top`` (reading y), each with its font size, and font sizes sampled over
    the whole page."""
    return view._call(lambda: _page_runs(view, max_top))


def _page_runs(view: Page1View, max_top: float) -> PageRuns:
    import pypdfium2.raw as pdfium_c

    textpage = view._text()
    total = int(pdfium_c.FPDFText_CountChars(textpage))
    frame = reading_frame(view)
    matrix = frame.to_reading
    direct, address = _direct(), address_of(textpage)
    font_size = _DrawnSizes(direct).size
    step = max(1, total // _SAMPLES)
    samples = range(0, total, step)
    sizes = tuple(map(font_size, itertools.repeat(address, len(samples)), samples))
    out = (ctypes.c_double * 4)()
    sides = out_parameters(out)
    get_rect = direct.rect
    runs = []
    count = min(int(pdfium_c.FPDFText_CountRects(textpage, 0, -1)), _MAX_RUNS)
    for index in range(count):
        if not get_rect(address, index, *sides):
            continue
        rect = (out[0], out[1], out[2], out[3])  # left, top, right, bottom
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
        angle = float(direct.char_angle(address, probe))
        if angle >= 0 and abs(math.sin(frame.angle(angle))) > SIDEWAYS_SINE:
            continue  # sideways (a margin's identifier): not the page's lines
        runs.append(TextRun(box, float(font_size(address, probe)), rect, probe))
    return PageRuns(frame.width, frame.height, tuple(runs), sizes, total, frame)


def _display_box(matrix: _Affine, rect: tuple[float, float, float, float]) -> DisplayBox:
    return _box_through(matrix, rect)


def _box_through(matrix: _Affine, rect: tuple[float, float, float, float]) -> DisplayBox:
    """The bounding box of ``rect``'s corners mapped by ``matrix``: an affine map is a sum
    of a term in x and one in y, so each bound is the sum of the terms' bounds."""
    x0, y0, x1, y1 = rect
    a, b, c, d, e, f = matrix
    ax0, ax1, cy0, cy1 = a * x0, a * x1, c * y0, c * y1
    bx0, bx1, dy0, dy1 = b * x0, b * x1, d * y0, d * y1
    if ax0 > ax1:
        ax0, ax1 = ax1, ax0
    if cy0 > cy1:
        cy0, cy1 = cy1, cy0
    if bx0 > bx1:
        bx0, bx1 = bx1, bx0
    if dy0 > dy1:
        dy0, dy1 = dy1, dy0
    return (ax0 + cy0 + e, bx0 + dy0 + f, ax1 + cy1 + e, bx1 + dy1 + f)


def run_glyphs(view: Page1View, frame: Frame, runs: Iterable[TextRun]) -> tuple[Glyph, ...]:
    """The characters of ``runs``, in text order, each read once."""
    return view._call(lambda: _run_glyphs(view, frame, tuple(runs)))


def _run_glyphs(view: Page1View, frame: Frame, runs: tuple[TextRun, ...]) -> tuple[Glyph, ...]:
    reader = _glyph_reader(view, frame)
    total = reader.total

    rect_of = reader.rect

    def inside(index: int, x0: float, y0: float, x1: float, y1: float) -> bool:
        left, bottom, right, top = rect_of(index)
        return left <= x1 and right >= x0 and bottom <= y1 and top >= y0

    chosen: set[int] = set()
    for run in runs:
        if run.probe in chosen:
            continue
        r = run.rect
        x0, x1 = min(r[0], r[2]) - 0.5, max(r[0], r[2]) + 0.5
        y0, y1 = min(r[1], r[3]) - 0.5, max(r[1], r[3]) + 0.5
        bounds = (x0, y0, x1, y1)
        first = last = run.probe
        while first > 0 and run.probe - first < _MAX_RUN_CHARS and inside(first - 1, *bounds):
            first -= 1
        while last + 1 < total and last - run.probe < _MAX_RUN_CHARS and inside(last + 1, *bounds):
            last += 1
        chosen.update(range(first, last + 1))
    return tuple(map(reader.glyph, sorted(chosen)))


def glyphs_at(view: Page1View, frame: Frame, indices: Iterable[int]) -> tuple[Glyph, ...]:
    """The characters at ``indices`` of page 1's text (each read once per view: the
    title block and the badge share what they both read)."""
    return view._call(lambda: _read_glyphs(view, frame, indices))


def _read_glyphs(view: Page1View, frame: Frame, indices: Iterable[int]) -> tuple[Glyph, ...]:
    return tuple(map(_glyph_reader(view, frame).glyph, indices))


def _glyph_reader(view: Page1View, frame: Frame) -> _GlyphReader:
    """The one reader of page 1's characters in ``frame`` for this view."""
    key = ("glyphs", frame)
    reader = view.memo.get(key)
    if reader is None:
        import pypdfium2.raw as pdfium_c

        reader = view.memo[key] = _GlyphReader(pdfium_c, view._text(), frame)
    assert isinstance(reader, _GlyphReader)
    return reader


_ADDRESS, _INT, _DOUBLE = ctypes.c_void_p, ctypes.c_int, ctypes.c_double


class _Direct(NamedTuple):
    """PDFium's per-character text functions through plain C prototypes: the text page
    and out-parameters passed as addresses (ints), so that a call makes no pointer
    objects and runs none of pypdfium2's argument conversions (a page's characters are
    read by the hundred)."""

    char_box: Callable[..., int]
    unicode: Callable[[int, int], int]
    text_object: Callable[[int, int], int | None]
    char_origin: Callable[..., int]
    char_angle: Callable[[int, int], float]
    is_generated: Callable[[int, int], int]
    font_size: Callable[[int, int], float]
    render_mode: Callable[[int], int]
    rect: Callable[..., int]
    char_matrix: Callable[[int, int, int], int]


@functools.cache
def _direct() -> _Direct:
    import pypdfium2.raw as pdfium_c

    bind = c_function  # a short name for the table below
    return _Direct(
        bind(pdfium_c.FPDFText_GetCharBox, _INT, _ADDRESS, _INT, *[_ADDRESS] * 4),
        bind(pdfium_c.FPDFText_GetUnicode, ctypes.c_uint, _ADDRESS, _INT),
        bind(pdfium_c.FPDFText_GetTextObject, _ADDRESS, _ADDRESS, _INT),
        bind(pdfium_c.FPDFText_GetCharOrigin, _INT, _ADDRESS, _INT, _ADDRESS, _ADDRESS),
        bind(pdfium_c.FPDFText_GetCharAngle, ctypes.c_float, _ADDRESS, _INT),
        bind(pdfium_c.FPDFText_IsGenerated, _INT, _ADDRESS, _INT),
        bind(pdfium_c.FPDFText_GetFontSize, _DOUBLE, _ADDRESS, _INT),
        bind(pdfium_c.FPDFTextObj_GetTextRenderMode, _INT, _ADDRESS),
        bind(pdfium_c.FPDFText_GetRect, _INT, _ADDRESS, _INT, *[_ADDRESS] * 4),
        bind(pdfium_c.FPDFText_GetMatrix, _INT, _ADDRESS, _INT, _ADDRESS),
    )


class _DrawnSizes:
    """The size and aspect characters are drawn with (see the module's docstring), read
    through one matrix out-parameter."""

    __slots__ = ("_address", "_direct", "_matrix")

    def __init__(self, direct: _Direct) -> None:
        self._direct = direct
        self._matrix = (ctypes.c_float * 6)()  # FS_MATRIX: a, b, c, d, e, f
        self._address = ctypes.addressof(self._matrix)

    def size_and_aspect(self, textpage: int, index: int) -> tuple[float, float]:
        """Character ``index``'s font size as drawn (points) and its aspect; a character
        drawn with no height has size 0 and aspect 0."""
        vertical, horizontal = self._scales(textpage, index)
        size = float(self._direct.font_size(textpage, index)) * vertical
        return size, horizontal / vertical if vertical else 0.0

    def size(self, textpage: int, index: int) -> float:
        """Character ``index``'s font size as drawn (points)."""
        return float(self._direct.font_size(textpage, index)) * self._scales(textpage, index)[0]

    def _scales(self, textpage: int, index: int) -> tuple[float, float]:
        """The vertical and horizontal scale of the matrix character ``index`` is drawn
        with (1 and 1 when PDFium does not say)."""
        if not self._direct.char_matrix(textpage, index, self._address):
            return 1.0, 1.0
        a, b, c, d = self._matrix[:4]
        return math.hypot(c, d), math.hypot(a, b)


class _GlyphReader:
    """Page 1's characters read from PDFium, each once (with the font size, render mode
    and angle of each text object read once: a text object has one of each), in one
    reading frame."""

    def __init__(self, pdfium_c: Any, textpage: Any, frame: Frame) -> None:
        self._c = _direct()
        self._textpage = address_of(textpage)
        self._frame = frame
        self._out = (ctypes.c_double * 4)()
        self._box_out = out_parameters(self._out)
        self._origin_out = self._box_out[:2]
        self._sizes = _DrawnSizes(self._c)
        self._objects: dict[int, tuple[float, int | None, float | None, float]] = {}
        self._rects: dict[int, tuple[float, float, float, float]] = {}
        self._read: dict[int, Glyph] = {}
        self.total = int(pdfium_c.FPDFText_CountChars(textpage))

    def rect(self, index: int) -> tuple[float, float, float, float]:
        """The character's tight box in user space, ``(left, bottom, right, top)``."""
        rect = self._rects.get(index)
        if rect is None:
            out = self._out
            if not self._c.char_box(self._textpage, index, *self._box_out):
                out[0] = out[1] = out[2] = out[3] = 0.0
            left, right, bottom, top = out
            rect = self._rects[index] = (left, bottom, right, top)
        return rect

    def glyph(self, index: int) -> Glyph:
        glyph = self._read.get(index)
        if glyph is None:
            glyph = self._read[index] = self._glyph(index)
        return glyph

    def _object(self, index: int, handle: int) -> tuple[float, int | None, float | None, float]:
        """The font size as drawn, render mode, angle as read and aspect of the text
        object ``handle`` (0: none) that draws character ``index``."""
        known = self._objects.get(handle) if handle else None
        if known is None:
            direct, textpage = self._c, self._textpage
            turned = float(direct.char_angle(textpage, index))
            size, aspect = self._sizes.size_and_aspect(textpage, index)
            known = (
                size,
                int(direct.render_mode(handle)) if handle else None,
                self._frame.angle(turned) if turned >= 0 else None,
                aspect,
            )
            if handle:
                self._objects[handle] = known
        return known

    def _glyph(self, index: int) -> Glyph:
        direct, textpage, matrix = self._c, self._textpage, self._frame.to_reading
        rect = self.rect(index)
        code = direct.unicode(textpage, index)
        handle = direct.text_object(textpage, index) or 0
        size, mode, angle, aspect = self._object(index, handle)
        out = self._out
        if not direct.char_origin(textpage, index, *self._origin_out):
            out[0] = out[1] = 0.0
        origin_x, origin_y = out[0], out[1]
        char = chr(code) if 0 <= code < 0x110000 else "\ufffd"
        return Glyph(
            char,
            _box_through(matrix, rect),
            matrix.b * origin_x + matrix.d * origin_y + matrix.f,
            size,
            angle,
            mode,
            char.isspace() and direct.is_generated(textpage, index) == 1,  # PDFium adds spaces
            handle,
            index,
            rect,
            aspect,
        )


class InkComparison:
    """A region of page 1 rendered as it is and with some text objects drawing nothing:
    what those objects' ink is, box by box (boxes in the reading frame)."""

    __slots__ = ("_background", "_same", "_to_pixels", "hidden", "shown")

    def __init__(
        self,
        shown: Rendering,
        hidden: Rendering,
        origin: tuple[float, float],
        scale: float,
        frame: Frame,
    ) -> None:
        """``origin``: the display point (top-left) of pixel ``(0, 0)``; ``scale``: pixels
        per point."""
        self.shown, self.hidden = shown, hidden
        m, (x, y) = frame.to_display, origin
        self._to_pixels = _Affine(
            m.a * scale, m.b * scale, m.c * scale, m.d * scale, (m.e - x) * scale, (m.f - y) * scale
        )
        """Reading points to this rendering's pixels."""
        self._same = (shown.width, shown.height) == (hidden.width, hidden.height)
        pixels = hidden.pixels
        plain = bool(pixels) and pixels.count(pixels[0]) == len(pixels)
        self._background = pixels[0] if plain else None
        """The one grey of the rendering without the text, when it is plain (one pass
        over it, instead of one per box)."""

    def _pixels(self, box: DisplayBox) -> tuple[int, int, int, int]:
        left, top, right, bottom = _box_through(self._to_pixels, box)
        shown = self.shown
        return (
            max(0, int(left)),
            max(0, int(top)),
            min(shown.width, int(right) + 1),
            min(shown.height, int(bottom) + 1),
        )

    @staticmethod
    def _block(rendering: Rendering, box: tuple[int, int, int, int]) -> bytes:
        """The pixels of ``box`` (pixel bounds) of ``rendering``, row after row."""
        x0, y0, x1, y1 = box
        width, length, pixels = rendering.width, x1 - x0, rendering.pixels
        starts = range(y0 * width + x0, y1 * width + x0, width)
        return b"".join([pixels[start : start + length] for start in starts])

    def ink(self, box: DisplayBox) -> int:
        """The largest change in grey (0 to 255) inside ``box`` between the renderings."""
        bounds = self._pixels(box)
        if bounds[2] <= bounds[0] or not self._same:
            return 0
        shown = self._block(self.shown, bounds)
        if not shown:
            return 0
        base = self._background
        if base is not None:  # a plain background: the shown pixels alone
            return max(max(shown) - base, base - min(shown))
        hidden = self._block(self.hidden, bounds)
        if shown == hidden:
            return 0
        if hidden.count(hidden[0]) == len(hidden):  # plain here: one pass each
            base = hidden[0]
            return max(max(shown) - base, base - min(shown))
        return int(max(map(abs, map(operator.sub, shown, hidden))))

    def spread(self, box: DisplayBox) -> int:
        """The range of grey levels inside ``box`` of the rendering without the text."""
        if self._background is not None:
            return 0
        bounds = self._pixels(box)
        if bounds[2] <= bounds[0] or bounds[3] <= bounds[1]:
            return 0
        block = self._block(self.hidden, bounds)
        return max(block) - min(block)


def compare_ink(
    view: Page1View, frame: Frame, region: DisplayBox, scale: float, hide: Iterable[int]
) -> InkComparison:
    """``region`` (reading frame) rendered at ``scale`` pixels per point as it is, and
    with the text objects ``hide`` (handles from :class:`Glyph`) drawing nothing
    (render mode 3, put back before it returns), so that the difference is exactly
    the ink those objects leave after clipping, covering, blending and colour.
    Refused (``render.too_large``) beyond ``max_render_pixels``.
    """
    import pypdfium2.raw as pdfium_c

    left, top, right, bottom = frame.display_box(region)
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
    return InkComparison(shown, hidden, (left, top), scale, frame)


def judge_in_stages(
    view: Page1View,
    frame: Frame,
    regions: Sequence[DisplayBox],
    ems: Sequence[float],
    hide: Iterable[int],
    judge: Callable[[int, InkComparison], str | None],
    *,
    first_px_per_em: float = LOW_PX_PER_EM,
) -> tuple[list[str | None], int]:
    """What ``judge(i, comparison)`` says of each item (``None``: it passes), item ``i``
    filling ``regions[i]`` (reading frame) in type ``ems[i]`` points tall.

    The union of the regions is compared (:func:`compare_ink`) at ``first_px_per_em``
    (:data:`LOW_PX_PER_EM` unless told) pixels per em of the smallest item, and the union
    of the items that did not pass again at :data:`HIGH_PX_PER_EM`; returns the reasons
    and how many renderings were made.  Renderings are kept within ``max_render_pixels``.
    """
    hidden = tuple(dict.fromkeys(hide))
    reasons: list[str | None] = [None] * len(regions)
    todo = list(range(len(regions)))
    renders = 0
    for px_per_em in (first_px_per_em, HIGH_PX_PER_EM):
        if not todo:
            break
        region = _union_within([regions[i] for i in todo], frame)
        if region is None:
            break
        scale = view.scale_within(
            region[2] - region[0],
            region[3] - region[1],
            px_per_em / max(min(ems[i] for i in todo), 0.5),
        )
        comparison = compare_ink(view, frame, region, scale, hidden)
        renders += 2
        for index in todo:
            reasons[index] = judge(index, comparison)
        todo = [i for i in todo if reasons[i] is not None]
    return reasons, renders


def _union_within(boxes: Sequence[DisplayBox], frame: Frame) -> DisplayBox | None:
    region = (
        max(0.0, min(b[0] for b in boxes)),
        max(0.0, min(b[1] for b in boxes)),
        min(frame.width, max(b[2] for b in boxes)),
        min(frame.height, max(b[3] for b in boxes)),
    )
    return region if region[0] < region[2] and region[1] < region[3] else None


def object_glyph_boxes(view: Page1View) -> dict[int, list[tuple[float, float, float, float]]]:
    """The user-space boxes of page 1's drawn glyphs (not spaces, not generated), by the
    handle of the text object that draws them."""

    def read() -> dict[int, list[tuple[float, float, float, float]]]:
        import pypdfium2.raw as pdfium_c

        textpage = view._text()
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        refs = [ctypes.byref(v) for v in (left, right, bottom, top)]
        found: dict[int, list[tuple[float, float, float, float]]] = {}
        for index in range(int(pdfium_c.FPDFText_CountChars(textpage))):
            if int(pdfium_c.FPDFText_IsGenerated(textpage, index)) == 1:
                continue
            if chr(int(pdfium_c.FPDFText_GetUnicode(textpage, index)) % 0x110000).isspace():
                continue
            if not pdfium_c.FPDFText_GetCharBox(textpage, index, *refs):
                continue
            handle = pdfium_c.FPDFText_GetTextObject(textpage, index)
            address = ctypes.cast(handle, ctypes.c_void_p).value or 0
            found.setdefault(address, []).append((left.value, bottom.value, right.value, top.value))
        return found

    return view._call(read)
