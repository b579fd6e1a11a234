"""Reading every trace of a Pith badge out of a PDF, read-only and bounded.

:func:`read_pdf` opens a PDF without ever writing to it and collects the
*evidence* the checker compares: the Pith Numbers each channel names (XMP,
Info dictionary, resolver links and badge text on page 1, the embedded
bundle), the record hashes the metadata carries, the stamp details, the
titles, and the text of page 1.  It decides nothing; :mod:`pithtex.pdf.check`
does.

Reading is strict and bounded:

* the structure is read by qpdf (pikepdf) with xref recovery **off**: a file
  whose cross-reference table must be reconstructed is reported as damaged,
  never silently repaired; the page tree is walked only down to page 1;
* every stream the checker decodes (XMP packet, embedded bundle, page 1
  content) is decompressed with a size cap, so a decompression bomb is a
  finding, not an allocation;
* XMP is parsed by :mod:`pithtex.pdf.xmp.read` (no DTD, no entities, no recovery);
* the text of page 1 comes from PDFium (pypdfium2).

A file that cannot be used at all raises :class:`PdfError` (exit code 2); a
channel that cannot be read is listed in :attr:`PdfEvidence.problems`.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pithtex.core.digests import is_placeholder_title
from pithtex.core.errors import InputError, NumberFormatError
from pithtex.core.names import (
    BADGE_XOBJECT,
    EMBEDDED_BUNDLE_NAME,
    INFO_KEYS,
    RESOLVER_PATH,
)
from pithtex.core.numbers import PithRef, parse_number
from pithtex.pdf.xmp.read import XmpError, XmpPacket, parse_packet

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Caps on what one PDF may make the reader do."""

    max_file_bytes: int = 512 * MIB
    max_xmp_bytes: int = 4 * MIB
    max_bundle_bytes: int = 16 * MIB
    max_page_content_bytes: int = 64 * MIB
    """Decoded size of page 1's content streams handed to the text extractor."""
    max_annotations: int = 5000
    max_tree_depth: int = 64
    max_name_tree_nodes: int = 10000
    max_expansion: int = 2000
    """Assumed worst-case expansion of filters other than plain Flate."""


DEFAULT_READ_LIMITS = ReadLimits()


class PdfError(InputError):
    """A PDF that cannot be used at all (exit code 2); ``code`` says why.

    Codes: ``pdf.missing``, ``pdf.unreadable``, ``pdf.too_large``,
    ``pdf.not_pdf``, ``pdf.encrypted``, ``pdf.damaged``, ``pdf.no_pages``.
    """

    default_code = "pdf.damaged"


class StreamError(Exception):
    """A stream that cannot be decoded within its cap."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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
    """``(source, title)`` pairs: ``xmp``, ``info``, then ``page1`` (largest type near the top)."""
    page_text: str
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------ bounded streams


def _filters(stream: Any) -> list[str]:
    import pikepdf

    value = stream.get("/Filter")
    if value is None:
        return []
    items = list(value) if isinstance(value, pikepdf.Array) else [value]
    return [str(item) for item in items]


def read_stream(stream: Any, cap: int, limits: ReadLimits = DEFAULT_READ_LIMITS) -> bytes:
    """Decoded bytes of a stream, refusing (before allocating) more than ``cap`` bytes.

    Plain Flate is decompressed here in bounded steps; an unfiltered stream is
    read raw; any other filter chain is decoded by qpdf only when its encoded
    size times ``limits.max_expansion`` stays under the cap.
    """
    import pikepdf

    if not isinstance(stream, pikepdf.Stream):
        raise StreamError("stream.type", "expected a stream object")
    raw = bytes(stream.read_raw_bytes())
    filters = _filters(stream)
    if not filters:
        if len(raw) > cap:
            raise StreamError("stream.too_large", f"stream of {len(raw)} bytes exceeds {cap}")
        return raw
    if filters == ["/FlateDecode"]:
        decoded = inflate_capped(raw, cap)
        if stream.get("/DecodeParms") is None:
            return decoded
    elif len(raw) * limits.max_expansion > cap:
        raise StreamError(
            "stream.too_large",
            f"stream with filters {' '.join(filters)} may expand beyond {cap} bytes",
        )
    try:
        data = bytes(stream.read_bytes())
    except pikepdf.PdfError as exc:
        raise StreamError("stream.corrupt", f"cannot decode stream: {exc}") from None
    if len(data) > cap:
        raise StreamError("stream.too_large", f"decoded stream exceeds {cap} bytes")
    return data


def inflate_capped(raw: bytes, cap: int) -> bytes:
    """zlib-inflate ``raw`` producing at most ``cap`` bytes (a bomb raises, not allocates)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, cap + 1)
    except zlib.error as exc:
        raise StreamError("stream.corrupt", f"corrupt Flate data: {exc}") from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise StreamError("stream.too_large", f"stream inflates beyond {cap} bytes")
    return out


