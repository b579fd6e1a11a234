"""Deciding how to stamp one file, before anything is written: facts, then a plan or a refusal.

:func:`inspect_pdf` reads what the stamper needs to know of an open PDF
(encryption, signatures, the XMP packet parsed strictly, the PDF/A level, the
title, an earlier stamp) through the capped access layer;
:func:`plan_stamp` turns those facts and the user's options into a
:class:`StampPlan`, or raises :class:`~pithtex.pdf.stamp.result.StampRefusedError`
naming why the file is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pithtex.core.digests import is_placeholder_title, text_canon_sha256
from pithtex.core.errors import ExitCode, InputError
from pithtex.core.names import BADGE_XOBJECT, DC, EMBEDDED_BUNDLE_NAME
from pithtex.pdf._access.editing import EditableDocument
from pithtex.pdf._access.limits import StreamError
from pithtex.pdf.stamp.result import StampRefusedError
from pithtex.pdf.stamp.spec import StampOptions, StampSpec
from pithtex.pdf.xmp.read import XmpError, parse_tree
from pithtex.pdf.xmp.write import PdfALevel, lang_alt_value, pdfa_level, pith_values

if TYPE_CHECKING:
    from lxml import etree

    from pithtex.pdf.stamp.badge import BadgePlacement

__all__ = ["PdfFacts", "StampPlan", "inspect_pdf", "plan_stamp"]


@dataclass
class PdfFacts:
    """What the stamper needs to know about an opened PDF before deciding anything."""

    encrypted: bool
    signed: bool
    info: dict[str, str]
    xmp: etree._Element | None
    xmp_error: InputError | None
    pdfa: PdfALevel | None
    title: str | None
    attached_bundle: bytes | None
    """The embedded ``pith-bundle.json`` (read only when one is to be embedded)."""
    badge_number: str | None


@dataclass
class StampPlan:
    """The decisions for one file, made before anything is written."""

    incremental: bool
    values: dict[str, str]
    modified: datetime | None
    take_title: str | None
    embed: bool
    badge: BadgePlacement | None
    up_to_date: bool
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- inspecting a PDF


def inspect_pdf(
    document: EditableDocument, *, badge: bool = False, embed: bool = False
) -> PdfFacts:
    """The facts of ``document``; ``badge`` and ``embed`` read what those options need."""
    xmp, xmp_error = _packet(document)
    pdfa = None
    if xmp is not None:
        try:
            pdfa = pdfa_level(xmp)
        except InputError as exc:
            xmp, xmp_error = None, exc
    info = {k: v for k, v in document.info().items() if isinstance(v, str)}
    title = lang_alt_value(xmp, DC, "title") if xmp is not None else None
    if is_placeholder_title(title):
        title = info.get("Title")
    if is_placeholder_title(title):
        title = None
    return PdfFacts(
        encrypted=document.encrypted,
        signed=document.has_signatures(),
        info=info,
        xmp=xmp,
        xmp_error=xmp_error,
        pdfa=pdfa,
        title=title.strip() if title else None,
        attached_bundle=_attached_bundle(document) if embed else None,
        badge_number=_badge_number(document) if badge else None,
    )


def _packet(document: EditableDocument) -> tuple[etree._Element | None, InputError | None]:
    """The XMP packet parsed strictly, or why it cannot be used (too large, malformed)."""
    try:
        raw = document.metadata()
    except StreamError as exc:
        if exc.code == "stream.type":
            return None, None  # not a stream: replaced as if there were none
        if exc.code == "stream.too_large":
            cap = document.limits.max_xmp_bytes
            return None, XmpError("xmp.too_large", f"the XMP packet is over {cap} bytes")
        raise StampRefusedError(
            f"the XMP metadata stream cannot be decoded ({exc.message})", code="xmp.unreadable"
        ) from None
    if raw is None:
        return None, None
    try:
        return parse_tree(raw, max_bytes=document.limits.max_xmp_bytes), None
    except InputError as exc:
        return None, exc


def _attached_bundle(document: EditableDocument) -> bytes | None:
    try:
        found = document.attached_files(EMBEDDED_BUNDLE_NAME, document.limits.max_bundle_bytes)
    except StreamError:
        return None  # unreadable within its cap: not this stamp's bundle
    first = found[0].data if found else None
    return first if all(file.data == first for file in found) else None


def _badge_number(document: EditableDocument) -> str | None:
    """The number of a badge drawn on page 1 earlier, if any."""
    try:
        value = document.page1_xobject_string(BADGE_XOBJECT, "/PithNumber")
    except StreamError:
        return None
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------- planning


def plan_stamp(
    document: EditableDocument, facts: PdfFacts, spec: StampSpec, options: StampOptions
) -> StampPlan:
    """Decide how to stamp, or raise :class:`StampRefusedError` naming why not."""
    notes: list[str] = []
    if facts.encrypted and options.password is None:
        raise StampRefusedError(
            "the PDF is encrypted: give its password with --password to stamp it "
            "(the encryption is kept)",
            code="pdf.encrypted",
        )
    if facts.xmp_error is not None and not options.repair_xmp:
        raise StampRefusedError(
            f"{facts.xmp_error.message}; refusing to replace it (use --repair-xmp to rebuild "
            "the packet from the Info dictionary)",
            code="xmp.malformed",
        )
    if facts.xmp_error is not None:
        notes.append(f"malformed XMP packet replaced: {facts.xmp_error.message}")
    take_title = _require_record_title(document, facts, spec, options, notes)
    incremental = facts.signed or options.incremental
    if facts.signed:
        if options.badge is not None:
            raise StampRefusedError(
                "the PDF is digitally signed: a visible badge changes page 1 and would break "
                "the signed appearance; stamp before signing, or leave out --badge",
                code="signature.badge",
            )
        if facts.encrypted:
            raise StampRefusedError(
                "the PDF is both signed and encrypted: an incremental update of such files "
                "is not supported",
                code="signature.encrypted",
            )
        notes.append("digitally signed: metadata appended as an incremental update")
    if options.embed_bundle and facts.pdfa is not None and not facts.pdfa.allows_json_attachment:
        raise StampRefusedError(
            f"the PDF claims {facts.pdfa.label}, which may not carry a JSON attachment; "
            "stamp it without --embed-bundle (the XMP stamp alone keeps it valid), or produce "
            "PDF/A-3 if the bundle must travel inside",
            code="pdfa.attachment",
        )
    if incremental and options.badge is not None:
        raise StampRefusedError(
            "--badge needs a full rewrite; leave out --incremental", code="stamp.options"
        )
    badge = None
    if options.badge is not None and facts.badge_number != spec.number:
        from pithtex.pdf.stamp.badge import place_badge  # an optional part: only for --badge

        badge = place_badge(document, options.badge, spec)
        notes.extend(badge.notes)
    modified = options.effective_time()
    values = spec.xmp_values(modified)
    return StampPlan(
        incremental=incremental,
        values=values,
        modified=modified,
        take_title=take_title,
        embed=options.embed_bundle,
        badge=badge,
        up_to_date=_up_to_date(facts, spec, options, values, take_title),
        notes=notes,
    )


def _require_record_title(
    document: EditableDocument,
    facts: PdfFacts,
    spec: StampSpec,
    options: StampOptions,
    notes: list[str],
) -> str | None:
    """Refuse a PDF whose title is not the record's; returns a title to write, if any.

    A PDF without a title passes when page 1 shows the record's title: that title
    is then written into its metadata.
    """
    if facts.title is not None:
        if text_canon_sha256(facts.title) == spec.title_canon_sha256:
            return None
        if options.force:
            notes.append(f"title {facts.title!r} does not match the record (--force)")
            return None
        raise StampRefusedError(
            f"the PDF's title {facts.title!r} does not match the record's title hash: "
            "wrong bundle for this paper? (--force stamps anyway)",
            code="title.mismatch",
            exit_code=ExitCode.FAILED,
        )
    unreadable = ""
    if spec.title is not None:
        try:
            if _page_one_shows(document, spec):
                notes.append(
                    "the PDF had no title: the record's title (found on page 1 as its title "
                    "block) was written"
                )
                return spec.title
        except StreamError as exc:
            unreadable = f" (page 1's text cannot be read within bounds: {exc.message})"
    if options.force:
        notes.append(
            "the PDF has no title to check against the record, and page 1's title block is "
            f"not the record's title: its title metadata is left as it is (--force){unreadable}"
        )
        return None
    raise StampRefusedError(
        "the PDF has no title (XMP dc:title or Info /Title) and page 1's visible title block "
        f"is not the record's title{unreadable}, so the bundle cannot be checked against it "
        "(--force stamps anyway)",
        code="title.missing",
        exit_code=ExitCode.FAILED,
    )


def _page_one_shows(document: EditableDocument, spec: StampSpec) -> bool:
    """Whether page 1's visible title block is the record's title (the checker's finder,
    :mod:`pithtex.pdf.title_block`); raises :class:`StreamError` if page 1 cannot be read
    within the caps (PDFium failing on the copy counts as no title)."""
    from pithtex.pdf.title_block import find_title_lines
    from pithtex.pdf.title_match import match_title

    if document.page_count() == 0:
        return False
    try:
        finding = find_title_lines(document.page1_view(images=True))
    except StreamError as exc:
        if exc.code != "text.unreadable":
            raise
        return False
    return match_title(finding, spec.title_canon_sha256, spec.title) is not None


def _up_to_date(
    facts: PdfFacts,
    spec: StampSpec,
    options: StampOptions,
    values: dict[str, str],
    take_title: str | None,
) -> bool:
    if facts.xmp is None or take_title is not None:
        return False
    ignored = {"stampedAt", "tool"}
    present = {k: v for k, v in pith_values(facts.xmp).items() if k not in ignored}
    wanted = {k: v for k, v in values.items() if k not in ignored}
    if present != wanted:
        return False
    if options.embed_bundle and facts.attached_bundle != spec.bundle_bytes:
        return False
    return options.badge is None or facts.badge_number == spec.number
