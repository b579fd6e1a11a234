"""The visible badge ``pithtex stamp --badge`` puts on page 1 of a finished PDF.

The badge is one form XObject (``/PithBadge`` in page 1's resources), drawn
on top of the page, plus a link annotation to the resolver:

* a mark (a ring around a dot: a stem with its pith),
* the text ``pith:`` and the first 8 body characters, set in a small stroked
  Type 3 font that lives in the file itself, with a ``ToUnicode`` map so the
  text can be searched and extracted; no external font is used, so PDF/A files
  stay PDF/A,
* optionally a QR code of the resolver link, drawn as filled rectangles.

Only DeviceGray is used, and the drawing is marked as an ``/Artifact`` for
tagged PDFs.  The placement avoids the text on the page where it can: the
requested corner first, then positions along its edges, then the other
corners; page rotation is honoured so "top right" is where a reader sees it.
Stamping again replaces the badge instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pithtex.core.errors import InputError
from pithtex.core.names import BADGE_CORNERS, BADGE_XOBJECT
from pithtex.core.qr import QUIET_ZONE, qr_drawing
from pithtex.pdf._access.editing import EditableDocument
from pithtex.pdf._access.limits import StreamError
from pithtex.pdf._access.values import Indirect, Matrix, Name, Rect, Stream, compose
from pithtex.pdf.stamp.result import StampRefusedError
from pithtex.pdf.stamp.spec import BadgeOptions, StampSpec

__all__ = [
    "ANNOTATION_NAME",
    "FONT_NAME",
    "GLYPHS",
    "BadgeOptions",
    "BadgePlacement",
    "badge_content",
    "badge_size",
    "draw_badge",
    "place_badge",
]

FONT_NAME = "/PithBadgeFont"
ANNOTATION_NAME = "pith-badge"


# ---------------------------------------------------------------- the glyphs
# A stroked font on a 4 x 6 grid (x-height 4, descender -2), one polyline per stroke.
_O = ((1, 0), (0, 1), (0, 5), (1, 6), (3, 6), (4, 5), (4, 1), (3, 0), (1, 0))
_P = ((0, 0), (0, 6), (3, 6), (4, 5), (4, 4), (3, 3), (0, 3))
GLYPHS: dict[str, tuple[tuple[tuple[float, float], ...], ...]] = {
    "A": (((0, 0), (2, 6), (4, 0)), ((0.67, 2), (3.33, 2))),
    "B": (
        ((0, 3), (3, 3), (4, 2), (4, 1), (3, 0), (0, 0), (0, 6), (3, 6), (4, 5), (4, 4), (3, 3)),
    ),
    "C": (((4, 5), (3, 6), (1, 6), (0, 5), (0, 1), (1, 0), (3, 0), (4, 1)),),
    "D": (((0, 0), (0, 6), (2.5, 6), (4, 4.5), (4, 1.5), (2.5, 0), (0, 0)),),
    "E": (((4, 6), (0, 6), (0, 0), (4, 0)), ((0, 3), (3, 3))),
    "F": (((4, 6), (0, 6), (0, 0)), ((0, 3), (3, 3))),
    "G": (((4, 5), (3, 6), (1, 6), (0, 5), (0, 1), (1, 0), (3, 0), (4, 1), (4, 3), (2, 3)),),
    "H": (((0, 0), (0, 6)), ((4, 0), (4, 6)), ((0, 3), (4, 3))),
    "I": (((1, 6), (3, 6)), ((2, 6), (2, 0)), ((1, 0), (3, 0))),
    "J": (((4, 6), (4, 1), (3, 0), (1, 0), (0, 1)),),
    "K": (((0, 0), (0, 6)), ((4, 6), (0, 2)), ((1.3, 3.3), (4, 0))),
    "L": (((0, 6), (0, 0), (4, 0)),),
    "M": (((0, 0), (0, 6), (2, 3), (4, 6), (4, 0)),),
    "N": (((0, 0), (0, 6), (4, 0), (4, 6)),),
    "O": (_O,),
    "P": (_P,),
    "Q": (_O, ((2.5, 1.5), (4, 0))),
    "R": (_P, ((2, 3), (4, 0))),
    "S": (
        (
            (4, 5),
            (3, 6),
            (1, 6),
            (0, 5),
            (0, 4),
            (1, 3),
            (3, 3),
            (4, 2),
            (4, 1),
            (3, 0),
            (1, 0),
            (0, 1),
        ),
    ),
    "T": (((0, 6), (4, 6)), ((2, 6), (2, 0))),
    "U": (((0, 6), (0, 1), (1, 0), (3, 0), (4, 1), (4, 6)),),
    "V": (((0, 6), (2, 0), (4, 6)),),
    "W": (((0, 6), (1, 0), (2, 4), (3, 0), (4, 6)),),
    "X": (((0, 0), (4, 6)), ((0, 6), (4, 0))),
    "Y": (((0, 6), (2, 3), (4, 6)), ((2, 3), (2, 0))),
    "Z": (((0, 6), (4, 6), (0, 0), (4, 0)),),
    "2": (((0, 5), (1, 6), (3, 6), (4, 5), (4, 4), (0, 0), (4, 0)),),
    "3": (
        ((0, 5), (1, 6), (3, 6), (4, 5), (4, 4), (3, 3), (4, 2), (4, 1), (3, 0), (1, 0), (0, 1)),
        ((1.5, 3), (3, 3)),
    ),
    "4": (((3, 0), (3, 6), (0, 2), (4, 2)),),
    "5": (((4, 6), (0, 6), (0, 3.5), (3, 3.5), (4, 2.5), (4, 1), (3, 0), (1, 0), (0, 1)),),
    "6": (
        (
            (3.5, 6),
            (2, 6),
            (0, 4),
            (0, 1),
            (1, 0),
            (3, 0),
            (4, 1),
            (4, 2.5),
            (3, 3.5),
            (1, 3.5),
            (0, 2.5),
        ),
    ),
    "7": (((0, 6), (4, 6), (1.5, 0)),),
    "p": (((0, -2), (0, 4)), ((0, 3), (1, 4), (3, 4), (4, 3), (4, 1), (3, 0), (1, 0), (0, 1))),
    "i": (((2, 0), (2, 4)), ((2, 5.4), (2, 5.6))),
    "t": (((1.5, 6), (1.5, 1), (2.5, 0), (3.5, 0)), ((0.5, 4), (3.5, 4))),
    "h": (((0, 0), (0, 6)), ((0, 3), (1, 4), (3, 4), (4, 3), (4, 0))),
    ":": (((2, 0.4), (2, 0.6)), ((2, 3.4), (2, 3.6))),
}
GLYPH_NAMES = {
    **{c: c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZpith"},
    "2": "two",
    "3": "three",
    "4": "four",
    "5": "five",
    "6": "six",
    "7": "seven",
    ":": "colon",
}
UNIT = 100  # glyph-space units per grid step
ADVANCE = 600  # every glyph: 1 grid step of space either side of the 4-step drawing
STROKE = 85
CAP_HEIGHT = 0.6  # of the font size


@dataclass
class BadgePlacement:
    """Where the badge goes on page 1 and how it is drawn."""

    corner: str
    size: tuple[float, float]
    display_rect: Rect
    matrix: Matrix
    user_rect: Rect
    qr: bool
    covers_text: bool
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "corner": self.corner,
            "rect": [round(v, 2) for v in self.user_rect],
            "qr": self.qr,
            "covers_text": self.covers_text,
        }


# ---------------------------------------------------------------- placing


def badge_size(options: BadgeOptions, text: str, font_size: float = 8.0) -> tuple[float, float]:
    text_width = len(text) * ADVANCE / 1000 * font_size
    height = 44.0 if options.qr else 20.0
    width = 20 + text_width + 6 + (height if options.qr else 0)
    return width, height


def place_badge(
    document: EditableDocument, options: BadgeOptions, spec: StampSpec
) -> BadgePlacement:
    """Choose where the badge goes on page 1: free of text where possible.

    Page 1's text is located by PDFium, on the copy of page 1 that passed the
    reader's caps; a page that does not pass them gets no badge (refused with
    the cap's code), one PDFium cannot read gets the badge in the chosen corner.
    """
    if options.corner not in BADGE_CORNERS:
        raise InputError(
            f"unknown corner {options.corner!r}: use one of {', '.join(BADGE_CORNERS)}"
        )
    geometry = document.page1_geometry()
    box, rotation = geometry.crop_box, geometry.rotation
    display_size = _display_size(box, rotation)
    size = badge_size(options, spec.short_form)
    notes: list[str] = []
    boxes = _text_boxes(document)
    if boxes is None:
        notes.append("page 1's text could not be located: the badge may cover some")
    occupied = [_to_display(r, box, rotation) for r in boxes or ()]
    chosen, corner = None, options.corner
    for candidate_corner, rect in _candidates(options, display_size, size):
        if not any(_overlaps(rect, other, 2.0) for other in occupied):
            chosen, corner = rect, candidate_corner
            break
    covers = chosen is None
    if chosen is None:
        chosen = next(_candidates(options, display_size, size))[1]
        notes.append("page 1 has no free spot for the badge: it covers some text")
    elif corner != options.corner:
        notes.append(f"badge moved to the {corner} corner: the {options.corner} one has text")
    inverse = _display_inverse(box, rotation)
    matrix = compose((1, 0, 0, 1, chosen[0], chosen[1]), inverse)
    return BadgePlacement(
        corner=corner,
        size=size,
        display_rect=chosen,
        matrix=matrix,
        user_rect=_transform_rect(inverse, chosen),
        qr=options.qr,
        covers_text=covers,
        notes=notes,
    )


def _text_boxes(document: EditableDocument) -> list[Rect] | None:
    """The boxes of page 1's text; ``None`` when PDFium cannot read the page."""
    try:
        return document.page1_view().boxes()
    except StreamError as exc:
        if exc.code == "text.unreadable":
            return None
        code = "pdf.damaged" if exc.code in ("pdf.object", "pdf.nesting") else exc.code
        raise StampRefusedError(
            f"page 1 cannot be read within the reader's bounds ({exc.message}), so no badge "
            "is drawn on it; leave out --badge",
            code=code,
        ) from None


