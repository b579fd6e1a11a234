"""Test PDFs carrying Pith claims in every channel, built with reportlab and pikepdf.

:func:`make_pdf` draws page 1 (title in large type, the badge text, authors and
an abstract) and writes, each optionally, the XMP packet in the ``pith``
namespace, the Info keys, a resolver link annotation and the embedded bundle
(an associated file and/or an EmbeddedFiles entry), using the names of
:mod:`pithtex.core.names`.  Each argument lets a test break exactly one channel.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pikepdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pithtex.core.model import Bundle, Fields
from pithtex.core.names import EMBEDDED_BUNDLE_MIME, EMBEDDED_BUNDLE_NAME, NAMESPACE_URI

DEFAULT = object()


def xmp_packet(
    pith: dict[str, str] | None = None,
    *,
    identifier: str | None = None,
    title: str | None = None,
    prolog: str = "",
) -> bytes:
    """An XMP packet with ``pith:*`` properties, ``dc:identifier`` and ``dc:title``."""
    props = "".join(
        f"<pith:{name}>{escape(value)}</pith:{name}>" for name, value in (pith or {}).items()
    )
    dc = ""
    if identifier is not None:
        dc += f"<dc:identifier>{escape(identifier)}</dc:identifier>"
    if title is not None:
        dc += (
            '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(title)}</rdf:li></rdf:Alt></dc:title>"
        )
    return (
        f'{prolog}<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'<rdf:Description rdf:about="" xmlns:pith="{NAMESPACE_URI}"\n'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"{props}{dc}\n</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
        + " " * 200
        + '\n<?xpacket end="w"?>'
    ).encode()


def draw_page(title: str, badge: str | None, *, extra_pages: int = 0) -> bytes:
    """Page 1 of a paper: the title in 17 pt, the badge, authors, an abstract."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    width, height = A4
    pdf.setFont("Helvetica-Bold", 17)
    words, line, y = title.split(), "", height - 90
    for word in words:  # wrap the title like a class file would
        if pdf.stringWidth(f"{line} {word}", "Helvetica-Bold", 17) > width - 140 and line:
            pdf.drawCentredString(width / 2, y, line)
            line, y = word, y - 22
        else:
            line = f"{line} {word}".strip()
    pdf.drawCentredString(width / 2, y, line)
    if badge is not None:
        pdf.setFont("Courier", 9)
        pdf.drawCentredString(width / 2, y - 22, badge)
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(width / 2, y - 44, "Ada Lovelace and Alan Turing")
    pdf.setFont("Helvetica", 10)
    text = pdf.beginText(70, y - 90)
    for sentence in ("Abstract. We study a problem and solve it.", "1 Introduction", "Text."):
        text.textLine(sentence)
    pdf.drawText(text)
    pdf.showPage()
    for index in range(extra_pages):
        pdf.setFont("Helvetica", 10)
        pdf.drawString(70, height - 90, f"Page {index + 2}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_pdf(
    path: Path,
    *,
    title: str,
    badge: str | None = None,
    xmp: bytes | None = None,
    info: dict[str, str] | None = None,
    link: str | None = None,
    bundle: dict[str, Any] | bytes | None = None,
    embed_as: tuple[str, ...] = ("af", "names"),
    extra_pages: int = 0,
) -> Path:
    """Write a PDF with the given channels; returns ``path``."""
    pdf = pikepdf.open(io.BytesIO(draw_page(title, badge, extra_pages=extra_pages)))
    if xmp is not None:
        stream = pikepdf.Stream(pdf, xmp)
        stream.Type = pikepdf.Name.Metadata
        stream.Subtype = pikepdf.Name.XML
        pdf.Root.Metadata = pdf.make_indirect(stream)
    if info:
        for key, value in info.items():
            pdf.docinfo[f"/{key}"] = pikepdf.String(value)
    if link is not None:
        add_link(pdf, link)
    if bundle is not None:
        data = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode()
        embed(pdf, data, embed_as)
    pdf.save(path, fix_metadata_version=False)  # the default rewrites the XMP packet
    return path