# ------------------------------------------------------------------ opening


def _file_facts(path: Path, limits: ReadLimits) -> tuple[int, str]:
    """Size and SHA-256 of the file; refuses missing, huge and non-PDF files."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise PdfError("not a regular file", code="pdf.unreadable")
        if size > limits.max_file_bytes:
            raise PdfError(
                f"{size} bytes is over the {limits.max_file_bytes}-byte cap",
                code="pdf.too_large",
            )
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            head = handle.read(1024)
            if b"%PDF-" not in head:
                raise PdfError("not a PDF (no %PDF- header)", code="pdf.not_pdf")
            digest.update(head)
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    except FileNotFoundError:
        raise PdfError("no such file", code="pdf.missing") from None
    except OSError as exc:
        raise PdfError(f"cannot read ({exc.strerror})", code="pdf.unreadable") from None
    return size, digest.hexdigest()


def _open(path: Path) -> Any:
    import pikepdf

    try:
        return pikepdf.open(
            path,
            attempt_recovery=False,
            inherit_page_attributes=False,
            suppress_warnings=True,
        )
    except pikepdf.PasswordError:
        raise PdfError(
            "encrypted, and a password is needed to open it", code="pdf.encrypted"
        ) from None
    except pikepdf.PdfError as exc:
        raise PdfError(
            f"damaged PDF, not repaired ({_first_line(exc, path)})", code="pdf.damaged"
        ) from None
    except (RecursionError, ValueError, RuntimeError) as exc:
        raise PdfError(f"cannot parse ({_first_line(exc, path)})", code="pdf.damaged") from None


def _first_line(exc: BaseException, path: Path | None = None) -> str:
    """The first line of an error message, without the file name qpdf puts in front."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    if path is not None:
        text = text.replace(f"{path}: ", "").replace(f"{path} ", "")
    return text[:300]


# ------------------------------------------------------------------ reading


_DAMAGE = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)
"""What pikepdf raises on objects of unexpected types or values in a damaged file."""


