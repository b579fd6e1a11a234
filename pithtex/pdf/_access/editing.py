"""Editing an open PDF: metadata, Info, attachments, page 1's resources and content; saving.

:func:`open_for_stamping` opens a PDF as qpdf opens files for rewriting (with
xref recovery, and a password if one is given) and gives an
:class:`EditableDocument`: a :class:`~pithtex.pdf._access.document.Document`,
read through the same capped accessors, that can also be changed.  What is
added is described in plain values (:mod:`pithtex.pdf._access.values`).
Saving writes through :func:`pithtex.core.fileio.atomic_output`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from pithtex.core.fileio import atomic_output
from pithtex.pdf._access.document import Document
from pithtex.pdf._access.limits import DEFAULT_READ_LIMITS, PdfError, ReadLimits
from pithtex.pdf._access.values import Value, to_object
from pithtex.pdf.xmp.write import pdf_date

__all__ = ["AttachmentSpec", "EditableDocument", "open_for_stamping"]


class AttachmentSpec(NamedTuple):
    """A file to embed as an associated file of the document (``/AF`` and EmbeddedFiles)."""

    file_name: str
    data: bytes
    mime_type: str
    description: str
    moment: datetime
    """Its creation and modification date."""
    relationship: str
    """The ``/AFRelationship``, without its slash (``Supplement``)."""


@contextlib.contextmanager
def open_for_stamping(
    path: str | Path, password: str | None, limits: ReadLimits = DEFAULT_READ_LIMITS
) -> Iterator[EditableDocument]:
    """Open a PDF to stamp it (qpdf's usual open, with xref recovery); errors are
    :class:`PdfError` (``pdf.encrypted``, ``pdf.password``, ``pdf.unreadable``,
    ``pdf.damaged``, ``file.missing``, ``file.unreadable``)."""
    import pikepdf

    file = Path(path)
    try:
        pdf = pikepdf.open(file, password=password or "")
    except pikepdf.PasswordError:
        if password is None:
            raise PdfError(
                "the PDF is encrypted: give its password with --password", code="pdf.encrypted"
            ) from None
        raise PdfError("the password does not open the PDF", code="pdf.password") from None
    except FileNotFoundError:
        raise PdfError("no such file", code="file.missing") from None
    except IsADirectoryError:
        raise PdfError("is a directory, not a PDF", code="file.unreadable") from None
    except pikepdf.PdfError as exc:
        raise PdfError(f"not a readable PDF ({exc})", code="pdf.unreadable") from None
    except OSError as exc:
        raise PdfError(f"cannot read ({exc.strerror})", code="file.unreadable") from None
    document = EditableDocument(pdf, file, limits, strict=False)
    try:
        yield document
    except pikepdf.PdfError as exc:
        raise PdfError(f"the PDF is damaged ({exc})", code="pdf.damaged") from None
    finally:
        document.close()


class EditableDocument(Document):
    """An open PDF that can be changed, then saved as a whole."""

    def set_metadata(self, packet: bytes) -> None:
        """Make ``packet`` the document's XMP metadata stream (uncompressed, as PDF/A wants)."""
        import pikepdf

        stream = self._pdf.Root.get("/Metadata")
        if isinstance(stream, pikepdf.Stream):
            stream.write(packet)
        else:
            stream = self._pdf.make_stream(packet)
            self._pdf.Root.Metadata = stream
        stream.Type = pikepdf.Name.Metadata
        stream.Subtype = pikepdf.Name.XML

    def set_info(self, changes: Mapping[str, str | None]) -> None:
        """Set (a string) or remove (``None``) Info dictionary entries, keys without slash."""
        import pikepdf

        info = self._pdf.trailer.get("/Info")
        if not isinstance(info, pikepdf.Dictionary):
            if not any(v is not None for v in changes.values()):
                return
            info = self._pdf.make_indirect(pikepdf.Dictionary())
            self._pdf.trailer.Info = info
        for key, value in changes.items():
            name = pikepdf.Name("/" + key)
            if value is None:
                if name in info:
                    del info[name]
            else:
                info[name] = pikepdf.String(value)

    def attach(self, spec: AttachmentSpec) -> None:
        """Embed a file (replacing one of the same name), associated with the document."""
        import pikepdf

        pdf = self._pdf
        filespec = pikepdf.AttachedFileSpec(
            pdf,
            spec.data,
            description=spec.description,
            filename=spec.file_name,
            mime_type=spec.mime_type,
            creation_date=pdf_date(spec.moment),
            mod_date=pdf_date(spec.moment),
            relationship=pikepdf.Name("/" + spec.relationship),
        )
        pdf.attachments[spec.file_name] = filespec
        obj = pdf.attachments[spec.file_name].obj
        kept = [
            item
            for item in pdf.Root.get("/AF", pikepdf.Array())
            if not (
                isinstance(item, pikepdf.Dictionary)
                and str(item.get("/UF", item.get("/F", ""))) == spec.file_name
            )
        ]
        pdf.Root.AF = pikepdf.Array([*kept, obj])

    def page1_has_resource(self, category: str, name: str) -> bool:
        """Whether page 1's own resources hold ``name`` under ``category`` (``/XObject``)."""
        import pikepdf

        resources = self._own_resources()
        entries = resources.get(category)
        return isinstance(entries, pikepdf.Dictionary) and name in entries

    def page1_set_resource(self, category: str, name: str, value: Value) -> None:
        """Put ``value`` into page 1's resources (made its own if they were inherited)."""
        import pikepdf

        resources = self._own_resources()
        entries = resources.get(category)
        if not isinstance(entries, pikepdf.Dictionary):
            entries = pikepdf.Dictionary()
            resources[category] = entries
        entries[name] = to_object(self._pdf, value)

    def _own_resources(self) -> Any:
        """Page 1's resource dictionary, made its own if it was inherited."""
        import pikepdf

        page = self._page()
        resources = page.get("/Resources")
        if isinstance(resources, pikepdf.Dictionary):
            return resources
        inherited = self._inherited(page.get("/Parent"), "/Resources")
        own = (
            pikepdf.Dictionary(dict(inherited.items()))
            if isinstance(inherited, pikepdf.Dictionary)
            else pikepdf.Dictionary()
        )
        page.Resources = own
        return page.Resources

    def page1_add_contents(self, data: bytes, *, prepend: bool = False) -> None:
        """Add a content stream before (``prepend``) or after page 1's content."""
        import pikepdf

        pikepdf.Page(self._page()).contents_add(self._pdf.make_stream(data), prepend=prepend)

    def page1_replace_annotation(self, nm: str, annotation: Value) -> None:
        """Add an annotation to page 1, replacing those whose ``/NM`` is ``nm``."""
        import pikepdf

        page = self._page()
        new = self._pdf.make_indirect(to_object(self._pdf, annotation))
        kept = [
            a
            for a in page.get("/Annots", pikepdf.Array())
            if not (isinstance(a, pikepdf.Dictionary) and str(a.get("/NM", "")) == nm)
        ]
        page.Annots = pikepdf.Array([*kept, new])

    def save(
        self, output: str | Path, *, deterministic: bool = False, qpdf_defaults: bool = False
    ) -> None:
        """Write the whole document to ``output`` atomically, as stamping does.

        Streams are copied as they are, never decoded, so a stream no one needs to
        read is never inflated (qpdf does not allow that for encrypted files: there
        it recompresses streams whose filters it can undo, except Flate); the
        encryption and the object streams are kept.
        ``qpdf_defaults`` writes with qpdf's own defaults instead (what other tools'
        rewrites do), once the XMP packet they rewrite has passed its cap.
        """
        import pikepdf

        if qpdf_defaults:
            self.metadata()
            with atomic_output(output) as handle:
                self._pdf.save(handle)
            return
        settings: dict[str, Any] = {"encryption": True}  # keeps the existing encryption
        if not self._pdf.is_encrypted:
            settings = {"stream_decode_level": pikepdf.StreamDecodeLevel.none}
        with atomic_output(output) as handle:
            self._pdf.save(
                handle,
                fix_metadata_version=False,
                deterministic_id=deterministic,
                object_stream_mode=pikepdf.ObjectStreamMode.preserve,
                **settings,
            )
