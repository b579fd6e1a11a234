"""Stamping finished PDFs: the Pith metadata, the embedded bundle and the visible badge.

One module per step, each importing only those before it:

* :mod:`~pithtex.pdf.stamp.spec`: what to stamp (:class:`StampSpec`, from a verified
  bundle by :func:`prepare`) and how (:class:`StampOptions`, :class:`BadgeOptions`);
* :mod:`~pithtex.pdf.stamp.result`: :class:`StampResult`, :class:`StampStatus`,
  :class:`StampMethod`, :class:`StampRefusedError`;
* :mod:`~pithtex.pdf.stamp.badge`: placing and drawing the visible badge;
* :mod:`~pithtex.pdf.stamp.plan`: the facts of a PDF and the plan (or refusal);
* :mod:`~pithtex.pdf.stamp.incremental`: the incremental update for signed PDFs;
* :mod:`~pithtex.pdf.stamp.rewrite`: :func:`stamp_pdf`, which runs them and writes.
"""

from pithtex.pdf.stamp.result import StampMethod, StampRefusedError, StampResult, StampStatus
from pithtex.pdf.stamp.rewrite import stamp_pdf
from pithtex.pdf.stamp.spec import (
    TOOL,
    BadgeOptions,
    StampOptions,
    StampSpec,
    prepare,
    spec_from_verified,
)

__all__ = [
    "TOOL",
    "BadgeOptions",
    "StampMethod",
    "StampOptions",
    "StampRefusedError",
    "StampResult",
    "StampSpec",
    "StampStatus",
    "prepare",
    "spec_from_verified",
    "stamp_pdf",
]
