"""Page 1's link annotations, whatever they do: where each is and what clicking it opens.

:meth:`~pithtex.pdf._access.document.Document.page1_links` gives only the links
that open a web address; the badge checks need every link, because a link over
the badge that runs another kind of action (opens a file, jumps elsewhere) is
as much a finding as one to a look-alike host.  At most ``max_annotations``
annotations are read (beyond, ``annotations.too_many``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from pithtex.pdf._access.limits import StreamError
from pithtex.pdf._access.values import Rect

if TYPE_CHECKING:
    from pithtex.pdf._access.document import Document

__all__ = ["LinkAnnotation", "page1_link_annotations"]


class LinkAnnotation(NamedTuple):
    """One ``/Link`` annotation of page 1."""

    position: int
    """Its place in the page's ``/Annots``, from 0."""
    rect: Rect | None
    action: str
    """The action's ``/S`` without its slash (``URI``, ``GoTo``, ``Launch``, ...);
    ``Dest`` for a plain destination, ``none`` when clicking it does nothing."""
    uri: str | None
    """The web address of a ``URI`` action."""


def page1_link_annotations(document: Document) -> list[LinkAnnotation]:
    """Every ``/Link`` annotation on page 1."""
    import pikepdf

    from pithtex.pdf._access.document import _box, _reading

    def read() -> list[LinkAnnotation]:
        annots = document._page().get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            return []
        if len(annots) > document.limits.max_annotations:
            raise StreamError(
                "annotations.too_many", f"page 1 has {len(annots)} annotations (cap exceeded)"
            )
        found = []
        for index, annot in enumerate(annots):
            if isinstance(annot, pikepdf.Dictionary) and annot.get("/Subtype") == pikepdf.Name.Link:
                action, uri = _action(annot)
                found.append(LinkAnnotation(index, _box(annot.get("/Rect")), action, uri))
        return found

    return _reading(read)()


def _action(annot: Any) -> tuple[str, str | None]:
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
