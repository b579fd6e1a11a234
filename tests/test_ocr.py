"""``check --ocr`` as a forger would attack it: OCR decides only what a scan shows.

Each attack is a scan (Ghostscript's raster of a pdfLaTeX paper, or of a reportlab
page) claiming the seed record in every channel, the metadata title included, often
with the record's title in an invisible text layer as well.  OCR reads the title
block from the rendered page and compares it with the record's title for exact
equality: a scan of another paper, or of a look-alike title, is never verified, and
never failed either (OCR misreads): ``check.title.ocr_mismatch``, indeterminate.
The controls (scans of the genuine paper) verify, and only with ``--ocr``.

Tesseract is required: every test here fails, never skips, without it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pikepdf
import pytest
from conftest import SEED_BUNDLE, SEED_TITLE, require_tool, run_cli
from titlepages import (
    BODY,
    OTHER_TITLE,
    OUTLINES,
    RASTER,
    add_invisible_text,
    check,
    ghostscript,
    pdflatex,
    scan,
    title_check,
    typeset,
)
from webpage import PageProcess, post, results

from pithtex.core.errors import ExitCode, MissingToolError
from pithtex.pdf.check import Verdict
from pithtex.pdf.evidence import DEFAULT_READ_LIMITS
from pithtex.pdf.tesseract import tesseract_missing


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    """Fails (never skips) every test here when Tesseract or pytesseract is missing."""
    require_tool("tesseract")
    missing = tesseract_missing()
    if missing is not None:
        pytest.fail(f"{missing.message}: run ./bootstrap.sh (as root) first")


def assert_verified_by_ocr(path: Path) -> None:
    """``path`` verifies with OCR (its title read from the page) and is indeterminate
    without it, as before OCR existed."""
    report = check(path, ocr=True)
    assert report.verdict is Verdict.VERIFIED, report.reason
    title = title_check(report)
    assert (title.code, title.subject) == ("check.title.ok", "ocr")
    assert "read by OCR from the rendered page" in title.reason
    block = report.to_json()["title_block"]
    assert block["method"] == "ocr" and block["matches_record"] is True
    assert block["text"] == SEED_TITLE
    assert block["ocr"]["text"] == SEED_TITLE
    assert "read by OCR" in report.reason
    without = check(path)
    assert without.verdict is Verdict.INDETERMINATE
    assert without.code == "check.title.undecidable"
    assert without.to_json()["title_block"]["method"] == "text"
    assert without.to_json()["title_block"]["ocr"] is None


def assert_never_verified(path: Path, read: str | None = OTHER_TITLE) -> dict[str, object]:
    """``path`` is indeterminate with OCR, never verified nor failed: OCR read another
    title block (``read``, in the reason) or a flawed one."""
    report = check(path, ocr=True)
    assert report.verdict is Verdict.INDETERMINATE, report.reason
    assert report.code == "check.title.ocr_mismatch"
    assert report.exit_code == ExitCode.INDETERMINATE
    reason = title_check(report).reason
    assert "OCR misreads, so this is no finding against the paper" in reason
    if read is not None:
        assert f"OCR read {read!r}" in reason
    block = report.to_json()["title_block"]
    assert block["method"] == "ocr" and block["matches_record"] is False
    return dict(block)


# ------------------------------------------------------------------ genuine scans


@pytest.mark.tex
@pytest.mark.parametrize(
    "how",
    [RASTER, ("-sDEVICE=pdfimage24", "-r300"), ("-sDEVICE=pdfimage8", "-r200"), OUTLINES],
    ids=["raster-150dpi", "raster-300dpi", "grey-200dpi", "outlines"],
)
def test_a_scan_of_the_genuine_paper_verifies_by_ocr(tmp_path: Path, how: tuple[str, ...]) -> None:
    assert_verified_by_ocr(scan(tmp_path, typeset(tmp_path, SEED_TITLE), *how))


def test_a_low_resolution_scan_of_a_sans_serif_title_page_verifies_by_ocr(tmp_path: Path) -> None:
    """The reportlab page (Helvetica-Bold) scanned at 100 dpi, as test_title_block does."""
    assert_verified_by_ocr(ghostscript(tmp_path, "-sDEVICE=pdfimage24", "-r100"))


@pytest.mark.tex
def test_a_genuine_scan_with_a_scanners_invisible_text_layer_verifies_by_ocr(
    tmp_path: Path,
) -> None:
    """A scanner's OCR layer (render mode 3) is no title a reader sees; the raster is."""
    path = add_invisible_text(scan(tmp_path, typeset(tmp_path, SEED_TITLE)), y=650, size=17)
    assert_verified_by_ocr(path)


