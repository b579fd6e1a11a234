"""pith.sty compiled for real: every engine, every class, every variant, read back from the PDF.

Each case of the matrix is compiled twice, with and without pith (the same paper
otherwise), by a real TeX engine; the tests then read the PDF with pypdfium2,
pikepdf, pdftotext, pdftoppm and zbarimg.  The matrix covers pdfLaTeX on every
class, XeLaTeX, LuaLaTeX and the DVI route (latex, dvips, ps2pdf), with and
without hyperref, with \\DocumentMetadata, hyperxmp and pdfx.  Compiles run two
at a time, only for the cases the selected tests need.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, SEED_BODY, SEED_BUNDLE, SEED_HASH, SEED_NUMBER, run_cli
from pagegeometry import ARXIV_BAND, badge_layout, read_page, title_lines
from pdftags import link_elements, marks_in
from texdocs import (
    OFFSET_LEFT_BP,
    PITH_LABEL,
    SEED_URL,
    STRETCHED_COLUMN,
    TITLE,
    Case,
    Compiled,
    PdfFacts,
    case,
    compile_case,
    compile_control,
    decode_qr,
    log_messages,
    log_warnings,
    new_warnings,
    render_png,
    run_engine,
)

from pithtex.core import names as xmpschema
from pithtex.core.model import load_bundle
from pithtex.tex import render as latex
from pithtex.trust.keyring import Keyring
from pithtex.trust.verify import require_verified

pytestmark = [pytest.mark.tex, pytest.mark.slow]

MATRIX: tuple[Case, ...] = (
    # pdfLaTeX on every class
    case("pdflatex", "article"),
    case("pdflatex", "article", "hyperref"),
    case("pdflatex", "article-2col"),
    case("pdflatex", "report", "hyperref"),
    case("pdflatex", "amsart", "hyperref"),
    case("pdflatex", "revtex"),
    case("pdflatex", "ieee-journal", "hyperref"),
    case("pdflatex", "ieee-conference"),
    case("pdflatex", "acmart"),
    case("pdflatex", "llncs", "hyperref"),
    case("pdflatex", "elsarticle", "body-number"),
    case("pdflatex", "elsarticle-2col"),
    case("pdflatex", "conference", "hyperref"),
    case("pdflatex", "article", "docmeta"),
    case("pdflatex", "article", "docmeta-nohyperref"),
    case("pdflatex", "article", "hyperxmp"),
    case("pdflatex", "article", "pdfx"),
    case("pdflatex", "article", "number-only"),
    # XeLaTeX
    case("xelatex", "article", "hyperref"),
    case("xelatex", "ieee-conference"),
    case("xelatex", "amsart"),
    case("xelatex", "article", "docmeta"),
    case("xelatex", "acmart"),
    case("xelatex", "llncs", "hyperref"),
    # LuaLaTeX
    case("lualatex", "article"),
    case("lualatex", "ieee-journal", "hyperref"),
    case("lualatex", "elsarticle-2col"),
    case("lualatex", "article", "docmeta-nohyperref"),
    case("lualatex", "acmart"),
    case("lualatex", "revtex"),
    case("lualatex", "article", "hyperxmp"),
    # the DVI route arXiv uses for EPS figures
    case("dvips", "article"),
    case("dvips", "article", "hyperref"),
    case("dvips", "revtex"),
    case("dvips", "ieee-journal"),
    case("dvips", "article", "hyperxmp"),
    # the title mechanisms of real templates, in minimal classes and styles
    case("pdflatex", "icml", "hyperref"),
    case("pdflatex", "iopart"),
    case("pdflatex", "mdpi", "hyperref"),
    case("pdflatex", "earlytitle"),
    case("pdflatex", "ecai"),
    case("pdflatex", "titleenv"),
    case("pdflatex", "handset"),
    case("pdflatex", "mnras"),
    case("pdflatex", "offset"),
    case("lualatex", "icml"),
    case("lualatex", "mdpi"),
    case("xelatex", "ecai"),
    case("xelatex", "iopart"),
    case("dvips", "offset"),
    # tagged PDF, every engine
    case("pdflatex", "article", "tagged"),
    case("xelatex", "article", "tagged"),
    case("lualatex", "article", "tagged"),
    case("lualatex", "icml", "tagged"),
)
CASES = {c.id: c for c in MATRIX}


@pytest.fixture(scope="session")
def seed_data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("data")
    return latex.write_data(
        latex.paper_data_from_bundle(require_verified(load_bundle(SEED_BUNDLE), Keyring.default())),
        directory,
    )


@pytest.fixture(scope="session")
def compiled(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    seed_data_file: Path,
) -> dict[str, tuple[Compiled, Compiled]]:
    """Both compiles of every case some selected test uses, two engines at a time."""
    wanted = sorted(
        {
            item.callspec.params["case_id"]
            for item in request.session.items
            if hasattr(item, "callspec") and "case_id" in item.callspec.params
        }
    )
    workdir = tmp_path_factory.mktemp("matrix")

    def both(case_id: str) -> tuple[str, tuple[Compiled, Compiled]]:
        c = CASES[case_id]
        with_pith = compile_case(c, workdir, seed_data_file, with_pith=True)
        without = compile_case(c, workdir, seed_data_file, with_pith=False)
        return case_id, (with_pith, without)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(both, wanted))


def expected_number(c: Case) -> str:
    """What the PDF calls the paper: the data file or a full argument give the year."""
    if c.variant.data_file or c.variant.number_in_body:
        return SEED_NUMBER
    return "pith:" + SEED_NUMBER.rsplit(":", 1)[1]


def _pair(
    compiled: dict[str, tuple[Compiled, Compiled]], case_id: str
) -> tuple[Compiled, Compiled]:
    with_pith, without = compiled[case_id]
    assert without.ok, f"the paper without pith does not compile:\n{without.output[-3000:]}"
    assert with_pith.ok, f"the paper with pith does not compile:\n{with_pith.output[-3000:]}"
    return with_pith, without


def ids() -> Iterator[str]:
    yield from CASES


@pytest.mark.parametrize("case_id", list(ids()))
def test_no_new_warnings_or_errors(compiled: dict, case_id: str, tmp_path: Path) -> None:
    with_pith, without = _pair(compiled, case_id)
    extra = new_warnings(with_pith.log, without.log)
    for expected in CASES[case_id].paper.warnings:
        # a fallback this paper is made to take: named, once
        assert [m for m in log_messages(with_pith.log, "Warning") if m.startswith(expected)]
        (same,) = log_warnings(f"Package pith Warning: {expected}")  # as new_warnings has it
        extra = [w for w in extra if not w.startswith(same)]
    if not CASES[case_id].variant.data_file:
        # a number without its data file is named where \pithnumber stands
        (warning,) = log_messages(with_pith.log, "Warning")
        assert warning.startswith(f"No data file pith-{SEED_BODY}.tex was found for ")
        extra = [w for w in extra if not w.startswith("Package pith Warning: No data file")]
    stretched = [w for w in extra if STRETCHED_COLUMN.match(w)]
    if stretched:
        # the lines the badge takes leave a \\flushbottom column short: the same space
        # without pith must do the same
        c = CASES[case_id]
        control = compile_control(c, tmp_path, _shift(without, with_pith, c.paper.before))
        assert control.ok, control.output[-2000:]
        assert sorted(new_warnings(control.log, without.log)) == sorted(stretched)
        extra = [w for w in extra if w not in stretched]
    assert extra == []
    assert "Package pith Error" not in with_pith.log


def _shift(without: Compiled, with_pith: Compiled, text: str) -> float:
    """How far ``text`` moved down on page 1 when pith was added."""
    before = read_page(without.pdf).find(text)[0]
    pith_page = read_page(with_pith.pdf)
    after = next(line for line in pith_page.find(text) if PITH_LABEL not in line.text)
    return before.rect.top - after.rect.top


@pytest.mark.parametrize("case_id", list(ids()))
def test_badge_on_page_one_after_the_title(compiled: dict, case_id: str) -> None:
    """Read back from page 1: below the title and the author block, above what
    follows, overlapping no text, rule or footnote, aligned as the title, and
    right of arXiv's band."""
    with_pith, _ = _pair(compiled, case_id)
    paper = CASES[case_id].paper
    page = read_page(with_pith.pdf)
    layout = badge_layout(page, PITH_LABEL, SEED_URL)
    badge = layout.rect
    assert layout.touching == ()
    assert badge.left >= ARXIV_BAND, "the badge reaches into arXiv's stamp band"
    titles = title_lines(page, TITLE)
    assert titles, "the title is not on page 1"
    assert badge.top <= min(line.rect.bottom for line in titles), "the badge is not below the title"
    for text in paper.after:
        found = page.find(text)
        assert found, f"{text!r} is not on page 1"
        assert badge.top <= found[0].rect.bottom + 0.5, f"the badge is above {text!r}"
    if paper.before:
        following = [line for line in page.find(paper.before) if PITH_LABEL not in line.text]
        assert following, f"{paper.before!r} is not on page 1"
        assert badge.bottom >= following[0].rect.top - 0.5, f"the badge is below {paper.before!r}"
    if paper.align == "center":
        centre = sum(line.rect.center_x for line in titles) / len(titles)
        assert abs(badge.center_x - centre) <= 2.0, (badge.center_x, centre)
        if paper.two_column_title:
            # in the full-width title block, not in column one: centred on the page
            assert page.width / 3 < badge.center_x < 2 * page.width / 3
    elif paper.align == "left":
        left = max(min(line.rect.left for line in titles), ARXIV_BAND)
        assert abs(badge.left - left) <= 2.5, (badge.left, left)
    else:  # the foot of page 1: below everything but the page number, at the text's left
        text_lines = [line for line in page.lines if not line.text.strip().isdigit()]
        assert badge.top <= min(
            line.rect.bottom for line in text_lines if PITH_LABEL not in line.text
        )
        assert badge.bottom > 0
        assert abs(badge.left - OFFSET_LEFT_BP) <= 2.0, badge.left


