"""The title block of page 1 as a reader sees it: whole visible lines of large type.

:func:`find_title_lines` runs where the PDF is read (in the bounded reader) and
gives, as plain data, the *candidate title lines* of page 1: lines of one font
size no smaller than the body text, in the upper part of the page
(:data:`TITLE_REGION`) and, when a ``pith:`` badge follows lines of them, above
the badge, each with its text, its box and
whether it is *visible*.  Which of them (if any) are the record's title is for
the checker to say (:func:`title_texts` gives the texts a run of lines may
stand for); the stamper asks the same question before it writes a title.

A line is made of the glyphs on one baseline, in one size or small capitals of
it (down to :data:`SMALL_CAPS` of it); a gap of more than
:data:`SPLIT_EMS` ems ends it (line numbers in the margin are not part of it).
Smaller glyphs on it are *marks* (``\\thanks`` symbols, footnote numbers) when
each run of them is at most :data:`MAX_MARK_CHARS` characters, and otherwise
*other text*: a line with other text is not a title line.  Text turned sideways
(arXiv's identifier) is left out, and does not make the body size or the title's.

All of this happens in page 1's *reading frame*
(:class:`~pithtex.pdf._access.glyphs.Frame`): the displayed page (its crop box
and ``/Rotate``) turned by the quarter turn that makes most of its text run left to
right, so that a page turned by ``/Rotate`` is read the way its text runs.

Font sizes are the sizes a reader sees: the text state's size times the vertical
scale of the matrix a glyph is drawn with (type shrunk by the transformation matrix
is small type, whatever its ``Tf``).

A line is **visible** when all of these hold:

* its glyphs are filled or stroked (text render mode not 3 or 7);
* its glyphs keep their shape: none is drawn narrower than :data:`MIN_ASPECT` of its
  height's scale (``Tz`` or a text matrix that squashes a title to a smear);
* each glyph lies inside the crop box;
* a rendering of the line's region with and without page 1's text objects
  differs, for at least :data:`MIN_INKED` of its glyphs, by at least
  :data:`MIN_CONTRAST` (of 255 grey levels) inside the glyph's box: the glyph
  leaves ink of a colour that stands out from what lies beneath it, not clipped
  away, not covered by anything drawn later;
* the rendering *without* text is blank along the line (grey levels within
  :data:`MAX_BACKGROUND_SPREAD`): no other object (an image, outlines) puts ink
  there that a reader would read with it.

The rendering covers only the candidate lines' region, first at
:data:`LOW_PX_PER_EM` pixels per em of the smallest candidate, and again at
:data:`HIGH_PX_PER_EM` for the lines that did not pass at the low resolution.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pithtex.pdf._access.glyphs import (
    HIGH_PX_PER_EM,
    LOW_PX_PER_EM,
    MIN_ASPECT,
    MIN_INK_CONTRAST,
    SIDEWAYS_SINE,
    DisplayBox,
    Frame,
    Glyph,
    InkComparison,
    TextRun,
    glyphs_at,
    judge_in_stages,
    page_runs,
    run_glyphs,
)
from pithtex.pdf._access.limits import StreamError
from pithtex.pdf._access.pdfium import Page1View
from pithtex.pdf._access.values import union

__all__ = [
    "HIGH_PX_PER_EM",
    "LOW_PX_PER_EM",
    "MAX_BACKGROUND_SPREAD",
    "MAX_MARK_CHARS",
    "MIN_ASPECT",
    "MIN_CONTRAST",
    "MIN_INKED",
    "MIN_SIZE",
    "SPLIT_EMS",
    "TITLE_REGION",
    "TitleFinding",
    "TitleLine",
    "find_title_lines",
    "title_texts",
]

TITLE_REGION = 0.45
"""Fraction of the page height, from the top, where title lines are looked for."""
SPLIT_EMS = 3.0
MAX_MARK_CHARS = 3
MIN_CONTRAST = MIN_INK_CONTRAST
MIN_INKED = 0.9
MAX_BACKGROUND_SPREAD = 48
MIN_SIZE = 4.0
"""Glyphs in smaller type (points) are no reader's title, and do not set the body size."""
MAX_LINES = 24
"""Candidate lines beyond this many (from the top) are not considered."""
SMALL_CAPS = 0.6
"""Glyphs on one baseline down to this fraction of the line's size belong to its text
(small caps)."""
SIZE_TOLERANCE = 0.06
"""Glyphs whose sizes differ by less than this fraction are of one size."""
_HYPHENS = frozenset("-\u00ad\u2010\u2011\x02")


