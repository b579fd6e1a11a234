"""Page 1 as PDFium (pypdfium2) sees it: its text, where the text is, and renderings.

A :class:`Page1View` opens only the sanitised one-page copy that
:func:`pithtex.pdf._access.page1.sanitised_page1` wrote after checking page 1
against the caps, never the received file.  It gives the text of the page, the
boxes of its text runs, and a grey rendering of the page or a region of it, within
``max_render_pixels`` (the characters one by one are :mod:`~pithtex.pdf._access.glyphs`').
A failure of PDFium is a :class:`~pithtex.pdf._access.limits.StreamError`
with code ``text.unreadable``.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from pithtex.pdf._access.limits import ReadLimits, StreamError, first_line
from pithtex.pdf._access.values import Rect

__all__ = [
    "Bitmap",
    "Page1View",
    "Rendering",
    "address_of",
    "c_function",
    "out_parameters",
]

T = TypeVar("T")


def c_function(function: Any, restype: Any, *argtypes: Any) -> Any:
    """``function`` of ``pypdfium2.raw`` through a plain C prototype, for the calls made by
    the hundred per page: handles and out-parameters are passed as addresses (ints), so
    a call makes no pointer objects and runs none of pypdfium2's argument conversions."""
    return ctypes.cast(function, ctypes.CFUNCTYPE(restype, *argtypes))


def out_parameters(array: Any) -> tuple[int, ...]:
    """The address of each element of a ctypes ``array``: out-parameters for a
    :func:`c_function`, the values read back from ``array``."""
    base, width = ctypes.addressof(array), ctypes.sizeof(array._type_)
    return tuple(base + index * width for index in range(len(array)))


def address_of(handle: Any) -> int:
    """The address a PDFium handle (a ctypes pointer) holds (0: none)."""
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


class Rendering(NamedTuple):
    """A grey rendering: ``width`` x ``height`` pixels, one byte each, rows from the top."""

    width: int
    height: int
    pixels: bytes


class Bitmap(NamedTuple):
    """An RGB rendering: ``height`` rows of ``stride`` bytes, ``width`` pixels of 3 bytes each."""

    width: int
    height: int
    stride: int
    pixels: bytes


def _render_grey(page: Any, width: float, height: float, crop: Rect, scale: float) -> Rendering:
    """The page at ``scale`` with ``crop`` (points off the left, bottom, right, top) cut
    away, in grey on white, annotations drawn: PDFium's own bitmap, read once."""
    import pypdfium2.raw as pdfium_c

    full_width, full_height = math.ceil(width * scale), math.ceil(height * scale)
    left, bottom, right, top = (math.ceil(side * scale) for side in crop)
    columns, rows = full_width - left - right, full_height - bottom - top
    if columns < 1 or rows < 1:
        raise StreamError("render.empty", "the region to render holds no pixel")
    bitmap = pdfium_c.FPDFBitmap_CreateEx(columns, rows, pdfium_c.FPDFBitmap_Gray, None, 0)
    if not bitmap:
        raise StreamError("render.too_large", "PDFium could not allocate the rendering")
    try:
        pdfium_c.FPDFBitmap_FillRect(bitmap, 0, 0, columns, rows, 0xFFFFFFFF)
        flags = pdfium_c.FPDF_GRAYSCALE | pdfium_c.FPDF_ANNOT
        pdfium_c.FPDF_RenderPageBitmap(bitmap, page, -left, -top, full_width, full_height, 0, flags)
        stride = int(pdfium_c.FPDFBitmap_GetStride(bitmap))
        raw = ctypes.string_at(pdfium_c.FPDFBitmap_GetBuffer(bitmap), stride * rows)
    finally:
        pdfium_c.FPDFBitmap_Destroy(bitmap)
    if stride == columns:
        return Rendering(columns, rows, raw)
    view = memoryview(raw)
    pixels = b"".join([view[start : start + columns] for start in range(0, stride * rows, stride)])
    return Rendering(columns, rows, pixels)