@pytest.mark.parametrize("case_id", list(ids()))
def test_badge_appears_exactly_once(compiled: dict, case_id: str) -> None:
    with_pith, without = _pair(compiled, case_id)
    assert PdfFacts(with_pith.pdf).all_text().count(PITH_LABEL) == 1
    assert PdfFacts(without.pdf).all_text().count(PITH_LABEL) == 0


@pytest.mark.parametrize("case_id", list(ids()))
def test_link_annotation_covers_the_badge(compiled: dict, case_id: str) -> None:
    with_pith, _ = _pair(compiled, case_id)
    facts = PdfFacts(with_pith.pdf)
    links = [link for link in facts.link_annotations() if link["uri"] == SEED_URL]
    assert len(links) == 1, facts.link_annotations()
    left, bottom, right, top = links[0]["rect"]
    badge = facts.find_text(PITH_LABEL)[0]
    assert left <= badge.left + 1 and right >= badge.right - 1
    assert bottom <= badge.bottom + 1 and top >= badge.top - 1
    assert left >= ARXIV_BAND


@pytest.mark.parametrize("case_id", list(ids()))
def test_info_keys(compiled: dict, case_id: str) -> None:
    with_pith, without = _pair(compiled, case_id)
    c = CASES[case_id]
    info = PdfFacts(with_pith.pdf).info()
    keys = xmpschema.INFO_KEYS
    assert info[f"/{keys['number']}"] == expected_number(c)
    assert info[f"/{keys['resolver']}"] == SEED_URL
    if c.variant.data_file:
        assert info[f"/{keys['canonicalSHA256']}"] == SEED_HASH
    else:
        assert f"/{keys['canonicalSHA256']}" not in info
    volatile = {"/CreationDate", "/ModDate", "/ID"}
    theirs = {k: v for k, v in PdfFacts(without.pdf).info().items() if k not in volatile}
    assert {k: info.get(k) for k in theirs} == theirs, "an Info entry of the paper was lost"


