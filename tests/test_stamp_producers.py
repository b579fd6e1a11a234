"""Stamping PDFs from real producers, checked with qpdf, exiftool and pikepdf."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import SEED_BUNDLE, SEED_HASH, SEED_NUMBER, require_tool, run_cli
from stamp_pdfs import (
    DOI,
    TITLE,
    ghostscript_pdf,
    hyperxmp_pdf,
    latex_pdf,
    pdfa_pdf,
    reportlab_pdf,
)

from pithtex.core import names as xmpschema
from pithtex.core.digests import bundle_sha256

PITH = xmpschema.NAMESPACE_URI
BUNDLE_SHA = bundle_sha256(json.loads(SEED_BUNDLE.read_bytes()))
SKIPPED_LEAVES = {"ModifyDate", "MetadataDate", "schemas"}
"""Changed on purpose, or (``pdfaExtension:schemas``) checked entry by entry elsewhere."""


@pytest.fixture(scope="session")
def producers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    made = {}
    for name, build in {
        "latex": latex_pdf,
        "ghostscript": ghostscript_pdf,
        "pdfa": pdfa_pdf,
        "hyperxmp": hyperxmp_pdf,
    }.items():
        made[name] = build(tmp_path_factory.mktemp(name))
    made["reportlab"] = reportlab_pdf(tmp_path_factory.mktemp("rl") / "reportlab.pdf")
    return made


PYPDF_SIZE_WARNING = re.compile(r"reported number of objects \(\d+\) is not one plus the highest")


def qpdf_check(path: Path, *, incremental: bool = False) -> None:
    """``qpdf --check`` finds nothing wrong.

    pypdf's incremental writer leaves its cross-reference stream out of its own
    index, so qpdf warns that ``/Size`` is one more than it counts; for an
    incremental update that warning, and only it, is tolerated.
    """
    require_tool("qpdf")
    result = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    if incremental and result.returncode == 3:
        assert warnings and all(PYPDF_SIZE_WARNING.search(w) for w in warnings), result.stderr
        return
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


def exiftool_xmp(path: Path) -> dict[str, object]:
    require_tool("exiftool")
    result = subprocess.run(
        ["exiftool", "-XMP:all", "-G1", "-j", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)[0]  # type: ignore[no-any-return]


def xmp_leaves(path: Path) -> set[tuple[str, str]]:
    """Every (property path, value) leaf of the XMP packet, as pikepdf reads it."""
    with pikepdf.open(path) as pdf:
        if "/Metadata" not in pdf.Root:
            return set()
        meta = pdf.open_metadata()
        leaves = set()
        for key in meta:
            if key.rsplit("}", 1)[-1] in SKIPPED_LEAVES:
                continue
            value = meta[key]
            leaves.add(
                (key, json.dumps(sorted(value) if isinstance(value, set) else value, default=str))
            )
        return leaves


def info_of(path: Path) -> dict[str, str]:
    with pikepdf.open(path) as pdf:
        return {k: str(v) for k, v in pdf.docinfo.items()}


@pytest.mark.tex
@pytest.mark.parametrize("producer", ["latex", "ghostscript", "reportlab", "pdfa", "hyperxmp"])
def test_stamp_keeps_everything_and_adds_the_pith_metadata(
    producers: dict[str, Path], producer: str, tmp_path: Path
) -> None:
    source = producers[producer]
    before = source.read_bytes()
    out = tmp_path / "stamped.pdf"
    run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out, check=True)
    assert source.read_bytes() == before
    qpdf_check(out)

    tags = exiftool_xmp(out)
    assert tags["XMP-pith:Number"] == SEED_NUMBER
    assert tags["XMP-pith:CanonicalSHA256"] == SEED_HASH
    assert tags["XMP-pith:BundleSHA256"] == BUNDLE_SHA
    assert tags["XMP-pith:Resolver"] == "https://pith.science/pith/J655K2KRI7DJHF4SOFYZCQRRE5"
    assert tags["XMP-pith:KeyFingerprint"] == "8d4b5ee74e4693bcd1df2446408b0d54"
    assert tags["XMP-pith:Tool"] == "pithtex 0.1.0"
    assert "XMP-pith:StampedAt" in tags
    if producer != "hyperxmp":
        assert tags["XMP-dc:Identifier"] == SEED_NUMBER

    with pikepdf.open(out) as pdf:
        meta = pdf.open_metadata(strict=True)
        assert meta[f"{{{PITH}}}number"] == SEED_NUMBER
        assert meta["dc:title"] == TITLE
        info = pdf.docinfo
        assert str(info["/PithNumber"]) == SEED_NUMBER
        assert str(info["/PithCanonicalSHA256"]) == SEED_HASH
        assert str(info["/ModDate"]).startswith("D:")

    lost = xmp_leaves(source) - xmp_leaves(out)
    assert not lost, f"XMP properties lost: {lost}"
    old_info, new_info = info_of(source), info_of(out)
    for key, value in old_info.items():
        if key != "/ModDate":
            assert new_info[key] == value, key


@pytest.mark.tex
def test_pdfa_stays_pdfa(producers: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    result = run_cli("stamp", producers["pdfa"], "--bundle", SEED_BUNDLE, "-o", out, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pdfa"] == "PDF/A-2b"
    with pikepdf.open(out) as pdf:
        stream = pdf.Root.Metadata
        assert "/Filter" not in stream, "PDF/A: the metadata stream stays unfiltered"
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B"
        packet = stream.read_bytes().decode()
        info = pdf.docinfo
        # Info and XMP agree on every entry that has an XMP equivalent
        assert str(info["/Title"]) == meta["dc:title"]
        assert meta["xmp:ModifyDate"].replace("+00:00", "") in _iso(str(info["/ModDate"]))
    assert packet.count(f"<pdfaSchema:namespaceURI>{PITH}</pdfaSchema:namespaceURI>") == 1
    for prop in xmpschema.PROPERTIES:
        assert f"<pdfaProperty:name>{prop.name}</pdfaProperty:name>" in packet
    assert "http://ns.adobe.com/pdfx/1.3/" in packet  # pdfx's own schema kept


def _iso(pdf_date: str) -> str:
    d = pdf_date[2:]
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}"


@pytest.mark.tex
def test_pdfa2_refuses_an_embedded_bundle(producers: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    result = run_cli(
        "stamp", producers["pdfa"], "--bundle", SEED_BUNDLE, "-o", out, "--embed-bundle"
    )
    assert result.returncode == 2
    assert "PDF/A-2b" in result.stderr + result.stdout
    assert "may not carry a JSON attachment" in result.stderr + result.stdout
    assert not out.exists()


@pytest.mark.tex
def test_hyperxmp_doi_is_kept_and_number_added(producers: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "h.pdf"
    result = run_cli("stamp", producers["hyperxmp"], "--bundle", SEED_BUNDLE, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "dc:identifier already holds" in result.stdout
    tags = exiftool_xmp(out)
    assert DOI in str(tags["XMP-dc:Identifier"])
    assert SEED_NUMBER in str(tags["XMP-xmp:Identifier"])
    assert tags["XMP-xmpRights:WebStatement"] == "https://creativecommons.org/licenses/by/4.0/"


@pytest.mark.tex
def test_restamping_changes_nothing(producers: dict[str, Path], tmp_path: Path) -> None:
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    run_cli("stamp", producers["hyperxmp"], "--bundle", SEED_BUNDLE, "-o", first, check=True)
    result = run_cli("stamp", first, "--bundle", SEED_BUNDLE, "-o", second, "--json", check=True)
    assert json.loads(result.stdout)["status"] == "unchanged"
    assert second.read_bytes() == first.read_bytes()
    # adding the bundle rewrites, still without a second copy of anything
    third = tmp_path / "3.pdf"
    run_cli("stamp", second, "--bundle", SEED_BUNDLE, "-o", third, "--embed-bundle", check=True)
    with pikepdf.open(third) as pdf:
        packet = pdf.Root.Metadata.read_bytes().decode()
    assert packet.count("<pith:number>") == 1
    assert packet.count(f"<pdfaSchema:namespaceURI>{PITH}<") == 1
    changed = xmp_leaves(first) - xmp_leaves(third)
    assert {key.rsplit("}", 1)[-1] for key, _ in changed} <= {"stampedAt"}


def test_embedded_bundle_is_an_associated_file(tmp_path: Path) -> None:
    source = reportlab_pdf(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out, "--embed-bundle", check=True)
    again = tmp_path / "again.pdf"
    run_cli("stamp", out, "--bundle", SEED_BUNDLE, "-o", again, "--embed-bundle", check=True)
    for path in (out, again):
        qpdf_check(path)
        with pikepdf.open(path) as pdf:
            assert list(pdf.attachments) == [xmpschema.EMBEDDED_BUNDLE_NAME]
            spec = pdf.attachments[xmpschema.EMBEDDED_BUNDLE_NAME]
            assert spec.get_file().read_bytes() == SEED_BUNDLE.read_bytes()
            assert spec.get_file().mime_type == xmpschema.EMBEDDED_BUNDLE_MIME
            af = pdf.Root.AF
            assert len(af) == 1
            assert af[0].AFRelationship == pikepdf.Name.Supplement
            assert str(af[0].UF) == xmpschema.EMBEDDED_BUNDLE_NAME
