"""Reading every trace of a Pith badge out of a PDF, read-only and bounded.

:func:`read_pdf` opens a PDF without ever writing to it and collects the
*evidence* the checker compares: the Pith Numbers each channel names (XMP,
Info dictionary, resolver links and badge text on page 1, the embedded
bundle), the record hashes the metadata carries, the stamp details, the
titles, the text of page 1 and its candidate title lines with their visibility
(:mod:`pithtex.pdf.title_block`, which renders their region).  It decides
nothing; :mod:`pithtex.pdf.check` does.

Reading is strict and bounded, through :mod:`pithtex.pdf._access`:

* the structure is read by qpdf (pikepdf) with xref recovery **off**: a file
  whose cross-reference table must be reconstructed is reported as damaged,
  never silently repaired; the page tree is walked only down to page 1;
* every stream the checker decodes (XMP packet, embedded bundle) is
  decompressed with a size cap, so a decompression bomb is a finding, not an
  allocation;
* XMP is parsed by :mod:`pithtex.pdf.xmp.read` (no DTD, no entities, no recovery);
* the text of page 1 comes from PDFium (pypdfium2), which is given only a copy
  of page 1 that passed the caps (:mod:`pithtex.pdf._access.page1`).

A file that cannot be used at all raises :class:`PdfError` (exit code 2); a
channel that cannot be read is listed in :attr:`PdfEvidence.problems`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pithtex.core.digests import is_placeholder_title
from pithtex.core.errors import NumberFormatError
from pithtex.core.names import BADGE_XOBJECT, EMBEDDED_BUNDLE_NAME, INFO_KEYS, RESOLVER_PATH
from pithtex.core.numbers import PithRef, parse_number
from pithtex.pdf._access.document import Document, Opaque, open_for_reading, preload_libraries
from pithtex.pdf._access.limits import DEFAULT_READ_LIMITS, PdfError, ReadLimits, StreamError
from pithtex.pdf.badge_check import BadgeFacts, read_badge_facts
from pithtex.pdf.revisions import EditFacts, read_edit_facts
from pithtex.pdf.xmp.read import XmpError, XmpPacket, mentions_pith, parse_packet

if TYPE_CHECKING:
    from pithtex.pdf.ocr import OcrReading
    from pithtex.pdf.title_block import TitleFinding

__all__ = [
    "DEFAULT_READ_LIMITS",
    "Claim",
    "EmbeddedFile",
    "PdfError",
    "PdfEvidence",
    "Problem",
    "ReadLimits",
    "StreamError",
    "badge_tokens",
    "normalise_for_search",
    "preload",
    "read_pdf",
]


@dataclass(frozen=True, slots=True)
class Claim:
    """One value a channel of the PDF gives (a number, or a record hash).

    ``channel`` is one of ``xmp.number``, ``xmp.identifier``, ``xmp.resolver``,
    ``info.number``, ``info.resolver``, ``link``, ``badge``, ``text``, ``embedded``
    (numbers) or ``xmp.hash``, ``info.hash`` (record hashes).
    """

    channel: str
    value: str
    where: str
    ref: PithRef | None = None
    """The number parsed from ``value``; ``None`` for hashes and malformed values."""
    problem: str | None = None
    """Why ``value`` is not a Pith Number (malformed claims only)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "value": self.value,
            "where": self.where,
            "number": str(self.ref) if self.ref else None,
            "problem": self.problem,
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """A channel that could not be read, and why."""

    channel: str
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"channel": self.channel, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class EmbeddedFile:
    """The embedded ``pith-bundle.json``, as bytes."""

    data: bytes
    where: str
    relationship: str | None


@dataclass(frozen=True)
class PdfEvidence:
    """Everything :func:`read_pdf` found in one PDF."""

    path: str
    size: int
    sha256: str
    pdf_version: str
    page_count: int | None
    encrypted: bool
    xmp_present: bool
    xmp: XmpPacket | None
    xmp_error: XmpError | None
    xmp_mentions_pith: bool
    info: dict[str, str]
    numbers: tuple[Claim, ...]
    hashes: tuple[Claim, ...]
    stamp: dict[str, str]
    embedded: EmbeddedFile | None
    titles: tuple[tuple[str, str], ...]
    """``(source, title)`` pairs: ``xmp``, ``info``, or, when neither names a title, ``page1``
    (the visible title block,
    :func:`~pithtex.pdf.title_match.shown_block`, its lines joined)."""
    page_text: str
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    title_finding: TitleFinding | None = None
    """Page 1's candidate title lines and their visibility (:mod:`pithtex.pdf.title_block`);
    ``None`` when page 1's text could not be read."""
    badge: BadgeFacts | None = None
    """The badge text on page 1 glyph by glyph, and page 1's links (``None``: unreadable)."""
    edits: EditFacts | None = None
    """What incremental updates after the pith-carrying revision changed on page 1."""
    ocr: OcrReading | None = None
    """Page 1's title region read by OCR (:mod:`pithtex.pdf.ocr`): only when OCR was asked
    for and page 1 shows no visible title block in its text (a scan, outlines)."""


