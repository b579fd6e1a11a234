"""Tesseract, the OCR engine of ``check --ocr``: whether it can run, and one reading.

* :func:`tesseract_missing` / :func:`require_tesseract`: pytesseract (the ``ocr``
  extra), the ``tesseract`` program on ``PATH`` and its English data, or a
  :class:`~pithtex.core.errors.MissingToolError` (exit 5, code ``tool.tesseract`` or
  ``tool.pytesseract``) saying what to install;
* :func:`read_lines`: a grey rendering read by Tesseract through pytesseract, as
  :class:`HocrLine` items with their :class:`HocrWord` items.  The output asked for
  is hOCR, which gives each line its size and baseline (Tesseract's own estimates,
  steadier than the boxes of its TSV output), parsed by lxml with no DTD, no
  entities and no network.  Each run is bounded by :data:`TESSERACT_TIMEOUT` seconds
  of wall time and runs on one thread; a failure is an :class:`OcrError`.

pytesseract and Pillow are imported on first use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from pithtex.core.errors import MissingToolError
from pithtex.pdf._access.pdfium import Rendering

__all__ = [
    "LANGUAGE",
    "TESSERACT_TIMEOUT",
    "HocrLine",
    "HocrWord",
    "OcrError",
    "PixelBox",
    "read_lines",
    "require_tesseract",
    "tesseract_missing",
]

TESSERACT_TIMEOUT = 20.0
"""Seconds of wall time each Tesseract run may take."""
LANGUAGE = "eng"
_LINE_CLASSES = frozenset({"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"})
_MISSING = (
    "OCR of scanned title pages needs Tesseract, which is not installed (or not on "
    "PATH): apt-get install tesseract-ocr tesseract-ocr-eng (Debian, Ubuntu), "
    "dnf install tesseract tesseract-langpack-eng (Fedora), brew install tesseract (macOS)"
)

PixelBox = tuple[int, int, int, int]
"""``(left, top, right, bottom)`` in pixels of a rendering, y downwards."""


# ------------------------------------------------------------------ the tool


def tesseract_missing() -> MissingToolError | None:
    """Why OCR cannot run here (pytesseract, Tesseract or its English data missing), if so."""
    try:
        import pytesseract
    except ImportError:
        return MissingToolError(
            "OCR of scanned title pages needs the Python package pytesseract: "
            "pip install 'pithtex[ocr]'",
            code="tool.pytesseract",
        )
    command = str(pytesseract.pytesseract.tesseract_cmd)
    if shutil.which(command) is None:
        return MissingToolError(_MISSING, code="tool.tesseract")
    try:
        languages = pytesseract.get_languages(config="")
    except (OSError, pytesseract.TesseractNotFoundError):
        return MissingToolError(_MISSING, code="tool.tesseract")
    if LANGUAGE not in languages:
        return MissingToolError(
            "Tesseract has no English language data (eng): apt-get install "
            "tesseract-ocr-eng (Debian, Ubuntu)",
            code="tool.tesseract",
        )
    return None


def require_tesseract() -> None:
    """Raise :class:`~pithtex.core.errors.MissingToolError` (exit 5) unless OCR can run."""
    missing = tesseract_missing()
    if missing is not None:
        raise missing


class OcrError(Exception):
    """Tesseract could not read a rendering (missing, failed, timed out)."""


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Tesseract on one thread (``OMP_THREAD_LIMIT=1`` unless set): its OpenMP threads
    cost more than they give on a shared machine (seven times the time on two busy
    cores), and batches run files in parallel."""
    if "OMP_THREAD_LIMIT" in os.environ:
        yield
        return
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        os.environ.pop("OMP_THREAD_LIMIT", None)


