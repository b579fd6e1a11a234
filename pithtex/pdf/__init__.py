"""PDFs: reading a badge's evidence, checking it, stamping, and the one door to the PDF libraries.

* :mod:`pithtex.pdf.check`: from one received PDF to a verdict;
* :mod:`pithtex.pdf.evidence`: every claim a PDF carries, read strictly and bounded;
* :mod:`pithtex.pdf.stamp`: the Pith metadata, the embedded bundle and the badge;
* :mod:`pithtex.pdf.watermark`: an arXiv-like rewrite, for tests that a badge survives it;
* :mod:`pithtex.pdf.xmp`: reading and writing XMP packets;
* :mod:`pithtex.pdf._access` (private): every pikepdf, PDFium and pypdf call, every cap.
"""

__all__: list[str] = []