# ------------------------------------------------------------------ reading


class _Reader:
    """Collects claims channel by channel; a failing channel becomes a :class:`Problem`."""

    def __init__(self, document: Document, *, ocr: bool = False) -> None:
        self.document = document
        self.ocr = ocr
        self.ocr_reading: OcrReading | None = None
        self.limits = document.limits
        self.numbers: list[Claim] = []
        self.hashes: list[Claim] = []
        self.stamp: dict[str, str] = {}
        self.titles: list[tuple[str, str]] = []
        self.problems: list[Problem] = []
        self.xmp: XmpPacket | None = None
        self.xmp_error: XmpError | None = None
        self.xmp_present = False
        self.xmp_mentions_pith = False
        self.info: dict[str, str] = {}
        self.embedded: EmbeddedFile | None = None
        self.page_text = ""
        self.badge_tokens: list[str] = []
        self.title_finding: TitleFinding | None = None

    def guarded(self, channel: str, step: Callable[[], None]) -> None:
        try:
            step()
        except StreamError as exc:
            self.problems.append(Problem(channel, exc.code, exc.message))

    def number(self, channel: str, value: str, where: str) -> None:
        try:
            ref = parse_number(value)
        except NumberFormatError as exc:
            self.numbers.append(Claim(channel, value, where, None, exc.message))
            return
        self.numbers.append(Claim(channel, value, where, ref))

    # -- XMP

    def read_xmp(self) -> None:
        try:
            data = self.document.metadata()
        except StreamError:
            self.xmp_present = True
            raise
        if data is None:
            return
        self.xmp_present = True
        self.xmp_mentions_pith = mentions_pith(data)
        try:
            self.xmp = parse_packet(data, max_bytes=self.limits.max_xmp_bytes)
        except XmpError as exc:
            self.xmp_error = exc
            return
        self._xmp_claims(self.xmp)

    def _xmp_claims(self, packet: XmpPacket) -> None:
        pith = packet.pith
        if "number" in pith:
            self.number("xmp.number", pith["number"], "XMP pith:number")
        for name, values in (
            ("dc:identifier", packet.identifiers),
            ("xmp:Identifier", packet.xmp_identifiers),
        ):
            for value in values:
                if value.strip().lower().startswith("pith:"):
                    self.number("xmp.identifier", value, f"XMP {name}")
        if "resolver" in pith:
            self.number("xmp.resolver", pith["resolver"], "XMP pith:resolver")
        if "canonicalSHA256" in pith:
            self.hashes.append(
                Claim("xmp.hash", pith["canonicalSHA256"], "XMP pith:canonicalSHA256")
            )
        for key in ("bundleSHA256", "keyFingerprint", "stampedAt", "tool"):
            if key in pith:
                self.stamp[key] = pith[key]
        if not is_placeholder_title(packet.title):
            self.titles.append(("xmp", packet.title or ""))

    # -- Info dictionary

    def read_info(self) -> None:
        for key, value in self.document.info({"Title", *INFO_KEYS.values()}).items():
            if isinstance(value, Opaque):
                self.problems.append(Problem("info", "info.type", f"Info /{key} is not a string"))
                continue
            self.info[key] = value
        if "PithNumber" in self.info:
            self.number("info.number", self.info["PithNumber"], "Info /PithNumber")
        if "PithResolver" in self.info:
            self.number("info.resolver", self.info["PithResolver"], "Info /PithResolver")
        if "PithCanonicalSHA256" in self.info:
            self.hashes.append(
                Claim("info.hash", self.info["PithCanonicalSHA256"], "Info /PithCanonicalSHA256")
            )
        title = self.info.get("Title")
        if not is_placeholder_title(title):
            self.titles.append(("info", title or ""))

    # -- page 1

    def read_badge(self) -> None:
        """The ``/PithNumber`` of a stamped badge (form XObject ``/PithBadge`` on page 1)."""
        value = self.document.page1_xobject_string(BADGE_XOBJECT, "/PithNumber")
        if isinstance(value, Opaque):
            raise StreamError("badge.type", f"{BADGE_XOBJECT} /PithNumber is not a string")
        if value is not None:
            self.number("badge", value, f"page 1 {BADGE_XOBJECT} /PithNumber")

    def read_links(self) -> None:
        for link in self.document.page1_links():
            if RESOLVER_PATH in link.uri:  # which resolvers count is the checker's choice
                self.number("link", link.uri, f"page 1 link annotation {link.position}")

    # -- embedded bundle

    def read_embedded(self) -> None:
        found: dict[bytes, EmbeddedFile] = {}
        files = self.document.attached_files(EMBEDDED_BUNDLE_NAME, self.limits.max_bundle_bytes)
        for file in files:
            found.setdefault(
                hashlib.sha256(file.data).digest(),
                EmbeddedFile(file.data, file.where, file.relationship),
            )
        if len(found) > 1:
            raise StreamError(
                "embedded.ambiguous",
                f"the PDF embeds {len(found)} different {EMBEDDED_BUNDLE_NAME} files",
            )
        self.embedded = next(iter(found.values()), None)

    # -- text of page 1

    def read_text(self) -> None:
        """The badge text, the title block and, when the metadata names no title, the
        title page 1 shows (its visible title block)."""
        from pithtex.pdf.title_block import TitleFinding, find_title_lines, title_texts
        from pithtex.pdf.title_match import shown_block

        view = self.document.page1_view(images=True)  # images: they may cover the title
        self.page_text = view.text()
        self.badge_tokens = badge_tokens(self.page_text)
        for token in self.badge_tokens:
            self.number("text", token, "page 1 text")
        try:
            self.title_finding = find_title_lines(view)
        except StreamError as exc:  # the text was read: only the title block is unknown
            self.title_finding = TitleFinding((), None, 0, notes=(exc.message,))
        block = shown_block(self.title_finding)
        if not self.titles and block:
            self.titles.append(("page1", next(title_texts(block))))
        if self.ocr and not block:  # no title text a reader sees: read what the page shows
            from pithtex.pdf.ocr import read_title_by_ocr

            self.ocr_reading = read_title_by_ocr(view)


