"""The title check as a forger would attack it: only page 1's visible title block counts.

Each attack is a PDF that claims the seed record in every channel (the metadata
title included) but whose page 1 is not the record's paper, or shows no readable
title at all: pdfLaTeX documents of other papers, the record's title hidden with
pikepdf content streams (render mode 3, white, 0.05 pt, clipped away, off the
page, under a white rectangle), and pages made raster or outlines by Ghostscript.
None may verify.  The controls (the genuine paper, typeset in other ways) must.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import SEED_BUNDLE, SEED_TITLE, require_tool
from pdfsamples import bundle_claims, draw_page, stamp_pdf
from reportlab.lib.pagesizes import A4
from titlepages import (
    BODY,
    OTHER_TITLE,
    add_invisible_text,
    check,
    claim,
    ghostscript,
    pdflatex,
    record_title_at,
    seed,
    title_code,
    typeset,
)

from pithtex.pdf.check import Verdict
from pithtex.pdf.evidence import read_pdf

# ------------------------------------------------------------------ pikepdf pages


def page_with(tmp_path: Path, drawn: bytes, *, visible: str | None = OTHER_TITLE) -> Path:
    """A page 1 showing ``visible`` as its title (or no title), body text, and ``drawn``
    appended to its content; every channel claims the seed record (dc:title too)."""
    base = draw_page(visible or "", None)
    with pikepdf.open(io.BytesIO(base)) as pdf:
        page = pdf.pages[0]
        fonts = page.obj.Resources.get("/Font", pikepdf.Dictionary())
        for name, base_font in (("/FT", "/Helvetica-Bold"), ("/FB", "/Helvetica")):
            fonts[name] = pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Font,
                    Subtype=pikepdf.Name.Type1,
                    BaseFont=pikepdf.Name(base_font),
                )
            )
        page.obj.Resources.Font = fonts
        body = b"".join(
            b"BT /FB 10 Tf 70 %d Td (%s) Tj ET\n" % (300 - 12 * i, BODY[:80].encode())
            for i in range(12)
        )
        page.contents_add(pikepdf.Stream(pdf, body + drawn), prepend=False)
        out = io.BytesIO()
        pdf.save(out)
    path = tmp_path / "attack.pdf"
    path.write_bytes(stamp_pdf(out.getvalue(), seed(), badge=False))
    return path


HIDDEN = {
    "render_mode_3": (record_title_at(before=b"3 Tr"), "check.title.hidden"),
    "white": (record_title_at(before=b"1 1 1 rg"), "check.title.hidden"),
    "tiny": (record_title_at(size=0.05), "check.title.mismatch"),
    "clipped": (b"q 0 0 1 1 re W n " + record_title_at() + b"Q\n", "check.title.hidden"),
    "off_the_page": (record_title_at(x=700), "check.title.hidden"),
    "under_a_white_rectangle": (
        record_title_at() + b"1 1 1 rg 50 590 520 20 re f\n",
        "check.title.hidden",
    ),
    "light_grey": (record_title_at(before=b"0.92 g"), "check.title.hidden"),
}


@pytest.mark.parametrize("trick", sorted(HIDDEN))
def test_a_hidden_record_title_under_another_papers_title_fails(tmp_path: Path, trick: str) -> None:
    drawn, code = HIDDEN[trick]
    report = check(page_with(tmp_path, drawn))
    assert report.verdict is Verdict.FAILED, report.reason
    assert report.code == code
    assert OTHER_TITLE in report.reason
    assert report.to_json()["warnings"] == []  # the metadata claims the record's title


SEED_TITLE_BYTES = SEED_TITLE.encode()

OUT_OF_SHAPE = {
    # the record's title as the only large text, drawn so that no reader can read it
    "squashed_by_Tz": (
        b"BT /FT 20 Tf 20 Tz 40 740 Td (%s) Tj ET\n" % SEED_TITLE_BYTES,
        "check.title.hidden",
    ),
    "squashed_by_the_text_matrix": (
        b"BT /FT 20 Tf 0.2 0 0 1 40 740 Tm (%s) Tj ET\n" % SEED_TITLE_BYTES,
        "check.title.hidden",
    ),
    "flattened_by_the_text_matrix": (
        b"BT /FT 14 Tf 1 0 0 0.2 40 740 Tm (%s) Tj ET\n" % SEED_TITLE_BYTES,
        "check.title.mismatch",
    ),
    "shrunk_below_the_body_size_by_cm": (
        b"q 0.5 0 0 0.5 40 740 cm BT /FT 14 Tf 0 0 Td (%s) Tj ET Q\n" % SEED_TITLE_BYTES,
        "check.title.mismatch",
    ),
}


@pytest.mark.parametrize("trick", sorted(OUT_OF_SHAPE))
def test_a_record_title_drawn_out_of_shape_or_size_fails(tmp_path: Path, trick: str) -> None:
    """The font size a reader sees is the text state's size times the drawing matrix's
    vertical scale, and a glyph squashed to a fifth of its width is no reader's title,
    whatever its ``Tf`` says."""
    drawn, code = OUT_OF_SHAPE[trick]
    path = page_with(tmp_path, drawn, visible=None)
    report = check(path)
    assert report.verdict is Verdict.FAILED, report.reason
    assert report.code == code
    if code == "check.title.hidden":
        line = next(line for line in read_pdf(path).title_finding.lines if line.text == SEED_TITLE)
        assert line.hidden is not None and line.hidden.startswith("squashed out of shape")


DRAWN_AT_SIZE = {
    # the record's title at a title's size, however the size is reached
    "one_point_font_and_a_scaled_text_matrix": (
        b"BT /FT 1 Tf 14 0 0 14 40 740 Tm (%s) Tj ET\n" % SEED_TITLE_BYTES
    ),
    "enlarged_by_cm": b"q 2 0 0 2 30 740 cm BT /FT 6 Tf 0 0 Td (%s) Tj ET Q\n" % SEED_TITLE_BYTES,
    "condensed_by_Tz_80": b"BT /FT 14 Tf 80 Tz 40 740 Td (%s) Tj ET\n" % SEED_TITLE_BYTES,
}


@pytest.mark.parametrize("how", sorted(DRAWN_AT_SIZE))
def test_a_record_title_drawn_at_a_titles_size_verifies_however_the_size_is_set(
    tmp_path: Path, how: str
) -> None:
    """The controls of the attacks above (cairo writes ``1 Tf`` and a scaled matrix)."""
    path = page_with(tmp_path, DRAWN_AT_SIZE[how], visible=None)
    report = check(path)
    assert report.verdict is Verdict.VERIFIED, report.reason
    line = next(line for line in read_pdf(path).title_finding.lines if line.text == SEED_TITLE)
    assert line.size == pytest.approx(12 if how == "enlarged_by_cm" else 14, abs=0.01)


_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_GLYPH_NAMES = {" ": "space", ":": "colon"} | dict(zip("0123456789", _DIGIT_NAMES, strict=True))
SHOWN_INSTEAD = "Graph Colouring with Few Colours in Linear Time Is Hard For Most Graphs"


def named_glyphs_page(tmp_path: Path, shown: str) -> Path:
    """The record's title as the text layer of one line of Helvetica-Bold (a standard
    font, not embedded) whose ``/Differences`` pick the glyphs of ``shown``: character
    code ``i + 1`` draws ``shown[i]`` while ``/ToUnicode`` says it is ``SEED_TITLE[i]``."""
    count = len(SEED_TITLE)
    drawn = shown.ljust(count)[:count]
    base = draw_page("", None)
    with pikepdf.open(io.BytesIO(base)) as pdf:
        page = pdf.pages[0]
        names = [pikepdf.Name("/" + _GLYPH_NAMES.get(c, c)) for c in drawn]
        to_unicode = b"".join(
            b"<%02X> <%04X>\n" % (index + 1, ord(char)) for index, char in enumerate(SEED_TITLE)
        )
        cmap = (
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Lie def "
            b"1 begincodespacerange <00> <FF> endcodespacerange\n%d beginbfchar\n"
            % count
            + to_unicode
            + b"endbfchar endcmap CMapName currentdict /CMap defineresource pop end end\n"
        )
        page.obj.Resources.Font.FL = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name("/Helvetica-Bold"),
                Encoding=pikepdf.Dictionary(Differences=pikepdf.Array([1, *names])),
                ToUnicode=pdf.make_stream(cmap),
            )
        )
        line = pikepdf.String(bytes(range(1, count + 1))).unparse()
        page.contents_add(pikepdf.Stream(pdf, b"BT /FL 14 Tf 40 740 Td " + line + b" Tj ET\n"))
        out = io.BytesIO()
        pdf.save(out)
    path = tmp_path / "named.pdf"
    path.write_bytes(stamp_pdf(out.getvalue(), seed(), badge=False))
    return path


def test_a_text_layer_that_names_other_letters_than_a_standard_font_draws_fails(
    tmp_path: Path,
) -> None:
    """The glyph names of a font that is not embedded choose the shapes a reader sees:
    a ``/ToUnicode`` map spelling the record's title over them counts for nothing."""
    report = check(named_glyphs_page(tmp_path, SHOWN_INSTEAD))
    assert report.verdict is Verdict.FAILED, report.reason
    assert report.code == "check.title.mismatch"
    assert SHOWN_INSTEAD in report.reason


