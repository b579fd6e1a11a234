"""Page 1 for PDFium: checked against the caps, then copied alone into a small new PDF.

PDFium decodes what it parses with no caps of its own: the XMP packet when a
document is opened, every form XObject a page draws (a form that draws itself
twice makes it grow without end), fonts, colour profiles.  So PDFium never
sees the received file.  :func:`sanitised_page1` walks what page 1 reaches
from its content and resources, and the catalog's ``/OCProperties`` (which
optional content is shown; never the rest of the catalog, other pages, annotations,
the structure tree or any ``/Metadata``), checks it against
:class:`~pithtex.pdf._access.limits.ReadLimits`, and writes a new one-page
PDF holding only that:

* the content PDFium parses (page 1's content streams, each form XObject and
  soft mask once per use, Type 3 glyphs and tiling patterns once) is decoded
  here within ``max_page_content_bytes``, and written decoded; a form that
  invokes itself, directly or not, is refused (``page.cycle``), and so is a
  page using more than ``max_form_uses`` forms or reaching more than
  ``max_page_objects`` objects (``page.too_complex``);
* every other stream (fonts, CMaps, colour profiles, functions) must decode
  within ``max_page_resource_bytes`` altogether, checked from its encoded size
  or, when that bound is too high, by decoding it capped;
* image data is left out, unless the copy is for rendering: then each image
  whose size can be bounded (its declared and, for JPEG and JPEG 2000, its
  coded dimensions) within the same budget is kept, and the others are left
  out;
* forms, glyphs and patterns nothing uses are left empty;
* the normal appearance of each annotation a viewer shows (not hidden by its flags)
  is drawn after page 1's content, placed on the annotation's rectangle as a viewer
  places it, so that what an annotation draws over the page (a white box, another
  title) counts as drawn over it; a shown annotation whose appearance is missing or
  cannot be placed, which a viewer draws as it sees fit, is drawn as an opaque white
  box over its rectangle (a link without one only when its border is wide enough to
  paint over its text);
* a simple font whose program is not embedded (a standard font such as Helvetica,
  drawn by PDFium from its glyph names) loses its ``/ToUnicode``: its text is then
  read from the glyph names that choose the shapes drawn, so a ``/ToUnicode`` map
  naming other letters than the glyphs show cannot give it another text.

References to objects that are not copied become ``null``.
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pithtex.pdf._access.document import inherited, page_annotations
from pithtex.pdf._access.limits import ReadLimits, StreamError
from pithtex.pdf._access.streams import decoded_size_bound, filters, inflate_capped, read_stream

__all__ = ["sanitised_page1"]

_REF = re.compile(rb"(\d+) (\d+) R(?![^\s/\[\]()<>{}%])")
_NAME = rb"/([^\s/\[\]()<>{}%]*)"
_DELIMITED = rb"(?![^\s/\[\]()<>{}%])"
_DO = re.compile(_NAME + rb"\s+Do" + _DELIMITED)
_GS = re.compile(_NAME + rb"\s+gs" + _DELIMITED)
_INLINE_IMAGE = re.compile(rb"(?<![^\s\]>)])BI(?=[\s/])")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

DROPPED_KEYS = frozenset(
    {
        "/Parent",
        "/P",
        "/Pg",
        "/Metadata",
        "/PieceInfo",
        "/Thumb",
        "/Annots",
        "/AA",
        "/B",
        "/OpenAction",
        "/Dest",
        "/StructParent",
        "/StructParents",
    }
)
"""Keys PDFium does not need to parse or draw a page, and that lead elsewhere."""
SKIPPED_TYPES = frozenset(
    {
        "/Page",
        "/Pages",
        "/Catalog",
        "/Annot",
        "/Action",
        "/StructElem",
        "/StructTreeRoot",
        "/Metadata",
        "/EmbeddedFile",
        "/Filespec",
        "/Sig",
        "/Outlines",
    }
)
"""Objects never copied (other pages, the catalog, annotations, structure, metadata)."""
_LEFT_OUT_OF_STREAMS = DROPPED_KEYS | {"/Length", "/F", "/FFilter", "/FDecodeParms"}
"""Also the length (written anew) and external data, which PDFium must not go looking for."""
_DECODED_STREAMS = _LEFT_OUT_OF_STREAMS | {"/Filter", "/DecodeParms"}
_PAGE_KEYS = ("/MediaBox", "/CropBox", "/Rotate", "/UserUnit", "/Group")
_OPTIONAL_CONTENT = "/OCProperties"
"""The one entry of the catalog copied: PDFium then hides the optional content a
viewer hides (a layer switched off), as a reader's viewer does."""
_CODEC_FILTERS = frozenset({"/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode"})
_SHRINKING = frozenset({"/ASCIIHexDecode", "/ASCII85Decode"})