def _display_size(box: Rect, rotation: int) -> tuple[float, float]:
    width, height = box[2] - box[0], box[3] - box[1]
    return (height, width) if rotation in (90, 270) else (width, height)


def _display_inverse(box: Rect, rotation: int) -> Matrix:
    """The matrix from display space (origin at the visible bottom left) to user space."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    return {
        0: (1.0, 0.0, 0.0, 1.0, x0, y0),
        90: (0.0, 1.0, -1.0, 0.0, x0 + width, y0),
        180: (-1.0, 0.0, 0.0, -1.0, x0 + width, y0 + height),
        270: (0.0, -1.0, 1.0, 0.0, x0, y0 + height),
    }[rotation]


def _to_display(rect: Rect, box: Rect, rotation: int) -> Rect:
    return _transform_rect(_invert(_display_inverse(box, rotation)), rect)


def _invert(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (ia, ib, ic, id_, -(e * ia + f * ic), -(e * ib + f * id_))


def _transform_rect(m: Matrix, rect: Rect) -> Rect:
    a, b, c, d, e, f = m
    xs, ys = [], []
    for x, y in ((rect[0], rect[1]), (rect[0], rect[3]), (rect[2], rect[1]), (rect[2], rect[3])):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return min(xs), min(ys), max(xs), max(ys)


def _corner_rect(
    corner: str, page: tuple[float, float], size: tuple[float, float], m: float
) -> Rect:
    width, height = size
    x = page[0] - m - width if corner.endswith("right") else m
    y = page[1] - m - height if corner.startswith("top") else m
    return x, y, x + width, y + height


def _candidates(
    options: BadgeOptions, page: tuple[float, float], size: tuple[float, float]
) -> Iterator[tuple[str, Rect]]:
    """The requested corner, slides along its two edges, then the other corners."""
    order = [options.corner, *(c for c in BADGE_CORNERS if c != options.corner)]
    for corner in order:
        base = _corner_rect(corner, page, size, options.margin)
        yield corner, base
        if corner != options.corner:
            continue
        inward_x = -1 if corner.endswith("right") else 1
        inward_y = -1 if corner.startswith("top") else 1
        step = 12.0
        for n in range(1, int(page[0] / 2 / step)):
            dx = inward_x * n * step
            yield corner, (base[0] + dx, base[1], base[2] + dx, base[3])
        for n in range(1, int(page[1] / 2 / step)):
            dy = inward_y * n * step
            yield corner, (base[0], base[1] + dy, base[2], base[3] + dy)


def _overlaps(a: Rect, b: Rect, pad: float) -> bool:
    return not (
        a[2] + pad <= b[0] or b[2] + pad <= a[0] or a[3] + pad <= b[1] or b[3] + pad <= a[1]
    )


# ---------------------------------------------------------------- drawing


def draw_badge(document: EditableDocument, placement: BadgePlacement, spec: StampSpec) -> None:
    """Put the badge XObject and its link on page 1 (replacing an earlier badge)."""
    xobject = Stream(
        badge_content(placement, spec),
        {
            "/Type": Name("/XObject"),
            "/Subtype": Name("/Form"),
            "/BBox": [0, 0, *(round(v, 3) for v in placement.size)],
            "/Matrix": [round(v, 4) for v in placement.matrix],
            "/Resources": {"/Font": {FONT_NAME: _type3_font()}},
            "/PithNumber": spec.number,
        },
    )
    first_time = not document.page1_has_resource("/XObject", BADGE_XOBJECT)
    document.page1_set_resource("/XObject", BADGE_XOBJECT, xobject)
    if first_time:
        document.page1_add_contents(b"q\n", prepend=True)
        document.page1_add_contents(b"\nQ\nq " + BADGE_XOBJECT.encode() + b" Do Q\n")
    document.page1_replace_annotation(ANNOTATION_NAME, _link(placement, spec))


def _link(placement: BadgePlacement, spec: StampSpec) -> dict[str, Any]:
    return {
        "/Type": Name("/Annot"),
        "/Subtype": Name("/Link"),
        "/Rect": [round(v, 3) for v in placement.user_rect],
        "/Border": [0, 0, 0],
        "/F": 4,
        "/NM": ANNOTATION_NAME,
        "/Contents": f"Pith Number {spec.number}: open the record",
        "/A": {"/S": Name("/URI"), "/URI": spec.resolver},
    }


def _fmt(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def badge_content(placement: BadgePlacement, spec: StampSpec) -> bytes:
    """The badge's content stream in its own space (origin at its bottom left)."""
    width, height = placement.size
    ops = ["/Artifact BMC", "q"]
    ops.append(f"0.6 w 1 g 0.35 G {_rounded_rect(0.3, 0.3, width - 0.6, height - 0.6, 3)} B")
    cy = height / 2
    ops.append(f"0.15 G 1.3 w {_circle(10, cy, 5.8)} S")
    ops.append(f"0.15 g {_circle(10, cy, 2.2)} f")
    font_size = 8.0
    baseline = cy - CAP_HEIGHT * font_size / 2
    text = spec.short_form.encode("ascii")
    ops.append(
        f"0.1 g 0.1 G BT {FONT_NAME} {_fmt(font_size)} Tf 20 {_fmt(baseline)} Td "
        f"({text.decode('ascii')}) Tj ET"
    )
    if placement.qr:
        side = height - 6
        ops.append(_qr_ops(spec.resolver, width - height + 3, 3, side))
    ops.extend(["Q", "EMC"])
    return ("\n".join(ops) + "\n").encode("ascii")