def test_a_lying_text_layer_over_a_broken_font_program_does_not_verify(tmp_path: Path) -> None:
    """The forger's way round the rule above: declare a font program (junk) so that the
    font counts as embedded and its ``/ToUnicode`` is kept.  PDFium cannot use the
    program, draws nothing readable, and the title block cannot be decided."""
    path = named_glyphs_page(tmp_path, SHOWN_INSTEAD)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        font = pdf.pages[0].obj.Resources.Font.FL
        font.FontDescriptor = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.FontDescriptor,
                FontName=pikepdf.Name("/Helvetica-Bold"),
                Flags=32,
                FontBBox=[0, 0, 1000, 1000],
                ItalicAngle=0,
                Ascent=700,
                Descent=-200,
                CapHeight=700,
                StemV=80,
                FontFile=pdf.make_stream(b"not a font program"),
            )
        )
        pdf.save(path)
    report = check(path)
    assert report.verdict is Verdict.INDETERMINATE, report.reason
    assert report.code == "check.title.undecidable"


def test_a_standard_font_whose_text_layer_agrees_with_its_glyphs_verifies(
    tmp_path: Path,
) -> None:
    report = check(named_glyphs_page(tmp_path, SEED_TITLE))
    assert report.verdict is Verdict.VERIFIED, report.reason


