"""The PDF layer: reading every trace of a badge, checking it, and stamping.

:mod:`~pithtex.pdf.evidence` reads a PDF (bounded, read-only) into evidence;
:mod:`~pithtex.pdf.check` turns evidence and a bundle into a verdict;
:mod:`~pithtex.pdf.stamp` writes the Pith metadata, the embedded bundle and the
visible badge; :mod:`~pithtex.pdf.xmp` reads and writes XMP packets.
"""
