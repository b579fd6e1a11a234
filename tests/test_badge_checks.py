"""The badge is what it claims: its text really shown, its links to the configured resolvers.

Each attack starts from a genuine PDF of the seed paper (every channel claims the
seed bundle, which is embedded) whose badge text is drawn by a pikepdf content
stream, and changes one thing: how the text is drawn (invisible render modes,
white or faint ink, clipped away, outside the crop box, drawn over black or
under a later object), or a link over the badge.  The controls draw the badge
plainly and still verify; the badge ``pithtex stamp --badge`` draws verifies,
and fails once something is drawn over it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import ROOT, SEED_BODY, SEED_BUNDLE, check_codes, check_with_default_keyring, run_cli
from pdfsamples import claimed_pdf

from pithtex.core.model import load_bundle
from pithtex.pdf.badge_check import MIN_INK
from pithtex.pdf.check import CheckOptions, Verdict, check_pdf
from pithtex.pdf.evidence import read_pdf
from pithtex.trust.keyring import Keyring

BADGE = f"pith:{SEED_BODY[:8]}".encode()
PLAIN = b"BT /FPith 9 Tf 260 700 Td (" + BADGE + b") Tj ET"
BADGE_RECT = [255, 696, 340, 711]
"""A box around the badge text :data:`PLAIN` draws (below the title's last line)."""


check = check_with_default_keyring
codes = check_codes


def with_badge(
    path: Path, seed: dict[str, Any], ops: bytes, *, crop: list[float] | None = None
) -> Path:
    """The genuine seed PDF, its badge text drawn by ``ops`` (font ``/FPith``: Courier)."""
    claimed_pdf(path, seed, badge=None)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Courier
        )
        page.obj.Resources.Font.FPith = pdf.make_indirect(font)
        page.contents_add(pikepdf.Stream(pdf, ops), prepend=False)
        if crop is not None:
            page.obj.CropBox = pikepdf.Array(crop)
        pdf.save(path, fix_metadata_version=False)
    return path


def add_link_annotation(path: Path, rect: list[float], action: pikepdf.Dictionary) -> Path:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        annot = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=rect, A=action
            )
        )
        pdf.pages[0].obj.Annots.append(annot)
        pdf.save(path, fix_metadata_version=False)
    return path


def uri(address: str) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(address))


# ------------------------------------------------------------------ controls


def test_a_plain_badge_verifies(tmp_path: Path, seed: dict[str, Any]) -> None:
    report = check(with_badge(tmp_path / "plain.pdf", seed, PLAIN))
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert codes(report)["check.badge"] == "check.badge.ok"
    assert codes(report)["check.link"] == "check.link.ok"
    assert codes(report)["check.edit"] == "check.edit.ok"


def test_a_coloured_badge_with_its_resolver_link_over_it_verifies(
    tmp_path: Path, seed: dict[str, Any]
) -> None:
    pdf = with_badge(tmp_path / "blue.pdf", seed, b"0.09 0.33 0.55 rg " + PLAIN)
    add_link_annotation(pdf, BADGE_RECT, uri(f"https://pith.science/pith/{SEED_BODY}"))
    report = check(pdf)
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert "2 links over the badge" in next(
        c.reason for c in report.checks if c.check == "check.link"
    )


def test_a_badge_drawn_over_a_light_background_verifies(
    tmp_path: Path, seed: dict[str, Any]
) -> None:
    ops = b"q 0.9 g 250 693 100 20 re f Q " + PLAIN  # a shaded box drawn before the text
    report = check(with_badge(tmp_path / "shaded.pdf", seed, ops))
    assert report.verdict is Verdict.VERIFIED, report.reason


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_a_badge_on_a_turned_and_cropped_page_verifies(
    tmp_path: Path, seed: dict[str, Any], rotate: int
) -> None:
    pdf = with_badge(tmp_path / f"turned-{rotate}.pdf", seed, PLAIN, crop=[40, 300, 560, 800])
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        doc.pages[0].obj.Rotate = rotate
        doc.save(pdf, fix_metadata_version=False)
    report = check(pdf)
    assert report.verdict is Verdict.VERIFIED, report.reason


def stamped_with_badge(tmp_path: Path) -> Path:
    """The reportlab sample stamped by ``pithtex stamp --badge --embed-bundle``."""
    stamped = tmp_path / "stamped.pdf"
    run_cli(
        "stamp", ROOT / "samples" / "producers" / "reportlab.pdf", "--bundle", SEED_BUNDLE,
        "--embed-bundle", "--badge", "-o", stamped, check=True,
    )  # fmt: skip
    return stamped


