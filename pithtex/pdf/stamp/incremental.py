"""Stamping by incremental update: the original bytes stay an unchanged prefix.

A digitally signed PDF is covered, byte for byte, by its signatures; a full
rewrite (what qpdf always does) breaks them.  Here pypdf's incremental writer
appends a new revision holding only what changed: the XMP stream, the catalog
and the Info dictionary (and, on request, the embedded bundle).  Signature
validators treat such a metadata-only revision as an allowed change.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pithtex.core import names as xmpschema
from pithtex.core.errors import InputError
from pithtex.core.fileio import atomic_write_bytes

if TYPE_CHECKING:
    from pithtex.pdf.stamp.rewrite import StampSpec
    from pithtex.pdf.xmp.write import XmpUpdate


def append_update(
    source: Path,
    output: Path,
    update: XmpUpdate,
    spec: StampSpec,
    *,
    embed: bool = False,
) -> None:
    """Write ``source`` plus one incremental revision carrying ``update`` to ``output``."""
    from pypdf import PdfWriter
    from pypdf.errors import PdfReadError

    original = source.read_bytes()
    buffer = io.BytesIO()
    try:
        writer = PdfWriter(source, incremental=True)
        _set_metadata(writer, update.packet)
        _set_info(writer, update.info)
        if embed:
            _embed(writer, spec)
        writer.write(buffer)
    except PdfReadError as exc:
        raise InputError(
            f"pypdf cannot read the PDF for an incremental update ({exc})", code="pdf.unreadable"
        ) from None
    data = buffer.getvalue()
    if not data.startswith(original):
        raise InputError(
            "the incremental update would not keep the original bytes; nothing written",
            code="pdf.incremental",
        )
    atomic_write_bytes(output, data)


def _set_metadata(writer: Any, packet: bytes) -> None:
    from pypdf.generic import DecodedStreamObject, NameObject

    stream = DecodedStreamObject()
    stream.set_data(packet)
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    writer.root_object[NameObject("/Metadata")] = writer._add_object(stream)


def _set_info(writer: Any, changes: dict[str, str | None]) -> None:
    from pypdf.generic import NameObject, create_string_object

    additions = {f"/{k}": v for k, v in changes.items() if v is not None}
    if additions:
        writer.add_metadata(additions)
    info = writer._info
    if info is None:
        return
    info = info.get_object()
    for key, value in changes.items():
        if value is None and NameObject(f"/{key}") in info:
            del info[NameObject(f"/{key}")]
        elif value is not None:
            info[NameObject(f"/{key}")] = create_string_object(value)


def _embed(writer: Any, spec: StampSpec) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, create_string_object

    for existing in list(writer.attachment_list):
        if existing.name == xmpschema.EMBEDDED_BUNDLE_NAME:
            existing.delete()
    attachment = writer.add_attachment(xmpschema.EMBEDDED_BUNDLE_NAME, spec.bundle_bytes)
    moment = datetime.fromisoformat(spec.built_at.replace("Z", "+00:00"))
    attachment.subtype = NameObject("/application#2Fjson")
    attachment.description = create_string_object(
        f"Pith bundle of {spec.number} (signed record, events and state)"
    )
    attachment.associated_file_relationship = NameObject("/Supplement")
    attachment.creation_date = moment
    attachment.modification_date = moment
    filespec = attachment.pdf_object
    root = writer.root_object
    kept = [
        item
        for item in root.get("/AF", ArrayObject())
        if not (
            isinstance(item.get_object(), DictionaryObject)
            and str(item.get_object().get("/F", "")) == xmpschema.EMBEDDED_BUNDLE_NAME
        )
    ]
    root[NameObject("/AF")] = ArrayObject([*kept, filespec.indirect_reference])