KAPPA = 0.5523  # control-point distance of a quarter circle drawn as one Bezier curve

Point = tuple[float, float]


def _pt(point: Point) -> str:
    return f"{_fmt(point[0])} {_fmt(point[1])}"


def _curve(*points: Point) -> str:
    return " ".join(_pt(p) for p in points) + " c"


def _rounded_rect(x: float, y: float, w: float, h: float, r: float) -> str:
    k = r * (1 - KAPPA)
    right, top = x + w, y + h
    return " ".join(
        [
            f"{_pt((x + r, y))} m {_pt((right - r, y))} l",
            _curve((right - k, y), (right, y + k), (right, y + r)),
            f"{_pt((right, top - r))} l",
            _curve((right, top - k), (right - k, top), (right - r, top)),
            f"{_pt((x + r, top))} l",
            _curve((x + k, top), (x, top - k), (x, top - r)),
            f"{_pt((x, y + r))} l",
            _curve((x, y + k), (x + k, y), (x + r, y)),
            "h",
        ]
    )


def _circle(cx: float, cy: float, r: float) -> str:
    k = r * KAPPA
    return " ".join(
        [
            f"{_pt((cx + r, cy))} m",
            _curve((cx + r, cy + k), (cx + k, cy + r), (cx, cy + r)),
            _curve((cx - k, cy + r), (cx - r, cy + k), (cx - r, cy)),
            _curve((cx - r, cy - k), (cx - k, cy - r), (cx, cy - r)),
            _curve((cx + k, cy - r), (cx + r, cy - k), (cx + r, cy)),
            "h",
        ]
    )


