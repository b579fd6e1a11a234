"""The revisions a PDF holds (its original and each incremental update), read back.

An incremental update appends objects, a cross-reference section and a
trailer ending in ``%%EOF``; every prefix of the file that ends at such a
marker and opens on its own (qpdf, xref recovery off) is the document as it
was at that revision.  :func:`page1_history` opens each of them, earliest
first, and gives what page 1 shows in it as digests:

* ``drawing``: page 1's content streams, resources and boxes, with everything
  they reach (fonts, forms, images), streams by their encoded bytes;
* ``annotations``: one digest and ``/Rect`` per annotation of page 1;
* ``pith``: whether that revision's XMP packet or Info dictionary carries pith
  properties.

Prefixes that do not open (a ``%%EOF`` inside a stream, the first-page
section of a linearized file) are not revisions and are passed over.  Caps
(:class:`~pithtex.pdf._access.limits.ReadLimits`): at most ``max_revisions``
markers (beyond, ``revisions.too_many``); per revision, at most
``max_page_objects`` objects and ``max_page_resource_bytes`` of stream bytes
are digested (beyond, ``page.too_complex``).
"""

from __future__ import annotations

import hashlib
import io
import mmap
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

from pithtex.core.names import INFO_KEYS, NAMESPACE_URI
from pithtex.pdf._access.limits import ReadLimits, StreamError
from pithtex.pdf._access.values import Rect

__all__ = ["PageState", "page1_history"]

_MARKER = b"%%EOF"
_PAGE_KEYS = ("/Contents", "/Resources", "/MediaBox", "/CropBox", "/Rotate", "/UserUnit", "/Group")
_NOT_FOLLOWED = frozenset({"/Parent", "/P", "/Pg", "/Metadata", "/PieceInfo", "/StructParent",
                           "/StructParents", "/Length"})  # fmt: skip


class PageState(NamedTuple):
    """What page 1 shows in one revision."""

    end: int
    """Where the revision ends in the file (bytes)."""
    drawing: str
    annotations: tuple[tuple[str, Rect | None], ...]
    pith: bool


