"""The structure tree of a tagged PDF, read back: which text each element holds.

:func:`link_elements` walks the structure tree with pikepdf and returns every
``Link`` element (role maps followed) with the marked content it owns and the
annotations it references; the text of each marked-content id comes from
pypdfium2, which reads the page's content marks (``BDC`` with ``/MCID``,
inline or through the page's ``/Properties``) and decodes the fonts.
:func:`marks_in` says how the graphics inside a rectangle are marked, so that
a test can check that a badge's QR code and mark are artifacts.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pagegeometry import Rect, path_rect


@dataclass
class LinkElement:
    text: str = ""
    """The text of the element's marked content, in the order of its kids."""
    uris: list[str | None] = field(default_factory=list)
    """The URI of each link annotation the element references (OBJR)."""
    contents: list[str | None] = field(default_factory=list)
    """The /Contents (alternative text) of each of those annotations."""


def link_elements(pdf: Path) -> list[LinkElement]:
    import pikepdf

    texts = _marked_texts(pdf)
    with pikepdf.open(pdf) as doc:
        root = doc.Root.get("/StructTreeRoot")
        if root is None:
            return []
        pages = {page.objgen: index for index, page in enumerate(doc.pages)}
        rolemap = root.get("/RoleMap", {})
        found: list[LinkElement] = []
        _walk(root.get("/K"), None, rolemap, pages, texts, found)
        return found


def _role(element: Any, rolemap: Any) -> str:
    role = str(element.get("/S", ""))
    seen = set()
    while role in rolemap and role not in seen:
        seen.add(role)
        role = str(rolemap[role])
    return role.lstrip("/")


def _walk(
    kids: Any,
    page: int | None,
    rolemap: Any,
    pages: dict[tuple[int, int], int],
    texts: dict[tuple[int, int], str],
    found: list[LinkElement],
) -> None:
    import pikepdf

    if kids is None:
        return
    if not isinstance(kids, pikepdf.Array):
        kids = [kids]
    for kid in kids:
        if not isinstance(kid, pikepdf.Dictionary) or "/S" not in kid:
            continue
        element_page = pages.get(kid.Pg.objgen, page) if "/Pg" in kid else page
        if _role(kid, rolemap) == "Link":
            found.append(_link(kid, element_page, pages, texts))
        _walk(kid.get("/K"), element_page, rolemap, pages, texts, found)


def _link(
    element: Any,
    page: int | None,
    pages: dict[tuple[int, int], int],
    texts: dict[tuple[int, int], str],
) -> LinkElement:
    import pikepdf

    link = LinkElement()
    kids = element.get("/K")
    if not isinstance(kids, pikepdf.Array):
        kids = [kids]
    for kid in kids:
        if isinstance(kid, int) and page is not None:
            link.text += texts.get((page, int(kid)), "")
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            mcr_page = pages.get(kid.Pg.objgen, page) if "/Pg" in kid else page
            if mcr_page is not None:
                link.text += texts.get((mcr_page, int(kid.MCID)), "")
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
            annot = kid.Obj
            action = annot.get("/A")
            link.uris.append(str(action.URI) if action is not None and "/URI" in action else None)
            link.contents.append(str(annot.Contents) if "/Contents" in annot else None)
    return link


def _marks(obj: Any) -> list[tuple[str, int | None]]:
    """The content marks of a page object: (name, MCID or None), outermost first."""
    import pypdfium2.raw as pdfium_c

    marks = []
    for i in range(pdfium_c.FPDFPageObj_CountMarks(obj.raw)):
        mark = pdfium_c.FPDFPageObj_GetMark(obj.raw, i)
        length = ctypes.c_ulong()
        pdfium_c.FPDFPageObjMark_GetName(mark, None, 0, ctypes.byref(length))
        buffer = ctypes.create_string_buffer(length.value)
        pdfium_c.FPDFPageObjMark_GetName(
            mark,
            ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)),
            length.value,
            ctypes.byref(length),
        )
        name = buffer.raw[: length.value].decode("utf-16-le").rstrip("\x00")
        value = ctypes.c_int()
        has_mcid = pdfium_c.FPDFPageObjMark_GetParamIntValue(mark, b"MCID", ctypes.byref(value))
        marks.append((name, value.value if has_mcid else None))
    return marks


def _marked_texts(pdf: Path) -> dict[tuple[int, int], str]:
    """{(page index, MCID): text} for every marked text object of the document."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    texts: dict[tuple[int, int], str] = {}
    document = pdfium.PdfDocument(str(pdf))
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            for obj in page.get_objects(max_depth=4):
                if obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT:
                    continue
                ids = [mcid for _, mcid in _marks(obj) if mcid is not None]
                if not ids:
                    continue
                size = pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
                buffer = ctypes.create_string_buffer(size)
                pdfium_c.FPDFTextObj_GetText(
                    obj.raw,
                    textpage.raw,
                    ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)),
                    size,
                )
                text = buffer.raw.decode("utf-16-le").rstrip("\x00")
                key = (index, ids[-1])
                texts[key] = texts.get(key, "") + text
    finally:
        document.close()
    return texts


def marks_in(pdf: Path, rect: Rect, index: int = 0) -> list[tuple[str, ...]]:
    """The content mark names of every graphic (path) inside ``rect`` on a page."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(str(pdf))
    try:
        page = document[index]
        return [
            tuple(name for name, _ in _marks(obj))
            for obj in page.get_objects(max_depth=4)
            if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH and path_rect(obj).within(rect, slack=0.5)
        ]
    finally:
        document.close()