# ------------------------------------------------------------------ PDFium text

_BADGE = re.compile(r"pith:(?:\d{4}:)?[A-Z2-7]{8,26}(?![A-Za-z0-9])", re.I)
_WORD_CHAR = re.compile(r"[A-Za-z0-9]", re.I)
"""What may not come right before a token (the pattern starts with its literal ``pith:``
so that the search skips ahead to it, and the character before is tested here)."""


def badge_tokens(text: str) -> list[str]:
    """``pith:…`` tokens in page text (the badge and any other number shown)."""
    return list(
        dict.fromkeys(
            match.group(0)
            for match in _BADGE.finditer(text)
            if not match.start() or not _WORD_CHAR.match(text, match.start() - 1)
        )
    )


_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise_for_search(text: str) -> str:
    """Letters and digits only, NFKC and case-folded: for finding a title in page text."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).casefold())


# ------------------------------------------------------------------ entry point


def read_pdf(
    path: str | Path, *, limits: ReadLimits = DEFAULT_READ_LIMITS, ocr: bool = False
) -> PdfEvidence:
    """Read every claim in the PDF at ``path``; raises :class:`PdfError` when unusable.

    Link claims are every page 1 link whose URI has a ``/pith/`` path, on any
    host; :func:`pithtex.pdf.check.check_evidence` keeps those of known resolvers.
    With ``ocr``, a page 1 that shows no visible title block in its text has its
    title region read by OCR (:func:`pithtex.pdf.ocr.read_title_by_ocr`, which needs
    Tesseract: see :func:`pithtex.pdf.ocr.require_tesseract`).
    """
    with open_for_reading(path, limits) as document:
        page_count = document.locate_page1()
        reader = _Reader(document, ocr=ocr)
        reader.guarded("xmp", reader.read_xmp)
        reader.guarded("info", reader.read_info)
        reader.guarded("link", reader.read_links)
        reader.guarded("badge", reader.read_badge)
        reader.guarded("embedded", reader.read_embedded)
        reader.guarded("text", reader.read_text)
        tokens = reader.badge_tokens
        badge = _attempt(reader, "badge", lambda: read_badge_facts(document, tokens))
        regions = badge.regions if badge is not None else ()
        found = reader.title_finding
        title = [
            (r[0] - line.size, r[1] - line.size, r[2] + line.size, r[3] + line.size)
            for line in (found.visible_lines if found else ())
            if (r := line.user_rect)
        ]  # an em around each title line
        edits = _attempt(reader, "revisions", lambda: read_edit_facts(document, regions, title))
        return PdfEvidence(
            path=str(document.path),
            size=document.size or 0,
            sha256=document.sha256 or "",
            pdf_version=document.pdf_version,
            page_count=page_count,
            encrypted=document.encrypted,
            xmp_present=reader.xmp_present,
            xmp=reader.xmp,
            xmp_error=reader.xmp_error,
            xmp_mentions_pith=reader.xmp_mentions_pith,
            info=reader.info,
            numbers=tuple(reader.numbers),
            hashes=tuple(reader.hashes),
            stamp=reader.stamp,
            embedded=reader.embedded,
            titles=tuple(reader.titles),
            page_text=reader.page_text,
            title_finding=reader.title_finding,
            problems=tuple(reader.problems),
            warnings=document.warnings(),
            badge=badge,
            edits=edits,
            ocr=reader.ocr_reading,
        )


T = TypeVar("T")


def _attempt(reader: _Reader, channel: str, step: Callable[[], T]) -> T | None:
    """``step()``, or ``None`` with a :class:`Problem` when it cannot be read in its caps."""
    try:
        return step()
    except StreamError as exc:
        reader.problems.append(Problem(channel, exc.code, exc.message))
        return None


def preload(*, pdfium: bool = True) -> None:
    """Import the PDF libraries now: in a thread while something else runs, or in a parent
    process before it forks its readers (``pdfium=False``: pikepdf only)."""
    preload_libraries(pdfium=pdfium)