def _qr_ops(data: str, x: float, y: float, side: float) -> str:
    """The QR code (:mod:`pithtex.core.qr`) as filled rectangles on a white square."""
    drawing = qr_drawing(data)
    module = side / (drawing.size - 2 * QUIET_ZONE)
    ops = [
        "1 g",
        f"{_fmt(x - module)} {_fmt(y - module)} {_fmt(side + 2 * module)} "
        f"{_fmt(side + 2 * module)} re f",
        "0 g",
    ]
    for rect in drawing.rects:
        left = x + (rect.x - QUIET_ZONE) * module
        bottom = y + (rect.y - QUIET_ZONE) * module
        ops.append(
            f"{_fmt(left)} {_fmt(bottom)} {_fmt(rect.w * module)} {_fmt(rect.h * module)} re"
        )
    ops.append("f")
    return "\n".join(ops)


# ---------------------------------------------------------------- the Type 3 font


def _glyph_stream(char: str) -> bytes:
    pad = STROKE
    ops = [f"{ADVANCE} 0 {-pad + UNIT} {-2 * UNIT - pad} {5 * UNIT + pad} {6 * UNIT + pad} d1"]
    ops.append(f"{STROKE} w 1 J 1 j")
    for stroke in GLYPHS[char]:
        points = [(UNIT + x * UNIT, y * UNIT) for x, y in stroke]
        ops.append(f"{_fmt(points[0][0])} {_fmt(points[0][1])} m")
        ops.extend(f"{_fmt(px)} {_fmt(py)} l" for px, py in points[1:])
        ops.append("S")
    return ("\n".join(ops) + "\n").encode("ascii")


