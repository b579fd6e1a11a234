"""A generated corpus of hostile PDFs, each with the outcome the checker must give.

Files are written byte by byte (:func:`raw_pdf` lays out objects and a correct
xref table) or derived from a genuine claimed PDF (truncations, byte flips, a
broken xref).  :func:`generate` returns ``{file name: Expect}``.
"""

from __future__ import annotations

import io
import itertools
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf

MIB = 1024 * 1024

CATALOG = b"<< /Type /Catalog /Pages 2 0 R %s >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> %s >>"
)
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
CONTENT = b"BT /F1 24 Tf 72 700 Td (A Hostile Paper) Tj ET"


@dataclass(frozen=True)
class Expect:
    """What the checker must answer: one of ``verdicts``; ``code`` or ``problem`` if given."""

    verdicts: frozenset[str]
    code: str | None = None
    problem: str | None = None
    """A code that must appear among the report's unreadable-channel problems."""


def expect(*verdicts: str, code: str | None = None, problem: str | None = None) -> Expect:
    return Expect(frozenset(verdicts), code, problem)


ANY = expect("verified", "failed", "unusable", "no-claim")


def stream(data: bytes, extra: bytes = b"", *, flate: bool = False) -> bytes:
    if flate:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def zeros_flate(size: int) -> bytes:
    """Flate data inflating to ``size`` zero bytes, made without holding them in memory."""
    packer = zlib.compressobj(9)
    chunk = bytes(MIB)
    parts = [packer.compress(chunk) for _ in range(size // MIB)]
    parts.append(packer.flush())
    return b"".join(parts)


def bomb(size: int, extra: bytes = b"") -> bytes:
    data = zeros_flate(size)
    return b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(data), extra) + (
        data + b"\nendstream"
    )


def raw_pdf(objects: dict[int, bytes], *, trailer: bytes = b"", version: bytes = b"1.7") -> bytes:
    """A PDF with exactly these objects and a correct classic xref table."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    free = b"0000000000 65535 f \n"
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else free
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        trailer,
        xref,
    )
    return bytes(out)


def basic(
    catalog: bytes = b"",
    page: bytes = b"",
    more: dict[int, bytes] | None = None,
    trailer: bytes = b"",
    content: bytes | None = None,
) -> bytes:
    objects = {
        1: CATALOG % catalog,
        2: PAGES,
        3: PAGE % page,
        4: content if content is not None else stream(CONTENT),
        5: FONT,
        **(more or {}),
    }
    return raw_pdf(objects, trailer=trailer)


def nested_array(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_page_tree(depth: int) -> bytes:
    objects = {1: CATALOG % b"", 4: stream(CONTENT), 5: FONT}
    # 2 -> 6 -> 7 -> ... -> leaf page 3
    chain = [2, *range(6, 6 + depth)]
    for here, there in itertools.pairwise(chain):
        objects[here] = b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % there
    objects[chain[-1]] = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    objects[3] = PAGE % b""
    return raw_pdf(objects)


def wide_page_tree(pages: int) -> bytes:
    kids = b" ".join(b"3 0 R" for _ in range(pages))
    objects = {
        1: CATALOG % b"",
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        3: PAGE % b"",
        4: stream(CONTENT),
        5: FONT,
    }
    return raw_pdf(objects)


def encrypted(source: bytes, user: str) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(source)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user=user, owner="owner-secret"))
    return out.getvalue()


ENTITY_XMP = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    b'<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:pith="https://pith.science/ns/xmp/1.0/"><pith:number>&c;&xxe;</pith:number>'
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)
XMP_STREAM_TYPE = b"/Type /Metadata /Subtype /XML"


def crafted() -> dict[str, tuple[bytes, Expect]]:
    """Hand-built hostile PDFs."""
    metadata = b"/Metadata 6 0 R"
    return {
        "plain.pdf": (basic(), expect("no-claim")),
        "xmp-bomb.pdf": (
            basic(metadata, more={6: bomb(64 * MIB, XMP_STREAM_TYPE)}),
            expect("failed", code="check.pdf.partial", problem="stream.too_large"),
        ),
        "xmp-bomb-chained-filters.pdf": (
            basic(
                metadata,
                more={
                    6: stream(
                        zeros_flate(64 * MIB).hex().encode(),
                        b"/Filter [/ASCIIHexDecode /FlateDecode] " + XMP_STREAM_TYPE,
                    )
                },
            ),
            expect("failed", problem="stream.too_large"),
        ),
        "xmp-entities.pdf": (
            basic(metadata, more={6: stream(ENTITY_XMP, XMP_STREAM_TYPE)}),
            expect("failed", code="check.xmp.entities"),
        ),
        "xmp-not-a-stream.pdf": (
            basic(metadata, more={6: b"<< /Type /Metadata >>"}),
            expect("failed", problem="stream.type"),
        ),
        "embedded-bomb.pdf": (
            basic(
                b"/AF [7 0 R]",
                more={
                    7: b"<< /Type /Filespec /F (pith-bundle.json) /UF (pith-bundle.json) "
                    b"/AFRelationship /Supplement /EF << /F 8 0 R >> >>",
                    8: bomb(128 * MIB, b"/Type /EmbeddedFile"),
                },
            ),
            expect("failed", problem="stream.too_large"),
        ),
        "page-content-bomb.pdf": (
            basic(content=bomb(256 * MIB)),
            expect("failed", problem="stream.too_large"),
        ),
        "corrupt-flate.pdf": (
            basic(content=stream(b"\x78\x9c" + bytes(range(256)), b"/Filter /FlateDecode")),
            expect("failed", problem="stream.corrupt"),
        ),
        "deep-nesting-info.pdf": (
            basic(more={6: b"<< /Title %s >>" % nested_array(50_000)}, trailer=b"/Info 6 0 R"),
            expect("failed", "no-claim", "unusable"),
        ),
        "deep-nesting-annots.pdf": (
            basic(page=b"/Annots %s" % nested_array(50_000)),
            expect("failed", "no-claim", "unusable"),
        ),
        "deep-page-tree.pdf": (deep_page_tree(500), expect("unusable", code="check.pdf.damaged")),
        "page-tree-cycle.pdf": (
            raw_pdf({1: CATALOG % b"", 2: b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>", 5: FONT}),
            expect("unusable", code="check.pdf.damaged"),
        ),
        "no-pages.pdf": (
            raw_pdf({1: CATALOG % b"", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}),
            expect("unusable", code="check.pdf.no_pages"),
        ),
        "enormous-page-tree.pdf": (wide_page_tree(300_000), expect("no-claim")),
        "enormous-page-count.pdf": (
            raw_pdf(
                {
                    1: CATALOG % b"",
                    2: b"<< /Type /Pages /Kids [3 0 R] /Count 999999999999 >>",
                    3: PAGE % b"",
                    4: stream(CONTENT),
                    5: FONT,
                }
            ),
            expect("no-claim"),
        ),
        "names-tree-cycle.pdf": (
            basic(b"/Names << /EmbeddedFiles 6 0 R >>", more={6: b"<< /Kids [6 0 R] >>"}),
            expect("failed", problem="names.cycle"),
        ),
        "annots-self-reference.pdf": (
            basic(page=b"/Annots 6 0 R", more={6: b"[6 0 R 6 0 R]"}),
            expect("no-claim"),
        ),
        "link-with-odd-objects.pdf": (
            basic(
                page=b"/Annots [<< /Subtype /Link /A << /S /URI /URI 42 >> >> "
                b"<< /Subtype /Link /A 6 0 R >> null 7]",
                more={6: b"<< /S /URI /URI (https://pith.science/pith/NOT-A-NUMBER) >>"},
            ),
            expect("failed", code="check.claims.malformed"),
        ),
        "info-not-strings.pdf": (
            basic(more={6: b"<< /PithNumber 12 /Title [1 2] >>"}, trailer=b"/Info 6 0 R"),
            expect("failed", problem="info.type"),
        ),
        "encrypted-user-password.pdf": (
            encrypted(basic(), "secret"),
            expect("unusable", code="check.pdf.encrypted"),
        ),
        "encrypted-empty-password.pdf": (encrypted(basic(), ""), expect("no-claim")),
        "empty.pdf": (b"", expect("unusable", code="check.pdf.not_pdf")),
        "random-bytes.pdf": (random.Random(7).randbytes(4096), expect("unusable")),
        "header-only.pdf": (b"%PDF-1.7\n", expect("unusable", code="check.pdf.damaged")),
    }


def derived(genuine: bytes) -> dict[str, tuple[bytes, Expect]]:
    """Damaged copies of a genuine claimed PDF: truncations, byte flips, a broken xref."""
    files: dict[str, tuple[bytes, Expect]] = {}
    for percent in (1, 25, 50, 75, 95, 99):
        cut = genuine[: len(genuine) * percent // 100]
        files[f"truncated-{percent:02d}.pdf"] = (cut, expect("unusable", "failed", "no-claim"))
    files["truncated-no-eof.pdf"] = (genuine[:-7], ANY)
    xref = genuine.rfind(b"\nxref\n")
    if xref > 0:
        broken = bytearray(genuine)
        for index in range(xref + 20, min(len(broken), xref + 400)):
            if broken[index : index + 1].isdigit():
                broken[index] = ord("7")
        files["broken-xref.pdf"] = (bytes(broken), expect("unusable", "failed", "no-claim"))
    start = genuine.rfind(b"startxref")
    files["bad-startxref.pdf"] = (
        genuine[:start] + b"startxref\n99999999\n%%EOF\n",
        expect("unusable", code="check.pdf.damaged"),
    )
    rng = random.Random(20261103)
    for index in range(40):
        flipped = bytearray(genuine)
        for _ in range(rng.randint(1, 24)):
            position = rng.randrange(len(flipped))
            flipped[position] ^= 1 << rng.randrange(8)
        files[f"flipped-{index:02d}.pdf"] = (bytes(flipped), ANY)
    return files


def generate(directory: Path, genuine: bytes) -> dict[str, Expect]:
    """Write the whole corpus into ``directory``; returns what each file must give."""
    expectations: dict[str, Expect] = {}
    makers: list[Callable[[], dict[str, tuple[bytes, Expect]]]] = [
        crafted,
        lambda: derived(genuine),
    ]
    for make in makers:
        for name, (data, expected) in make().items():
            (directory / name).write_bytes(data)
            expectations[name] = expected
    return expectations
