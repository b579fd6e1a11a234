"""Stamping finished PDFs: the Pith metadata, the embedded bundle and the visible badge."""

from pithtex.pdf.stamp.rewrite import (
    StampOptions,
    StampResult,
    StampSpec,
    Status,
    prepare,
    stamp_pdf,
)

__all__ = ["StampOptions", "StampResult", "StampSpec", "Status", "prepare", "stamp_pdf"]