class _Reader:
    """Collects claims channel by channel; a failing channel becomes a :class:`Problem`."""

    def __init__(self, pdf: Any, path: Path, limits: ReadLimits):
        self.pdf = pdf
        self.path = path
        self.limits = limits
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
        self.page: Any = None
        self.page_text = ""

    def guarded(self, channel: str, step: Callable[[], None]) -> None:
        import pikepdf

        try:
            step()
        except StreamError as exc:
            self.problems.append(Problem(channel, exc.code, exc.message))
        except (pikepdf.PdfError, *_DAMAGE) as exc:
            self.problems.append(Problem(channel, "pdf.object", _first_line(exc)))
        except RecursionError:
            self.problems.append(Problem(channel, "pdf.nesting", "objects nested too deeply"))

    def number(self, channel: str, value: str, where: str) -> None:
        try:
            ref = parse_number(value)
        except NumberFormatError as exc:
            self.numbers.append(Claim(channel, value, where, None, exc.message))
            return
        self.numbers.append(Claim(channel, value, where, ref))

    # -- XMP

    def read_xmp(self) -> None:
        metadata = self.pdf.Root.get("/Metadata")
        if metadata is None:
            return
        self.xmp_present = True
        data = read_stream(metadata, self.limits.max_xmp_bytes, self.limits)
        self.xmp_mentions_pith = b"pith" in data.lower()
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
        import pikepdf

        info = self.pdf.trailer.get("/Info")
        if not isinstance(info, pikepdf.Dictionary):
            return
        for key in {"Title", *INFO_KEYS.values()}:
            value = info.get(f"/{key}")
            if value is None:
                continue
            if not isinstance(value, pikepdf.String):
                self.problems.append(Problem("info", "info.type", f"Info /{key} is not a string"))
                continue
            self.info[key] = str(value)
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

    def find_page1(self) -> None:
        """Walk the page tree down to its first leaf, never loading the rest."""
        import pikepdf

        node = self.pdf.Root.get("/Pages")
        seen: set[tuple[int, int]] = set()
        for _ in range(self.limits.max_tree_depth):
            if not isinstance(node, (pikepdf.Dictionary, pikepdf.Stream)):
                break
            if node.is_indirect:
                if node.objgen in seen:
                    raise PdfError("the page tree has a cycle", code="pdf.damaged")
                seen.add(node.objgen)
            kids = node.get("/Kids")
            if kids is None:
                if node.get("/Type") in (None, pikepdf.Name.Page):
                    self.page = node
                return
            if not isinstance(kids, pikepdf.Array) or len(kids) == 0:
                break
            node = kids[0]
        else:
            raise PdfError("the page tree is nested too deeply", code="pdf.damaged")
        raise PdfError("the PDF has no page 1", code="pdf.no_pages")

    def read_badge(self) -> None:
        """The ``/PithNumber`` of a stamped badge (form XObject ``/PithBadge`` on page 1)."""
        import pikepdf

        resources = self.page.get("/Resources")
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        badge = xobjects.get(BADGE_XOBJECT) if isinstance(xobjects, pikepdf.Dictionary) else None
        if isinstance(badge, pikepdf.Stream) and "/PithNumber" in badge:
            value = badge.get("/PithNumber")
            if not isinstance(value, pikepdf.String):
                raise StreamError("badge.type", f"{BADGE_XOBJECT} /PithNumber is not a string")
            self.number("badge", str(value), f"page 1 {BADGE_XOBJECT} /PithNumber")

    def read_links(self) -> None:
        import pikepdf

        annots = self.page.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            return
        if len(annots) > self.limits.max_annotations:
            raise StreamError(
                "annotations.too_many", f"page 1 has {len(annots)} annotations (cap exceeded)"
            )
        for index, annot in enumerate(annots):
            uri = _link_uri(annot)
            if uri is None:
                continue
            if RESOLVER_PATH in uri:  # which resolvers count is the checker's choice
                self.number("link", uri, f"page 1 link annotation {index}")

    # -- embedded bundle

    def read_embedded(self) -> None:
        found: dict[bytes, EmbeddedFile] = {}
        for where, filespec in self._filespecs():
            if _filespec_name(filespec) != EMBEDDED_BUNDLE_NAME:
                continue
            stream = _embedded_stream(filespec)
            if stream is None:
                raise StreamError(
                    "embedded.no_stream", f"{where}: {EMBEDDED_BUNDLE_NAME} has no /EF stream"
                )
            data = read_stream(stream, self.limits.max_bundle_bytes, self.limits)
            relationship = filespec.get("/AFRelationship")
            found.setdefault(
                hashlib.sha256(data).digest(),
                EmbeddedFile(data, where, str(relationship)[1:] if relationship else None),
            )
        if len(found) > 1:
            raise StreamError(
                "embedded.ambiguous",
                f"the PDF embeds {len(found)} different {EMBEDDED_BUNDLE_NAME} files",
            )
        self.embedded = next(iter(found.values()), None)

    def _filespecs(self) -> Iterator[tuple[str, Any]]:
        import pikepdf

        root = self.pdf.Root
        associated = root.get("/AF")
        if isinstance(associated, pikepdf.Array):
            for index, spec in enumerate(associated[: self.limits.max_annotations]):
                if isinstance(spec, pikepdf.Dictionary):
                    yield f"/AF[{index}]", spec
        names = root.get("/Names")
        tree = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
        if isinstance(tree, pikepdf.Dictionary):
            for name, spec in self._name_tree(tree):
                yield f"EmbeddedFiles {name!r}", spec

    def _name_tree(self, root: Any) -> Iterator[tuple[str, Any]]:
        import pikepdf

        stack = [(root, 0)]
        seen: set[tuple[int, int]] = set()
        visited = 0
        while stack:
            node, depth = stack.pop()
            visited += 1
            if visited > self.limits.max_name_tree_nodes or depth > self.limits.max_tree_depth:
                raise StreamError("names.too_large", "EmbeddedFiles name tree is too large or deep")
            if node.is_indirect:
                if node.objgen in seen:
                    raise StreamError("names.cycle", "EmbeddedFiles name tree has a cycle")
                seen.add(node.objgen)
            pairs = node.get("/Names")
            if isinstance(pairs, pikepdf.Array):
                for i in range(0, len(pairs) - 1, 2):
                    if isinstance(pairs[i + 1], pikepdf.Dictionary):
                        yield _text(pairs[i]), pairs[i + 1]
            kids = node.get("/Kids")
            if isinstance(kids, pikepdf.Array):
                stack.extend((kid, depth + 1) for kid in reversed(list(kids)))

    # -- text of page 1

    def read_text(self) -> None:
        """The badge text and, when the metadata names no title, the title on page 1."""
        import pypdfium2 as pdfium

        self.check_page_content()
        try:
            self.page_text, title = _page_text(self.path, want_title=not self.titles)
        except pdfium.PdfiumError as exc:
            raise StreamError("text.unreadable", _first_line(exc)) from None
        for token in badge_tokens(self.page_text):
            self.number("text", token, "page 1 text")
        if title:
            self.titles.append(("page1", title))

    def check_page_content(self) -> None:
        """Refuse page content that would decode beyond the cap before PDFium reads it."""
        import pikepdf

        contents = self.page.get("/Contents")
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        budget = self.limits.max_page_content_bytes
        for stream in streams[: self.limits.max_annotations]:
            if isinstance(stream, pikepdf.Stream):
                budget -= len(read_stream(stream, budget, self.limits))


