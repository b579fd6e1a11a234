"""Writing the ``pith`` properties into an XMP packet, keeping everything else.

:func:`update_packet` takes the packet a PDF already carries (or none), the
values to stamp and the PDF's Info strings, and returns the new packet and the
Info changes that keep both in step.  It is a pure function over bytes, so the
full-rewrite path (pikepdf) and the incremental path (pypdf) write the very
same metadata.

What it guarantees (the contract is ``docs/pdf-metadata.md``):

* the ``pith`` namespace is declared with its registered prefix, in its own
  ``rdf:Description``; every property already in the packet is kept;
* ``dc:identifier`` carries the full Pith Number, unless the packet already
  identifies the paper otherwise (a DOI, say): then that stays and the number is
  added to the ``xmp:Identifier`` bag;
* PDF/A-1, -2 and -3 files (and any packet that already has a
  ``pdfaExtension:schemas`` block) get the ``pith`` schema declared there, so
  they stay valid PDF/A;
* standard Info entries missing from the packet are copied into it;
* stamping again replaces the old ``pith`` properties and extension entry:
  the result is the same, never a duplicate.

An existing packet is parsed by :func:`pithtex.pdf.xmp.read.parse_tree`, the one hardened XMP parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pithtex.core import names as xmpschema
from pithtex.core.names import (
    DC,
    PDF,
    PDFA_EXTENSION,
    PDFA_PROPERTY,
    PDFA_SCHEMA,
    PDFAID,
    RDF,
    XML_LANG,
    XMP,
    X,
)
from pithtex.pdf.xmp.read import XmpError, find_rdf

if TYPE_CHECKING:
    from lxml import etree

__all__ = [
    "INFO_EQUIVALENTS",
    "PACKET_HEADER",
    "PACKET_TRAILER",
    "PREFIXES",
    "PdfALevel",
    "XmpStamp",
    "XmpUpdate",
    "empty_packet",
    "lang_alt_value",
    "pdf_date",
    "pdfa_level",
    "pith_values",
    "serialize",
    "simple_value",
    "update_packet",
    "xmp_date",
    "xmp_date_from_pdf",
]

PREFIXES = {
    "rdf": RDF,
    "x": X,
    "dc": DC,
    "xmp": XMP,
    "pdf": PDF,
    "pdfaid": PDFAID,
    "pdfaExtension": PDFA_EXTENSION,
    "pdfaSchema": PDFA_SCHEMA,
    "pdfaProperty": PDFA_PROPERTY,
    xmpschema.PREFIX: xmpschema.NAMESPACE_URI,
}

PACKET_HEADER = b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
PACKET_TRAILER = b'\n<?xpacket end="w"?>'

_PITH_NUMBER = re.compile(r"pith:(?:\d{4}:)?[A-Z2-7]{26}")


def _q(uri: str, name: str) -> str:
    return f"{{{uri}}}{name}"


# ---------------------------------------------------------------- reading


def _descriptions(root: etree._Element) -> list[etree._Element]:
    rdf = find_rdf(root)
    return [] if rdf is None else list(rdf.iterchildren(_q(RDF, "Description")))


def simple_value(root: etree._Element, uri: str, name: str) -> str | None:
    """A simple property's value, written as an element or as a shorthand attribute."""
    tag = _q(uri, name)
    for description in _descriptions(root):
        if tag in description.attrib:
            return str(description.attrib[tag])
        element = description.find(tag)
        if element is not None:
            return (element.text or "").strip()
    return None


def lang_alt_value(root: etree._Element, uri: str, name: str) -> str | None:
    """The ``x-default`` (else the first) item of a language alternative such as ``dc:title``."""
    for description in _descriptions(root):
        element = description.find(_q(uri, name))
        if element is None:
            continue
        items = element.findall(f"{_q(RDF, 'Alt')}/{_q(RDF, 'li')}")
        if not items:
            return (element.text or "").strip() or None
        for item in items:
            if item.get(XML_LANG) == "x-default":
                return item.text or ""
        return items[0].text or ""
    return None