def test_the_stamped_badge_verifies(tmp_path: Path) -> None:
    stamped = stamped_with_badge(tmp_path)
    report = check(stamped)
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert codes(report)["check.badge"] == "check.badge.ok"


@pytest.mark.parametrize(
    ("name", "ops"),
    [("black", PLAIN), ("blue", b"0.09 0.33 0.55 rg " + PLAIN)],
)
def test_a_plain_9pt_badge_is_decided_at_the_first_rendering(
    tmp_path: Path, seed: dict[str, Any], name: str, ops: bytes
) -> None:
    """A 9 pt badge drawn plainly leaves enough ink at the first, coarse stage: its region
    is rendered twice (with and without its text), not again at the finer stage."""
    evidence = read_pdf(with_badge(tmp_path / f"{name}.pdf", seed, ops))
    assert evidence.badge is not None
    assert [round(g.font_size) for o in evidence.badge.occurrences for g in o.glyphs][:1] == [9]
    assert evidence.badge.renders == 2
    assert min(g.ink for o in evidence.badge.occurrences for g in o.glyphs) >= MIN_INK


# ------------------------------------------------------------------ hidden text


SQUASHED = b"BT /FPith 12 Tf 0.15 0 0 1 260 700 Tm (" + BADGE + b") Tj ET"
"""The badge text drawn with a text matrix a seventh as wide as it is tall."""


@pytest.mark.parametrize(
    ("name", "ops", "crop"),
    [
        ("invisible", b"BT 3 Tr /FPith 9 Tf 260 700 Td (" + BADGE + b") Tj ET", None),
        ("clip-only", b"BT 7 Tr /FPith 9 Tf 260 700 Td (" + BADGE + b") Tj ET", None),
        ("white", b"1 g " + PLAIN, None),
        ("faint", b"0.85 g " + PLAIN, None),
        ("clipped", b"q 0 0 5 5 re W n " + PLAIN + b" Q", None),
        ("outside-crop", PLAIN, [0, 0, 595.27, 700]),
        ("tiny", b"BT /FPith 2 Tf 260 700 Td (" + BADGE + b") Tj ET", None),
        ("black-on-black", b"q 0 g 250 693 100 20 re f Q " + PLAIN, None),
        ("on-its-own-outlines", b"q 0 g 262 699 70 9 re f Q 0 g " + PLAIN, None),
        # squashed to a smear a reader cannot read, though tall and wide enough as a box
        ("squashed-by-Tz", b"BT /FPith 12 Tf 15 Tz 260 700 Td (" + BADGE + b") Tj ET", None),
        ("squashed-by-matrix", SQUASHED, None),
    ],
)
def test_hidden_badge_text_fails(
    tmp_path: Path, seed: dict[str, Any], name: str, ops: bytes, crop: list[float] | None
) -> None:
    report = check(with_badge(tmp_path / f"{name}.pdf", seed, ops, crop=crop))
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.badge.hidden", report.reason


# ------------------------------------------------------------------ drawn over


@pytest.mark.parametrize(
    ("name", "cover"),
    [
        ("white-box", b"q 1 g 250 693 100 20 re f Q"),
        # outlines of another number drawn over the badge
        ("outlines", b"q 0 G 0.8 w 300 699 m 304 707 l 308 699 l 312 707 l S Q"),
        ("other-text", b"q 1 g BT /FPith 9 Tf 260 700 Td (XXXXXXXXXXXXX) Tj ET Q"),
        ("image", b"q 100 0 0 20 250 693 cm /Im0 Do Q"),
    ],
)
def test_badge_drawn_over_fails(
    tmp_path: Path, seed: dict[str, Any], name: str, cover: bytes
) -> None:
    pdf = with_badge(tmp_path / f"{name}.pdf", seed, PLAIN + b"\n" + cover)
    if name == "image":
        with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
            image = pikepdf.Stream(doc, b"\xff" * 4)
            image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            image.Width, image.Height, image.BitsPerComponent = 2, 2, 8
            image.ColorSpace = pikepdf.Name.DeviceGray
            doc.pages[0].obj.Resources.XObject = pikepdf.Dictionary(Im0=doc.make_indirect(image))
            doc.save(pdf, fix_metadata_version=False)
    report = check(pdf)
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.badge.covered", report.reason


