"""A badge survives arXiv's watermark: the identifier arXiv draws in page 1's margin.

arXiv rewrites each PDF it serves to add ``arXiv:YYMM.NNNNNvV [cat] date``,
rotated, in the left margin of page 1 (reproduced by
:func:`pithtex.pdf.watermark.add_watermark`).  The sample paper compiled with the
package, stamped or not, and the non-LaTeX producer samples stamped by
``pithtex stamp``, must still verify with ``pithtex check`` afterwards, and the
checker must not take the 20 pt rotated identifier for the paper's title.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, SEED_BUNDLE, SEED_NUMBER, SEED_TITLE, require_tool, run_cli

from pithtex.pdf.evidence import read_pdf
from pithtex.pdf.watermark import add_watermark, arxiv_stamp_text
from pithtex.tex.render import paper_data_from_file, write_data, write_sty
from pithtex.tex.run import compile_tex
from pithtex.trust.keyring import Keyring

STAMP = arxiv_stamp_text("1904.00962", 5, "cs.LG", "3 Jan 2020")
PRODUCERS = ROOT / "samples" / "producers"


@pytest.fixture(scope="module")
def compiled_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample paper compiled with pith.sty and its data file (pdfLaTeX)."""
    require_tool("latexmk")
    folder = tmp_path_factory.mktemp("sample")
    shutil.copyfile(ROOT / "samples" / "lamb" / "paper.tex", folder / "paper.tex")
    write_sty(folder)
    data, _ = paper_data_from_file(SEED_BUNDLE, Keyring.default())
    write_data(data, folder)
    return compile_tex(folder / "paper.tex").pdf


def _check(pdf: Path, *extra: str) -> str:
    result = run_cli("check", pdf, "--offline", *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"verdict: VERIFIED  {SEED_NUMBER}" in result.stdout
    return result.stdout


def _watermarked(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / f"{source.stem}-arxiv.pdf"
    add_watermark(source, target, STAMP)
    text = read_pdf(target).page_text
    assert "arXiv:1904.00962v5" in text  # the watermark is really on page 1
    return target


@pytest.mark.tex
def test_compiled_paper_verifies_after_the_watermark(compiled_sample: Path, tmp_path: Path) -> None:
    marked = _watermarked(compiled_sample, tmp_path)
    out = _check(marked, "--bundle", str(SEED_BUNDLE))
    assert "PASS  check.text" in out and "PASS  check.title" in out


@pytest.mark.tex
def test_stamped_paper_verifies_after_the_watermark(compiled_sample: Path, tmp_path: Path) -> None:
    stamped = tmp_path / "stamped.pdf"
    run_cli(
        "stamp", compiled_sample, "--bundle", SEED_BUNDLE, "--embed-bundle", "-o", stamped,
        check=True,
    )  # fmt: skip
    marked = _watermarked(stamped, tmp_path)
    out = _check(marked)  # the bundle embedded in the PDF, no --bundle
    assert "PASS  check.embedded" in out and "PASS  check.stamp" in out


@pytest.mark.parametrize("name", ["reportlab", "ghostscript"])
def test_stamped_producer_samples_verify_after_the_watermark(name: str, tmp_path: Path) -> None:
    stamped = tmp_path / f"{name}-stamped.pdf"
    run_cli(
        "stamp", PRODUCERS / f"{name}.pdf", "--bundle", SEED_BUNDLE, "--embed-bundle",
        "--badge", "-o", stamped, check=True,
    )  # fmt: skip
    _check(_watermarked(stamped, tmp_path))


def test_title_detection_ignores_the_rotated_identifier(tmp_path: Path) -> None:
    """Ghostscript's sample has no title in its metadata: the title comes from page 1,
    where the 20 pt identifier is larger than the 18 pt title but runs sideways."""
    marked = _watermarked(PRODUCERS / "ghostscript.pdf", tmp_path)
    evidence = read_pdf(marked)
    assert evidence.titles == (("page1", SEED_TITLE),)


@pytest.mark.tex
def test_compiled_title_on_page_one_after_the_watermark(compiled_sample: Path) -> None:
    """The same for the compiled paper: its page-1 title, not the identifier."""
    from pithtex.pdf._access.document import open_for_reading
    from pithtex.pdf.title_block import find_title_lines, title_texts
    from pithtex.pdf.title_match import shown_block

    marked = compiled_sample.with_name("marked.pdf")
    add_watermark(compiled_sample, marked, STAMP)
    with open_for_reading(marked) as document:
        block = shown_block(find_title_lines(document.page1_view(images=True)))
    assert next(title_texts(block)) == SEED_TITLE