def optional_content_page(tmp_path: Path, *, shown: bool, by_base_state: bool = False) -> Path:
    """The record's title as the only large text, in a layer (optional content group)
    that the document's default configuration switches on or off (off by listing it in
    ``/OFF``, or ``by_base_state``: every layer off unless listed in ``/ON``)."""
    path = page_with(tmp_path, b"", visible=None)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        layer = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("layer"))
        )
        page.obj.Resources.Properties = pikepdf.Dictionary(L1=layer)
        drawn = b"/OC /L1 BDC BT /FT 14 Tf 40 740 Td (%s) Tj ET EMC\n" % SEED_TITLE_BYTES
        page.contents_add(pikepdf.Stream(pdf, drawn))
        config = pikepdf.Dictionary(OFF=[] if shown else [layer], Order=[layer])
        if by_base_state:
            config = pikepdf.Dictionary(BaseState=pikepdf.Name.OFF, Order=[layer])
        pdf.Root.OCProperties = pikepdf.Dictionary(OCGs=[layer], D=config)
        pdf.save(path)
    return path


@pytest.mark.parametrize("by_base_state", [False, True], ids=["listed_off", "base_state_off"])
def test_a_record_title_in_a_layer_switched_off_fails(tmp_path: Path, by_base_state: bool) -> None:
    """A viewer hides a layer its document switches off: so does the check."""
    report = check(optional_content_page(tmp_path, shown=False, by_base_state=by_base_state))
    assert report.verdict is Verdict.FAILED, report.reason
    assert report.code == "check.title.hidden"