def _to_unicode(codes: Sequence[int]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /PithBadge-UCS def /CMapType 2 def",
        "1 begincodespacerange <00> <FF> endcodespacerange",
        f"{len(codes)} beginbfchar",
        *(f"<{c:02X}> <{c:04X}>" for c in codes),
        "endbfchar endcmap CMapName currentdict /CMap defineresource pop end end",
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def _type3_font() -> Indirect:
    codes = sorted(ord(c) for c in GLYPHS)
    first, last = codes[0], codes[-1]
    procs = {"/" + GLYPH_NAMES[chr(c)]: Stream(_glyph_stream(chr(c)), {}) for c in codes}
    differences: list[int | Name] = []
    for code in codes:
        differences.extend([code, Name("/" + GLYPH_NAMES[chr(code)])])
    widths = [ADVANCE if chr(c) in GLYPHS else 0 for c in range(first, last + 1)]
    bbox = [UNIT - STROKE, -2 * UNIT - STROKE, 5 * UNIT + STROKE, 6 * UNIT + STROKE]
    return Indirect(
        {
            "/Type": Name("/Font"),
            "/Subtype": Name("/Type3"),
            "/Name": Name(FONT_NAME),
            "/FontBBox": bbox,
            "/FontMatrix": [0.001, 0, 0, 0.001, 0, 0],
            "/CharProcs": procs,
            "/Encoding": {"/Type": Name("/Encoding"), "/Differences": differences},
            "/FirstChar": first,
            "/LastChar": last,
            "/Widths": widths,
            "/Resources": {},
            "/ToUnicode": Stream(_to_unicode(codes), {}),
        }
    )