@pytest.mark.tex
def test_ocr_changes_nothing_when_page_1_has_title_text(tmp_path: Path) -> None:
    """OCR is for pages without title text: a text PDF is checked by its text, with or
    without --ocr, and OCR never overrides the text finder."""
    (tmp_path / "genuine").mkdir()
    genuine = check(pdflatex(tmp_path / "genuine", SEED_TITLE), ocr=True)
    assert genuine.verdict is Verdict.VERIFIED
    assert genuine.to_json()["title_block"]["method"] == "text"
    assert genuine.to_json()["title_block"]["ocr"] is None
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = check(pdflatex(other_dir, OTHER_TITLE), ocr=True)
    assert other.verdict is Verdict.FAILED
    assert other.code == "check.title.mismatch"
    assert other.evidence is not None and other.evidence.ocr is None


# ------------------------------------------------------------------ attacks


@pytest.mark.tex
@pytest.mark.parametrize("layer", [False, True], ids=["metadata", "metadata-and-text-layer"])
def test_a_scan_of_another_paper_claiming_the_record_is_never_verified(
    tmp_path: Path, layer: bool
) -> None:
    """The record's title in every metadata channel and, with ``layer``, as an invisible
    text layer over the other paper's title: OCR reads the raster's title."""
    path = scan(tmp_path, typeset(tmp_path, OTHER_TITLE))
    if layer:
        add_invisible_text(path, y=650, size=17)
    assert_never_verified(path)
    assert check(path).code == "check.title.undecidable"  # without --ocr: as before


@pytest.mark.tex
def test_a_scan_whose_abstract_cites_the_record_title_is_never_verified(tmp_path: Path) -> None:
    abstract = f"We revisit ``{SEED_TITLE}'' and colour graphs instead. " + BODY
    block = assert_never_verified(scan(tmp_path, typeset(tmp_path, OTHER_TITLE, abstract)))
    ocr = block["ocr"]
    assert isinstance(ocr, dict)
    assert any("We revisit" in line["text"] for line in ocr["lines"])  # read, in small type


GREY = "\\usepackage{xcolor}"


@pytest.mark.tex
@pytest.mark.parametrize(
    ("title", "preamble"),
    [
        (f"{{\\color[gray]{{0.8}}\\Huge {SEED_TITLE}}}\\\\[2ex] {OTHER_TITLE}", GREY),
        (f"{{\\color[gray]{{0.92}} {SEED_TITLE}}}\\\\[2ex] {OTHER_TITLE}", GREY),
        (f"{{\\tiny {SEED_TITLE}}}\\\\[1ex] {OTHER_TITLE}", ""),
    ],
    ids=["light-grey-and-larger", "very-light-grey", "tiny"],
)
def test_the_record_title_in_light_grey_or_tiny_print_over_another_title_is_never_verified(
    tmp_path: Path, title: str, preamble: str
) -> None:
    assert_never_verified(scan(tmp_path, typeset(tmp_path, title, preamble=preamble)))


@pytest.mark.tex
def test_a_title_that_does_not_stand_out_from_its_background_does_not_decide(
    tmp_path: Path,
) -> None:
    """A page set all in light grey (0.8: 51 grey levels from white, under the project's
    64): Tesseract reads the record's title, but no line stands out, so none decides.
    The same page in a darker grey (0.7) verifies: only the contrast made the difference."""
    light = tmp_path / "light"
    light.mkdir()
    grey = "\\usepackage{xcolor}\\AtBeginDocument{\\color[gray]{%s}}"
    report = check(scan(light, typeset(light, SEED_TITLE, preamble=grey % "0.8")), ocr=True)
    assert report.verdict is Verdict.INDETERMINATE, report.reason
    assert report.code == "check.title.undecidable"
    assert "stands out from its background" in report.reason
    ocr = report.to_json()["title_block"]["ocr"]
    assert any("Large Batch Optimization" in line["text"] for line in ocr["lines"])
    darker = tmp_path / "darker"
    darker.mkdir()
    assert_verified_by_ocr(scan(darker, typeset(darker, SEED_TITLE, preamble=grey % "0.7")))