def _hocr(rendering: Rendering, psm: int) -> bytes:
    try:  # checked before any file is read, but a Dask worker may lack what the driver has
        import pytesseract
        from PIL import Image
    except ImportError:
        raise OcrError("pytesseract is not installed (pip install 'pithtex[ocr]')") from None

    image = Image.frombytes("L", (rendering.width, rendering.height), rendering.pixels)
    try:
        with _one_thread():
            data = pytesseract.image_to_pdf_or_hocr(
                image,
                lang=LANGUAGE,
                config=f"--psm {psm}",
                extension="hocr",
                timeout=TESSERACT_TIMEOUT,
            )
    except pytesseract.TesseractNotFoundError:
        raise OcrError("Tesseract is not installed") from None
    except pytesseract.TesseractError as exc:
        raise OcrError(f"Tesseract failed: {str(exc.message)[:200]}") from None
    except RuntimeError as exc:  # pytesseract's timeout
        if "timeout" not in str(exc):
            raise
        raise OcrError(f"Tesseract did not finish within {TESSERACT_TIMEOUT:g} s") from None
    return bytes(data)


# ------------------------------------------------------------------ hOCR


class HocrWord(NamedTuple):
    """One word Tesseract read."""

    text: str
    box: PixelBox
    confidence: float
    """Tesseract's confidence, 0 to 100."""


class HocrLine(NamedTuple):
    """One line Tesseract read: its box, its size, its baseline and its words."""

    box: PixelBox
    size: float
    """Tesseract's ``x_size``: the line's height from ascenders to descenders, in pixels."""
    descenders: float
    baseline: tuple[float, float]
    """``(slope, offset)``: the baseline's pixel row at ``x`` is
    ``bottom + offset + slope * (x - left)``."""
    words: tuple[HocrWord, ...]

    @property
    def height(self) -> float:
        """The height of its tall letters above the baseline (``x_size`` less the
        descenders): steadier across lines than ``x_size``, which shrinks on a line
        without descenders."""
        return max(self.size - self.descenders, 1.0)

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    def baseline_at(self, x: float) -> float:
        slope, offset = self.baseline
        return self.box[3] + offset + slope * (x - self.box[0])


def read_lines(rendering: Rendering, *, psm: int) -> list[HocrLine]:
    """The lines Tesseract reads in ``rendering`` with page segmentation mode ``psm`` (3:
    a page, 6: one block of text), in its order; raises :class:`OcrError`."""
    return _parse_hocr(_hocr(rendering, psm))


def _properties(title: str) -> dict[str, list[str]]:
    """An hOCR ``title`` attribute (``bbox 1 2 3 4; x_size 36``) as name -> values."""
    found: dict[str, list[str]] = {}
    for part in title.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


def _box(values: Sequence[str]) -> PixelBox | None:
    try:
        left, top, right, bottom = (int(v) for v in values)
    except ValueError:
        return None
    return (left, top, right, bottom) if left < right and top < bottom else None


def _number(values: Sequence[str] | None, default: float) -> float:
    try:
        return float(values[0]) if values else default
    except ValueError:
        return default


def _parse_hocr(data: bytes) -> list[HocrLine]:
    """The lines and words of Tesseract's hOCR (XHTML), parsed without DTD or entities."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OcrError(f"Tesseract's hOCR does not parse: {exc}") from None
    lines = []
    for element in root.iter("{*}span"):
        if element.get("class") not in _LINE_CLASSES:
            continue
        line = _parse_line(element)
        if line is not None:
            lines.append(line)
    return lines


def _parse_line(element: Any) -> HocrLine | None:
    props = _properties(element.get("title", ""))
    box = _box(props.get("bbox", ()))
    if box is None:
        return None
    words = []
    for child in element.iter("{*}span"):
        if child.get("class") != "ocrx_word":
            continue
        text = " ".join("".join(child.itertext()).split())
        word_props = _properties(child.get("title", ""))
        word_box = _box(word_props.get("bbox", ()))
        if text and word_box is not None:
            words.append(HocrWord(text, word_box, _number(word_props.get("x_wconf"), 0.0)))
    if not words:
        return None
    baseline = props.get("baseline", ["0", "0"])
    slope, offset = (_number(baseline[i : i + 1], 0.0) for i in (0, 1))
    size = _number(props.get("x_size"), float(box[3] - box[1]))
    descenders = _number(props.get("x_descenders"), 0.0)
    return HocrLine(box, size, descenders, (slope, offset), tuple(words))
