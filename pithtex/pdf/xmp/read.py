"""A strict, read-only reader of XMP packets.

:func:`parse_packet` reads what pithtex cares about in an XMP packet (the
``pith`` properties of :mod:`pithtex.core.names`, ``dc:identifier``,
``xmp:Identifier``, ``dc:title`` and the PDF/A identification) and nothing else.  It never
repairs: a packet that is not well-formed XML, that declares a DOCTYPE or an
entity, that is larger than the cap, or that gives one property two different
values raises :class:`XmpError` with a stable code.  The checker reports that
as a finding; the stamper calls the same function to validate a packet before
writing it.

The XML parser is hardened: no DTD is loaded, no entity is expanded, nothing
is fetched from the network, huge-tree mode and recovery are off.  DOCTYPE and
entity declarations are rejected before the parser sees the bytes, so even
the parser's own protections are never the last line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pithtex.core.errors import InputError
from pithtex.core.names import DC, NAMESPACE_URI, PDFAID, RDF, XML_LANG, XMP, X

if TYPE_CHECKING:
    from lxml import etree

__all__ = [
    "MAX_PACKET_BYTES",
    "XmpError",
    "XmpPacket",
    "find_rdf",
    "mentions_pith",
    "parse_packet",
    "parse_tree",
]

MAX_PACKET_BYTES = 4 * 1024 * 1024
"""Largest packet accepted (XMP packets of papers are a few kilobytes)."""


_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_WANTED = (NAMESPACE_URI, DC, XMP, PDFAID)


class XmpError(InputError):
    """An XMP packet that cannot be read as it is; ``code`` says why.

    Codes: ``xmp.too_large``, ``xmp.entities`` (a DOCTYPE or entity
    declaration), ``xmp.malformed`` (not well-formed XML), ``xmp.structure``
    (no ``rdf:RDF``, or a property of the wrong shape), ``xmp.duplicate`` (one
    property with two different values).
    """

    default_code = "xmp.malformed"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)

    def __reduce__(self) -> tuple[type[XmpError], tuple[str, str]]:
        return (type(self), (self.code, self.message))


@dataclass(frozen=True, slots=True)
class XmpPacket:
    """What a packet says, as written (values are not validated here)."""

    pith: Mapping[str, str] = field(default_factory=dict)
    """``pith`` namespace properties by local name (``number``, ``canonicalSHA256``...)."""
    identifiers: tuple[str, ...] = ()
    """Every ``dc:identifier`` value, in document order."""
    xmp_identifiers: tuple[str, ...] = ()
    """Every item of the ``xmp:Identifier`` bag (where the Pith Number goes when
    ``dc:identifier`` already holds a DOI)."""
    title: str | None = None
    """``dc:title``: the ``x-default`` alternative, else the first one."""
    pdfa_part: str | None = None
    pdfa_conformance: str | None = None

    @property
    def number(self) -> str | None:
        return self.pith.get("number")

    @property
    def is_empty(self) -> bool:
        return not (self.pith or self.identifiers or self.title)


def parse_tree(data: bytes, *, max_bytes: int = MAX_PACKET_BYTES) -> etree._Element:
    """The one hardened parse of an XMP packet, for reading and for editing alike.

    Returns the root element (``x:xmpmeta``, or a bare ``rdf:RDF``) after refusing
    an oversized packet, any DOCTYPE or entity declaration, XML that is not
    well-formed and a packet without exactly one ``rdf:RDF``.  The stamper edits
    the tree it returns; :func:`parse_packet` reads it.
    """
    if len(data) > max_bytes:
        raise XmpError("xmp.too_large", f"XMP packet of {len(data)} bytes exceeds {max_bytes}")
    _refuse_declarations(data)
    root = _parse_xml(data)
    find_rdf(root)
    return root


def parse_packet(data: bytes, *, max_bytes: int = MAX_PACKET_BYTES) -> XmpPacket:
    """Parse one XMP packet strictly; raises :class:`XmpError` naming what is wrong."""
    rdf = find_rdf(parse_tree(data, max_bytes=max_bytes))
    values: dict[tuple[str, str], list[str]] = {}
    for description in rdf:
        if not isinstance(description.tag, str):
            continue  # comments and processing instructions
        if description.tag != f"{{{RDF}}}Description":
            raise XmpError(
                "xmp.structure",
                f"unexpected element {_name(description)} in rdf:RDF "
                f"(line {description.sourceline})",
            )
        for namespace, local, value in _properties(description):
            values.setdefault((namespace, local), []).extend(value)
    return _packet(values)


_WIDE_ENCODINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
_PITH_FORMS = tuple("pith".encode(encoding) for encoding in ("ascii", *_WIDE_ENCODINGS))


def mentions_pith(data: bytes) -> bool:
    """Whether the packet's bytes contain ``pith`` (any case) in UTF-8 or UTF-16/32.

    Used on packets the reader refuses: one that mentions pith in any encoding the
    XML parser would read might hide a claim, so a check must not call it "no claim".
    """
    lowered = data.lower()  # folds ASCII letters only, so every encoding's "PITH" too
    return any(form in lowered for form in _PITH_FORMS)


def _refuse_declarations(data: bytes) -> None:
    """A DOCTYPE or entity declaration, in UTF-8 or UTF-16/32, is a finding."""
    for marker in _DECLARATIONS:
        forms = [marker, *(marker.decode("ascii").encode(e) for e in _WIDE_ENCODINGS)]
        if any(form in data for form in forms):
            what = marker.decode("ascii")[2:]
            raise XmpError(
                "xmp.entities",
                f"XMP packet contains a {what} declaration; entities are never expanded or "
                "fetched, and a packet with one is not accepted",
            )


def _parser() -> etree.XMLParser:
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
        remove_blank_text=False,
        collect_ids=False,
    )


def _parse_xml(data: bytes) -> etree._Element:
    from lxml import etree

    try:
        root = etree.fromstring(data.strip(), parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise XmpError("xmp.malformed", f"XMP packet is not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise XmpError("xmp.entities", "XMP packet declares a document type")
    return root


def find_rdf(root: etree._Element) -> etree._Element:
    """The ``rdf:RDF`` element of a packet root (the root itself when it is ``rdf:RDF``)."""
    if root.tag == f"{{{RDF}}}RDF":
        return root
    if root.tag != f"{{{X}}}xmpmeta":
        raise XmpError(
            "xmp.structure", f"XMP packet's root is {_name(root)}, not x:xmpmeta or rdf:RDF"
        )
    found = [child for child in root if child.tag == f"{{{RDF}}}RDF"]
    if len(found) != 1:
        raise XmpError("xmp.structure", f"x:xmpmeta holds {len(found)} rdf:RDF elements, not 1")
    return found[0]


def _split(tag: str) -> tuple[str, str]:
    namespace, _, local = tag[1:].partition("}")
    return namespace, local


def _name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return "a non-element node"
    return f"<{_split(tag)[1]}>" if tag.startswith("{") else f"<{tag}>"


def _properties(description: etree._Element) -> Iterator[tuple[str, str, list[str]]]:
    """``(namespace, local name, values)`` of the properties we read in one description."""
    for key, value in description.attrib.items():
        if key.startswith("{"):
            namespace, local = _split(key)
            if namespace in _WANTED:
                yield namespace, local, [value]
    for element in description:
        if not isinstance(element.tag, str) or not element.tag.startswith("{"):
            continue
        namespace, local = _split(element.tag)
        if namespace in _WANTED:
            yield namespace, local, _element_values(element, namespace, local)


def _element_values(element: etree._Element, namespace: str, local: str) -> list[str]:
    """A simple value, ``rdf:resource``, or the items of an rdf:Alt/Bag/Seq container."""
    resource = element.get(f"{{{RDF}}}resource")
    children = [c for c in element if isinstance(c.tag, str)]
    if resource is not None and not children:
        return [resource]
    if not children:
        return [element.text or ""]
    if len(children) == 1 and children[0].tag in {f"{{{RDF}}}{k}" for k in ("Alt", "Bag", "Seq")}:
        return _container_items(children[0], local)
    raise XmpError(
        "xmp.structure",
        f"property {local} ({namespace}) has a structured value where text was expected "
        f"(line {element.sourceline})",
    )


def _container_items(container: etree._Element, local: str) -> list[str]:
    items: list[tuple[str | None, str]] = []
    for item in container:
        if not isinstance(item.tag, str):
            continue
        if item.tag != f"{{{RDF}}}li" or any(isinstance(c.tag, str) for c in item):
            raise XmpError(
                "xmp.structure",
                f"{local}: container items must be rdf:li text (line {item.sourceline})",
            )
        items.append((item.get(XML_LANG), item.text or ""))
    if container.tag == f"{{{RDF}}}Alt":
        # a language alternative: x-default first, the others after it
        items.sort(key=lambda pair: pair[0] != "x-default")
    return [text for _, text in items]


def _packet(values: dict[tuple[str, str], list[str]]) -> XmpPacket:
    pith: dict[str, str] = {}
    for (namespace, local), found in values.items():
        if namespace == NAMESPACE_URI:
            pith[local] = _single(f"pith:{local}", found)
    titles = values.get((DC, "title"), [])
    part = values.get((PDFAID, "part"))
    conformance = values.get((PDFAID, "conformance"))
    return XmpPacket(
        pith=pith,
        identifiers=tuple(values.get((DC, "identifier"), [])),
        xmp_identifiers=tuple(values.get((XMP, "Identifier"), [])),
        title=titles[0] if titles else None,
        pdfa_part=_single("pdfaid:part", part) if part else None,
        pdfa_conformance=_single("pdfaid:conformance", conformance) if conformance else None,
    )


def _single(name: str, found: list[str]) -> str:
    distinct = list(dict.fromkeys(v.strip() for v in found))
    if len(distinct) != 1:
        shown = ", ".join(repr(v) for v in distinct[:3])
        raise XmpError("xmp.duplicate", f"{name} is given {len(distinct)} values: {shown}")
    return distinct[0]
