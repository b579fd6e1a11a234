"""Appending a revision to a PDF (pypdf's incremental writer): the original bytes stay a prefix.

:func:`append_revision` returns the bytes of the file plus one incremental
update holding only what changed: the XMP stream, the catalog, the Info
dictionary and, on request, an embedded file.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pithtex.pdf._access.editing import AttachmentSpec
from pithtex.pdf._access.limits import PdfError

__all__ = ["append_revision"]


def append_revision(
    source: Path,
    packet: bytes,
    info: Mapping[str, str | None],
    attachment: AttachmentSpec | None = None,
) -> bytes:
    """``source`` plus one revision carrying the XMP ``packet``, ``info`` and ``attachment``."""
    from pypdf import PdfWriter
    from pypdf.errors import PdfReadError

    buffer = io.BytesIO()
    try:
        writer = PdfWriter(source, incremental=True)
        _set_metadata(writer, packet)
        _set_info(writer, info)
        if attachment is not None:
            _attach(writer, attachment)
        writer.write(buffer)
    except PdfReadError as exc:
        raise PdfError(
            f"pypdf cannot read the PDF for an incremental update ({exc})", code="pdf.unreadable"
        ) from None
    return buffer.getvalue()


def _set_metadata(writer: Any, packet: bytes) -> None:
    from pypdf.generic import DecodedStreamObject, NameObject

    stream = DecodedStreamObject()
    stream.set_data(packet)
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    writer.root_object[NameObject("/Metadata")] = writer._add_object(stream)


def _set_info(writer: Any, changes: Mapping[str, str | None]) -> None:
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


def _attach(writer: Any, spec: AttachmentSpec) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, create_string_object

    for existing in list(writer.attachment_list):
        if existing.name == spec.file_name:
            existing.delete()
    attachment = writer.add_attachment(spec.file_name, spec.data)
    attachment.subtype = NameObject("/" + spec.mime_type.replace("/", "#2F"))
    attachment.description = create_string_object(spec.description)
    attachment.associated_file_relationship = NameObject("/" + spec.relationship)
    attachment.creation_date = spec.moment
    attachment.modification_date = spec.moment
    filespec = attachment.pdf_object
    root = writer.root_object
    kept = [
        item
        for item in root.get("/AF", ArrayObject())
        if not (
            isinstance(item.get_object(), DictionaryObject)
            and str(item.get_object().get("/F", "")) == spec.file_name
        )
    ]
    root[NameObject("/AF")] = ArrayObject([*kept, filespec.indirect_reference])