def _text(value: Any) -> str:
    try:
        return str(value)
    except (ValueError, TypeError):
        return repr(value)


def _link_uri(annot: Any) -> str | None:
    import pikepdf

    if not isinstance(annot, pikepdf.Dictionary) or annot.get("/Subtype") != pikepdf.Name.Link:
        return None
    action = annot.get("/A")
    if not isinstance(action, pikepdf.Dictionary) or action.get("/S") != pikepdf.Name.URI:
        return None
    uri = action.get("/URI")
    if not isinstance(uri, pikepdf.String):
        return None
    return bytes(uri).decode("latin-1").strip()


def _filespec_name(spec: Any) -> str | None:
    import pikepdf

    for key in ("/UF", "/F"):
        value = spec.get(key)
        if isinstance(value, pikepdf.String):
            return str(value).rsplit("/", 1)[-1]
    return None


def _embedded_stream(spec: Any) -> Any:
    import pikepdf

    files = spec.get("/EF")
    if not isinstance(files, pikepdf.Dictionary):
        return None
    for key in ("/UF", "/F"):
        stream = files.get(key)
        if isinstance(stream, pikepdf.Stream):
            return stream
    return None


# ------------------------------------------------------------------ PDFium text

_BADGE = re.compile(r"(?<![A-Za-z0-9])pith:(?:\d{4}:)?[A-Z2-7]{8,26}(?![A-Za-z0-9])", re.I)
TITLE_REGION = 0.45
"""Fraction of the page height, from the top, where the title is looked for."""
SIDEWAYS_SINE = 0.5
"""Text turned more than 30 degrees from the horizontal is not a title candidate."""