def add_link(pdf: pikepdf.Pdf, uri: str, page: int = 0) -> None:
    annot = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[250, 700, 350, 712],
            Border=[0, 0, 0],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri)),
        )
    )
    target = pdf.pages[page]
    if "/Annots" not in target.obj:
        target.obj.Annots = pikepdf.Array()
    target.obj.Annots.append(annot)


def embed(pdf: pikepdf.Pdf, data: bytes, where: tuple[str, ...]) -> None:
    spec = pikepdf.AttachedFileSpec(
        pdf, data, filename=EMBEDDED_BUNDLE_NAME, mime_type=EMBEDDED_BUNDLE_MIME
    )
    if "names" in where:
        pdf.attachments[EMBEDDED_BUNDLE_NAME] = spec
        spec_obj = pdf.Root.Names.EmbeddedFiles.Names[1]
    else:
        spec_obj = pdf.make_indirect(spec.obj)
    spec_obj.AFRelationship = pikepdf.Name.Supplement
    if "af" in where:
        pdf.Root.AF = pikepdf.Array([spec_obj])
    elif "/AF" in pdf.Root:
        del pdf.Root.AF


def bundle_claims(bundle: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`make_pdf` that claim ``bundle`` in every channel."""
    number = bundle["pith_number"]
    body = number.rsplit(":", 1)[-1]
    digest = bundle["canonical_sha256"]
    return {
        "badge": f"pith:{body[:8]}",
        "xmp": xmp_packet(
            {
                "number": number,
                "canonicalSHA256": digest,
                "resolver": f"https://pith.science/pith/{body}",
                "bundleSHA256": bundle["bundle_signature"]["bundle_sha256"],
                "keyFingerprint": bundle["bundle_signature"]["public_key_fingerprint"],
            },
            identifier=number,
            title=bundle_title(bundle),
        ),
        "info": {
            "PithNumber": number,
            "PithCanonicalSHA256": digest,
            "PithResolver": f"https://pith.science/pith/{body}",
            "Title": bundle_title(bundle),
        },
        "link": f"https://pith.science/pith/{body}",
        "bundle": bundle,
    }


def bundle_title(bundle: dict[str, Any]) -> str:
    title = Bundle.parse(Fields(bundle, "$")).title
    if title is None:
        raise ValueError("bundle has no title")
    return title


def stamp_pdf(data: bytes, bundle: dict[str, Any], *, badge: bool = True) -> bytes:
    """An existing PDF with every channel of ``bundle`` added, as a stamper would.

    ``badge`` also draws the badge text on page 1 (in Courier, near the top).
    """
    claims = bundle_claims(bundle)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if badge:
            page = pdf.pages[0]
            font = pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Courier
            )
            page.obj.Resources.Font.FPith = pdf.make_indirect(font)
            text = f"BT /FPith 9 Tf 260 705 Td ({claims['badge']}) Tj ET".encode()
            page.contents_add(pikepdf.Stream(pdf, text), prepend=False)
        add_link(pdf, claims["link"])
        for key, value in claims["info"].items():
            pdf.docinfo[f"/{key}"] = pikepdf.String(value)
        stream = pikepdf.Stream(pdf, claims["xmp"])
        stream.Type, stream.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
        pdf.Root.Metadata = pdf.make_indirect(stream)
        embed(pdf, json.dumps(bundle).encode(), ("af", "names"))
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False)
    return out.getvalue()


def claimed_pdf(path: Path, claimed: dict[str, Any], /, **overrides: Any) -> Path:
    """A PDF claiming bundle ``claimed`` in every channel, any of which ``overrides`` replaces."""
    kwargs: dict[str, Any] = {"title": bundle_title(claimed), **bundle_claims(claimed)}
    kwargs.update(overrides)
    return make_pdf(path, **kwargs)