@pytest.mark.tex
@pytest.mark.parametrize(
    ("look_alike", "read"),
    [
        ("7.6", "7.6"),
        ("7$^6$", None),
        ("7\\raisebox{0.45em}{6}", "76"),  # OCR reads 76: the raised glyph is what stops it
        ("7$_6$", None),
    ],
    ids=["dot", "superscript", "raised-full-size", "subscript"],
)
def test_a_look_alike_title_is_never_verified(
    tmp_path: Path, look_alike: str, read: str | None
) -> None:
    title = SEED_TITLE.replace("76", look_alike)
    block = assert_never_verified(scan(tmp_path, typeset(tmp_path, title)), read=None)
    ocr = block["ocr"]
    assert isinstance(ocr, dict)
    if read is not None:
        assert f"BERT in {read} minutes" in ocr["text"]
    if read == "76":
        assert "raised above its baseline" in str(ocr["block"][-1]["hidden"])


# ------------------------------------------------------------------ the tool, bounds, batches


def test_ocr_without_tesseract_is_one_line_and_exit_5(tmp_path: Path) -> None:
    path = ghostscript(tmp_path, *RASTER)
    empty = tmp_path / "no-tools"
    empty.mkdir()
    result = run_cli("check", "--ocr", path, env={"PATH": str(empty)})
    assert result.returncode == ExitCode.MISSING_TOOL == 5
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("pithtex: error: OCR of scanned title pages needs Tesseract")
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in lines[0]
    as_json = run_cli("check", "--ocr", "--json", path, env={"PATH": str(empty)})
    assert as_json.returncode == 5
    error = json.loads(as_json.stdout)
    assert error["error"]["code"] == "tool.tesseract" and error["exit_code"] == 5
    batch = run_cli("check", "--ocr", tmp_path, env={"PATH": str(empty)})
    assert batch.returncode == 5 and "needs Tesseract" in batch.stderr
    plain = run_cli("check", "--bundle", SEED_BUNDLE, path, env={"PATH": str(empty)})
    assert plain.returncode == 4  # without --ocr, as before: no Tesseract needed


def test_the_verify_page_served_with_ocr_verifies_a_scan(tmp_path: Path) -> None:
    """``pithtex ui --ocr`` checks an upload as ``check --ocr`` does; without it, as before."""
    path = ghostscript(tmp_path, "-sDEVICE=pdfimage24", "-r100")
    verdicts = {}
    for name, extra in (("ocr", ["--ocr"]), ("plain", [])):
        server = PageProcess(
            ["ui", "--port", "0", "--offline", "--workers", "1", "--timeout", "40", *extra],
            tmp_path / name,
            env={"PITHTEX_CACHE_DIR": str(tmp_path / name / "cache")},
        )
        try:
            (report,) = results(
                post(server.url, [("scan.pdf", path.read_bytes())], accept="application/json")
            )
        finally:
            server.stop()
        verdicts[name] = (report["verdict"], report["title_block"]["method"])
    assert verdicts == {"ocr": ("verified", "ocr"), "plain": ("indeterminate", "text")}


def test_the_verify_page_with_ocr_and_no_tesseract_is_one_line_and_exit_5(tmp_path: Path) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    result = run_cli("ui", "--ocr", "--port", "0", env={"PATH": str(empty)}, timeout=60)
    assert result.returncode == ExitCode.MISSING_TOOL
    assert len(result.stderr.splitlines()) == 1 and "needs Tesseract" in result.stderr
    assert "verify page at" not in result.stdout  # it never served