def _expected_xmp_owner(c: Case) -> str:
    if c.variant.docmeta:
        return "pdfmanagement"
    if c.variant.pdfx:
        return "pdfx"
    if c.variant.hyperxmp or c.paper.name == "acmart":
        return "hyperxmp"
    return "pith"


@pytest.mark.parametrize("case_id", list(ids()))
def test_xmp_packet(compiled: dict, case_id: str) -> None:
    with_pith, without = _pair(compiled, case_id)
    c = CASES[case_id]
    facts = PdfFacts(with_pith.pdf)
    assert facts.metadata_streams() == 1, "the PDF must hold exactly one XMP metadata stream"
    values = facts.xmp_values()  # parses: the packet is well-formed XML
    owner = _expected_xmp_owner(c)
    pith = {k: v for k, v in values.items() if k.startswith(f"{xmpschema.PREFIX}:")}
    if owner in ("pith", "pdfmanagement"):
        assert pith["pith:number"] == [expected_number(c)]
        assert pith["pith:resolver"] == [SEED_URL]
        if c.variant.data_file:
            assert pith["pith:canonicalSHA256"] == [SEED_HASH]
    else:
        assert pith == {}, f"{owner} owns the packet: pith writes its fields to Info only"
    if owner != "pdfx":
        assert expected_number(c) in values.get("dc:identifier", [])
    volatile = {"dc:date"}
    before = PdfFacts(without.pdf).xmp_values()
    for key, theirs in before.items():
        if key not in volatile:
            assert values.get(key) == theirs, f"{key} of the paper's XMP changed"


@pytest.mark.parametrize("case_id", list(ids()))
def test_qr_code_decodes_to_the_resolver(compiled: dict, case_id: str) -> None:
    with_pith, _ = _pair(compiled, case_id)
    c = CASES[case_id]
    png = render_png(with_pith.pdf, with_pith.pdf.parent / "page")
    decoded = decode_qr(png)
    if c.variant.qr and c.variant.data_file:
        assert decoded == [SEED_URL]
    else:
        assert decoded == []


