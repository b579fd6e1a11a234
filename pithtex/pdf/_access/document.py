"""One open PDF, read through capped accessors: :class:`Document`.

A :class:`Document` wraps a pikepdf (qpdf) document.  :func:`open_for_reading`
(the checker) checks the file first (size cap, ``%PDF-`` header, SHA-256),
then opens it with xref recovery **off**, so a file whose cross-reference
table must be reconstructed is refused as damaged; the page tree is walked
only down to page 1.  The stamper opens files through
:mod:`pithtex.pdf._access.editing`, whose documents are also this class.

Reads return plain Python values (``str``, ``bytes``, tuples) and raise
:class:`~pithtex.pdf._access.limits.StreamError` for an object that cannot be
read within its cap; a damaged object becomes ``pdf.object``, objects nested
too deeply ``pdf.nesting``.  Page 1 is handed to PDFium only through
:meth:`Document.page1_view`, which checks it against the caps and gives PDFium
a sanitised copy of it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, ParamSpec, TypeVar

from pithtex.pdf._access.limits import (
    DEFAULT_READ_LIMITS,
    PdfError,
    ReadLimits,
    StreamError,
    first_line,
)
from pithtex.pdf._access.streams import read_stream
from pithtex.pdf._access.values import Rect

if TYPE_CHECKING:
    from pithtex.pdf._access.pdfium import Page1View

__all__ = [
    "AttachedFile",
    "Document",
    "Link",
    "LinkAnnotation",
    "Opaque",
    "PageGeometry",
    "inherited",
    "open_for_reading",
    "preload_libraries",
]

P = ParamSpec("P")
R = TypeVar("R")

_DAMAGE = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)
"""What pikepdf raises on objects of unexpected types or values in a damaged file."""


class Opaque(NamedTuple):
    """A value that is there but not of the type asked for (``kind`` names its type)."""

    kind: str


class AttachedFile(NamedTuple):
    """An embedded file's bytes, where they were found and their ``/AFRelationship``."""

    data: bytes
    where: str
    relationship: str | None


class LinkAnnotation(NamedTuple):
    """One ``/Link`` annotation of page 1, whatever clicking it does."""

    position: int
    """Its place in the page's ``/Annots``, from 0."""
    rect: Rect | None
    action: str
    """The action's ``/S`` without its slash (``URI``, ``GoTo``, ``Launch``, ...);
    ``Dest`` for a plain destination, ``none`` when clicking it does nothing."""
    uri: str | None
    """The web address of a ``URI`` action."""


class Link(NamedTuple):
    """A link annotation of page 1 with a URI action."""

    position: int
    """Its place in the page's ``/Annots``, from 0."""
    uri: str
    rect: Rect | None
    """Its ``/Rect`` in user space (``None`` when missing or malformed)."""


class PageGeometry(NamedTuple):
    """Where page 1 is visible and how it is turned."""

    crop_box: Rect
    media_box: Rect
    rotation: int
    """0, 90, 180 or 270 (degrees clockwise, as ``/Rotate``)."""


def preload_libraries(*, pdfium: bool = True) -> None:
    """Import pikepdf and, with ``pdfium``, PDFium and lxml now: in a thread while something
    else runs, or in a parent process before it forks its workers."""
    import pikepdf

    del pikepdf
    if pdfium:
        import lxml.etree
        import pypdfium2
        import pypdfium2.raw

        del pypdfium2, lxml