def _page_text(path: Path, *, want_title: bool) -> tuple[str, str | None]:
    """Text of page 1 and, if wanted, the visible title (largest type near the top)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        page = document[0]
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        title = _visible_title(textpage, page.get_height()) if want_title else None
        textpage.close()
        page.close()
    finally:
        document.close()
    return text, title


def _visible_title(textpage: Any, height: float) -> str | None:
    """The line(s) set in the largest type within the top of the page."""
    import pypdfium2.raw as pdfium_c

    lines: list[tuple[float, float, str]] = []
    for index in range(min(textpage.count_rects(), 400)):
        left, bottom, right, top = textpage.get_rect(index)
        if top < height * (1 - TITLE_REGION):
            continue
        text = textpage.get_text_bounded(left, bottom, right, top).strip()
        if not any(ch.isalnum() for ch in text):
            continue
        middle = ((left + right) / 2, (bottom + top) / 2)
        char = pdfium_c.FPDFText_GetCharIndexAtPos(textpage, *middle, 2.0, 2.0)
        if char < 0:  # the middle falls between glyphs: take the glyph nearest to it
            reach = ((right - left) / 2, (top - bottom) / 2)
            char = pdfium_c.FPDFText_GetCharIndexAtPos(textpage, *middle, *reach)
        if char >= 0 and _sideways(pdfium_c.FPDFText_GetCharAngle(textpage, char)):
            continue  # e.g. arXiv's identifier, set vertically in the left margin
        size = pdfium_c.FPDFText_GetFontSize(textpage, char) if char >= 0 else top - bottom
        lines.append((size, top, text))
    if not lines:
        return None
    largest = max(size for size, _, _ in lines)
    chosen = [(top, text) for size, top, text in lines if size >= largest * 0.95]
    chosen.sort(key=lambda pair: -pair[0])
    return " ".join(text for _, text in chosen)


def _sideways(angle: float) -> bool:
    """Whether text at ``angle`` (radians; pdfium gives -1 when unknown) runs up or down."""
    return angle >= 0 and abs(math.sin(angle)) > SIDEWAYS_SINE


def badge_tokens(text: str) -> list[str]:
    """``pith:…`` tokens in page text (the badge and any other number shown)."""
    return list(dict.fromkeys(match.group(0) for match in _BADGE.finditer(text)))


_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise_for_search(text: str) -> str:
    """Letters and digits only, NFKC and case-folded: for finding a title in page text."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).casefold())


# ------------------------------------------------------------------ entry point


def read_pdf(path: str | Path, *, limits: ReadLimits = DEFAULT_READ_LIMITS) -> PdfEvidence:
    """Read every claim in the PDF at ``path``; raises :class:`PdfError` when unusable.

    Link claims are every page 1 link whose URI has a ``/pith/`` path, on any
    host; :func:`pithtex.pdf.check.check_evidence` keeps those of known resolvers.
    """
    file = Path(path)
    size, sha256 = _file_facts(file, limits)
    pdf = _open(file)
    try:
        return _collect(pdf, file, size, sha256, limits)
    finally:
        pdf.close()


def _collect(pdf: Any, file: Path, size: int, sha256: str, limits: ReadLimits) -> PdfEvidence:
    import pikepdf

    reader = _Reader(pdf, file, limits)
    try:
        reader.find_page1()
        page_count = _declared_count(pdf)
    except (pikepdf.PdfError, RecursionError, *_DAMAGE) as exc:
        raise PdfError(f"damaged page tree ({_first_line(exc, file)})") from None
    reader.guarded("xmp", reader.read_xmp)
    reader.guarded("info", reader.read_info)
    reader.guarded("link", reader.read_links)
    reader.guarded("badge", reader.read_badge)
    reader.guarded("embedded", reader.read_embedded)
    reader.guarded("text", reader.read_text)
    warnings = tuple(str(w) for w in pdf.get_warnings())
    return PdfEvidence(
        path=str(file),
        size=size,
        sha256=sha256,
        pdf_version=str(pdf.pdf_version),
        page_count=page_count,
        encrypted=bool(pdf.is_encrypted),
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
        problems=tuple(reader.problems),
        warnings=warnings[:20],
    )


def _declared_count(pdf: Any) -> int | None:
    count = pdf.Root.Pages.get("/Count")
    try:
        return int(count) if count is not None else None
    except (TypeError, ValueError):
        return None
