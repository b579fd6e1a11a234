"""The visible badge: text readers can find, a QR code that scans, a link, free space."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import SEED_BUNDLE, require_tool, run_cli
from stamp_pdfs import TITLE, pdfa_pdf, reportlab_pdf
from test_stamp_producers import qpdf_check

from pithtex.pdf.stamp.badge import GLYPHS, _candidates, _display_inverse, _invert, _transform_rect

SHORT = "pith:J655K2KR"
RESOLVER = "https://pith.science/pith/J655K2KRI7DJHF4SOFYZCQRRE5"


def stamp_badge(source: Path, out: Path, *extra: str) -> dict[str, object]:
    result = run_cli(
        "stamp", source, "--bundle", SEED_BUNDLE, "-o", out, "--badge", "--json", *extra
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def word_boxes(path: Path) -> list[tuple[str, float, float, float, float, float, float]]:
    """Words of page 1 with their boxes in display space (pdftotext -bbox), and page size."""
    require_tool("pdftotext")
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    assert page
    width, height = float(page.group(1)), float(page.group(2))
    return [
        (
            m.group(5),
            float(m.group(1)),
            float(m.group(2)),
            float(m.group(3)),
            float(m.group(4)),
            width,
            height,
        )
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            html,
        )
    ]


def badge_word(path: Path) -> tuple[str, float, float, float, float, float, float]:
    words = [w for w in word_boxes(path) if w[0] == SHORT]
    assert len(words) == 1, word_boxes(path)[:5]
    return words[0]


def test_badge_text_link_and_free_space(tmp_path: Path) -> None:
    source = reportlab_pdf(tmp_path / "p.pdf")
    out = tmp_path / "o.pdf"
    report = stamp_badge(source, out)
    assert report["badge"]["covers_text"] is False  # type: ignore[index]
    qpdf_check(out)
    _, x0, y0, x1, y1, width, height = badge_word(out)
    assert x0 > width / 2 and y1 < height / 3, "top right, as asked"
    for other in word_boxes(out):
        if other[0] != SHORT:
            assert other[3] <= x0 or other[1] >= x1 or other[4] <= y0 or other[2] >= y1
    with pikepdf.open(out) as pdf:
        links = [a for a in pdf.pages[0].Annots if a.get("/Subtype") == pikepdf.Name.Link]
        assert len(links) == 1
        assert str(links[0].A.URI) == RESOLVER
        assert int(links[0].F) == 4
        fonts = pdf.pages[0].Resources.XObject.PithBadge.Resources.Font
        font = next(iter(fonts.values()))
        assert font.Subtype == pikepdf.Name.Type3 and "/ToUnicode" in font


def test_restamping_keeps_one_badge(tmp_path: Path) -> None:
    source = reportlab_pdf(tmp_path / "p.pdf")
    once, twice = tmp_path / "1.pdf", tmp_path / "2.pdf"
    stamp_badge(source, once)
    assert stamp_badge(once, twice)["status"] == "unchanged"
    third = tmp_path / "3.pdf"
    stamp_badge(once, third, "--embed-bundle")
    words = [w for w in word_boxes(third) if w[0] == SHORT]
    assert len(words) == 1
    with pikepdf.open(third) as pdf:
        assert len([a for a in pdf.pages[0].Annots if str(a.get("/NM", "")) == "pith-badge"]) == 1


def test_qr_code_scans_to_the_resolver(tmp_path: Path) -> None:
    require_tool("pdftoppm")
    zbar = require_tool("zbarimg")
    out = tmp_path / "o.pdf"
    stamp_badge(
        reportlab_pdf(tmp_path / "p.pdf"), out, "--badge-qr", "--badge-corner", "bottom-left"
    )
    subprocess.run(
        ["pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-png", str(out), str(tmp_path / "page")],
        check=True,
    )
    image = next(tmp_path.glob("page*.png"))
    scanned = subprocess.run(
        [zbar, "-q", "--raw", str(image)], capture_output=True, text=True, check=False
    )
    assert scanned.stdout.strip() == RESOLVER


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_pages_get_the_badge_where_readers_see_the_corner(
    tmp_path: Path, rotation: int
) -> None:
    source = reportlab_pdf(tmp_path / "p.pdf")
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        pdf.pages[0].Rotate = rotation
        pdf.save()
    out = tmp_path / "o.pdf"
    stamp_badge(source, out, "--badge-corner", "top-right")
    _, x0, _, _, y1, width, height = badge_word(out)
    assert x0 > width / 2 and y1 < height / 2


def test_a_full_page_gets_the_badge_with_a_note(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "full.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(TITLE)
    for y in range(5, 842, 9):
        pdf.drawString(2, y, "x" * 200)
    pdf.save()
    report = stamp_badge(path, tmp_path / "o.pdf")
    assert report["badge"]["covers_text"] is True  # type: ignore[index]
    assert any("covers some text" in n for n in report["notes"])  # type: ignore[attr-defined]


@pytest.mark.tex
def test_badge_on_pdfa_uses_no_external_font(tmp_path: Path) -> None:
    source = pdfa_pdf(tmp_path)
    out = tmp_path / "o.pdf"
    report = stamp_badge(source, out)
    assert report["pdfa"] == "PDF/A-2b"
    qpdf_check(out)
    require_tool("pdffonts")
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True)
    for line in fonts.stdout.splitlines()[2:]:
        assert " yes " in line, f"a font is not embedded: {line}"
    assert (
        SHORT
        in subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
    )


def test_every_body_character_has_a_glyph() -> None:
    for char in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567pith:":
        assert char in GLYPHS


def test_display_transform_round_trips() -> None:
    box = (10.0, 20.0, 622.0, 812.0)
    for rotation in (0, 90, 180, 270):
        inverse = _display_inverse(box, rotation)
        rect = (5.0, 6.0, 50.0, 30.0)
        there = _transform_rect(inverse, rect)
        back = _transform_rect(_invert(inverse), there)
        assert all(abs(a - b) < 1e-9 for a, b in zip(back, rect, strict=True))


def test_candidates_start_at_the_requested_corner() -> None:
    from pithtex.pdf.stamp.badge import BadgeOptions

    first = next(_candidates(BadgeOptions(corner="bottom-left", margin=18), (600, 800), (90, 20)))
    assert first == ("bottom-left", (18, 18, 108, 38))
