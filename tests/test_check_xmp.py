"""The strict XMP packet reader: what it reads, and every packet it refuses."""

from __future__ import annotations

import pytest
from conftest import SEED_HASH, SEED_NUMBER, SEED_TITLE
from pdfsamples import xmp_packet

from pithtex.core.names import NAMESPACE_URI
from pithtex.pdf.xmp.read import XmpError, parse_packet

RDF_OPEN = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
)
RDF_CLOSE = "</rdf:RDF></x:xmpmeta>"


def packet(body: str, *, prolog: str = "") -> bytes:
    return f"{prolog}{RDF_OPEN}{body}{RDF_CLOSE}".encode()


def refused(data: bytes) -> XmpError:
    with pytest.raises(XmpError) as info:
        parse_packet(data)
    return info.value


def test_reads_pith_properties_identifier_and_title() -> None:
    data = xmp_packet(
        {"number": SEED_NUMBER, "canonicalSHA256": SEED_HASH, "tool": "pithtex 0.1"},
        identifier=SEED_NUMBER,
        title=SEED_TITLE,
    )
    result = parse_packet(data)
    assert result.number == SEED_NUMBER
    assert result.pith["canonicalSHA256"] == SEED_HASH
    assert result.pith["tool"] == "pithtex 0.1"
    assert result.identifiers == (SEED_NUMBER,)
    assert result.title == SEED_TITLE
    assert not result.is_empty


def test_attribute_form_and_several_descriptions() -> None:
    body = (
        f'<rdf:Description rdf:about="" xmlns:pith="{NAMESPACE_URI}" pith:number="{SEED_NUMBER}"/>'
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
        'pdfaid:part="2" pdfaid:conformance="B"/>'
    )
    result = parse_packet(packet(body))
    assert result.number == SEED_NUMBER
    assert (result.pdfa_part, result.pdfa_conformance) == ("2", "B")


def test_language_alternative_prefers_x_default() -> None:
    body = (
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:title><rdf:Alt><rdf:li xml:lang="de">Titel</rdf:li>'
        '<rdf:li xml:lang="x-default">Title</rdf:li></rdf:Alt></dc:title>'
        "<dc:identifier>doi:10.1/x</dc:identifier></rdf:Description>"
    )
    result = parse_packet(packet(body))
    assert result.title == "Title"
    assert result.identifiers == ("doi:10.1/x",)
    assert result.number is None


def test_prefix_bound_to_another_namespace_is_not_ours() -> None:
    body = (
        '<rdf:Description rdf:about="" xmlns:pith="https://example.org/other/">'
        f"<pith:number>{SEED_NUMBER}</pith:number></rdf:Description>"
    )
    assert parse_packet(packet(body)).pith == {}


def test_same_value_twice_is_fine_two_values_are_a_finding() -> None:
    same = (
        f'<rdf:Description rdf:about="" xmlns:pith="{NAMESPACE_URI}" pith:number="{SEED_NUMBER}"/>'
        f'<rdf:Description rdf:about="" xmlns:pith="{NAMESPACE_URI}" pith:number="{SEED_NUMBER}"/>'
    )
    assert parse_packet(packet(same)).number == SEED_NUMBER
    other = same.replace(SEED_NUMBER, "pith:2026:AAAAAAAAAAAAAAAAAAAAAAAAAA", 1)
    error = refused(packet(other))
    assert error.code == "xmp.duplicate"
    assert "pith:number" in error.message


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


@pytest.mark.parametrize(
    "prolog",
    [
        BILLION_LAUGHS,
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>',
        '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>',
        '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">',
    ],
    ids=["billion-laughs", "xxe-file", "xxe-url", "parameter-entity", "external-dtd"],
)
def test_doctype_and_entities_are_a_finding_never_expanded(prolog: str) -> None:
    data = xmp_packet({"number": "&xxe;"}, prolog=prolog)
    assert refused(data).code == "xmp.entities"


def test_utf16_doctype_is_caught_too() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    assert refused(text.encode("utf-16")).code == "xmp.entities"


def test_undeclared_entity_reference_is_malformed_not_fetched() -> None:
    body = f'<rdf:Description xmlns:pith="{NAMESPACE_URI}"><pith:number>&xxe;</pith:number>'
    body += "</rdf:Description>"
    assert refused(packet(body)).code == "xmp.malformed"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<x:xmpmeta",
        b"not xml at all",
        RDF_OPEN.encode() + b"<rdf:Description>",  # truncated
        b"<a><b></a></b>",
        b"\xff\xfe\x00garbage",
    ],
    ids=["empty", "unclosed", "text", "truncated", "crossed", "bad-encoding"],
)
def test_malformed_packets_are_a_finding_not_repaired(data: bytes) -> None:
    assert refused(data).code == "xmp.malformed"


def test_wrong_structure_is_reported() -> None:
    assert refused(b"<root/>").code == "xmp.structure"
    assert refused(packet("<rdf:Bag/>")).code == "xmp.structure"
    nested = (
        f'<rdf:Description xmlns:pith="{NAMESPACE_URI}"><pith:number>'
        '<rdf:Description rdf:parseType="Resource"/></pith:number></rdf:Description>'
    )
    assert refused(packet(nested)).code == "xmp.structure"


def test_size_cap() -> None:
    data = xmp_packet({"number": SEED_NUMBER})
    assert parse_packet(data + b" " * 5000).number == SEED_NUMBER  # padding is fine
    with pytest.raises(XmpError) as info:
        parse_packet(data, max_bytes=100)
    assert info.value.code == "xmp.too_large"


def test_deeply_nested_xml_is_refused_without_recursion() -> None:
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    assert refused(deep).code == "xmp.malformed"