class Page1View:
    """PDFium's view of page 1 (the sanitised copy); close it when done."""

    def __init__(self, copy: bytes, limits: ReadLimits) -> None:
        import pypdfium2

        self.limits = limits
        self.pdf_bytes = copy
        """The one-page PDF PDFium reads."""
        self._textpage: Any = None
        self.memo: dict[Any, Any] = {}
        """What the readers of :mod:`pithtex.pdf._access` computed once from this view
        (page 1's reading frame, its glyphs, searches), kept while it is open."""
        self._document: Any = None
        self._page: Any = None
        try:
            self._document = pypdfium2.PdfDocument(copy)
            self._page = self._document[0]
        except pypdfium2.PdfiumError as exc:
            self.close()
            raise StreamError("text.unreadable", first_line(exc)) from None

    def close(self) -> None:
        for part in (self._textpage, self._page, self._document):
            if part is not None:
                part.close()
        self._textpage = self._page = self._document = None
        self.memo = {}

    def _call(self, step: Callable[[], T]) -> T:
        import pypdfium2

        try:
            return step()
        except pypdfium2.PdfiumError as exc:
            raise StreamError("text.unreadable", first_line(exc)) from None

    def _text(self) -> Any:
        if self._textpage is None:
            self._textpage = self._call(self._page.get_textpage)
        return self._textpage

    @property
    def height(self) -> float:
        return float(self._page.get_height())

    @property
    def width(self) -> float:
        return float(self._page.get_width())

    def text(self) -> str:
        """All the text of page 1, in PDFium's reading order."""
        return str(self._call(lambda: self._text().get_text_range()))

    def boxes(self) -> list[Rect]:
        """The boxes of the text runs on page 1."""

        def boxes() -> list[Rect]:
            textpage = self._text()
            found = []
            for index in range(textpage.count_rects()):
                left, bottom, right, top = textpage.get_rect(index)
                found.append(
                    (min(left, right), min(bottom, top), max(left, right), max(bottom, top))
                )
            return found

        return self._call(boxes)

    def scale_within(self, width: float, height: float, scale: float) -> float:
        """``scale`` (pixels per point), lowered so that a rendering of ``width`` by
        ``height`` points stays within ``max_render_pixels``."""
        area = max(width * height, 1.0)
        return min(scale, math.sqrt(self.limits.max_render_pixels / area) * 0.999)

    def render(self, region: Rect | None = None, *, scale: float = 1.0) -> Rendering:
        """Page 1 (or ``region`` of it) in grey, ``scale`` pixels per point.

        ``region`` is ``(left, bottom, right, top)`` in points of the page as it is
        displayed (origin at its visible bottom-left corner, after ``/Rotate``);
        :meth:`boxes` are in user space, the same for unrotated pages whose crop box
        starts at the origin.  Refused (``render.too_large``) beyond
        ``max_render_pixels``.
        """
        width, height = self.width, self.height
        left, bottom, right, top = region or (0.0, 0.0, width, height)
        crop = (max(0.0, left), max(0.0, bottom), max(0.0, width - right), max(0.0, height - top))
        pixels = (width - crop[0] - crop[2]) * scale * (height - crop[1] - crop[3]) * scale
        if pixels > self.limits.max_render_pixels or scale <= 0:
            raise StreamError(
                "render.too_large",
                f"a rendering of {pixels:.0f} pixels exceeds the "
                f"{self.limits.max_render_pixels}-pixel cap",
            )

        def render() -> Rendering:
            return _render_grey(self._page.raw, width, height, crop, scale)

        return self._call(render)

    def render_rgb(self, scale: float) -> Bitmap:
        """The whole of page 1 in colour, ``scale`` pixels per point (forms drawn), within
        ``max_render_pixels`` (else ``render.too_large``)."""
        pixels = math.ceil(self.width * scale) * math.ceil(self.height * scale)
        if pixels > self.limits.max_render_pixels or scale <= 0:
            raise StreamError(
                "render.too_large",
                f"a rendering of {pixels} pixels exceeds the "
                f"{self.limits.max_render_pixels}-pixel cap",
            )

        def render() -> Bitmap:
            bitmap = self._page.render(scale=scale, rev_byteorder=True, may_draw_forms=True)
            try:
                return Bitmap(bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer))
            finally:
                bitmap.close()

        return self._call(render)

    def to_pixels(self, x: float, y: float, width: int, height: int) -> tuple[float, float]:
        """Where the point ``(x, y)`` of user space falls on a rendering of the whole page
        ``width`` x ``height`` pixels (origin top left; the page's rotation applied)."""
        import pypdfium2.raw as pdfium_c

        device_x, device_y = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(
            self._page.raw, 0, 0, width, height, 0, x, y,
            ctypes.byref(device_x), ctypes.byref(device_y),
        )  # fmt: skip
        return float(device_x.value), float(device_y.value)

    # -- finding text

    def char_count(self) -> int:
        return int(self._call(lambda: self._text().count_chars()))

    def search(self, needle: str, *, limit: int) -> list[tuple[int, int]]:
        """``(start, length)`` in characters of the first ``limit`` matches (case ignored)."""
        key = f"search:{limit}:{needle}"
        if key not in self.memo:
            self.memo[key] = self._call(lambda: self._search(needle, limit))
        return list(self.memo[key])

    def _search(self, needle: str, limit: int) -> tuple[tuple[int, int], ...]:
        searcher = self._text().search(needle, match_case=False)
        try:
            found = []
            for _ in range(limit):
                match = searcher.get_next()
                if match is None:
                    break
                found.append((int(match[0]), int(match[1])))
            return tuple(found)
        finally:
            searcher.close()

    def text_range(self, start: int, length: int) -> str:
        return str(self._call(lambda: self._text().get_text_range(start, length)))

    def range_boxes(self, start: int, length: int) -> list[Rect]:
        """The boxes (user space) of the characters ``start`` to ``start + length``."""

        def boxes() -> list[Rect]:
            textpage = self._text()
            return [textpage.get_rect(i) for i in range(textpage.count_rects(start, length))]

        return self._call(boxes)

    def with_pdfium(self, step: Callable[[Any, Any], T]) -> T:
        """``step(page, textpage)`` on PDFium's raw handles of page 1 (for the readers of
        :mod:`pithtex.pdf._access`; a PDFium failure becomes ``text.unreadable``)."""
        return self._call(lambda: step(self._page.raw, self._text().raw))
