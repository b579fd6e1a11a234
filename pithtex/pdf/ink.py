"""The ink of a grey rendering, as the OCR of title pages judges it.

* :func:`contrast`: how many grey levels the ink inside a box stands out from its
  background (the 5th and 95th percentiles of its pixels apart, so that a speck of
  dirt or a stray pixel does not count);
* :func:`glyph_boxes`: the connected shapes of ink inside a box (runs of ink joined
  row by row, then shapes one above the other joined: the parts of a ``g`` or an
  ``i``);
* :func:`off_baseline`: whether a glyph of a line Tesseract read sits raised or
  lowered against the line's baseline (a superscript or a subscript), which OCR reads
  as if it were not: Tesseract may read ``7`` with a raised ``6`` as ``76``.

Heights are measured in *caps*: the height above the baseline of the line's tall
glyphs (the 90th percentile of the glyphs that sit on the baseline), read from the
glyphs themselves rather than from Tesseract's size, which a superscript inflates.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pithtex.pdf._access.pdfium import Rendering
from pithtex.pdf.tesseract import HocrLine, PixelBox

__all__ = [
    "INK_SHARE",
    "LOWERED",
    "LOWERED_TOP",
    "MIN_GLYPH",
    "RAISED",
    "contrast",
    "glyph_boxes",
    "off_baseline",
    "percentiles",
    "rows",
]

RAISED = 0.3
"""A glyph whose bottom is this many caps above the baseline is raised."""
LOWERED = 0.12
"""A glyph whose bottom is this many caps below the baseline, and whose top is lower than
:data:`LOWERED_TOP` caps above it (below where a descender's top is), is lowered."""
LOWERED_TOP = 0.5
MIN_GLYPH = 0.45
"""Glyphs shorter than this many caps (dots, accents, quotes, commas) are not judged."""
INK_SHARE = 0.65
"""A pixel is ink when it lies this far from the background towards the ink's grey (far
enough that the thin strokes joining a glyph's parts at a small resolution count)."""
_RUN = re.compile(rb"\x01+")


def rows(rendering: Rendering, box: PixelBox) -> list[bytes]:
    """The pixels of ``box`` (clipped to the rendering), row after row."""
    left, top, right, bottom = box
    width, pixels = rendering.width, rendering.pixels
    left, right = max(0, left), min(right, width)
    top, bottom = max(0, top), min(bottom, rendering.height)
    if right <= left:
        return []
    return [pixels[y * width + left : y * width + right] for y in range(top, bottom)]


def percentiles(counts: Counter[int], fractions: Sequence[float]) -> list[int]:
    """The grey levels below which ``fractions`` of the pixels counted in ``counts`` lie."""
    total = sum(counts.values())
    levels = sorted(counts)
    found = []
    for fraction in fractions:
        wanted, seen, value = fraction * total, 0, 0
        for value in levels:
            seen += counts[value]
            if seen > wanted:
                break
        found.append(value)
    return found


def contrast(rendering: Rendering, box: PixelBox) -> int:
    """The grey levels (0 to 255) the ink inside ``box`` stands out from its background."""
    counts = Counter(b"".join(rows(rendering, box)))
    if not counts:
        return 0
    low, high = percentiles(counts, (0.05, 0.95))
    return high - low


def glyph_boxes(rendering: Rendering, box: PixelBox, *, gap: float) -> list[PixelBox]:
    """The boxes of the shapes of ink inside ``box`` (pixels of the rendering), shapes one
    above the other and at most ``gap`` pixels apart taken as one."""
    lines = rows(rendering, box)
    ink = _ink_table(Counter(b"".join(lines)))
    if ink is None:
        return []
    parent: list[int] = []
    boxes: list[list[int]] = []

    previous: list[tuple[int, int, int]] = []
    for y, row in enumerate(lines):
        current = []
        for match in _RUN.finditer(row.translate(ink)):
            start, end = match.span()
            index = len(parent)
            parent.append(index)
            boxes.append([start, y, end, y + 1])
            for p_start, p_end, p_index in previous:
                if p_start <= end and start <= p_end:  # touching, diagonals included
                    a, b = _root(parent, p_index), _root(parent, index)
                    if a != b:
                        parent[b] = a
            current.append((start, end, index))
        previous = current
    dx, dy = max(0, box[0]), max(0, box[1])
    shapes = _union(boxes, [_root(parent, i) for i in range(len(boxes))])
    moved = [(x0 + dx, y0 + dy, x1 + dx, y1 + dy) for x0, y0, x1, y1 in shapes]
    return _stacked(moved, gap)


def _root(parent: list[int], i: int) -> int:
    """The root of ``i`` in the disjoint sets ``parent`` (paths halved on the way)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _ink_table(counts: Counter[int]) -> bytes | None:
    """A ``bytes.translate`` table marking ink pixels 1, background 0 (the background is
    the side of the grey levels most pixels are nearer to); ``None`` for no pixels."""
    if not counts:
        return None
    low, middle, high = percentiles(counts, (0.05, 0.5, 0.95))
    if middle - low > high - middle:  # a light background: dark ink
        return bytes(1 if v < high - INK_SHARE * (high - low) else 0 for v in range(256))
    return bytes(1 if v > low + INK_SHARE * (high - low) else 0 for v in range(256))


def _union(boxes: Sequence[Sequence[int]], roots: Sequence[int]) -> list[PixelBox]:
    merged: dict[int, list[int]] = {}
    for (x0, y0, x1, y1), root in zip(boxes, roots, strict=True):
        seen = merged.setdefault(root, [x0, y0, x1, y1])
        seen[0], seen[1] = min(seen[0], x0), min(seen[1], y0)
        seen[2], seen[3] = max(seen[2], x1), max(seen[3], y1)
    return [(b[0], b[1], b[2], b[3]) for b in merged.values()]


def _stacked(shapes: list[PixelBox], gap: float) -> list[PixelBox]:
    """Shapes one above the other (overlapping across by half the narrower, at most
    ``gap`` apart) as one glyph."""
    order = sorted(shapes)
    parent = list(range(len(order)))

    for i, a in enumerate(order):
        for j in range(i + 1, len(order)):
            b = order[j]
            if b[0] >= a[2]:
                break
            across = min(a[2], b[2]) - max(a[0], b[0])
            apart = max(a[1], b[1]) - min(a[3], b[3])
            if across >= 0.5 * min(a[2] - a[0], b[2] - b[0]) and apart <= gap:
                parent[_root(parent, j)] = _root(parent, i)
    return _union(order, [_root(parent, i) for i in range(len(order))])


def off_baseline(rendering: Rendering, line: HocrLine) -> str | None:
    """Why a glyph of ``line`` (read in ``rendering``) sits off its baseline, if one does."""
    glyphs = glyph_boxes(rendering, line.box, gap=0.1 * line.size)
    placed = [(g, line.baseline_at((g[0] + g[2]) / 2)) for g in glyphs]
    sitting = sorted(
        base - g[1] for g, base in placed if abs(g[3] - base) <= 0.1 * line.size and g[3] > g[1]
    )
    if len(sitting) < 3:
        return None
    cap = sitting[min(len(sitting) - 1, int(0.9 * len(sitting)))]
    for (_, top, _, bottom), baseline in placed:
        if bottom - top < MIN_GLYPH * cap:
            continue
        if bottom <= baseline - RAISED * cap:
            where = "raised above"
        elif bottom >= baseline + LOWERED * cap and top >= baseline - LOWERED_TOP * cap:
            where = "lowered below"
        else:
            continue
        return (
            f"a glyph of it is {where} its baseline (a superscript or subscript?): OCR does "
            "not read the line as it is shown"
        )
    return None