def _reading(method: Callable[P, R]) -> Callable[P, R]:
    """Turn the PDF library's errors on a damaged object into :class:`StreamError`."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        import pikepdf

        try:
            return method(*args, **kwargs)
        except (pikepdf.PdfError, *_DAMAGE) as exc:
            raise StreamError("pdf.object", first_line(exc)) from None
        except RecursionError:
            raise StreamError("pdf.nesting", "objects nested too deeply") from None

    return guarded


# ---------------------------------------------------------------- opening


@contextlib.contextmanager
def open_for_reading(
    path: str | Path, limits: ReadLimits = DEFAULT_READ_LIMITS
) -> Iterator[Document]:
    """Check and open a PDF read-only, without repair; raises :class:`PdfError` if unusable."""
    import pikepdf

    file = Path(path)
    size, sha256 = _file_facts(file, limits)
    try:
        pdf = pikepdf.open(
            file, attempt_recovery=False, inherit_page_attributes=False, suppress_warnings=True
        )
    except pikepdf.PasswordError:
        raise PdfError(
            "encrypted, and a password is needed to open it", code="pdf.encrypted"
        ) from None
    except pikepdf.PdfError as exc:
        raise PdfError(
            f"damaged PDF, not repaired ({first_line(exc, file)})", code="pdf.damaged"
        ) from None
    except (RecursionError, ValueError, RuntimeError) as exc:
        raise PdfError(f"cannot parse ({first_line(exc, file)})", code="pdf.damaged") from None
    document = Document(pdf, file, limits, strict=True, size=size, sha256=sha256)
    try:
        yield document
    finally:
        document.close()


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


# ---------------------------------------------------------------- the document


class Document:
    """An open PDF, read through capped accessors and edited through plain values."""

    def __init__(
        self,
        pdf: Any,
        path: Path,
        limits: ReadLimits,
        *,
        strict: bool,
        size: int | None = None,
        sha256: str | None = None,
    ) -> None:
        self._pdf = pdf
        self.path = path
        self.limits = limits
        self.size = size
        self.sha256 = sha256
        self._strict = strict
        self._page1: Any = None
        self._views: dict[bool, Page1View] = {}
        self._annotations: list[LinkAnnotation] | None = None

    def close(self) -> None:
        for view in self._views.values():
            view.close()
        self._views.clear()
        self._pdf.close()

    # -- facts

    @property
    def pdf_version(self) -> str:
        return str(self._pdf.pdf_version)

    @property
    def encrypted(self) -> bool:
        return bool(self._pdf.is_encrypted)

    def warnings(self, limit: int = 20) -> tuple[str, ...]:
        """What qpdf noted while reading (damage it worked around), the first ``limit``."""
        return tuple(str(w) for w in self._pdf.get_warnings())[:limit]

    def declared_page_count(self) -> int | None:
        """The page tree's ``/Count`` (``None`` when missing or not a number)."""
        count = self._pdf.Root.Pages.get("/Count")
        try:
            return int(count) if count is not None else None
        except (TypeError, ValueError):
            return None

    def page_count(self) -> int:
        """The number of pages (the whole page tree is walked: stamping only)."""
        return len(self._pdf.pages)

    # -- page 1

    def locate_page1(self) -> int | None:
        """Find page 1 and return the page count the page tree declares.

        Raises :class:`PdfError` (``pdf.damaged``, ``pdf.no_pages``).  Read-only
        documents walk the page tree down to its first leaf, never loading the
        rest (depth cap, cycles refused).
        """
        import pikepdf

        try:
            if self._page1 is None:
                self._page1 = self._first_leaf() if self._strict else self._first_page()
            return self.declared_page_count()
        except PdfError:
            raise
        except (pikepdf.PdfError, RecursionError, *_DAMAGE) as exc:
            raise PdfError(f"damaged page tree ({first_line(exc, self.path)})") from None

    def _page(self) -> Any:
        if self._page1 is None:
            self.locate_page1()
        return self._page1

    def _first_page(self) -> Any:
        if len(self._pdf.pages) == 0:
            raise PdfError("the PDF has no page 1", code="pdf.no_pages")
        return self._pdf.pages[0].obj

    def _first_leaf(self) -> Any:
        import pikepdf

        node = self._pdf.Root.get("/Pages")
        seen: set[tuple[int, int]] = set()
        for _ in range(self.limits.max_tree_depth):
            if not isinstance(node, pikepdf.Dictionary | pikepdf.Stream):
                break
            if node.is_indirect:
                if node.objgen in seen:
                    raise PdfError("the page tree has a cycle", code="pdf.damaged")
                seen.add(node.objgen)
            kids = node.get("/Kids")
            if kids is None:
                if node.get("/Type") in (None, pikepdf.Name.Page):
                    return node
                break
            if not isinstance(kids, pikepdf.Array) or len(kids) == 0:
                break
            node = kids[0]
        else:
            raise PdfError("the page tree is nested too deeply", code="pdf.damaged")
        raise PdfError("the PDF has no page 1", code="pdf.no_pages")

    def page1_view(self, *, images: bool = False) -> Page1View:
        """Page 1 in PDFium, after it passed the caps (its text; rendered with ``images``).

        Raises :class:`StreamError` when page 1 does not pass them (PDFium never
        sees it then) or PDFium cannot read the copy (``text.unreadable``).
        """
        view = self._views.get(images)
        if view is None:  # PDFium is an optional part of stamping: loaded when page 1 is read
            from pithtex.pdf._access.page1 import sanitised_page1
            from pithtex.pdf._access.pdfium import Page1View

            copy = _reading(sanitised_page1)(self._pdf, self._page(), self.limits, images=images)
            view = Page1View(copy, self.limits)
            self._views[images] = view
        return view

    @_reading
    def page1_geometry(self) -> PageGeometry:
        page = self._page()
        media = _box(self._inherited(page, "/MediaBox")) or (0.0, 0.0, 612.0, 792.0)
        crop = _box(self._inherited(page, "/CropBox")) or media
        rotate = self._inherited(page, "/Rotate")
        return PageGeometry(crop, media, int(rotate or 0) % 360 // 90 * 90)

    def _inherited(self, page: Any, key: str) -> Any:
        return inherited(page, key, self.limits)

    def page1_links(self) -> list[Link]:
        """Each link annotation on page 1 with a URI action."""
        return [Link(a.position, a.uri, a.rect) for a in self.page1_link_annotations() if a.uri]

    def page1_link_annotations(self) -> list[LinkAnnotation]:
        """Every ``/Link`` annotation on page 1 (read once; at most ``max_annotations``).

        The badge checks need them all: a link over the badge that opens a file or
        jumps elsewhere is as much a finding as one to a look-alike host.
        """
        if self._annotations is None:
            self._annotations = self._read_link_annotations()
        return self._annotations

    @_reading
    def _read_link_annotations(self) -> list[LinkAnnotation]:
        import pikepdf

        found = []
        for index, annot in enumerate(page_annotations(self._page(), self.limits)):
            if isinstance(annot, pikepdf.Dictionary) and annot.get("/Subtype") == pikepdf.Name.Link:
                action, uri = _link_action(annot)
                found.append(LinkAnnotation(index, _box(annot.get("/Rect")), action, uri))
        return found

    @_reading
    def page1_xobject_string(self, name: str, key: str) -> str | Opaque | None:
        """The string ``key`` of the form XObject ``name`` on page 1 (``None`` if absent)."""
        import pikepdf

        resources = self._inherited(self._page(), "/Resources")
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        found = xobjects.get(name) if isinstance(xobjects, pikepdf.Dictionary) else None
        if not isinstance(found, pikepdf.Stream) or key not in found:
            return None
        value = found.get(key)
        return str(value) if isinstance(value, pikepdf.String) else Opaque(type(value).__name__)

    # -- the catalog and the trailer

    @_reading
    def metadata(self) -> bytes | None:
        """The XMP packet (``/Metadata`` of the catalog) decoded within its cap, if any."""
        stream = self._pdf.Root.get("/Metadata")
        if stream is None:
            return None
        return read_stream(stream, self.limits.max_xmp_bytes, self.limits)

    @_reading
    def info(self, keys: Collection[str] | None = None) -> dict[str, str | Opaque]:
        """Info dictionary entries (all, or ``keys``), without their slash."""
        import pikepdf

        info = self._pdf.trailer.get("/Info")
        if not isinstance(info, pikepdf.Dictionary):
            return {}
        wanted = sorted(keys) if keys is not None else [str(k)[1:] for k in info]
        found: dict[str, str | Opaque] = {}
        for key in wanted:
            value = info.get(f"/{key}")
            if value is None:
                continue
            found[key] = (
                str(value) if isinstance(value, pikepdf.String) else Opaque(type(value).__name__)
            )
        return found

    @_reading
    def attached_files(self, file_name: str, cap: int) -> list[AttachedFile]:
        """Every embedded file named ``file_name``, decoded within ``cap`` bytes each.

        Looked for in the catalog's ``/AF`` array and the EmbeddedFiles name tree
        (size and depth capped, cycles refused).
        """
        found = []
        for where, filespec in self._filespecs():
            if _filespec_name(filespec) != file_name:
                continue
            stream = _embedded_stream(filespec)
            if stream is None:
                raise StreamError("embedded.no_stream", f"{where}: {file_name} has no /EF stream")
            data = read_stream(stream, cap, self.limits)
            relationship = filespec.get("/AFRelationship")
            found.append(AttachedFile(data, where, str(relationship)[1:] if relationship else None))
        return found

    def _filespecs(self) -> Iterator[tuple[str, Any]]:
        import pikepdf

        root = self._pdf.Root
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

    @_reading
    def has_signatures(self) -> bool:
        """Whether the PDF carries a filled signature field or a certification (DocMDP)."""
        import pikepdf

        root = self._pdf.Root
        perms = root.get("/Perms")
        if isinstance(perms, pikepdf.Dictionary) and ("/DocMDP" in perms or "/UR3" in perms):
            return True
        form = root.get("/AcroForm")
        if not isinstance(form, pikepdf.Dictionary):
            return False
        pending = list(form.get("/Fields", pikepdf.Array()))
        seen: set[tuple[int, int]] = set()
        while pending:
            node = pending.pop()
            if not isinstance(node, pikepdf.Dictionary):
                continue
            if node.is_indirect:
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            if node.get("/FT") == pikepdf.Name.Sig and "/V" in node:
                return True
            pending.extend(node.get("/Kids", pikepdf.Array()))
        return False


def inherited(page: Any, key: str, limits: ReadLimits) -> Any:
    """A page attribute, from the page or the nearest page-tree node above it that has it
    (``/Resources``, ``/MediaBox``, ``/CropBox``, ``/Rotate``); cycles and depth capped."""
    import pikepdf

    node, seen = page, set()
    for _ in range(limits.max_tree_depth):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if key in node:
            return node.get(key)
        if node.is_indirect:
            if node.objgen in seen:
                return None
            seen.add(node.objgen)
        node = node.get("/Parent")
    return None


def page_annotations(page: Any, limits: ReadLimits) -> list[Any]:
    """The entries of ``page``'s ``/Annots`` (none when it has no array of them).

    Raises :class:`StreamError` (``annotations.too_many``) beyond ``max_annotations``.
    """
    import pikepdf

    annots = page.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return []
    if len(annots) > limits.max_annotations:
        raise StreamError(
            "annotations.too_many", f"page 1 has {len(annots)} annotations (cap exceeded)"
        )
    return list(annots)


def _box(value: Any) -> Rect | None:
    import pikepdf

    if not isinstance(value, pikepdf.Array) or len(value) != 4:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _text(value: Any) -> str:
    try:
        return str(value)
    except (ValueError, TypeError):
        return repr(value)


def _link_action(annot: Any) -> tuple[str, str | None]:
    """A link's action name and, for a ``URI`` action, its web address."""
    import pikepdf

    action = annot.get("/A")
    if not isinstance(action, pikepdf.Dictionary):
        return ("Dest" if "/Dest" in annot else "none"), None
    kind = action.get("/S")
    name = str(kind)[1:] if isinstance(kind, pikepdf.Name) else "none"
    uri = action.get("/URI") if name == "URI" else None
    if not isinstance(uri, pikepdf.String):
        return name, None
    return name, bytes(uri).decode("latin-1").strip()


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