def test_the_stamped_badge_overdrawn_fails(tmp_path: Path) -> None:
    stamped = stamped_with_badge(tmp_path)
    with pikepdf.open(stamped, allow_overwriting_input=True) as pdf:
        form = pdf.pages[0].obj.Resources.XObject.PithBadge
        # vector outlines of other characters, drawn inside the badge after its text
        form.write(form.read_bytes() + b"\nq 0 G 1 w 30 4 m 40 16 l 50 4 l 60 16 l S Q\n")
        pdf.save(stamped, fix_metadata_version=False)
    report = check(stamped)
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.badge.covered", report.reason


# ------------------------------------------------------------------ links


def test_a_link_to_a_look_alike_host_fails(tmp_path: Path, seed: dict[str, Any]) -> None:
    pdf = with_badge(tmp_path / "lookalike.pdf", seed, PLAIN)
    add_link_annotation(pdf, BADGE_RECT, uri(f"https://pith.science.example.net/pith/{SEED_BODY}"))
    report = check(pdf)
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.link.untrusted", report.reason


def test_a_link_over_the_badge_to_another_site_fails(tmp_path: Path, seed: dict[str, Any]) -> None:
    pdf = with_badge(tmp_path / "elsewhere.pdf", seed, PLAIN)
    add_link_annotation(pdf, BADGE_RECT, uri("https://verify.example.org/record?id=J655K2KR"))
    report = check(pdf)
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.link.untrusted", report.reason


def test_a_link_over_the_badge_that_runs_another_action_fails(
    tmp_path: Path, seed: dict[str, Any]
) -> None:
    pdf = with_badge(tmp_path / "launch.pdf", seed, PLAIN)
    action = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("verify.exe"))
    add_link_annotation(pdf, BADGE_RECT, action)
    report = check(pdf)
    assert report.verdict is Verdict.FAILED
    assert report.code == "check.link.untrusted", report.reason


def test_a_resolver_link_to_another_number_fails(tmp_path: Path, seed: dict[str, Any]) -> None:
    pdf = with_badge(tmp_path / "other.pdf", seed, PLAIN)
    add_link_annotation(
        pdf, BADGE_RECT, uri("https://pith.science/pith/AAAAAAAAAAAAAAAAAAAAAAAAAA")
    )
    report = check(pdf)
    assert report.verdict is Verdict.FAILED
    assert codes(report)["check.link"] == "check.link.mismatch"
    assert report.code == "check.number.mismatch", report.reason  # the earlier check


def test_a_malformed_resolver_link_fails(tmp_path: Path, seed: dict[str, Any]) -> None:
    pdf = with_badge(tmp_path / "malformed.pdf", seed, PLAIN)
    add_link_annotation(pdf, BADGE_RECT, uri(f"https://pith.science/pith/{SEED_BODY}/../other"))
    report = check(pdf)
    assert report.verdict is Verdict.FAILED
    assert codes(report)["check.link"] == "check.link.mismatch", report.reason


# ------------------------------------------------------------------ a re-distilled TeX paper


@pytest.mark.tex
def test_a_tex_badge_redistilled_by_ghostscript_verifies(tmp_path: Path) -> None:
    """pdfLaTeX's hyperref badge, rewritten by Ghostscript's pdfwrite, is still the badge."""
    import subprocess

    from conftest import SEED_NUMBER, SEED_TITLE, require_tool
    from test_check_tex import compile_latex

    tex = compile_latex(tmp_path, SEED_TITLE, SEED_NUMBER, SEED_BODY)
    distilled = tmp_path / "distilled.pdf"
    subprocess.run(
        [require_tool("gs"), "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=pdfwrite",
         f"-o{distilled}", str(tex)],
        check=True, timeout=120,
    )  # fmt: skip
    report = check_pdf(
        str(distilled),
        CheckOptions(keyring=Keyring.default(), bundle=load_bundle(SEED_BUNDLE)),
    )
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert codes(report)["check.badge"] == "check.badge.ok"
    assert codes(report)["check.link"] == "check.link.ok"


def test_a_badge_token_glued_to_a_word_is_not_a_token() -> None:
    """The token pattern starts with its literal and tests the character before it apart:
    a number glued after a letter or digit (even one that case-folds to ASCII, as the
    Kelvin sign does) is not one the page shows."""
    from pithtex.pdf.evidence import badge_tokens

    number = "pith:2019:J655K2KRI7DJHF4SOFYZCQRRE5"
    assert badge_tokens(f"({number}) and {number}.") == [number]
    assert badge_tokens(f"{number} at the start") == [number]
    assert badge_tokens(f"x{number} 7{number} \u212a{number}") == []
    assert badge_tokens(f"PITH:ABCDEFGH {number}x") == ["PITH:ABCDEFGH"]