def test_the_api_raises_missing_tool_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ghostscript(tmp_path, *RASTER)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingToolError) as raised:
        check(path, ocr=True)
    assert raised.value.code == "tool.tesseract"
    assert raised.value.exit_code == ExitCode.MISSING_TOOL
    assert check(path).code == "check.title.undecidable"


def _huge(path: Path, *, content: bool) -> Path:
    """Page 1 made 200 by 200 inches (14,400 points): its drawing scaled up to fill the
    page's height, or left out."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        if content:
            scale = 14400 / float(page.mediabox[3])
            page.contents_add(
                pikepdf.Stream(pdf, b"q %g 0 0 %g 0 0 cm\n" % (scale, scale)), prepend=True
            )
            page.contents_add(pikepdf.Stream(pdf, b"\nQ\n"), prepend=False)
        else:
            page.obj.Contents = pikepdf.Stream(pdf, b"")
        page.obj.MediaBox = pikepdf.Array([0, 0, 14400, 14400])
        pdf.save(path)
    return path


@pytest.mark.parametrize("content", [True, False], ids=["scaled-scan", "blank"])
def test_a_huge_page_is_read_within_the_pixel_cap_and_decided(
    tmp_path: Path, content: bool
) -> None:
    """A 200 x 200 inch page: OCR renders its upper part at the resolution the pixel cap
    allows (about 30 dpi rather than 300) in the default worker bounds (60 s, 1 GiB), and
    gives a clear result: the scaled-up scan's large title is read, the blank page has none."""
    path = _huge(ghostscript(tmp_path, *RASTER), content=content)
    started = time.monotonic()
    result = run_cli("check", "--ocr", "--json", "--bundle", SEED_BUNDLE, path, timeout=120)
    assert time.monotonic() - started < 60
    report = json.loads(result.stdout)
    ocr = report["title_block"]["ocr"]
    assert 0 < ocr["pixels"] <= DEFAULT_READ_LIMITS.max_render_pixels
    assert ocr["layout_dpi"] < 40
    if content:
        assert (result.returncode, report["verdict"]) == (0, "verified"), report["reason"]
        assert ocr["text"] == SEED_TITLE
    else:
        assert (result.returncode, report["code"]) == (4, "check.title.undecidable")
        assert ocr["note"] == "OCR read no text in the upper part of page 1"


@pytest.mark.tex
def test_a_batch_honours_ocr(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, title in (("genuine", SEED_TITLE), ("other", OTHER_TITLE)):
        work = tmp_path / name
        work.mkdir()
        shutil.copy(scan(work, typeset(work, title)), folder / f"{name}.pdf")
    args = ("check", "--json", "--bundle", SEED_BUNDLE, "-j", "2", folder)
    with_ocr = run_cli(*args, "--ocr")
    lines = [json.loads(line) for line in with_ocr.stdout.splitlines()]
    verdicts = {Path(doc["file"]).name: doc["code"] for doc in lines if "file" in doc}
    assert verdicts == {"genuine.pdf": "check.verified", "other.pdf": "check.title.ocr_mismatch"}
    assert lines[-1]["exit_code"] == with_ocr.returncode == 4
    without = run_cli(*args)
    codes = {json.loads(line).get("code") for line in without.stdout.splitlines()[:-1]}
    assert codes == {"check.title.undecidable"} and without.returncode == 4
    text = run_cli("check", "--bundle", SEED_BUNDLE, "--ocr", folder).stdout.splitlines()
    genuine = next(line for line in text if "genuine.pdf" in line)
    assert genuine.startswith("VERIFIED") and genuine.endswith("(title read by OCR)")
    single = run_cli("check", "--bundle", SEED_BUNDLE, "--ocr", folder / "genuine.pdf")
    assert "check.title            page 1 has no title text;" in single.stdout
    assert single.stdout.rstrip().endswith("(title read by OCR)  " + str(folder / "genuine.pdf"))


def test_ocr_is_documented_in_check_help() -> None:
    result = run_cli("check", "--help", check=True)
    text = " ".join(result.stdout.split())
    assert "--ocr" in text and "Tesseract" in text and "5 --ocr without Tesseract" in text
