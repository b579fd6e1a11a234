"""Stamping finished PDFs: the Pith metadata, the embedded bundle and the visible badge."""

from pithtex.pdf.stamp.rewrite import StampOptions, StampResult, StampSpec, prepare, stamp_pdf
from pithtex.pdf.stamp.rewrite import Status as StampStatus

__all__ = ["StampOptions", "StampResult", "StampSpec", "StampStatus", "prepare", "stamp_pdf"]
