"""What one request to the verify page may cost: bytes, files, rate, time and memory.

:class:`PageLimits` holds every bound of the page.  :data:`LOCAL_LIMITS` are
those of ``pithtex ui`` (one person on 127.0.0.1: large files, no rate
limit); :data:`MIRROR_LIMITS` those of ``pithtex serve SITE --check-page``
(anyone on the network: small files, few at a time, a per-client rate).  The
checker's own bounds (time and memory per file) come from
:class:`pithtex.jobs.executor.Bounds`, so the page bounds a file as
``pithtex check`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pithtex.jobs.executor import Bounds
from pithtex.pdf.render import DEFAULT_MAX_PIXELS

__all__ = ["LOCAL_LIMITS", "MIB", "MIRROR_LIMITS", "PageLimits"]

MIB = 1024 * 1024
_FORM_OVERHEAD = 64 * 1024
"""Bytes a multipart body may carry beyond its files (boundaries, part headers, fields)."""


@dataclass(frozen=True, slots=True)
class PageLimits:
    """The bounds of one verify page."""

    max_file_bytes: int = 64 * MIB
    """Size of one uploaded file."""
    max_files: int = 20
    """Files in one request (the form sends several at once without JavaScript)."""
    rate_per_minute: float | None = None
    """Files one client may have checked per minute (``None``: no limit)."""
    burst: int = 5
    """Files a client may have checked at once before the rate applies."""
    workers: int = 2
    """Files checked at the same time, each in its own bounded worker process."""
    queue_seconds: float = 30.0
    """How long a file waits for a free worker before the page answers "busy"."""
    upload_seconds: float = 120.0
    """Wall time to receive one request's body (a slow sender is cut off)."""
    bounds: Bounds = field(default_factory=Bounds)
    """Time and memory of the worker that checks and renders one file."""
    max_pixels: int = DEFAULT_MAX_PIXELS
    """Pixels of the page 1 rendering."""
    max_drain_bytes: int = 16 * MIB
    """Of a refused body, how much is read and dropped so the client sees the refusal."""

    @property
    def max_request_bytes(self) -> int:
        return self.max_file_bytes * self.max_files + _FORM_OVERHEAD


LOCAL_LIMITS = PageLimits()
MIRROR_LIMITS = PageLimits(
    max_file_bytes=16 * MIB,
    max_files=4,
    rate_per_minute=10.0,
    burst=5,
    workers=2,
    queue_seconds=20.0,
    upload_seconds=60.0,
    max_drain_bytes=4 * MIB,
)