def test_a_record_title_in_a_layer_switched_on_verifies(tmp_path: Path) -> None:
    report = check(optional_content_page(tmp_path, shown=True))
    assert report.verdict is Verdict.VERIFIED, report.reason


def annotated_page(tmp_path: Path, flags: int) -> Path:
    """The record's title as the only large text, and over it a square annotation whose
    appearance is a white box showing another title (``flags``: the annotation's ``/F``)."""
    path = page_with(
        tmp_path, b"BT /FT 14 Tf 40 740 Td (%s) Tj ET\n" % SEED_TITLE_BYTES, visible=None
    )
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        helvetica = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        appearance = pdf.make_stream(
            b"1 g 0 0 560 30 re f 0 g BT /H 14 Tf 5 10 Td (%s) Tj ET" % OTHER_TITLE.encode(),
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=[0, 0, 560, 30],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(H=helvetica)),
        )
        annotation = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Square,
                Rect=[30, 730, 590, 760],
                F=flags,
                AP=pikepdf.Dictionary(N=appearance),
            )
        )
        page = pdf.pages[0]
        page.obj.Annots = pikepdf.Array([*page.obj.get("/Annots", []), annotation])
        pdf.save(path)
    return path


def test_a_record_title_under_an_annotation_showing_another_title_fails(tmp_path: Path) -> None:
    """A viewer draws annotations over the page: so does the check."""
    report = check(annotated_page(tmp_path, flags=4))
    assert report.verdict is Verdict.FAILED, report.reason
    assert report.code in ("check.title.hidden", "check.title.mismatch")


def test_a_hidden_annotation_over_the_record_title_changes_nothing(tmp_path: Path) -> None:
    """An annotation flagged Hidden (2) or NoView (32) is not drawn by a viewer."""
    for flags in (2, 32):
        report = check(annotated_page(tmp_path, flags=flags))
        assert report.verdict is Verdict.VERIFIED, report.reason


def page_with_bare_annotation(tmp_path: Path, **entries: Any) -> Path:
    """The record's title as the only large text, and over it an annotation with no
    appearance stream (``entries``: its subtype and the rest), which a viewer draws with
    an appearance it makes up."""
    path = page_with(
        tmp_path, b"BT /FT 14 Tf 40 740 Td (%s) Tj ET\n" % SEED_TITLE_BYTES, visible=None
    )
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        annotation = pdf.make_indirect(
            pikepdf.Dictionary(
                {"/Type": pikepdf.Name.Annot, "/Rect": [30, 730, 590, 760], "/F": 4}
                | {"/" + key: value for key, value in entries.items()}
            )
        )
        page = pdf.pages[0]
        page.obj.Annots = pikepdf.Array([*page.obj.get("/Annots", []), annotation])
        pdf.save(path)
    return path


@pytest.mark.parametrize(
    "entries",
    [
        {"Subtype": pikepdf.Name.Square, "IC": [1, 1, 1], "C": [1, 1, 1]},
        {"Subtype": pikepdf.Name.FreeText, "Contents": pikepdf.String(OTHER_TITLE)},
        {"Subtype": pikepdf.Name.Link, "Border": [0, 0, 40], "C": [1, 1, 1]},
        {"Subtype": pikepdf.Name.Link, "BS": pikepdf.Dictionary(W=40), "C": [1, 1, 1]},
    ],
    ids=["white_square", "free_text", "wide_link_border", "wide_link_style"],
)
def test_a_record_title_under_an_annotation_a_viewer_draws_its_own_way_fails(
    tmp_path: Path, entries: dict[str, Any]
) -> None:
    """An annotation without an appearance stream is drawn as the viewer makes it up
    (PDFium and Chromium fill a square's interior colour): its rectangle counts as
    painted over, whatever the viewer would put there."""
    report = check(page_with_bare_annotation(tmp_path, **entries))
    assert report.verdict is Verdict.FAILED, report.reason
    assert report.code == "check.title.hidden"