def pith_values(root: etree._Element) -> dict[str, str]:
    """The ``pith`` properties a packet already carries."""
    found = {}
    for name in xmpschema.PROPERTY_NAMES:
        value = simple_value(root, xmpschema.NAMESPACE_URI, name)
        if value is not None:
            found[name] = value
    return found


@dataclass(frozen=True, slots=True)
class PdfALevel:
    """The PDF/A identification of a packet (``pdfaid:part`` and ``pdfaid:conformance``)."""

    part: int
    conformance: str

    @property
    def label(self) -> str:
        return f"PDF/A-{self.part}{self.conformance.lower()}"

    @property
    def needs_extension_schema(self) -> bool:
        """PDF/A-1 to -3 require custom namespaces to be declared in the packet."""
        return self.part <= 3

    @property
    def allows_json_attachment(self) -> bool:
        """PDF/A-3 and PDF/A-4f accept arbitrary associated files; -1, -2 and plain -4 do not."""
        return self.part == 3 or (self.part == 4 and self.conformance.upper() == "F")

    @property
    def allows_custom_info(self) -> bool:
        """PDF/A-4 deprecates the Info dictionary: no custom keys there."""
        return self.part < 4


def pdfa_level(root: etree._Element) -> PdfALevel | None:
    part = simple_value(root, PDFAID, "part")
    if part is None:
        return None
    if not part.strip().isdigit():
        raise XmpError("xmp.structure", f"pdfaid:part is {part!r}, not a number")
    return PdfALevel(int(part), (simple_value(root, PDFAID, "conformance") or "").strip())


# ---------------------------------------------------------------- dates