@dataclass(frozen=True, slots=True)
class TitleLine:
    """One candidate title line on page 1."""

    text: str
    """Its glyphs of the line's size, left to right, a space where a word ends."""
    rect: tuple[float, float, float, float]
    """``(left, bottom, right, top)`` in points of the reading frame, origin bottom-left
    (page 1's user space for an unrotated page whose crop box starts at the origin)."""
    size: float
    visible: bool
    hidden: str | None = None
    """Why the line is not visible (``None`` when it is)."""
    marks: str = ""
    """Smaller marks on the line (``\\thanks`` symbols), not part of its text."""
    other_text: str = ""
    """Other, smaller words on the line: a line with them is not a title line."""
    user_rect: tuple[float, float, float, float] | None = None
    """Its box in page 1's user space, ``(left, bottom, right, top)``."""

    @property
    def hyphenated(self) -> bool:
        return bool(self.text) and self.text[-1] in _HYPHENS

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "rect": [round(v, 2) for v in self.rect],
            "font_size": round(self.size, 2),
            "visible": self.visible,
            "hidden": self.hidden,
            "marks": self.marks,
            "other_text": self.other_text,
        }


@dataclass(frozen=True)
class TitleFinding:
    """What :func:`find_title_lines` found on page 1."""

    lines: tuple[TitleLine, ...]
    """Candidate title lines, top to bottom."""
    body_size: float | None
    """The font size most of page 1's characters have."""
    characters: int
    """How many characters page 1's text layer has."""
    renders: int = 0
    """How many region renderings deciding visibility took."""
    notes: tuple[str, ...] = field(default=())

    @property
    def visible_lines(self) -> tuple[TitleLine, ...]:
        return tuple(line for line in self.lines if line.visible and not line.other_text)

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": [line.to_json() for line in self.lines],
            "body_size": self.body_size,
            "characters": self.characters,
            "renders": self.renders,
            "notes": list(self.notes),
        }


# ------------------------------------------------------------------ lines


class PageGlyphs(NamedTuple):
    """The glyphs of page 1 the finder reads, and the page's facts."""

    width: float
    height: float
    glyphs: tuple[Glyph, ...]
    sizes: tuple[float, ...]
    total: int
    badge: tuple[Glyph, ...]
    frame: Frame
    body: float | None
    """The body size (:func:`_body_size` of ``sizes``)."""


@dataclass
class _Line:
    size: float
    baseline: float
    glyphs: list[Glyph] = field(default_factory=list)
    spaces: list[bool] = field(default_factory=list)
    marks: list[Glyph] = field(default_factory=list)
    others: list[Glyph] = field(default_factory=list)
    _box: tuple[int, DisplayBox] | None = None

    @property
    def box(self) -> DisplayBox:
        """The union of its glyphs' boxes (computed again only when glyphs were added)."""
        if self._box is None or self._box[0] != len(self.glyphs):
            boxes = [g.box for g in self.glyphs]
            union = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            self._box = (len(self.glyphs), union)
        return self._box[1]


def _is_sideways(glyph: Glyph) -> bool:
    return glyph.angle is not None and abs(math.sin(glyph.angle)) > SIDEWAYS_SINE


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= SIZE_TOLERANCE * max(a, b)


def _ink_glyphs(found: PageGlyphs) -> list[tuple[Glyph, bool]]:
    """Glyphs that draw something, each with whether a word break comes before it."""
    kept: list[tuple[Glyph, bool]] = []
    space = False
    previous = -2
    for glyph in found.glyphs:
        space = space or glyph.position != previous + 1  # another run
        previous = glyph.position
        if glyph.char == "\x02":  # PDFium's mark of a hyphen that ends a line
            glyph = glyph._replace(char="-")  # noqa: PLW2901
        if glyph.generated or glyph.char.isspace() or not glyph.char.isprintable():
            space = True
            continue
        if glyph.size < MIN_SIZE or _is_sideways(glyph):
            continue
        kept.append((glyph, space))
        space = False
    return kept


def _one_line(line: _Line, glyph: Glyph) -> bool:
    """Whether ``glyph`` sits on ``line``'s baseline in a size of it: the same, or the
    smaller capitals of small caps (raised or lowered smaller glyphs are marks)."""
    larger = max(line.size, glyph.size)
    return (
        min(line.size, glyph.size) >= SMALL_CAPS * larger
        and abs(line.baseline - glyph.baseline) <= 0.12 * larger
    )


def _group_lines(glyphs: list[tuple[Glyph, bool]]) -> list[_Line]:
    lines: list[_Line] = []
    for glyph, space in sorted(glyphs, key=lambda pair: (pair[0].baseline, pair[0].box[0])):
        line = None
        for candidate in reversed(lines[-8:]):
            if _one_line(candidate, glyph):
                line = candidate
                break
        if line is None:
            line = _Line(glyph.size, glyph.baseline)
            lines.append(line)
        line.size = max(line.size, glyph.size)
        line.glyphs.append(glyph)
        line.spaces.append(space)
    split: list[_Line] = []
    for line in lines:
        split.extend(_split_at_gaps(line))
    return split


