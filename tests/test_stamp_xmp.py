"""The XMP writer: namespace, identifier, PDF/A extension schema, Info sync, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from pithtex.core import names as xmpschema
from pithtex.core.errors import InputError
from pithtex.core.names import DC, PDFA_SCHEMA, RDF, XMP
from pithtex.pdf.xmp.read import parse_tree
from pithtex.pdf.xmp.write import (
    XmpStamp,
    lang_alt_value,
    pdf_date,
    pith_values,
    simple_value,
    update_packet,
    xmp_date_from_pdf,
)

NUMBER = "pith:2019:J655K2KRI7DJHF4SOFYZCQRRE5"
VALUES = {
    "number": NUMBER,
    "canonicalSHA256": "4fbbd5695147c693979271719142312751c3535b842a03f4c428753a52087fea",
    "resolver": "https://pith.science/pith/J655K2KRI7DJHF4SOFYZCQRRE5",
    "bundleSHA256": "f8abdbbfc5fc1bb47bda048689c3913aa37fc836c4ede9ca5546960956f7cd9e",
    "keyFingerprint": "8d4b5ee74e4693bcd1df2446408b0d54",
    "stampedAt": "2026-11-03T12:00:00+00:00",
    "tool": "pithtex 0.1.0",
}
WHEN = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)

PDFA2 = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
  pdfaid:part="%d" pdfaid:conformance="B"/>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <dc:title><rdf:Alt><rdf:li xml:lang="x-default">A Title</rdf:li></rdf:Alt></dc:title>
 %s
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
  xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#">
 <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
  <pdfaSchema:schema>Other</pdfaSchema:schema>
  <pdfaSchema:namespaceURI>http://example.org/other/</pdfaSchema:namespaceURI>
  <pdfaSchema:prefix>other</pdfaSchema:prefix>
 </rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def pdfa_packet(part: int, extra: str = "") -> bytes:
    return PDFA2 % (part, extra.encode())


def stamp(packet: bytes | None, info: dict[str, str] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    root = parse_tree(packet) if packet is not None else None
    return update_packet(root, XmpStamp(values=VALUES, **kwargs), info or {})  # type: ignore[arg-type]


def count(packet: bytes, uri: str, name: str) -> int:
    return len(parse_tree(packet).findall(f".//{{{uri}}}{name}"))


def test_new_packet_declares_the_namespace_and_copies_info() -> None:
    update = stamp(None, {"Title": "A Title", "Author": "Ada", "CreationDate": "D:20190401120000Z"})
    text = update.packet.decode()
    assert f'xmlns:{xmpschema.PREFIX}="{xmpschema.NAMESPACE_URI}"' in text
    assert text.startswith('<?xpacket begin="\ufeff"') and text.endswith('<?xpacket end="w"?>')
    root = parse_tree(update.packet)
    assert pith_values(root) == VALUES
    assert simple_value(root, DC, "identifier") == NUMBER
    assert lang_alt_value(root, DC, "title") == "A Title"
    assert simple_value(root, XMP, "CreateDate") == "2019-04-01T12:00:00+00:00"
    assert update.info["PithNumber"] == NUMBER
    assert update.info["PithCanonicalSHA256"] == VALUES["canonicalSHA256"]
    assert update.info["PithResolver"] == VALUES["resolver"]


def test_stamping_twice_gives_the_same_packet_without_duplicates() -> None:
    once = stamp(pdfa_packet(2), modified=WHEN).packet
    twice = stamp(once, modified=WHEN).packet
    assert twice == once
    for name in xmpschema.PROPERTY_NAMES:
        assert count(twice, xmpschema.NAMESPACE_URI, name) == 1
    assert count(twice, DC, "identifier") == 1
    assert count(twice, XMP, "ModifyDate") == 1


def test_new_values_replace_old_ones() -> None:
    once = stamp(None).packet
    root = parse_tree(once)
    changed = {**VALUES, "bundleSHA256": "0" * 64}
    again = update_packet(root, XmpStamp(values=changed), {}).packet
    assert pith_values(parse_tree(again))["bundleSHA256"] == "0" * 64
    assert count(again, xmpschema.NAMESPACE_URI, "bundleSHA256") == 1


@pytest.mark.parametrize("part", [1, 2, 3])
def test_pdfa_gets_one_extension_schema_entry(part: int) -> None:
    packet = stamp(stamp(pdfa_packet(part)).packet).packet
    root = parse_tree(packet)
    uris = [e.text for e in root.iter(f"{{{PDFA_SCHEMA}}}namespaceURI")]
    assert uris.count(xmpschema.NAMESPACE_URI) == 1
    assert "http://example.org/other/" in uris
    entry = next(
        e.getparent()
        for e in root.iter(f"{{{PDFA_SCHEMA}}}namespaceURI")
        if e.text == xmpschema.NAMESPACE_URI
    )
    assert entry.findtext(f"{{{PDFA_SCHEMA}}}prefix") == "pith"
    names = [e.text for e in entry.iter("{http://www.aiim.org/pdfa/ns/property#}name")]
    assert names == list(xmpschema.PROPERTY_NAMES)
    types = [e.text for e in entry.iter("{http://www.aiim.org/pdfa/ns/property#}valueType")]
    assert types == [p.value_type for p in xmpschema.PROPERTIES]


def test_pdfa4_gets_no_custom_info_keys_and_loses_old_ones() -> None:
    update = stamp(pdfa_packet(4), {"PithNumber": "old", "Title": "A Title"})
    assert update.info == {"PithNumber": None}
    assert update.pdfa is not None and not update.pdfa.allows_custom_info
    bare = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="' + RDF.encode() + b'">'
        b'<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
        b'pdfaid:part="4" pdfaid:rev="2020"/></rdf:RDF></x:xmpmeta>'
    )
    assert count(stamp(bare).packet, PDFA_SCHEMA, "namespaceURI") == 0  # PDF/A-4 needs none


def test_an_existing_doi_identifier_is_kept() -> None:
    packet = pdfa_packet(2, "<dc:identifier>doi:10.1000/xyz</dc:identifier>")
    update = stamp(packet)
    root = parse_tree(update.packet)
    assert simple_value(root, DC, "identifier") == "doi:10.1000/xyz"
    bag = root.findall(f".//{{{XMP}}}Identifier/{{{RDF}}}Bag/{{{RDF}}}li")
    assert [li.text for li in bag] == [NUMBER]
    assert any("dc:identifier already holds" in n for n in update.notes)
    again = stamp(update.packet).packet
    assert len(parse_tree(again).findall(f".//{{{XMP}}}Identifier/{{{RDF}}}Bag/{{{RDF}}}li")) == 1


def test_attribute_form_properties_are_replaced_too() -> None:
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="' + RDF.encode() + b'">'
        b'<rdf:Description rdf:about="" xmlns:pith="' + xmpschema.NAMESPACE_URI.encode() + b'" '
        b'pith:number="pith:2019:AAAAAAAAAAAAAAAAAAAAAAAAAA" dc:identifier="pith:2019:AAAAAAAAAAAAA'
        b'AAAAAAAAAAAAA" xmlns:dc="' + DC.encode() + b'"/></rdf:RDF></x:xmpmeta>'
    )
    root = parse_tree(stamp(packet).packet)
    assert pith_values(root)["number"] == NUMBER
    assert simple_value(root, DC, "identifier") == NUMBER


def test_a_given_title_goes_into_xmp_and_info() -> None:
    update = stamp(None, {"Title": "untitled"}, title="The Record Title")
    assert lang_alt_value(parse_tree(update.packet), DC, "title") == "The Record Title"
    assert update.info["Title"] == "The Record Title"
    replaced = stamp(pdfa_packet(2), title="The Record Title")
    root = parse_tree(replaced.packet)
    assert lang_alt_value(root, DC, "title") == "The Record Title"
    assert count(replaced.packet, DC, "title") == 1


def test_dates_stay_consistent_between_info_and_xmp() -> None:
    update = stamp(None, modified=WHEN)
    root = parse_tree(update.packet)
    assert simple_value(root, XMP, "ModifyDate") == "2026-11-03T12:00:00+00:00"
    assert update.info["ModDate"] == pdf_date(WHEN) == "D:20261103120000+00'00'"
    assert xmp_date_from_pdf(update.info["ModDate"]) == "2026-11-03T12:00:00+00:00"


def test_disagreeing_info_is_reported_not_changed() -> None:
    update = stamp(pdfa_packet(2), {"Title": "Something Else"})
    assert lang_alt_value(parse_tree(update.packet), DC, "title") == "A Title"
    assert any("disagree" in note for note in update.notes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D:20190401", "2019-04-01T00:00:00"),
        ("D:20190401120102+02'00'", "2019-04-01T12:01:02+02:00"),
        ("D:20190401120102-05'30", "2019-04-01T12:01:02-05:30"),
        ("D:20190401120102Z", "2019-04-01T12:01:02+00:00"),
        ("D:2019130112", None),
        ("yesterday", None),
    ],
)
def test_pdf_dates(text: str, expected: str | None) -> None:
    assert xmp_date_from_pdf(text) == expected


@pytest.mark.parametrize(
    ("packet", "code"),
    [
        (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF", "xmp.malformed"),
        (b"not xml at all", "xmp.malformed"),
        (
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]>"
            b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>&b;</x:xmpmeta>",
            "xmp.entities",
        ),
        (
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
            b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>&e;</x:xmpmeta>",
            "xmp.entities",
        ),
        (b"<html><body/></html>", "xmp.structure"),
        (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><nothing/></x:xmpmeta>", "xmp.structure"),
    ],
)
def test_malformed_packets_are_refused(packet: bytes, code: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_tree(packet)
    assert caught.value.code == code
    assert "root:x:0:0" not in caught.value.message  # nothing was ever fetched


def test_bare_rdf_is_wrapped_in_xmpmeta() -> None:
    packet = b'<rdf:RDF xmlns:rdf="' + RDF.encode() + b'"></rdf:RDF>'
    root = parse_tree(stamp(packet).packet)
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    assert etree.QName(root[0]).localname == "RDF"