@pytest.mark.parametrize(
    "entries",
    [
        {"Subtype": pikepdf.Name.Link, "Border": [0, 0, 1], "C": [1, 0, 0]},
        {"Subtype": pikepdf.Name.Link},
        {"Subtype": pikepdf.Name.Square, "IC": [1, 1, 1], "F": 2},
    ],
    ids=["thin_link_border", "default_link_border", "hidden_square"],
)
def test_a_link_frame_or_a_hidden_annotation_over_the_record_title_verifies(
    tmp_path: Path, entries: dict[str, Any]
) -> None:
    """hyperref's default link frames (a 1-pt border) paint nothing over the text they
    frame; a Hidden annotation is not drawn at all."""
    report = check(page_with_bare_annotation(tmp_path, **entries))
    assert report.verdict is Verdict.VERIFIED, report.reason


def test_a_visible_record_title_line_verifies_and_is_located(tmp_path: Path) -> None:
    """The same construction, with the record's title visible as page 1's title: the
    control that shows the attacks fail for the hiding and nothing else."""
    report = check(page_with(tmp_path, b"", visible=SEED_TITLE))
    assert report.verdict is Verdict.VERIFIED, report.reason
    block = report.to_json()["title_block"]
    assert block["matches_record"] is True
    assert [line["text"] for line in block["lines"]] == [
        "Large Batch Optimization for Deep Learning: Training",
        "BERT in 76 minutes",
    ]
    left, bottom, right, top = block["lines"][0]["rect"]
    assert 60 < left < right < A4[0] - 60 and A4[1] - 100 < bottom < top < A4[1] - 70


def test_metadata_title_of_another_paper_is_a_warning_not_a_verdict(tmp_path: Path) -> None:
    path = page_with(tmp_path, b"", visible=SEED_TITLE)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = pikepdf.String("LAMB")  # hyperref's pdftitle, a short title
        pdf.save(path)
    report = check(path)
    assert report.verdict is Verdict.VERIFIED
    warnings = report.to_json()["warnings"]
    assert [w["code"] for w in warnings] == ["title.metadata_differs"]
    assert "'LAMB'" in warnings[0]["message"]
    assert "warning: the Info /Title 'LAMB'" in next(
        c.reason for c in report.checks if c.check == "check.title"
    )