def _split_at_gaps(line: _Line) -> Iterator[_Line]:
    order = sorted(range(len(line.glyphs)), key=lambda i: line.glyphs[i].box[0])
    current = _Line(line.size, line.baseline)
    right = 0.0
    for index in order:
        glyph = line.glyphs[index]
        if current.glyphs and glyph.box[0] - right > SPLIT_EMS * line.size:
            yield current
            current = _Line(line.size, line.baseline)
        right = glyph.box[2] if not current.glyphs else max(right, glyph.box[2])
        current.glyphs.append(glyph)
        current.spaces.append(line.spaces[index])
    if current.glyphs:
        yield current


def _text(line: _Line) -> str:
    parts: list[str] = []
    right: float | None = None
    for glyph, space in zip(line.glyphs, line.spaces, strict=True):
        gap = glyph.box[0] - right if right is not None else 0.0
        if parts and (space or gap > 0.3 * line.size):
            parts.append(" ")
        parts.append(glyph.char)
        right = glyph.box[2]
    return "".join(parts)


def _attach_smaller(line: _Line, smaller: Sequence[_Line]) -> list[_Line]:
    """Smaller glyphs on ``line``'s band and span become its marks, or its other text;
    returns the lines they were."""
    attached = []
    left, top, right, bottom = line.box
    reach = line.size
    for other in smaller:
        o_left, o_top, o_right, o_bottom = other.box
        if o_bottom < top or o_top > bottom or o_right < left - reach or o_left > right + reach:
            continue
        runs = _text(other).split()
        if all(len(run) <= MAX_MARK_CHARS for run in runs):
            line.marks.extend(other.glyphs)
        else:
            line.others.extend(other.glyphs)
        attached.append(other)
    return attached


def _body_size(sizes: Sequence[float]) -> float | None:
    counted = Counter(round(s * 2) / 2 for s in sizes if s >= MIN_SIZE)
    return counted.most_common(1)[0][0] if counted else None


def _larger_than_body(lines: list[_Line], body: float | None) -> list[_Line]:
    """Lines in type larger than the body text; without any, those in the body size."""
    if body is None:
        return lines
    larger = [line for line in lines if line.size > body * (1 + SIZE_TOLERANCE)]
    return larger or [line for line in lines if _same_size(line.size, body)]


def _badge_bottom(found: PageGlyphs) -> float | None:
    """The display bottom of a ``pith:`` badge text below the page's header, if any."""
    badges = [found.badge[i : i + 5] for i in range(0, len(found.badge), 5)]
    for badge in badges:
        if badge and min(g.box[1] for g in badge) > 0.1 * found.height:
            return max(g.box[3] for g in badge)
    return None


def _read_glyphs(view: Page1View) -> PageGlyphs:
    """The glyphs of the runs that may make title lines: those of the upper page in type
    larger than the body text (or of its size, when none is larger), and the runs of
    smaller type on their lines."""
    found = page_runs(view, max_top=view.height * TITLE_REGION)
    body = _body_size(found.sizes)
    readable = [run for run in found.runs if run.size >= MIN_SIZE]
    large: list[TextRun] = readable
    if body is not None:
        larger = [run for run in readable if run.size > body * (1 + SIZE_TOLERANCE)]
        large = larger or [run for run in readable if _same_size(run.size, body)]
    bands = [(run.box[1], run.box[3]) for run in large]
    beside = [
        run
        for run in readable
        if run.size < max((r.size for r in large), default=0.0)
        and any(run.box[1] <= bottom and run.box[3] >= top for top, bottom in bands)
    ]
    badge = [
        i
        for start, length in view.search("pith:", limit=4)
        for i in range(start, start + 5)
        if length
    ]
    return PageGlyphs(
        found.width,
        found.height,
        run_glyphs(view, found.frame, [*large, *beside]),
        found.sizes,
        found.total,
        glyphs_at(view, found.frame, badge),
        found.frame,
        body,
    )


# ------------------------------------------------------------------ visibility


def _outside(box: DisplayBox, width: float, height: float) -> bool:
    return box[0] < -0.5 or box[1] < -0.5 or box[2] > width + 0.5 or box[3] > height + 0.5


def _static_reason(line: _Line, width: float, height: float) -> str | None:
    """Why a line cannot be visible, before any rendering."""
    modes = [g.render_mode for g in line.glyphs]
    if all(mode in (3, 7) for mode in modes):
        return f"drawn invisible (text render mode {modes[0]})"
    narrowest = min(g.aspect for g in line.glyphs)
    if narrowest < MIN_ASPECT:
        return f"squashed out of shape (drawn at {narrowest:.0%} of its width)"
    if any(_outside(g.box, width, height) for g in line.glyphs):
        return "partly or wholly outside the crop box"
    return None