def xmp_date(moment: datetime) -> str:
    """``2026-11-03T12:00:00+00:00`` (seconds precision, always with a zone)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def pdf_date(moment: datetime) -> str:
    """The PDF form of :func:`xmp_date`: ``D:20261103120000+00'00'``."""
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


_PDF_DATE = re.compile(
    r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(?:(\d{2})'?(?:(\d{2})'?)?)?)?$"
)


def xmp_date_from_pdf(text: str) -> str | None:
    """Convert an Info date (``D:YYYYMMDDHHmmSSOHH'mm'``) to XMP form; ``None`` if malformed."""
    match = _PDF_DATE.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, sign, tz_hour, tz_minute = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
    except ValueError:
        return None
    if sign in (None, "Z", "z"):
        zone = UTC if sign else None
    else:
        offset = timedelta(hours=int(tz_hour or 0), minutes=int(tz_minute or 0))
        zone = timezone(offset if sign == "+" else -offset)
    if zone is None:
        return moment.isoformat()
    return moment.replace(tzinfo=zone).isoformat()


# ---------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class XmpStamp:
    """What to write: the ``pith`` property values (in schema order) and the dates."""

    values: Mapping[str, str]
    """Values by ``pith`` property name; ``stampedAt`` may be absent (deterministic mode)."""
    modified: datetime | None = None
    """Sets ``xmp:ModifyDate``, ``xmp:MetadataDate`` and Info ``/ModDate``; ``None`` leaves them."""
    title: str | None = None
    """A title to write, in XMP and Info, where the PDF has none or a placeholder such as
    ``untitled`` (the stamper takes it from the verified record)."""


@dataclass
class XmpUpdate:
    """The new packet and the Info dictionary changes that keep Info and XMP consistent."""

    packet: bytes
    info: dict[str, str | None] = field(default_factory=dict)
    """Info key (without slash) to new text value; ``None`` removes the key."""
    notes: list[str] = field(default_factory=list)
    pdfa: PdfALevel | None = None


# Info keys with a standard XMP equivalent: (Info key, namespace, property, kind)
INFO_EQUIVALENTS = (
    ("Title", DC, "title", "alt"),
    ("Author", DC, "creator", "seq"),
    ("Subject", DC, "description", "alt"),
    ("Keywords", PDF, "Keywords", "text"),
    ("Creator", XMP, "CreatorTool", "text"),
    ("Producer", PDF, "Producer", "text"),
    ("CreationDate", XMP, "CreateDate", "date"),
    ("ModDate", XMP, "ModifyDate", "date"),
)


def empty_packet() -> etree._Element:
    from lxml import etree

    root = etree.Element(_q(X, "xmpmeta"), nsmap={"x": X})
    etree.SubElement(root, _q(RDF, "RDF"), nsmap={"rdf": RDF})
    return root


def update_packet(
    root: etree._Element | None, stamp: XmpStamp, info: Mapping[str, str]
) -> XmpUpdate:
    """Stamp ``root`` (from :func:`~pithtex.pdf.xmp.read.parse_tree`; ``None``: a new packet).

    ``info`` holds the PDF's Info strings (keys without slash).  Returns the new
    packet bytes and the Info changes to apply.
    """
    if root is None:
        root = empty_packet()
    elif root.tag == _q(RDF, "RDF"):
        root = _wrap_in_xmpmeta(root)
    rdf = find_rdf(root)
    assert rdf is not None  # parse_tree guarantees it
    level = pdfa_level(root)
    update = XmpUpdate(packet=b"", pdfa=level)

    _remove_pith(rdf)
    if stamp.title is not None:
        _remove_property(rdf, DC, "title")
        _set_lang_alt(_description_for(rdf, DC), DC, "title", stamp.title)
        update.info["Title"] = stamp.title
    known = {**info, **{k: v for k, v in update.info.items() if v is not None}}
    _copy_missing_from_info(rdf, known, update)
    _write_identifier(rdf, stamp.values["number"], update)
    if stamp.modified is not None:
        _write_dates(rdf, stamp.modified, update)
    if (level is not None and level.needs_extension_schema) or _has_extension_block(rdf):
        _declare_extension_schema(rdf)
    _append_pith_description(rdf, stamp.values)  # last: the same place on every stamping
    _sync_custom_info(stamp.values, level, info, update)
    update.packet = serialize(root)
    return update


def _wrap_in_xmpmeta(rdf: etree._Element) -> etree._Element:
    root = empty_packet()
    root.remove(root[0])
    root.append(rdf)
    return root


def serialize(root: etree._Element) -> bytes:
    """The packet with its ``xpacket`` wrapper, UTF-8, no padding."""
    from lxml import etree

    literal = f".//*[@{{{RDF}}}parseType='Literal']"
    if not root.findall(literal):
        etree.indent(root, space=" ")
    body: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=False)
    return PACKET_HEADER + body + PACKET_TRAILER


def _make(parent: etree._Element, uri: str, name: str, text: str | None = None) -> etree._Element:
    """A child element, declaring the namespace's usual prefix where it is not in scope."""
    from lxml import etree

    declare = None
    if uri not in parent.nsmap.values():
        prefix = next((p for p, u in PREFIXES.items() if u == uri), None)
        declare = {prefix: uri} if prefix and prefix not in parent.nsmap else None
    element = etree.SubElement(parent, _q(uri, name), nsmap=declare)
    if text is not None:
        element.text = text
    return element


def _new_description(rdf: etree._Element, uri: str) -> etree._Element:
    from lxml import etree

    prefix = next(p for p, u in PREFIXES.items() if u == uri)
    about = _about(rdf)
    description = etree.SubElement(rdf, _q(RDF, "Description"), nsmap={prefix: uri})
    description.set(_q(RDF, "about"), about)
    return description


def _about(rdf: etree._Element) -> str:
    """The ``rdf:about`` every description of the packet shares (usually empty)."""
    for description in rdf.iterchildren(_q(RDF, "Description")):
        about = description.get(_q(RDF, "about"))
        if about is not None:
            return str(about)
    return ""