def test_every_warning_in_the_json_has_a_code_and_a_message(tmp_path: Path) -> None:
    """The parser's warnings and the title's come in one shape."""
    path = page_with(tmp_path, b"", visible=SEED_TITLE)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = pikepdf.String("LAMB")
        pdf.save(path, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    shorter = re.sub(  # every stream's /Length one byte short, in as many bytes
        rb"/Length (\d+)",
        lambda m: b"/Length " + str(int(m[1]) - 1).rjust(len(m[1])).encode(),
        path.read_bytes(),
    )
    path.write_bytes(shorter)
    report = check(path)  # qpdf warns of each stream and reads on
    warnings = report.to_json()["warnings"]
    assert {w["code"] for w in warnings} == {"pdf.parser_warning", "title.metadata_differs"}
    assert all(set(w) == {"code", "message"} and isinstance(w["message"], str) for w in warnings)
    assert any("endstream" in w["message"] for w in warnings)


def test_corroboration_is_shown_and_decides_nothing(tmp_path: Path) -> None:
    report = check(page_with(tmp_path, b"", visible=SEED_TITLE))
    corroboration = report.to_json()["corroboration"]
    assert corroboration["authors"]["names"]  # the seed names its authors
    assert corroboration["authors"]["agree"] is False  # the page names Ada Lovelace
    assert corroboration["abstract"]["agree"] is False
    statuses = {c.check: c.code for c in report.checks}
    assert statuses["check.authors"] == "check.authors.not_shown"
    assert statuses["check.abstract"] == "check.abstract.differs"
    assert report.verdict is Verdict.VERIFIED


# ------------------------------------------------------------------ TeX papers


OTHER_PAPERS = {
    "abstract_cites_it": (
        OTHER_TITLE,
        f"We revisit ``{SEED_TITLE}'' and colour graphs instead. " + BODY,
    ),
    "revisiting": (f"Revisiting {SEED_TITLE} Is Not Reproducible", BODY),
    "punctuation": (SEED_TITLE.replace("76", "7.6"), BODY),
    "superscript": (SEED_TITLE.replace("76", "7$^6$"), BODY),
    "line_above": (f"Revisiting\\\\ {SEED_TITLE}", BODY),
    "line_below": (f"{SEED_TITLE}\\\\ Is Not Reproducible", BODY),
    "line_above_apart": (f"Revisiting\\\\[3em] {SEED_TITLE}", BODY),
    "line_below_apart": (f"{SEED_TITLE}\\\\[3em] Is Not Reproducible", BODY),
}


@pytest.mark.tex
@pytest.mark.parametrize("paper", sorted(OTHER_PAPERS))
def test_another_papers_pdflatex_document_fails(tmp_path: Path, paper: str) -> None:
    title, abstract = OTHER_PAPERS[paper]
    report = check(pdflatex(tmp_path, title, abstract))
    assert report.verdict is Verdict.FAILED, report.reason
    assert report.code == "check.title.mismatch"


@pytest.mark.tex
def test_the_superscript_attack_has_the_same_canonical_hash_yet_fails(tmp_path: Path) -> None:
    from pithtex.core.digests import text_canon_sha256

    assert text_canon_sha256(SEED_TITLE.replace("76", "7\u2076")) == text_canon_sha256(SEED_TITLE)
    report = check(pdflatex(tmp_path, SEED_TITLE.replace("76", "7$^6$")))
    assert report.verdict is Verdict.FAILED
    lines = report.to_json()["title_block"]["lines"]
    assert any(line["marks"] == "6" for line in lines)  # the smaller 6 is a mark


BROKEN = SEED_TITLE.replace("Optimization", "Opti\\-mi\\-za\\-tion").replace(
    "Deep Learning:", "Deep\\\\ Learning:"
)


@pytest.mark.tex
@pytest.mark.parametrize(
    ("title", "preamble"),
    [
        (SEED_TITLE, ""),
        (BROKEN, ""),
        ("Large Batch Optimization for Deep Learn-\\\\ing: Training BERT in 76 minutes", ""),
        (SEED_TITLE + "\\thanks{Work done at a lab.}", ""),
        (SEED_TITLE, "\\usepackage[pagewise]{lineno}\\linenumbers"),
    ],
    ids=["plain", "broken", "hyphenated", "thanks", "lineno"],
)
def test_the_genuine_paper_verifies_however_its_title_is_set(
    tmp_path: Path, title: str, preamble: str
) -> None:
    report = check(pdflatex(tmp_path, title, preamble=preamble))
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert title_code(report) == "check.title.ok"


@pytest.mark.tex
def test_the_genuine_paper_redrawn_by_cairo_verifies(tmp_path: Path) -> None:
    """pdftocairo (as GTK's printing and Inkscape write PDFs) sets every font at 1 pt
    and scales the text matrix: the sizes that count are the sizes drawn."""
    require_tool("pdftocairo")
    paper = typeset(tmp_path, SEED_TITLE)
    redrawn = tmp_path / "cairo.pdf"
    subprocess.run(["pdftocairo", "-pdf", str(paper), str(redrawn)], check=True)
    with pikepdf.open(redrawn) as pdf:
        assert b" 1 Tf" in pdf.pages[0].Contents.read_bytes()
    report = check(claim(tmp_path / "claimed.pdf", redrawn.read_bytes()))
    assert report.verdict is Verdict.VERIFIED, report.reason
    assert title_code(report) == "check.title.ok"


# ------------------------------------------------------------------ Ghostscript pages


@pytest.mark.parametrize(
    "how",
    [
        ("-sDEVICE=pdfimage24", "-r100"),
        ("-sDEVICE=pdfwrite", "-dNoOutputFonts"),
    ],
    ids=["raster", "outlines"],
)
def test_a_page_without_readable_text_is_undecidable_whatever_its_metadata(
    tmp_path: Path, how: tuple[str, ...]
) -> None:
    path = ghostscript(tmp_path, *how)
    assert read_pdf(path).titles[0] == ("xmp", SEED_TITLE)  # the metadata says it all
    report = check(path)
    assert report.verdict is Verdict.INDETERMINATE, report.reason
    assert report.code == "check.title.undecidable"
    assert report.exit_code == 4


def test_a_scan_whose_text_layer_is_the_record_title_is_undecidable(tmp_path: Path) -> None:
    """An OCR layer (render mode 3) over a raster page: no reader sees that text."""
    path = add_invisible_text(ghostscript(tmp_path, "-sDEVICE=pdfimage24", "-r100"))
    report = check(path)
    assert report.verdict is Verdict.INDETERMINATE, report.reason
    assert report.code == "check.title.undecidable"
    assert "cannot see" in report.reason


def test_a_ghostscript_redistilled_page_still_verifies(tmp_path: Path) -> None:
    report = check(ghostscript(tmp_path, "-sDEVICE=pdfwrite"))
    assert report.verdict is Verdict.VERIFIED, report.reason


def test_every_channel_of_the_attack_claims_the_record(tmp_path: Path) -> None:
    """The attacks differ from a genuine stamp only on page 1."""
    claims = bundle_claims(seed())
    evidence = read_pdf(page_with(tmp_path, HIDDEN["white"][0]))
    assert ("info", SEED_TITLE) in evidence.titles
    assert any(c.value == claims["link"] for c in evidence.numbers)


# ------------------------------------------------------------------ stamp


def untitled_pdflatex(tmp_path: Path, title: str, abstract: str = BODY) -> Path:
    """A pdfLaTeX paper whose metadata names no title."""
    require_tool("pdflatex")
    source = tmp_path / "untitled.tex"
    source.write_text(
        "\\documentclass{article}\n"
        f"\\title{{{title}}}\\author{{Yang You}}\\date{{}}\n"
        "\\begin{document}\\maketitle\n"
        f"\\begin{{abstract}}{abstract}\\end{{abstract}}\n\\end{{document}}\n"
    )
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    return tmp_path / "untitled.pdf"


@pytest.mark.tex
@pytest.mark.parametrize("paper", ["abstract_cites_it", "revisiting"])
def test_stamp_does_not_write_the_record_title_into_another_paper(
    tmp_path: Path, paper: str
) -> None:
    import json

    from conftest import run_cli

    title, abstract = OTHER_PAPERS[paper]
    source = untitled_pdflatex(tmp_path, title, abstract)
    out = tmp_path / "out.pdf"
    refused = run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out, "--json")
    assert refused.returncode == 1
    assert "title block" in refused.stdout + refused.stderr and not out.exists()
    forced = run_cli(
        "stamp", source, "--bundle", SEED_BUNDLE, "-o", out, "--json", "--force", check=True
    )
    assert any("left as it is" in note for note in json.loads(forced.stdout)["notes"])
    with pikepdf.open(out) as pdf:
        assert "/Title" not in pdf.docinfo


@pytest.mark.tex
def test_stamp_writes_the_record_title_when_page_1_shows_it(tmp_path: Path) -> None:
    from conftest import run_cli

    source = untitled_pdflatex(tmp_path, SEED_TITLE)
    out = tmp_path / "out.pdf"
    run_cli("stamp", source, "--bundle", SEED_BUNDLE, "-o", out, check=True)
    with pikepdf.open(out) as pdf:
        assert str(pdf.docinfo["/Title"]) == SEED_TITLE