@pytest.mark.parametrize("case_id", list(ids()))
def test_pithtex_check_verifies_the_pdf(compiled: dict, case_id: str) -> None:
    """The other side of the contract: the checker finds every trace pith.sty leaves."""
    with_pith, _ = _pair(compiled, case_id)
    result = run_cli("check", with_pith.pdf, "--bundle", SEED_BUNDLE, "--offline", "--json")
    report = json.loads(result.stdout)
    failed = [c for c in report["checks"] if c["status"] == "fail"]
    assert report["verdict"] == "verified" and result.returncode == 0, failed


@pytest.mark.parametrize("case_id", [c.id for c in MATRIX if c.variant.tagging])
def test_tagged_badge_is_the_content_of_its_link(compiled: dict, case_id: str) -> None:
    """The structure tree read back: one Link element holds the badge text and
    references the badge's annotation, whose /Contents is the badge text; the QR
    code and the mark are artifacts."""
    with_pith, _ = _pair(compiled, case_id)
    links = [link for link in link_elements(with_pith.pdf) if SEED_URL in link.uris]
    assert len(links) == 1, link_elements(with_pith.pdf)
    (link,) = links
    assert link.text.strip() == PITH_LABEL
    assert link.contents == [PITH_LABEL]
    rect = badge_layout(read_page(with_pith.pdf), PITH_LABEL, SEED_URL).rect
    graphics = marks_in(with_pith.pdf, rect)
    assert len(graphics) > 100, "the QR code is not drawn"
    assert all("Artifact" in marks for marks in graphics), graphics[:5]


ARXIV_STAMP = "arXiv:1904.00962v5  [cs.LG]  3 Jan 2020"


def arxiv_stamp(source: Path, target: Path) -> None:
    """What arXiv does to page 1 with pikepdf (its identifier, rotated, in the left margin),
    then a metadata edit as arXiv's rewrite makes one."""
    import pikepdf

    from pithtex.pdf.watermark import add_watermark

    marked = target.with_name("marked.pdf")
    add_watermark(source, marked, ARXIV_STAMP)
    with pikepdf.open(marked) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["xmp:ModifyDate"] = "2020-01-03T00:00:00Z"
        pdf.save(target)


@pytest.mark.parametrize(
    "case_id",
    [
        "pdflatex-article-hyperref",
        "pdflatex-revtex-plain",
        "dvips-revtex-plain",
        "pdflatex-article-docmeta",
        "lualatex-ieee-journal-hyperref",
    ],
)
def test_metadata_survives_the_arxiv_stamp(compiled: dict, case_id: str, tmp_path: Path) -> None:
    with_pith, _ = _pair(compiled, case_id)
    stamped = tmp_path / "stamped.pdf"
    arxiv_stamp(with_pith.pdf, stamped)
    before, after = PdfFacts(with_pith.pdf), PdfFacts(stamped)
    assert "arXiv:1904.00962v5" in after.all_text()
    keys = ("/PithNumber", "/PithResolver", "/PithCanonicalSHA256")
    assert {k: after.info()[k] for k in keys} == {k: before.info()[k] for k in keys}
    for key in ("pith:number", "pith:resolver", "pith:canonicalSHA256", "dc:identifier"):
        assert after.xmp_values()[key] == before.xmp_values()[key]
    assert after.metadata_streams() == 1
    assert [link["uri"] for link in after.link_annotations()] == [
        link["uri"] for link in before.link_annotations()
    ]
    assert after.find_text(PITH_LABEL) == before.find_text(PITH_LABEL)
    assert decode_qr(render_png(stamped, tmp_path / "page")) == [SEED_URL]


def test_sample_paper(tmp_path: Path) -> None:
    """samples/lamb/paper.tex, the bench and demo paper, builds cleanly with its data file."""
    sample = ROOT / "samples" / "lamb"
    for name in ("paper.tex", f"pith-{SEED_BODY}.tex"):
        shutil.copy(sample / name, tmp_path / name)
    for _ in range(2):  # references and outlines settle in the second run
        code, output = run_engine("pdflatex", tmp_path, "paper")
        assert code == 0, output[-3000:]
    log = (tmp_path / "paper.log").read_text(encoding="latin-1")
    assert log_warnings(log) == []
    facts = PdfFacts(tmp_path / "paper.pdf")
    assert 6 <= facts.page_count() <= 8
    (badge,) = facts.find_text(PITH_LABEL)
    assert badge.top < facts.find_text("Large Batch Optimization")[0].bottom
    assert facts.info()["/PithCanonicalSHA256"] == SEED_HASH
    assert facts.xmp_values()["pith:number"] == [SEED_NUMBER]
    assert decode_qr(render_png(tmp_path / "paper.pdf", tmp_path / "page")) == [SEED_URL]