def _inked(line: _Line, ink: InkComparison) -> str | None:
    """Why the renderings say the line is not visible (``None``: it is)."""
    scores = [ink.ink(g.box) for g in line.glyphs]
    inked = sum(1 for s in scores if s >= MIN_CONTRAST)
    if inked < MIN_INKED * len(scores):
        return (
            f"leaves no ink that stands out where its text is ({inked} of {len(scores)} "
            "glyphs): invisible, clipped, covered or of a colour like its background"
        )
    left, top, right, bottom = line.box
    band = (left - line.size, top, right + line.size, bottom)
    if ink.spread(band) > MAX_BACKGROUND_SPREAD:
        return "other objects (not its text) put ink on the line"
    return None


def _visibility(
    view: Page1View, found: PageGlyphs, lines: list[_Line]
) -> tuple[list[str | None], int]:
    reasons = [_static_reason(line, found.width, found.height) for line in lines]
    todo = [line for line, reason in zip(lines, reasons, strict=True) if reason is None]
    if not todo:
        return reasons, 0
    pad = max(line.size for line in todo) * 1.5
    regions = [(b[0] - pad, b[1] - 2, b[2] + pad, b[3] + 2) for b in (line.box for line in todo)]
    hide = [g.text_object for g in found.glyphs if g.text_object]
    rendered, renders = judge_in_stages(
        view,
        found.frame,
        regions,
        [line.size for line in todo],
        hide,
        lambda index, ink: _inked(todo[index], ink),
    )
    iterator = iter(rendered)
    return [reason if reason is not None else next(iterator) for reason in reasons], renders


# ------------------------------------------------------------------ entry points


def find_title_lines(view: Page1View) -> TitleFinding:
    """The candidate title lines of page 1, with their visibility.

    Raises :class:`~pithtex.pdf._access.limits.StreamError` when PDFium cannot read
    or render page 1 within the caps.
    """
    found = _read_glyphs(view)
    body = found.body
    lines = _group_lines(_ink_glyphs(found))
    lines = [line for line in lines if line.box[1] <= found.height * TITLE_REGION]
    large = _larger_than_body(lines, body)
    badge = _badge_bottom(found)
    above = [line for line in large if badge is not None and line.box[3] <= badge]
    if above:  # a badge after a title: nothing below it is the title
        large = [line for line in large if badge is not None and line.box[1] <= badge]
    large.sort(key=lambda line: line.box[1])
    large = large[:MAX_LINES]
    attached: list[_Line] = []
    for line in sorted(large, key=lambda line: -line.size):
        if any(line is other for other in attached):
            continue
        attached.extend(_attach_smaller(line, [o for o in lines if o.size < line.size]))
    large = [line for line in large if all(line is not other for other in attached)]
    if not large:
        return TitleFinding((), body, found.total)
    try:
        reasons, renders = _visibility(view, found, large)
    except StreamError as exc:
        reasons = [f"could not be rendered: {exc.message}"] * len(large)
        renders = 0
    height = found.height
    result = []
    for line, reason in zip(large, reasons, strict=True):
        left, top, right, bottom = line.box
        result.append(
            TitleLine(
                text=_text(line),
                rect=(left, height - bottom, right, height - top),
                size=line.size,
                visible=reason is None,
                hidden=reason,
                user_rect=union([g.rect for g in line.glyphs]),
                marks="".join(g.char for g in sorted(line.marks, key=lambda g: g.box[0])),
                other_text=_text(
                    _Line(
                        line.size,
                        line.baseline,
                        sorted(line.others, key=lambda g: g.box[0]),
                        [False] * len(line.others),
                    )
                ),
            )
        )
    return TitleFinding(tuple(result), body, found.total, renders)


def title_texts(lines: Sequence[TitleLine], *, limit: int = 64) -> Iterator[str]:
    """The texts a run of title lines may stand for: lines joined with a space, or,
    after a line ending in a hyphen, with the hyphen kept or dropped and no space."""
    variants = [""]
    for index, line in enumerate(lines):
        text = line.text
        if index == 0:
            variants = [text]
            continue
        grown: list[str] = []
        for variant in variants:
            if variant and variant[-1] in _HYPHENS:
                grown.append(variant + text)
                grown.append(variant[:-1] + text)
            else:
                grown.append(f"{variant} {text}")
        variants = [_hyphen_plain(v) for v in grown[:limit]]
    yield from dict.fromkeys(_hyphen_plain(v) for v in variants)


def _hyphen_plain(text: str) -> str:
    """Soft hyphens and PDFium's hyphen marks read as ``-``, NFC."""
    return unicodedata.normalize("NFC", text.replace("\u00ad", "-").replace("\x02", "-"))
