"""Edits after the fact: an incremental update that changes what page 1 shows fails.

The attacks append a revision with pypdf's incremental writer after the one
that carries the pith metadata (the stamp's, or the producer's for a PDF made
with its claims): whiting out page 1 and drawing another title, swapping a
font page 1 uses, adding an annotation over the title or the badge.  The
controls append revisions that change only metadata, an annotation at the
foot of the page or another page, and still verify; so does the stamp's own
incremental revision (``pithtex stamp --incremental``) and arXiv's watermark,
a full rewrite that leaves one revision.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_BUNDLE, SEED_TITLE, check_codes, check_with_default_keyring, run_cli
from pdfsamples import claimed_pdf, make_pdf
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from pithtex.pdf.check import Verdict
from pithtex.pdf.watermark import add_watermark, arxiv_stamp_text

Edit = Callable[[PdfWriter], None]


check = check_with_default_keyring
codes = check_codes


def updated(source: Path, target: Path, edit: Edit) -> Path:
    """``source`` plus one incremental revision made by ``edit`` (pypdf)."""
    writer = PdfWriter(source, incremental=True)
    edit(writer)
    with target.open("wb") as handle:
        writer.write(handle)
    assert target.read_bytes().startswith(source.read_bytes())
    return target


def _draw(writer: PdfWriter, ops: bytes, font: bool = False) -> None:
    page = writer.pages[0]
    stream = DecodedStreamObject()
    stream.set_data(ops)
    if font:
        helvetica = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica-Bold"),
            }
        )
        resources = page["/Resources"].get_object()
        fonts = resources["/Font"].get_object()
        fonts[NameObject("/FNew")] = writer._add_object(helvetica)
    contents = page.get("/Contents")
    existing = contents.get_object() if contents is not None else None
    parts = list(existing) if isinstance(existing, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([*parts, writer._add_object(stream)])


def white_out_and_retitle(writer: PdfWriter) -> None:
    _draw(
        writer,
        b"q 1 g 0 0 595 842 re f Q BT /FNew 17 Tf 120 752 Td (A Quite Different Title) Tj ET",
        font=True,
    )


def swap_a_font(writer: PdfWriter) -> None:
    resources = writer.pages[0]["/Resources"].get_object()
    fonts = resources["/Font"].get_object()
    first = next(iter(fonts))
    fonts[NameObject(first)] = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Symbol"),
            }
        )
    )


def annotate(rect: tuple[float, float, float, float]) -> Edit:
    def edit(writer: PdfWriter) -> None:
        page = writer.pages[0]
        note = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Square"),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in rect]),
                NameObject("/IC"): ArrayObject([NumberObject(1)] * 3),
                NameObject("/Contents"): TextStringObject("a note"),
            }
        )
        annots = page.get("/Annots")
        existing = list(annots.get_object()) if annots is not None else []
        page[NameObject("/Annots")] = ArrayObject([*existing, writer._add_object(note)])

    return edit


def retitle_metadata(writer: PdfWriter) -> None:
    writer.add_metadata({"/Keywords": "optimisation, batch size"})


def touch_page_two(writer: PdfWriter) -> None:
    page = writer.pages[1]
    stream = DecodedStreamObject()
    stream.set_data(b"q 0 g 10 10 50 50 re f Q")
    contents = page.get("/Contents")
    page[NameObject("/Contents")] = ArrayObject([contents, writer._add_object(stream)])


@pytest.fixture
def genuine(tmp_path: Path, seed: dict[str, Any]) -> Path:
    """A PDF made with every claim of the seed bundle (the producer's revision carries them)."""
    return claimed_pdf(tmp_path / "genuine.pdf", seed, extra_pages=1)


@pytest.fixture
def stamped_incrementally(tmp_path: Path) -> Path:
    """A plain PDF of the seed paper, stamped by an incremental update (``--incremental``)."""
    plain = make_pdf(tmp_path / "plain.pdf", title=SEED_TITLE, extra_pages=1)
    stamped = tmp_path / "stamped.pdf"
    run_cli(
        "stamp", plain, "--bundle", SEED_BUNDLE, "--embed-bundle", "--incremental",
        "-o", stamped, check=True,
    )  # fmt: skip
    assert stamped.read_bytes().startswith(plain.read_bytes())
    return stamped


# ------------------------------------------------------------------ controls


def test_the_incremental_stamp_verifies(stamped_incrementally: Path) -> None:
    report = check(stamped_incrementally)
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert codes(report)["check.edit"] == "check.edit.ok"


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("metadata", retitle_metadata),
        ("note-at-the-foot", annotate((60, 40, 200, 80))),
        ("page-two", touch_page_two),
    ],
)
def test_updates_that_leave_page_1_verify(
    tmp_path: Path, genuine: Path, stamped_incrementally: Path, name: str, edit: Edit
) -> None:
    for source in (genuine, stamped_incrementally):
        report = check(updated(source, tmp_path / f"{source.stem}-{name}.pdf", edit))
        assert report.verdict is Verdict.VERIFIED, report.reason
        assert codes(report)["check.edit"] == "check.edit.ok"


def test_the_watermark_rewrite_verifies(tmp_path: Path, stamped_incrementally: Path) -> None:
    marked = tmp_path / "arxiv.pdf"
    add_watermark(stamped_incrementally, marked, arxiv_stamp_text("1904.00962", 5, "cs.LG", "x"))
    report = check(marked)
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert "one revision" in next(c.reason for c in report.checks if c.check == "check.edit")


# ------------------------------------------------------------------ attacks


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("white-out-and-retitle", white_out_and_retitle),
        ("swap-a-font", swap_a_font),
        ("note-over-the-title", annotate((100, 740, 500, 770))),
        ("note-over-the-badge", annotate((250, 725, 350, 740))),
    ],
)
def test_updates_that_change_page_1_fail(
    tmp_path: Path, genuine: Path, stamped_incrementally: Path, name: str, edit: Edit
) -> None:
    for source in (genuine, stamped_incrementally):
        report = check(updated(source, tmp_path / f"{source.stem}-{name}.pdf", edit))
        assert report.verdict is Verdict.FAILED
        assert report.code == "check.edit.page1_changed", report.reason


def test_an_update_after_the_stamp_names_the_stamp(
    tmp_path: Path, stamped_incrementally: Path
) -> None:
    report = check(updated(stamped_incrementally, tmp_path / "x.pdf", white_out_and_retitle))
    assert "after revision 2 (the stamp's)" in report.reason
