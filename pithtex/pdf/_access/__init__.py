"""The one door to the PDF libraries: every pikepdf, pypdfium2 and pypdf call of pithtex.

Nothing else in pithtex imports those libraries (an import-linter contract in
``pyproject.toml`` holds it).  What the checker, the stamper, the badge and
the watermark need of a PDF comes from here, as plain values, and every read
is capped by one :class:`~pithtex.pdf._access.limits.ReadLimits`:

* :mod:`~pithtex.pdf._access.limits`: the caps, ``PdfError`` and ``StreamError``;
* :mod:`~pithtex.pdf._access.streams`: stream decoding, capped before allocation;
* :mod:`~pithtex.pdf._access.document`: opening a PDF to read it, and reading it;
* :mod:`~pithtex.pdf._access.editing`: opening a PDF to stamp it, editing it, saving it;
* :mod:`~pithtex.pdf._access.values`: the plain values edits are described in;
* :mod:`~pithtex.pdf._access.page1`: page 1 checked and copied alone for PDFium;
* :mod:`~pithtex.pdf._access.pdfium`: PDFium's view of that copy (text, runs, renderings);
* :mod:`~pithtex.pdf._access.revision`: incremental updates (pypdf);
* :mod:`~pithtex.pdf._access.history`: the revisions a file holds, page 1 in each;
* :mod:`~pithtex.pdf._access.glyphs`: page 1's glyphs as read (the reading frame), and the
  one test of visibility: a region rendered with and without text, compared;
* :mod:`~pithtex.pdf._access.visibility`: whether page 1's badge text is really shown;

Callers import from those modules, so that each pays only for what it uses; the
PDF libraries themselves are imported on first use.
"""

__all__: list[str] = []