def _description_for(rdf: etree._Element, uri: str) -> etree._Element:
    """The description already holding properties of ``uri``, else a new one for it."""
    for description in rdf.iterchildren(_q(RDF, "Description")):
        if any(_namespace(k) == uri for k in description.attrib) or any(
            _namespace(child.tag) == uri for child in description if isinstance(child.tag, str)
        ):
            return description
    return _new_description(rdf, uri)


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _remove_property(rdf: etree._Element, uri: str, name: str) -> None:
    tag = _q(uri, name)
    for description in rdf.iterchildren(_q(RDF, "Description")):
        description.attrib.pop(tag, None)
        for element in description.findall(tag):
            description.remove(element)


def _remove_pith(rdf: etree._Element) -> None:
    """Drop every ``pith`` property and any description left empty by that."""
    for description in list(rdf.iterchildren(_q(RDF, "Description"))):
        for key in [k for k in description.attrib if _namespace(k) == xmpschema.NAMESPACE_URI]:
            del description.attrib[key]
        for child in list(description):
            if isinstance(child.tag, str) and _namespace(child.tag) == xmpschema.NAMESPACE_URI:
                description.remove(child)
        keys = set(description.attrib) - {_q(RDF, "about")}
        if not keys and len(description) == 0:
            rdf.remove(description)


def _set_simple(description: etree._Element, uri: str, name: str, value: str) -> None:
    _make(description, uri, name, value)


def _set_lang_alt(description: etree._Element, uri: str, name: str, value: str) -> None:
    alt = _make(_make(description, uri, name), RDF, "Alt")
    item = _make(alt, RDF, "li", value)
    item.set(XML_LANG, "x-default")


def _set_seq(description: etree._Element, uri: str, name: str, values: list[str]) -> None:
    seq = _make(_make(description, uri, name), RDF, "Seq")
    for value in values:
        _make(seq, RDF, "li", value)


def _copy_missing_from_info(
    rdf: etree._Element, info: Mapping[str, str], update: XmpUpdate
) -> None:
    """Give the packet the Info entries it lacks; note the ones that disagree."""
    root = rdf.getparent() if rdf.getparent() is not None else rdf
    for key, uri, name, kind in INFO_EQUIVALENTS:
        text = info.get(key)
        if not text:
            continue
        if kind == "alt":
            present = lang_alt_value(root, uri, name)
        elif kind == "seq":
            present = _seq_text(root, uri, name)
        else:
            present = simple_value(root, uri, name)
        wanted = xmp_date_from_pdf(text) if kind == "date" else text
        if wanted is None:
            update.notes.append(f"Info /{key} {text!r} is not a PDF date; not copied to XMP")
            continue
        if present is None:
            _write_equivalent(rdf, uri, name, kind, wanted)
        elif not _equivalent(kind, present, wanted):
            update.notes.append(
                f"Info /{key} and XMP {name} disagree ({text!r} vs {present!r}); left as they were"
            )


def _write_equivalent(rdf: etree._Element, uri: str, name: str, kind: str, value: str) -> None:
    description = _description_for(rdf, uri)
    if kind == "alt":
        _set_lang_alt(description, uri, name, value)
    elif kind == "seq":
        _set_seq(description, uri, name, [value])
    else:
        _set_simple(description, uri, name, value)


def _seq_text(root: etree._Element, uri: str, name: str) -> str | None:
    for description in _descriptions(root):
        element = description.find(_q(uri, name))
        if element is not None:
            items = element.findall(f".//{_q(RDF, 'li')}")
            return ", ".join((i.text or "") for i in items) if items else (element.text or "")
    return None


def _equivalent(kind: str, present: str, wanted: str) -> bool:
    if kind != "date":
        return present.strip() == wanted.strip()
    try:
        return datetime.fromisoformat(present.replace("Z", "+00:00")) == datetime.fromisoformat(
            wanted
        )
    except ValueError:
        return False