class _Object:
    """One object to copy: its dictionary or value as text, and its stream, if any."""

    __slots__ = ("data", "kind", "obj", "raw", "text")

    def __init__(self, text: bytes, obj: Any = None, kind: str = "object") -> None:
        self.text = text
        self.obj = obj
        """The stream, or the Type 3 font dictionary; ``None`` for other objects."""
        self.kind = kind
        """``object``, ``type3`` (a Type 3 font), ``stream``, ``image``, ``form``,
        ``pattern`` (a tiling pattern) or ``content`` (a form, glyph or pattern whose
        content was read)."""
        self.data: bytes | None = None
        """What to write as the stream's data: decoded content, or ``b""`` when left
        out; ``None`` copies the stream as it is encoded."""
        self.raw: bytes | None = None
        """The stream's encoded data, once read."""

    def raw_data(self) -> bytes:
        if self.raw is None:
            self.raw = bytes(self.obj.read_raw_bytes())
        return self.raw


class _Copy:
    """What page 1 reaches, in the order it was found, keyed by object number and generation."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.objects: dict[tuple[int, int], _Object | None] = {}
        self.queue: list[tuple[int, int]] = []
        self.expanded: dict[tuple[tuple[int, int], int], tuple[int, int]] = {}
        self.kept_alive: list[Any] = []
        self.cost = 0
        """Content bytes PDFium parses, each use of a form counted."""
        self.uses = 0
        """Form XObjects PDFium instantiates."""
        self.resource_bytes = 0

    # -- walking references

    def refer(self, text: bytes) -> None:
        if b" R" not in text:  # most objects (number arrays, font metrics) refer to none
            return
        for match in _REF.finditer(text):
            objgen = (int(match.group(1)), int(match.group(2)))
            if objgen not in self.objects:
                self.objects[objgen] = None
                self.queue.append(objgen)

    def walk(self, pdf: Any) -> None:
        for index, objgen in enumerate(self.queue):  # the queue grows while it is read
            if index >= self.limits.max_page_objects:
                raise StreamError(
                    "page.too_complex",
                    f"page 1 reaches more than {self.limits.max_page_objects} objects",
                )
            found = _read(pdf.get_object(objgen))
            if found is not None:
                self.spend_resources(len(found.text))
                self.objects[objgen] = found
                self.refer(found.text)

    # -- content

    def content(self, stream: Any, cap: int | None = None) -> tuple[bytes, int]:
        """A content stream decoded within ``cap`` (default: the content cap), and what
        its inline images cost."""
        cap = self.limits.max_page_content_bytes if cap is None else cap
        data = read_stream(stream, max(0, cap), self.limits)
        found = self.objects.get(stream.objgen) if stream.is_indirect else None
        if found is not None:
            found.kind, found.data = "content", data
        images = 0
        if b"BI" in data and _INLINE_IMAGE.search(data):
            images = _inline_images_size(stream, self.limits)
        return data, images

    def expand(
        self, content: bytes, extra: int, resources: Any, what: str, stack: tuple[Any, ...]
    ) -> tuple[int, int]:
        """What drawing ``content`` once costs: content bytes parsed, forms instantiated."""
        cost, uses = len(content) + extra, 0
        self.within(cost, uses, what)
        for name, count in _names(_DO, content).items():
            form = _resource(resources, "/XObject", name)
            if _is_form(form) and self.objects.get(form.objgen) is not None:
                form_cost, form_uses = self.form(form, resources, stack, name)
                cost, uses = cost + count * form_cost, uses + count * form_uses
                self.within(cost, uses, name)
        for name, count in _names(_GS, content).items():
            state = _resource(resources, "/ExtGState", name)
            mask: Any = state.get("/SMask") if _is_dictionary(state) else None
            group: Any = mask.get("/G") if _is_dictionary(mask) else None
            if _is_form(group) and self.objects.get(group.objgen) is not None:
                form_cost, form_uses = self.form(group, resources, stack, f"soft mask {name}")
                cost, uses = cost + count * form_cost, uses + count * form_uses
                self.within(cost, uses, name)
        return cost, uses

    def form(self, form: Any, inherited: Any, stack: tuple[Any, ...], name: str) -> tuple[int, int]:
        """What one use of a form XObject costs (itself included among the uses)."""
        objgen = form.objgen
        if objgen in stack:
            raise StreamError("page.cycle", f"form XObject {name} draws itself")
        resources = form.get("/Resources")
        key = (objgen, 0)
        if not _is_dictionary(resources):
            resources = inherited
            self.kept_alive.append(inherited)  # its id keys the memo below
            key = (objgen, id(inherited))
        known = self.expanded.get(key)
        if known is None:
            content, images = self.content(form)
            cost, uses = self.expand(content, images, resources, name, (*stack, objgen))
            known = self.expanded[key] = (cost, uses + 1)
        return known

    def within(self, cost: int, uses: int, what: str) -> None:
        if self.cost + cost > self.limits.max_page_content_bytes:
            raise StreamError(
                "stream.too_large",
                f"page 1's content, forms included, exceeds its "
                f"{self.limits.max_page_content_bytes}-byte cap ({what})",
            )
        if self.uses + uses > self.limits.max_form_uses:
            raise StreamError(
                "page.too_complex",
                f"page 1 uses form XObjects more than {self.limits.max_form_uses} times",
            )

    def draw(self, content: bytes, extra: int, resources: Any, what: str) -> None:
        """Count one drawing that PDFium parses once (the page, a glyph, a pattern)."""
        cost, uses = self.expand(content, extra, resources, what, ())
        self.cost, self.uses = self.cost + cost, self.uses + uses

    def glyphs_and_patterns(self, page_resources: Any) -> None:
        """Type 3 glyphs and tiling patterns: each parsed once, with its own resources."""
        import pikepdf

        for found in list(self.objects.values()):
            if found is None or found.kind not in ("type3", "pattern"):
                continue
            resources = found.obj.get("/Resources")
            if not _is_dictionary(resources):
                resources = page_resources
            if found.kind == "pattern":
                self.draw(*self.content(found.obj), resources, "tiling pattern")
                continue
            procs = found.obj.get("/CharProcs")
            for glyph, proc in procs.items() if _is_dictionary(procs) else ():
                if not isinstance(proc, pikepdf.Stream):
                    continue
                done = self.objects.get(proc.objgen)
                if done is None or done.kind != "content":
                    self.draw(*self.content(proc), resources, f"Type 3 glyph {glyph}")

    # -- everything else

    def resources(self, *, images: bool) -> None:
        """Check the other streams against the resource cap; leave out what is not drawn.

        Each stream counts with a bound of its decoded size from its encoded size;
        only when those bounds exceed the cap are streams decoded (largest bound
        first, capped) to count what they really hold.
        """
        passive: list[tuple[int, _Object]] = []
        for found in self.objects.values():
            if found is None or found.obj is None or found.kind in ("content", "type3"):
                continue
            if found.kind == "image":
                cost = _image_cost(found.obj) if images else None
                if cost is None or self.resource_bytes + cost > self.limits.max_page_resource_bytes:
                    found.data = b""
                else:
                    self.spend_resources(cost)
            elif found.kind in ("form", "pattern"):
                found.data = b""  # nothing draws it
            else:
                bound = decoded_size_bound(len(found.raw_data()), filters(found.obj), self.limits)
                passive.append((bound, found))
        passive.sort(key=lambda pair: -pair[0])
        total = sum(bound for bound, _ in passive)
        for bound, found in passive:
            if self.resource_bytes + total <= self.limits.max_page_resource_bytes:
                break
            left = self.limits.max_page_resource_bytes - self.resource_bytes
            total -= bound
            self.spend_resources(len(read_stream(found.obj, max(0, left), self.limits)))
        self.spend_resources(total)

    def spend_resources(self, size: int) -> None:
        self.resource_bytes += size
        if self.resource_bytes > self.limits.max_page_resource_bytes:
            raise StreamError(
                "stream.too_large",
                f"page 1's fonts, images and other resources exceed their "
                f"{self.limits.max_page_resource_bytes}-byte cap",
            )


def sanitised_page1(pdf: Any, page: Any, limits: ReadLimits, *, images: bool) -> bytes:
    """A one-page PDF of ``page`` (page 1 of ``pdf``) that PDFium may open and parse.

    Raises :class:`StreamError` when page 1 does not pass the caps.
    """
    copy = _Copy(limits)
    attributes = {key: inherited(page, key, limits) for key in ("/Resources", *_PAGE_KEYS)}
    resources, drawn = _with_appearances(attributes["/Resources"], page, limits)
    attributes["/Resources"] = resources
    attributes[_OPTIONAL_CONTENT] = pdf.Root.get(_OPTIONAL_CONTENT)  # what a viewer hides
    roots = {key: _root_text(value) for key, value in attributes.items() if value is not None}
    for text in roots.values():
        copy.refer(text)
    copy.walk(pdf)
    left, parts, inline_images = limits.max_page_content_bytes, [], 0
    for stream in _content_streams(page.get("/Contents"), limits):
        data, inline = copy.content(stream, left)  # together within the cap, as decoded
        left -= len(data)
        parts.append(data)
        inline_images += inline
    content = b"\n".join(parts)
    if drawn:
        content = b"q\n" + content + b"\nQ\n" + drawn
    copy.draw(content, inline_images, resources, "page 1")
    copy.glyphs_and_patterns(resources)
    copy.resources(images=images)
    return _write(copy.objects, roots, content)


_ANNOTATION_PREFIX = "PithtexAnnotation"
_NOT_SHOWN = 2 | 32
"""Annotation flags a viewer does not show: Hidden and NoView."""


def _with_appearances(resources: Any, page: Any, limits: ReadLimits) -> tuple[Any, bytes]:
    """Page 1's resources with each shown annotation's normal appearance added as a form,
    and the content that draws them (``b""`` and the resources as they are: none)."""

    placed, boxes = _appearances(page, limits)
    drawn = [_stand_in(box) for box in boxes]
    if not placed:
        return resources, b"".join(drawn)
    merged = _copied(resources)
    forms = _copied(merged.get("/XObject"))
    for index, (appearance, matrix) in enumerate(placed):
        name = f"/{_ANNOTATION_PREFIX}{index}"
        forms[name] = appearance
        numbers = " ".join(f"{value:.6f}" for value in matrix)
        drawn.append(f"q {numbers} cm {name} Do Q\n".encode())
    merged.XObject = forms
    return merged, b"".join(drawn)


def _stand_in(box: tuple[float, ...]) -> bytes:
    """An opaque white box over ``box``: what the copy draws for an annotation a viewer
    shows with an appearance it makes up itself, whose ink the copy cannot know."""
    left, bottom = min(box[0], box[2]), min(box[1], box[3])
    width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    return f"q 1 g {left:.4f} {bottom:.4f} {width:.4f} {height:.4f} re f Q\n".encode()


def _copied(value: Any) -> Any:
    """A direct copy of a dictionary, to add entries to (an empty one for anything else)."""
    import pikepdf

    if not isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary()
    entries: Any = value  # pikepdf copies a Dictionary given as a mapping
    return pikepdf.Dictionary(entries)


def _appearances(
    page: Any, limits: ReadLimits
) -> tuple[list[tuple[Any, tuple[float, ...]]], list[tuple[float, ...]]]:
    """Each shown annotation's normal appearance (a form) with the matrix that places its
    box on the annotation's rectangle (PDF 2.0, 12.5.5); and the rectangles of the shown
    annotations a viewer draws without one it can use (it makes one up: a square's
    frame and fill, a note's icon, a form field's value), which count as covered."""
    import pikepdf

    placed, boxes = [], []
    for annot in page_annotations(page, limits):
        if not isinstance(annot, pikepdf.Dictionary) or annot.get("/Subtype") == pikepdf.Name.Popup:
            continue
        flags = annot.get("/F", 0)
        if isinstance(flags, int) and flags & _NOT_SHOWN:
            continue
        appearance = _normal_appearance(annot)
        matrix = _placement(annot, appearance) if appearance is not None else None
        if appearance is not None and matrix is not None:
            placed.append((appearance, matrix))
            continue
        rect = _numbers(annot.get("/Rect"), 4)
        if rect is not None and _draws_unknown_ink(annot, appearance):
            boxes.append(rect)
    return placed, boxes


_THIN_BORDER = 3.0
"""The widest border (points) a link without an appearance may have and still be taken
for a frame around its text; a wider one may paint over what it frames."""


def _draws_unknown_ink(annot: Any, appearance: Any) -> bool:
    """Whether a viewer may draw something over the rectangle of ``annot``, whose normal
    appearance is missing or cannot be placed (``appearance``: the stream, or ``None``).

    A link draws nothing but its border, unless it has an appearance: a thin border
    frames the link's text (hyperref's default boxes) and is not counted.
    """
    import pikepdf

    if annot.get("/Subtype") != pikepdf.Name.Link or appearance is not None:
        return True
    return _border_width(annot) > _THIN_BORDER


def _border_width(annot: Any) -> float:
    """A link's border width as a viewer reads it: ``/BS /W``, else ``/Border``'s third
    entry, else 1."""
    import pikepdf

    style = annot.get("/BS")
    width: Any = style.get("/W") if isinstance(style, pikepdf.Dictionary) else None
    if width is None:
        border = annot.get("/Border")
        width = border[2] if isinstance(border, pikepdf.Array) and len(border) >= 3 else 1
    try:
        return abs(float(width))
    except (TypeError, ValueError):
        return 1.0


def _normal_appearance(annot: Any) -> Any:
    import pikepdf

    streams = annot.get("/AP")
    normal = streams.get("/N") if isinstance(streams, pikepdf.Dictionary) else None
    if isinstance(normal, pikepdf.Dictionary) and not isinstance(normal, pikepdf.Stream):
        state = annot.get("/AS")
        normal = normal.get(str(state)) if isinstance(state, pikepdf.Name) else None
    return normal if isinstance(normal, pikepdf.Stream) else None


def _placement(annot: Any, appearance: Any) -> tuple[float, ...] | None:
    """The matrix mapping the appearance's box (its ``/BBox`` through its ``/Matrix``)
    onto the annotation's ``/Rect``; ``None`` when either is empty or malformed."""
    rect, box = _numbers(annot.get("/Rect"), 4), _numbers(appearance.get("/BBox"), 4)
    if rect is None or box is None:
        return None
    a, b, c, d, e, f = _numbers(appearance.get("/Matrix"), 6) or (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    corners = [(a * x + c * y + e, b * x + d * y + f) for x in box[::2] for y in box[1::2]]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    left, bottom = min(rect[0], rect[2]), min(rect[1], rect[3])
    if width <= 0 or height <= 0:
        return None
    sx, sy = abs(rect[2] - rect[0]) / width, abs(rect[3] - rect[1]) / height
    return (sx, 0.0, 0.0, sy, left - sx * min(xs), bottom - sy * min(ys))


def _numbers(value: Any, count: int) -> tuple[float, ...] | None:
    import pikepdf

    if not isinstance(value, pikepdf.Array) or len(value) != count:
        return None
    try:
        numbers = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return numbers if all(abs(v) < 1e7 for v in numbers) else None


def _read(obj: Any) -> _Object | None:
    """What to copy of one object reached from page 1 (``None``: not copied)."""
    import pikepdf

    if isinstance(obj, pikepdf.Stream):
        source: Any = obj.stream_dict
        entries = pikepdf.Dictionary(source)  # a copy, to leave keys out of
        keys = set(entries.keys())
        if "/Type" in keys and str(entries.get("/Type")) in SKIPPED_TYPES:
            return None
        kind = _stream_kind(entries, keys)
        for key in keys & _LEFT_OUT_OF_STREAMS:
            del entries[key]
        return _Object(bytes(entries.unparse()), obj, kind)
    if isinstance(obj, pikepdf.Dictionary):
        keys = set(obj.keys())
        if "/Type" in keys and str(obj.get("/Type")) in SKIPPED_TYPES:
            return None
        if _looks_like_a_page(keys):
            return None
        dropped = keys & DROPPED_KEYS
        if "/ToUnicode" in keys and _draws_named_glyphs(obj):
            dropped |= {"/ToUnicode"}
        text = _unparse_without(obj, dropped) if dropped else bytes(obj.unparse(True))
        if "/CharProcs" in keys and obj.get("/Subtype") == pikepdf.Name.Type3:
            return _Object(text, obj, "type3")
        return _Object(text)
    if obj is None:
        return None
    if isinstance(obj, pikepdf.Object):
        return _Object(bytes(obj.unparse(True)))
    return _Object(_scalar_text(obj))


_SIMPLE_FONTS = frozenset({"/Type1", "/MMType1", "/TrueType"})
_FONT_PROGRAMS = ("/FontFile", "/FontFile2", "/FontFile3")


def _draws_named_glyphs(font: Any) -> bool:
    """Whether ``font`` is a simple font PDFium draws from its own fonts by glyph name
    (no font program embedded), so that the names, not ``/ToUnicode``, say what it shows."""
    import pikepdf

    if font.get("/Type") != pikepdf.Name.Font or str(font.get("/Subtype")) not in _SIMPLE_FONTS:
        return False
    descriptor = font.get("/FontDescriptor")
    if not isinstance(descriptor, pikepdf.Dictionary):
        return True
    return not any(key in descriptor for key in _FONT_PROGRAMS)


def _stream_kind(stream: Any, keys: set[str]) -> str:
    import pikepdf

    if "/PatternType" in keys:
        return "pattern" if stream.get("/PatternType") == 1 else "stream"
    if "/Subtype" in keys:
        subtype = stream.get("/Subtype")
        if subtype == pikepdf.Name.Image:
            return "image"
        if subtype == pikepdf.Name.Form:
            return "form"
    return "stream"


# ---------------------------------------------------------------- reading objects


def _root_text(value: Any) -> bytes:
    import pikepdf

    if isinstance(value, pikepdf.Object):
        return bytes(value.unparse() if value.is_indirect else value.unparse(True))
    return _scalar_text(value)


def _scalar_text(value: Any) -> bytes:
    """A number or boolean pikepdf gives as a Python value, as PDF syntax."""
    import pikepdf

    return bytes(pikepdf.Array([value]).unparse())[1:-1].strip()


def _content_streams(contents: Any, limits: ReadLimits) -> list[Any]:
    import pikepdf

    if isinstance(contents, pikepdf.Stream):
        return [contents]
    if not isinstance(contents, pikepdf.Array):
        return []
    if len(contents) > limits.max_page_objects:
        raise StreamError("page.too_complex", f"page 1 has {len(contents)} content streams")
    return [item for item in contents if isinstance(item, pikepdf.Stream)]


def _unparse_without(obj: Any, keys: Iterable[str]) -> bytes:
    """The text of a dictionary (or a stream's) without ``keys``."""
    import pikepdf

    source: Any = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
    entries = pikepdf.Dictionary(source)
    for key in set(keys) & set(entries.keys()):
        del entries[key]
    return bytes(entries.unparse())


def _looks_like_a_page(keys: set[str]) -> bool:
    """A page or page-tree node whose ``/Type`` is missing."""
    return "/Kids" in keys or {"/Contents", "/MediaBox"} <= keys


def _is_dictionary(value: Any) -> bool:
    import pikepdf

    return isinstance(value, pikepdf.Dictionary | pikepdf.Stream)


def _is_form(value: Any) -> bool:
    import pikepdf

    return (
        isinstance(value, pikepdf.Stream)
        and value.is_indirect
        and value.get("/Subtype") == pikepdf.Name.Form
    )


def _resource(resources: Any, category: str, name: str) -> Any:
    entries: Any = resources.get(category) if _is_dictionary(resources) else None
    return entries.get(name) if _is_dictionary(entries) else None


def _names(pattern: re.Pattern[bytes], content: bytes) -> Counter[str]:
    """How often each resource name is used with ``pattern``'s operator."""
    found: Counter[str] = Counter()
    for match in pattern.finditer(content):
        raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        found["/" + raw.decode("latin-1")] += 1
    return found


def _inline_images_size(stream: Any, limits: ReadLimits) -> int:
    """What PDFium allocates to find the end of each inline image of a content stream."""
    import pikepdf

    total = 0
    try:
        instructions = pikepdf.parse_content_stream(stream)
    except pikepdf.PdfError as exc:
        raise StreamError("stream.corrupt", f"page 1's content cannot be parsed: {exc}") from None
    for instruction in instructions:
        if not isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        image = instruction.iimage
        raw = bytes(image.read_raw_bytes())
        chain = [str(name) for name in image.filters]
        if chain in (["/FlateDecode"], ["/Fl"]):
            total += len(inflate_capped(raw, max(0, limits.max_page_content_bytes - total)))
        else:
            total += decoded_size_bound(len(raw), chain, limits)
    return total


# ---------------------------------------------------------------- images


def _image_cost(stream: Any) -> int | None:
    """Bytes PDFium may allocate to draw an image; ``None`` when that cannot be bounded."""
    chain = filters(stream)
    if any(name not in _SHRINKING for name in chain[:-1]):
        return None
    try:
        width, height = int(stream.get("/Width", 0)), int(stream.get("/Height", 0))
    except (TypeError, ValueError):
        return None
    if width <= 0 or height <= 0:
        return None
    if chain and chain[-1] in _CODEC_FILTERS:
        raw = bytes(stream.read_raw_bytes())
        coded = {"/DCTDecode": _jpeg_size, "/JPXDecode": _jpx_size}.get(chain[-1])
        if coded is not None:
            size = coded(raw)
            if size is None:
                return None
            width, height = max(width, size[0]), max(height, size[1])
    return width * height * 4


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a JPEG's start-of-frame segment."""
    position = 2 if data.startswith(b"\xff\xd8") else -1
    while 0 <= position < len(data) - 9:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return None


def _jpx_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a JPEG 2000 codestream's SIZ marker segment."""
    start = data.find(b"\xff\x4f\xff\x51", 0, 65536)
    if start < 0 or len(data) < start + 22:
        return None
    xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", data[start + 8 : start + 24])
    return max(0, xsiz - xosiz), max(0, ysiz - yosiz)


# ---------------------------------------------------------------- writing the copy


def _write(
    objects: dict[tuple[int, int], _Object | None], roots: dict[str, bytes], content: bytes
) -> bytes:
    """The copy: the objects renumbered from 1, then the content, page, page tree, catalog."""
    kept = [(objgen, found) for objgen, found in objects.items() if found is not None]
    numbers = {objgen: index for index, (objgen, _) in enumerate(kept, 1)}

    def renumber(text: bytes) -> bytes:
        if b" R" not in text:
            return text

        def new(match: re.Match[bytes]) -> bytes:
            number = numbers.get((int(match.group(1)), int(match.group(2))))
            return b"null" if number is None else b"%d 0 R" % number

        return _REF.sub(new, text)

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []

    def emit(number: int, body: bytes, data: bytes | None = None) -> None:
        offsets.append(len(out))
        out.extend(b"%d 0 obj\n" % number)
        if data is None:
            out.extend(body)
        else:
            out.extend(body[:-2] + b"/Length %d >>\nstream\n" % len(data))
            out.extend(data)
            out.extend(b"\nendstream")
        out.extend(b"\nendobj\n")

    for objgen, found in kept:
        text = renumber(found.text)
        if found.obj is None or found.kind == "type3":
            emit(numbers[objgen], text)
        elif found.data is None:
            emit(numbers[objgen], text, found.raw_data())
        else:
            plain = _unparse_without(found.obj, _DECODED_STREAMS)
            emit(numbers[objgen], renumber(plain), found.data)
    content_number, page_number = len(kept) + 1, len(kept) + 2
    pages_number, catalog_number = len(kept) + 3, len(kept) + 4
    emit(content_number, b"<< >>", content)
    entries = b"".join(
        b" %s %s" % (key.encode(), renumber(roots[key]))
        for key in ("/Resources", *_PAGE_KEYS)
        if key in roots
    )
    emit(
        page_number,
        b"<< /Type /Page /Parent %d 0 R /Contents %d 0 R%s >>"
        % (pages_number, content_number, entries),
    )
    emit(pages_number, b"<< /Type /Pages /Kids [ %d 0 R ] /Count 1 >>" % page_number)
    optional = roots.get(_OPTIONAL_CONTENT)
    shown = b" %s %s" % (_OPTIONAL_CONTENT.encode(), renumber(optional)) if optional else b""
    emit(catalog_number, b"<< /Type /Catalog /Pages %d 0 R%s >>" % (pages_number, shown))
    xref = len(out)
    out.extend(b"xref\n0 %d\n0000000000 65535 f \n" % (catalog_number + 1))
    for offset in offsets:
        out.extend(b"%010d 00000 n \n" % offset)
    out.extend(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (catalog_number + 1, catalog_number, xref)
    )
    return bytes(out)
