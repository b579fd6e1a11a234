"""Signed PDFs keep their signatures (incremental update); encrypted PDFs keep encryption."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from conftest import SEED_BUNDLE, SEED_NUMBER, run_cli
from stamp_pdfs import Signer, encrypted_pdf, reportlab_pdf
from test_stamp_producers import exiftool_xmp, qpdf_check

from pithtex.core import names as xmpschema


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.make()


@pytest.fixture
def signed(tmp_path: Path, signer: Signer) -> Path:
    return signer.sign(reportlab_pdf(tmp_path / "plain.pdf"), tmp_path / "signed.pdf")


def assert_signatures_hold(signer: Signer, path: Path) -> None:
    from pyhanko.sign.diff_analysis import ModificationLevel

    statuses = signer.validate(path)
    assert statuses, "no signature found"
    for status in statuses:
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.docmdp_ok, status.pretty_print_details()
        assert status.modification_level <= ModificationLevel.LTA_UPDATES, status.modification_level


def stamp_json(*args: object) -> dict[str, object]:
    result = run_cli("stamp", *args, "--bundle", SEED_BUNDLE, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("certify", [False, True])
def test_signed_pdf_gets_an_incremental_update(
    tmp_path: Path, signer: Signer, certify: bool
) -> None:
    source = signer.sign(reportlab_pdf(tmp_path / "p.pdf"), tmp_path / "s.pdf", certify=certify)
    assert_signatures_hold(signer, source)
    original = source.read_bytes()
    out = tmp_path / "stamped.pdf"
    report = stamp_json(source, "-o", out)
    assert report["method"] == "incremental" and report["signed"] is True
    stamped = out.read_bytes()
    assert stamped.startswith(original) and len(stamped) > len(original)
    assert source.read_bytes() == original
    assert_signatures_hold(signer, out)
    qpdf_check(out, incremental=True)
    tags = exiftool_xmp(out)
    assert tags["XMP-pith:Number"] == SEED_NUMBER
    assert tags["XMP-dc:Identifier"] == SEED_NUMBER
    with pikepdf.open(out) as pdf:
        assert str(pdf.docinfo["/PithNumber"]) == SEED_NUMBER


def test_restamping_a_signed_pdf_adds_no_revision(tmp_path: Path, signed: Path) -> None:
    once = tmp_path / "once.pdf"
    stamp_json(signed, "-o", once)
    report = stamp_json(once, "--in-place")
    assert report["status"] == "unchanged"


def test_signed_pdf_with_embedded_bundle(tmp_path: Path, signer: Signer, signed: Path) -> None:
    out = tmp_path / "stamped.pdf"
    report = stamp_json(signed, "-o", out, "--embed-bundle")
    assert report["embedded_bundle"] is True
    assert out.read_bytes().startswith(signed.read_bytes())
    statuses = signer.validate(out)
    assert all(s.intact and s.valid and s.trusted for s in statuses)
    with pikepdf.open(out) as pdf:
        data = pdf.attachments[xmpschema.EMBEDDED_BUNDLE_NAME].get_file().read_bytes()
        assert data == SEED_BUNDLE.read_bytes()
        assert pdf.Root.AF[0].AFRelationship == pikepdf.Name.Supplement
    qpdf_check(out, incremental=True)


def test_signed_pdf_refuses_a_badge(tmp_path: Path, signed: Path) -> None:
    out = tmp_path / "stamped.pdf"
    result = run_cli("stamp", signed, "--bundle", SEED_BUNDLE, "-o", out, "--badge")
    assert result.returncode == 2
    assert "digitally signed" in result.stderr
    assert not out.exists()


def test_incremental_on_request_keeps_the_original_prefix(tmp_path: Path) -> None:
    source = reportlab_pdf(tmp_path / "p.pdf")
    out = tmp_path / "o.pdf"
    report = stamp_json(source, "-o", out, "--incremental")
    assert report["method"] == "incremental"
    assert out.read_bytes().startswith(source.read_bytes())
    qpdf_check(out, incremental=True)
    assert exiftool_xmp(out)["XMP-pith:Number"] == SEED_NUMBER


def test_encrypted_pdf_needs_its_password_and_stays_encrypted(tmp_path: Path) -> None:
    source = encrypted_pdf(reportlab_pdf(tmp_path / "p.pdf"), tmp_path / "e.pdf")
    before = source.read_bytes()
    out = tmp_path / "o.pdf"
    refused = run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out)
    assert refused.returncode == 2
    assert "encrypted" in refused.stderr and "--password" in refused.stderr
    assert not out.exists()
    wrong = run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out, "--password", "nope")
    assert wrong.returncode == 2 and "password does not open" in wrong.stderr
    assert not out.exists()

    report = stamp_json(source, "-o", out, "--password", "reader")
    assert report["encrypted"] is True and report["status"] == "stamped"
    assert source.read_bytes() == before
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(out)
    with pikepdf.open(out, password="reader") as pdf:
        assert pdf.is_encrypted
        assert pdf.encryption.R == 6
        assert pdf.open_metadata()[f"{{{xmpschema.NAMESPACE_URI}}}number"] == SEED_NUMBER
    with pikepdf.open(out, password="owner") as pdf:
        assert pdf.owner_password_matched


def test_encrypted_pdf_with_password_file(tmp_path: Path) -> None:
    source = encrypted_pdf(reportlab_pdf(tmp_path / "p.pdf"), tmp_path / "e.pdf")
    secret = tmp_path / "pw"
    secret.write_text("owner\n")
    out = tmp_path / "o.pdf"
    stamp_json(source, "-o", out, "--password-file", secret)
    with pikepdf.open(out, password="reader") as pdf:
        assert pdf.is_encrypted
