"""The one door to the PDF libraries: every pikepdf, pypdfium2 and pypdf call of pithtex.

Nothing else in pithtex imports those libraries (an import-linter contract in
``pyproject.toml`` holds it).  What the checker, the stamper, the badge and
the watermark need of a PDF comes from here, as plain values, and every read
is capped by one :class:`ReadLimits`:

* :mod:`~pithtex.pdf._access.limits`: the caps, :class:`PdfError` and :class:`StreamError`;
* :mod:`~pithtex.pdf._access.streams`: stream decoding, capped before allocation;
* :mod:`~pithtex.pdf._access.document`: opening a PDF, reading it, editing it, saving it;
* :mod:`~pithtex.pdf._access.values`: the plain values writes are described in;
* :mod:`~pithtex.pdf._access.page1`: page 1 checked and copied alone for PDFium;
* :mod:`~pithtex.pdf._access.pdfium`: PDFium's view of that copy (text, runs, renderings);
* :mod:`~pithtex.pdf._access.revision`: incremental updates (pypdf).

The PDF libraries themselves are imported on first use, so importing this
package costs nothing.
"""

from pithtex.pdf._access.document import (
    AttachedFile,
    AttachmentSpec,
    Document,
    Opaque,
    PageGeometry,
    open_for_reading,
    open_for_stamping,
    preload_libraries,
)
from pithtex.pdf._access.limits import (
    DEFAULT_READ_LIMITS,
    MIB,
    PdfError,
    ReadLimits,
    StreamError,
    first_line,
)
from pithtex.pdf._access.pdfium import Page1View, Rendering, TextRun
from pithtex.pdf._access.revision import append_revision
from pithtex.pdf._access.streams import inflate_capped, read_stream
from pithtex.pdf._access.values import Indirect, Name, Rect, Stream, Value

__all__ = [
    "DEFAULT_READ_LIMITS",
    "MIB",
    "AttachedFile",
    "AttachmentSpec",
    "Document",
    "Indirect",
    "Name",
    "Opaque",
    "Page1View",
    "PageGeometry",
    "PdfError",
    "ReadLimits",
    "Rect",
    "Rendering",
    "Stream",
    "StreamError",
    "TextRun",
    "Value",
    "append_revision",
    "first_line",
    "inflate_capped",
    "open_for_reading",
    "open_for_stamping",
    "preload_libraries",
    "read_stream",
]
