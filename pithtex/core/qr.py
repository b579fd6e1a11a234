"""QR codes as precomputed vector drawings: filled rectangles in module units.

The LaTeX package draws a QR code without any TeX QR package, image file or
PDF special: :mod:`pithtex.tex.render` writes the rectangles computed here into the
per-paper data file, and ``pith.sty`` sets each one as a ``\\vrule``, which
every engine and output route (PDF and DVI) renders.

The matrix comes from the ``qrcode`` library.  Horizontal runs of dark modules
become rectangles, and identical runs on consecutive rows are merged into one
taller rectangle, so that a typical resolver URL needs about a hundred rules.
Coordinates count modules from the bottom-left corner of the symbol including
its quiet zone, which is what TeX's ``\\raise`` and ``\\kern`` want.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ERROR_CORRECTION",
    "QUIET_ZONE",
    "QRDrawing",
    "Rect",
    "qr_drawing",
    "qr_matrix",
]

QUIET_ZONE = 2
"""Light modules around the symbol inside the drawing (the page adds more white)."""

ERROR_CORRECTION = "M"
"""QR error-correction level: M recovers from about 15% damage (print, staples)."""


@dataclass(frozen=True, slots=True)
class Rect:
    """A dark rectangle: ``x``, ``y`` (from the bottom), width ``w``, height ``h``, in modules."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class QRDrawing:
    """A QR code as rectangles in a square of ``size`` by ``size`` modules."""

    text: str
    size: int
    """Side length in modules, quiet zone included."""
    version: int
    rects: tuple[Rect, ...]

    def dark_modules(self) -> set[tuple[int, int]]:
        """Every dark module as ``(column, row from the top)``: for tests and renderers."""
        cells: set[tuple[int, int]] = set()
        for rect in self.rects:
            for dx in range(rect.w):
                for dy in range(rect.h):
                    cells.add((rect.x + dx, self.size - 1 - (rect.y + dy)))
        return cells


def qr_matrix(text: str) -> tuple[list[list[bool]], int]:
    """The module matrix of ``text`` (rows from the top, no quiet zone) and its version."""
    import qrcode
    import qrcode.constants

    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(version=None, error_correction=levels[ERROR_CORRECTION], border=0)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    matrix = [[bool(cell) for cell in row] for row in code.get_matrix()]
    return matrix, int(code.version)


def qr_drawing(text: str) -> QRDrawing:
    """The QR code of ``text`` as merged rectangles (deterministic for a given text)."""
    matrix, version = qr_matrix(text)
    size = len(matrix) + 2 * QUIET_ZONE
    return QRDrawing(text, size, version, tuple(_rectangles(matrix, size)))


def _runs(row: list[bool]) -> list[tuple[int, int]]:
    """``(start, width)`` of each horizontal run of dark modules."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, dark in enumerate([*row, False]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


def _rectangles(matrix: list[list[bool]], size: int) -> list[Rect]:
    """Runs merged downwards while the row below has exactly the same run."""
    open_runs: dict[tuple[int, int], tuple[int, int]] = {}  # run -> (top row, height)
    done: list[tuple[int, int, int, int]] = []  # (top row, x, w, h)
    for row_index, row in enumerate(matrix):
        current = set(_runs(row))
        for run in sorted(set(open_runs) - current):
            top, height = open_runs.pop(run)
            done.append((top, run[0], run[1], height))
        for run in current:
            top, height = open_runs.get(run, (row_index, 0))
            open_runs[run] = (top, height + 1)
    for run, (top, height) in open_runs.items():
        done.append((top, run[0], run[1], height))
    rects = []
    for top, x, w, h in sorted(done):
        bottom_from_top = top + h - 1
        y = size - 1 - (bottom_from_top + QUIET_ZONE)
        rects.append(Rect(x + QUIET_ZONE, y, w, h))
    return rects