def page1_history(path: Path, limits: ReadLimits) -> tuple[PageState, ...]:
    """Page 1 in every revision of the PDF at ``path``, earliest first; one entry for a
    file never updated incrementally (its only revision is not opened again)."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        ends = _marker_ends(data, limits.max_revisions)
        states = []
        for end in ends[:-1]:
            state = _state_at(data, end, limits)
            if state is not None:
                states.append(state)
        if not states:
            return ()
        final = _state_at(data, len(data), limits)
        if final is None:
            return ()
        return (*states, final)


def _marker_ends(data: mmap.mmap, cap: int) -> list[int]:
    ends = []
    at = data.find(_MARKER)
    while at >= 0:
        end = at + len(_MARKER)
        while end < len(data) and data[end] in b"\r\n" and end - at < len(_MARKER) + 2:
            end += 1
        ends.append(end)
        if len(ends) > cap:
            raise StreamError(
                "revisions.too_many", f"the PDF has more than {cap} %%EOF markers (cap exceeded)"
            )
        at = data.find(_MARKER, end)
    return ends


class _Window(io.RawIOBase):
    """The first ``size`` bytes of ``data``, as a seekable file."""

    def __init__(self, data: mmap.mmap, size: int) -> None:
        super().__init__()
        self._data, self._size, self._at = data, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self._size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._data[self._at : min(self._size, self._at + len(view))]
        view[: len(chunk)] = chunk
        self._at += len(chunk)
        return len(chunk)


def _state_at(data: mmap.mmap, end: int, limits: ReadLimits) -> PageState | None:
    import pikepdf

    try:
        pdf = pikepdf.open(
            cast(BinaryIO, io.BufferedReader(_Window(data, end))),
            attempt_recovery=False,
            inherit_page_attributes=False,
            suppress_warnings=True,
        )
    except (pikepdf.PdfError, RecursionError, ValueError, RuntimeError):
        return None
    try:
        page = _first_page(pdf, limits)
        if page is None:
            return None
        digest = _Digest(limits)
        drawing = digest.of_keys(page, _PAGE_KEYS)
        annotations = tuple(
            (_Digest(limits).of(annot), _rect(annot)) for annot in _annotations(page, limits)
        )
        return PageState(end, drawing, annotations, _carries_pith(pdf, limits))
    except (pikepdf.PdfError, RecursionError, ValueError, TypeError, KeyError, AttributeError):
        return None
    finally:
        pdf.close()


def _first_page(pdf: Any, limits: ReadLimits) -> Any:
    import pikepdf

    node = pdf.Root.get("/Pages")
    for _ in range(limits.max_tree_depth):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        kids = node.get("/Kids")
        if kids is None:
            return node
        if not isinstance(kids, pikepdf.Array) or len(kids) == 0:
            return None
        node = kids[0]
    return None


def _annotations(page: Any, limits: ReadLimits) -> list[Any]:
    import pikepdf

    annots = page.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return []
    if len(annots) > limits.max_annotations:
        raise StreamError("annotations.too_many", f"page 1 has {len(annots)} annotations")
    return list(annots)


def _rect(annot: Any) -> Rect | None:
    from pithtex.pdf._access.document import _box

    return _box(annot.get("/Rect")) if hasattr(annot, "get") else None


def _carries_pith(pdf: Any, limits: ReadLimits) -> bool:
    import pikepdf

    from pithtex.pdf._access.streams import read_stream

    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary) and any(f"/{k}" in info for k in INFO_KEYS.values()):
        return True
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return False
    try:
        packet = read_stream(stream, limits.max_xmp_bytes, limits)
    except StreamError:
        return False
    return NAMESPACE_URI.encode() in packet


class _Digest:
    """Digests of PDF objects by value, following references (each object once)."""

    def __init__(self, limits: ReadLimits) -> None:
        self._limits = limits
        self._done: dict[tuple[int, int], bytes] = {}
        self._objects = 0
        self._bytes = 0

    def of_keys(self, node: Any, keys: tuple[str, ...]) -> str:
        hasher = hashlib.sha256()
        for key in keys:
            if key in node:
                hasher.update(key.encode() + self._value(node.get(key), 0))
        return hasher.hexdigest()

    def of(self, value: Any) -> str:
        return self._value(value, 0).hex()

    def _value(self, value: Any, depth: int) -> bytes:
        import pikepdf

        if depth > self._limits.max_tree_depth:
            raise StreamError("pdf.nesting", "objects nested too deeply")
        if isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
            if value.is_indirect:
                key = value.objgen
                if key in self._done:
                    return self._done[key]
                self._done[key] = b"cycle"
                self._done[key] = self._composite(value, depth)
                return self._done[key]
            return self._composite(value, depth)
        return repr(value).encode()

    def _composite(self, value: Any, depth: int) -> bytes:
        import pikepdf

        self._objects += 1
        if self._objects > self._limits.max_page_objects:
            raise StreamError("page.too_complex", "page 1 reaches too many objects")
        hasher = hashlib.sha256()
        if isinstance(value, pikepdf.Array):
            hasher.update(b"[")
            for item in value:
                hasher.update(self._value(item, depth + 1))
            return hasher.digest()
        for key in sorted(value.keys()):
            if key not in _NOT_FOLLOWED:
                hasher.update(key.encode() + self._value(value.get(key), depth + 1))
        if isinstance(value, pikepdf.Stream):
            raw = value.read_raw_bytes()
            self._bytes += len(raw)
            if self._bytes > self._limits.max_page_resource_bytes:
                raise StreamError("page.too_complex", "page 1's streams are too large to compare")
            hasher.update(b"stream" + hashlib.sha256(raw).digest())
        return hasher.digest()
