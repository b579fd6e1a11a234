"""What reading one PDF may cost, and the two ways a read fails.

:class:`ReadLimits` is the one source of every cap the PDF access layer
applies: the checker, the stamper, the badge and PDFium all read through it.
:class:`PdfError` is a file that cannot be used at all; :class:`StreamError`
is one object (a stream, a page, a name tree) that cannot be read within its
cap, which the caller turns into a finding or a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pithtex.core.errors import InputError
from pithtex.pdf.xmp.read import MAX_PACKET_BYTES

__all__ = ["DEFAULT_READ_LIMITS", "MIB", "PdfError", "ReadLimits", "StreamError", "first_line"]

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Caps on what one PDF may make the reader (and PDFium) do."""

    max_file_bytes: int = 512 * MIB
    max_xmp_bytes: int = MAX_PACKET_BYTES
    max_bundle_bytes: int = 16 * MIB
    max_page_content_bytes: int = 16 * MIB
    """Decoded content PDFium parses for page 1: its content streams, plus every form
    XObject, soft mask, Type 3 glyph and tiling pattern they use, once per use."""
    max_page_resource_bytes: int = 128 * MIB
    """Decoded size of everything else page 1 hands PDFium (fonts, colour profiles,
    functions, images when rendering), and of the object text of its copy."""
    max_page_objects: int = 20000
    """Objects page 1's content and resources may reach."""
    max_form_uses: int = 50000
    """Form XObjects PDFium instantiates for page 1 (each use of a form counts)."""
    max_render_pixels: int = 16 * MIB
    """Pixels of one rendering of page 1 (or a region of it)."""
    max_annotations: int = 5000
    max_tree_depth: int = 64
    max_name_tree_nodes: int = 10000
    max_expansion: int = 2000
    """Assumed worst-case expansion of filters other than plain Flate."""
    max_drawn_objects: int = 200000
    """Objects (paths, text, images, forms' contents) page 1's drawing is walked through
    when the badge is looked for objects drawn over it."""
    max_revisions: int = 64
    """``%%EOF`` markers (revisions: the original and its incremental updates) a file may
    have; each is opened again to compare what page 1 shows."""


DEFAULT_READ_LIMITS = ReadLimits()


class PdfError(InputError):
    """A PDF that cannot be used at all (exit code 2); ``code`` says why.

    Codes: ``pdf.missing``, ``pdf.unreadable``, ``pdf.too_large``, ``pdf.not_pdf``,
    ``pdf.encrypted``, ``pdf.password``, ``pdf.damaged``, ``pdf.no_pages``; opening
    for stamping also ``file.missing`` and ``file.unreadable``.
    """

    default_code = "pdf.damaged"


class StreamError(Exception):
    """An object that cannot be read within its cap (or at all); ``code`` says why.

    Codes: ``stream.type``, ``stream.too_large``, ``stream.corrupt``, ``pdf.object``,
    ``pdf.nesting``, ``annotations.too_many``, ``embedded.no_stream``,
    ``names.too_large``, ``names.cycle``, ``page.cycle``, ``page.too_complex``,
    ``render.too_large``, ``text.unreadable``, ``revisions.too_many``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[StreamError], tuple[str, str]]:
        return (type(self), (self.code, self.message))


def first_line(exc: BaseException, path: Path | None = None) -> str:
    """The first line of a library's error message, without the file name qpdf puts in front."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    if path is not None:
        text = text.replace(f"{path}: ", "").replace(f"{path} ", "")
    return text[:300]
