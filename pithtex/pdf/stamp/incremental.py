"""Stamping by incremental update: the original bytes stay an unchanged prefix.

A digitally signed PDF is covered, byte for byte, by its signatures; a full
rewrite (what qpdf always does) breaks them.  Here one new revision is
appended (:func:`pithtex.pdf._access.append_revision`, pypdf's incremental
writer) holding only what changed: the XMP stream, the catalog and the Info
dictionary (and, on request, the embedded bundle).  Signature validators
treat such a metadata-only revision as an allowed change.
"""

from __future__ import annotations

from pathlib import Path

from pithtex.core.errors import InputError
from pithtex.core.fileio import atomic_write_bytes
from pithtex.pdf._access.revision import append_revision
from pithtex.pdf.stamp.spec import StampSpec
from pithtex.pdf.xmp.write import XmpUpdate

__all__ = ["append_update"]


def append_update(
    source: Path,
    output: Path,
    update: XmpUpdate,
    spec: StampSpec,
    *,
    embed: bool = False,
) -> None:
    """Write ``source`` plus one incremental revision carrying ``update`` to ``output``."""
    original = source.read_bytes()
    data = append_revision(source, update.packet, update.info, spec.attachment() if embed else None)
    if not data.startswith(original):
        raise InputError(
            "the incremental update would not keep the original bytes; nothing written",
            code="pdf.incremental",
        )
    atomic_write_bytes(output, data)