def _write_identifier(rdf: etree._Element, number: str, update: XmpUpdate) -> None:
    root = rdf.getparent() if rdf.getparent() is not None else rdf
    current = simple_value(root, DC, "identifier")
    if current is None or _PITH_NUMBER.fullmatch(current):
        _remove_property(rdf, DC, "identifier")
        _set_simple(_description_for(rdf, DC), DC, "identifier", number)
        return
    update.notes.append(
        f"dc:identifier already holds {current!r}: kept; the Pith Number is added to "
        "xmp:Identifier instead"
    )
    description = _description_for(rdf, XMP)
    bag = description.find(f"{_q(XMP, 'Identifier')}/{_q(RDF, 'Bag')}")
    if bag is None:
        _remove_property(rdf, XMP, "Identifier")
        bag = _make(_make(description, XMP, "Identifier"), RDF, "Bag")
    for item in list(bag):
        if (item.text or "").strip() and _PITH_NUMBER.fullmatch((item.text or "").strip()):
            bag.remove(item)
    _make(bag, RDF, "li", number)


def _append_pith_description(rdf: etree._Element, values: Mapping[str, str]) -> None:
    description = _new_description(rdf, xmpschema.NAMESPACE_URI)
    for name in xmpschema.PROPERTY_NAMES:
        if name in values:
            _set_simple(description, xmpschema.NAMESPACE_URI, name, values[name])


def _write_dates(rdf: etree._Element, modified: datetime, update: XmpUpdate) -> None:
    text = xmp_date(modified)
    for name in ("ModifyDate", "MetadataDate"):
        _remove_property(rdf, XMP, name)
        _set_simple(_description_for(rdf, XMP), XMP, name, text)
    update.info["ModDate"] = pdf_date(modified)


def _sync_custom_info(
    values: Mapping[str, str],
    level: PdfALevel | None,
    info: Mapping[str, str],
    update: XmpUpdate,
) -> None:
    for name, key in xmpschema.INFO_KEYS.items():
        if level is not None and not level.allows_custom_info:
            if key in info:
                update.info[key] = None
        else:
            update.info[key] = values[name]


def _has_extension_block(rdf: etree._Element) -> bool:
    """Whether the packet already declares extension schemas (hyperxmp does, PDF/A or not)."""
    return rdf.find(f"{_q(RDF, 'Description')}/{_q(PDFA_EXTENSION, 'schemas')}") is not None


def _declare_extension_schema(rdf: etree._Element) -> None:
    """Put the ``pith`` schema into ``pdfaExtension:schemas``, replacing an older entry."""
    description = _description_for(rdf, PDFA_EXTENSION)
    schemas = description.find(_q(PDFA_EXTENSION, "schemas"))
    if schemas is None:
        schemas = _make(description, PDFA_EXTENSION, "schemas")
    bag = schemas.find(_q(RDF, "Bag"))
    if bag is None:
        bag = _make(schemas, RDF, "Bag")
    for item in list(bag):
        if _schema_namespace(item) == xmpschema.NAMESPACE_URI:
            bag.remove(item)
    item = _resource(bag)
    _make(item, PDFA_SCHEMA, "schema", xmpschema.SCHEMA_NAME)
    _make(item, PDFA_SCHEMA, "namespaceURI", xmpschema.NAMESPACE_URI)
    _make(item, PDFA_SCHEMA, "prefix", xmpschema.PREFIX)
    seq = _make(_make(item, PDFA_SCHEMA, "property"), RDF, "Seq")
    for prop in xmpschema.PROPERTIES:
        entry = _resource(seq)
        _make(entry, PDFA_PROPERTY, "name", prop.name)
        _make(entry, PDFA_PROPERTY, "valueType", prop.value_type)
        _make(entry, PDFA_PROPERTY, "category", "external")
        _make(entry, PDFA_PROPERTY, "description", prop.description)


def _resource(parent: etree._Element) -> etree._Element:
    item = _make(parent, RDF, "li")
    item.set(_q(RDF, "parseType"), "Resource")
    return item


def _schema_namespace(item: etree._Element) -> str | None:
    tag = _q(PDFA_SCHEMA, "namespaceURI")
    if tag in item.attrib:
        return str(item.attrib[tag])
    element = item.find(f".//{tag}")
    return None if element is None else (element.text or "").strip()
