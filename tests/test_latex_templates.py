"""pith.sty in 36 real paper templates, used as their own example documents use them.

The templates are third-party files in ``../shared/templates`` (official author
kits and publisher classes, see its README and SOURCES.md); they are read in
place, never copied into the repository.  Each case is compiled once with and
once without the pith line (``%PITH`` in its ``main.tex``), with the engine the
case names, and page 1 of the PDF is read back with pypdfium2, pdftotext and
pikepdf (:mod:`pagegeometry`).  What every case must show, from the README:

1. both versions compile;
2. pith adds no error or warning to the log;
3. the badge is on page 1 exactly once, after the title and the whole author
   block, overlapping no text, rule or footnote, aligned as the title is,
   outside the left 1 in band where arXiv stamps its identifier;
4. ``pithtex check`` says the PDF is verified, with the sample bundle.

Besides, the badge moves what follows it by no more than the lines it takes,
and its type size follows the body text.  Where a template needs more than the
two pith lines, the case uses exactly what docs/latex.md tells its authors.
Compiles run in parallel, one per core.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SEED_BODY, SEED_BUNDLE, SHARED, require_tool, run_cli
from pagegeometry import ARXIV_BAND, Page, badge_layout, body_size, read_page, title_lines
from texdocs import PITH_LABEL, SEED_URL, STRETCHED_COLUMN, TITLE, new_warnings

pytestmark = [pytest.mark.tex, pytest.mark.slow]

TEMPLATES = SHARED / "templates"
PITH_LINE = f"\\usepackage{{pith}}\\pithnumber{{{SEED_BODY}}}"
FONTS_TEXMF = Path(
    os.environ.get("PITHTEX_FONTS_TEXMF", Path.home() / ".cache/pithtex/texmf-fonts-extra")
)
"""The private TEXMF tree of ``.ci/fonts-extra.sh`` (the few texlive-fonts-extra
packages some templates need), unless TeX Live has them itself."""
CHROOT_FONTS_TEXMF = "/opt/pithtex/texmf-fonts-extra"
"""Where ``.ci/texlive-chroot build`` puts that tree in a root, made from its own suite."""
EXTRA_FONT_FILES = ("newtxtext.sty", "libertine.sty", "inconsolata.sty", "txfontsb.sty")
RERUN = re.compile(r"Rerun to get|There were undefined references|Label\(s\) may have changed")
"""What makes latexmk run the engine again; most cases need one run."""
MAX_RUNS = 3


@dataclass(frozen=True)
class Template:
    name: str
    align: str
    """How the title is set, and so the badge: ``center`` or ``left``."""
    after: tuple[str, ...]
    """Text of the title and author block that must be above the badge (its end)."""
    before: str
    """The first thing after the title and author block: below the badge."""
    options: str = ""
    """Package options docs/latex.md gives for this template."""
    badge_after: str = ""
    """Where docs/latex.md says to put ``\\pithbadge`` (before this text of main.tex)."""
    control_after: str = ""
    """Where the badge goes in main.tex, for a control compile without pith that
    puts the same vertical space there (see :func:`texdocs.compile_control`)."""


_ICML_END = "\\end{icmlauthorlist}"
CASES = {
    t.name: t
    for t in (
        Template("aaai2024", "center", ("Yang You", "youyang@cs.berkeley.edu"), "Abstract"),
        Template("aaai2026", "center", ("Yang You", "youyang@cs.berkeley.edu"), "Abstract"),
        Template("aastex631", "center", ("James Demmel", "Google, Mountain View"), "ABSTRACT"),
        Template("acl", "center", ("Yang You", "jingli@google.com"), "Abstract"),
        Template("acl-lualatex", "center", ("Yang You", "jingli@google.com"), "Abstract"),
        Template("acl-xelatex", "center", ("Yang You", "jingli@google.com"), "Abstract"),
        Template("acmart-acmsmall", "left", ("YANG YOU", "JAMES DEMMEL"), "Training large deep"),
        Template("acmart-sigconf", "center", ("James Demmel", "Berkeley, California"), "ABSTRACT"),
        Template("amsart", "center", ("YANG YOU", "to train BERT in 76 minutes."), "Introduction"),
        Template("authblk", "center", ("James Demmel", "Google"), "Abstract"),
        Template("cvpr", "center", ("Jing Li", "jingli@google.com"), "Abstract"),
        Template("ecai2024", "center", ("James Demmel", "Google"), "Abstract."),
        Template("elsarticle-5p", "center", ("James Demmel", "Keywords:"), "Introduction"),
        Template("iclr2025", "left", ("Cho-Jui Hsieh", "chohsieh}@berkeley.edu"), "BSTRACT"),
        Template("icml2025", "center", ("Cho-Jui Hsieh",), "Abstract", control_after=_ICML_END),
        Template("icml2026", "center", ("Cho-Jui Hsieh",), "Abstract", control_after=_ICML_END),
        Template("ieeeconf", "center", ("James Demmel",), "Abstract"),
        Template("ieeetran-journal", "center", ("James Demmel",), "Abstract"),
        Template("ijcai2025", "center", ("James Demmel", "demmel@berkeley.edu"), "Abstract"),
        Template("iop", "left", ("James Demmel", "E-mail:"), "Abstract."),
        Template("jhep", "left", ("James Demmel", "E-mail:"), "Abstract:"),
        Template("jmlr", "center", ("James Demmel", "Editor:"), "Abstract"),
        Template("mdpi", "left", ("James Demmel", "Keywords:"), "Introduction"),
        Template("memoir", "center", ("James Demmel", "1 April 2019"), "Abstract"),
        Template("mnras", "left", ("James Demmel", "Accepted XXX"), "ABSTRACT"),
        Template("neurips2025", "center", ("James Demmel", "demmel@berkeley.edu"), "Abstract"),
        Template("neurips2026", "center", ("Cho-Jui Hsieh", "chohsieh@cs.ucla.edu"), "Abstract"),
        Template("optica", "left", ("James Demmel", "jingli@google.com"), "Abstract:"),
        Template(
            "plos",
            "left",
            ("James Demmel", "youyang@cs.berkeley.edu"),
            "Abstract",
            options="badge=manual",
            badge_after="\\end{flushleft}",
        ),
        Template("revtex-prl", "center", ("James Demmel", "Dated:"), "INTRODUCTION"),
        Template("scrartcl", "center", ("James Demmel", "1 April 2019"), "Training large deep"),
        Template("sn-jnl", "center", ("James Demmel", "Keywords:"), "Introduction"),
        Template("svjour3", "left", ("James Demmel", "Received:"), "Abstract"),
        Template("svjour3-twocolumn", "left", ("James Demmel", "Received:"), "Abstract"),
        Template("titling", "center", ("James Demmel", "1 April 2019"), "Abstract"),
        Template("tmlr", "left", ("James Demmel", "Reviewed on OpenReview"), "Abstract"),
    )
}


def test_every_template_is_a_case() -> None:
    on_disk = sorted(p.name for p in TEMPLATES.iterdir() if (p / "main.tex").is_file())
    assert on_disk == sorted(CASES), "each template of ../shared/templates needs its case here"


def pith_lines(t: Template) -> str:
    options = f"[{t.options}]" if t.options else ""
    return PITH_LINE.replace("\\usepackage{pith}", f"\\usepackage{options}{{pith}}")


def main_source(t: Template, *, with_pith: bool) -> str:
    source = (TEMPLATES / t.name / "main.tex").read_text(encoding="utf-8")
    assert source.count("%PITH") == 1
    if not with_pith:
        return source.replace("%PITH", "")
    if t.badge_after:
        assert source.count(t.badge_after) == 1
        source = source.replace(t.badge_after, "\\pithbadge\n" + t.badge_after)
    return source.replace("%PITH", pith_lines(t))


def fonts_env() -> dict[str, str]:
    """TEXMFHOME for the extra fonts, unless TeX Live has them; fails when neither has."""
    root = os.environ.get("PITHTEX_TEXLIVE_ROOT")
    if root:  # TeX from a .ci/texlive-chroot root: its own tree, at its path in the root
        if (Path(root + CHROOT_FONTS_TEXMF) / ".complete").is_file():
            return {"TEXMFHOME": CHROOT_FONTS_TEXMF}
    elif (FONTS_TEXMF / ".complete").is_file():
        return {"TEXMFHOME": str(FONTS_TEXMF)}
    found = subprocess.run(
        [require_tool("kpsewhich"), *EXTRA_FONT_FILES],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if len(found) < len(EXTRA_FONT_FILES):
        pytest.fail(
            "the templates need fonts of texlive-fonts-extra: run .ci/fonts-extra.sh "
            "(./bootstrap.sh does; .ci/texlive-chroot build does it in a root), or install "
            "texlive-fonts-extra"
        )
    return {}


@dataclass(frozen=True)
class Build:
    pdf: Path
    log: str
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.pdf.is_file()


def control_source(t: Template, space_bp: float) -> str:
    """main.tex without pith, with the badge's vertical space where the badge goes."""
    source = main_source(t, with_pith=False)
    assert t.control_after and source.count(t.control_after) == 1, t.name
    return source.replace(t.control_after, f"{t.control_after}\\vspace{{{space_bp:.3f}bp}}")


def build(
    t: Template,
    workdir: Path,
    data_file: Path,
    extra_env: dict[str, str],
    *,
    with_pith: bool,
    source: str | None = None,
    label: str = "",
) -> Build:
    """One compile, in a fresh folder holding main.tex (and the data file); the
    template's own files are found in place through TEXINPUTS."""
    directory = workdir / f"{t.name}-{label or ('pith' if with_pith else 'base')}"
    directory.mkdir(parents=True)
    if source is None:
        source = main_source(t, with_pith=with_pith)
    (directory / "main.tex").write_text(source, encoding="utf-8")
    if with_pith:
        shutil.copy(data_file, directory / data_file.name)
    engine_file = TEMPLATES / t.name / "engine"
    engine = engine_file.read_text().strip() if engine_file.is_file() else "pdflatex"
    env = {
        **os.environ,
        **extra_env,
        "TEXINPUTS": os.pathsep.join(
            (str(directory), str(TEMPLATES / t.name), str(ROOT / "latex"), "")
        ),
        "SOURCE_DATE_EPOCH": "1554130415",
        "FORCE_SOURCE_DATE": "1",
    }
    argv = [require_tool(engine), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
    log_path = directory / "main.log"
    for _ in range(MAX_RUNS):
        result = subprocess.run(
            [*argv, "main.tex"],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=300,
            check=False,
        )
        log = log_path.read_text(encoding="latin-1") if log_path.exists() else ""
        if result.returncode != 0 or not RERUN.search(log):
            break
    return Build(directory / "main.pdf", log, result.returncode, result.stdout[-3000:])


@dataclass(frozen=True)
class Result:
    with_pith: Build
    without: Build
    page: Page
    base_page: Page
    body: float
    """The body text's font size (page 2, where there is one)."""


class Results:
    """The compiles of the cases, read back on first use.  A template whose class or
    style this TeX Live does not have (aastex631 left TeX Live after 2025) does not
    compile without pith either: its tests are skipped, saying so."""

    def __init__(self, builds: dict[str, tuple[Build, Build]]) -> None:
        self.builds = builds
        self._read: dict[str, Result] = {}

    def __getitem__(self, name: str) -> Result:
        if name not in self._read:
            with_pith, without = self.builds[name]
            missing = MISSING_FILE.search(without.log)
            if not without.ok and missing and not (TEMPLATES / name / missing.group(1)).exists():
                pytest.skip(
                    f"{missing.group(1)} is not in this TeX Live: {name} does not compile "
                    "without pith either"
                )
            assert without.ok, f"{name} without pith does not compile:\n{without.output}"
            assert with_pith.ok, f"{name} with pith does not compile:\n{with_pith.output}"
            self._read[name] = Result(
                with_pith,
                without,
                read_page(with_pith.pdf),
                read_page(without.pdf),
                _body_size(with_pith.pdf),
            )
        return self._read[name]


MISSING_FILE = re.compile(r"^! LaTeX Error: File `([^']+)' not found", re.M)


@pytest.fixture(scope="module")
def results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Results:
    """Both compiles of every case the selected tests use, one compile per core."""
    wanted = sorted(
        {
            item.callspec.params["template"]
            for item in request.session.items
            if hasattr(item, "callspec")
            and "template" in item.callspec.params
            and item.path == Path(__file__)
        }
    )
    extra_env = fonts_env()
    workdir = tmp_path_factory.mktemp("templates")
    data_file = ROOT / "samples" / "lamb" / f"pith-{SEED_BODY}.tex"

    def both(name: str) -> tuple[str, tuple[Build, Build]]:
        t = CASES[name]
        return name, (
            build(t, workdir, data_file, extra_env, with_pith=True),
            build(t, workdir, data_file, extra_env, with_pith=False),
        )

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return Results(dict(pool.map(both, wanted)))


def _body_size(pdf: Path) -> float:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        pages = len(doc.pages)
    return body_size(read_page(pdf, 1 if pages > 1 else 0))


@pytest.fixture(scope="module")
def checks(results: Results) -> dict[str, dict]:
    """``pithtex check`` on every PDF with pith, in one batch run (two jobs)."""
    pdfs = {name: str(pith.pdf) for name, (pith, _) in results.builds.items() if pith.ok}
    run = run_cli(
        "check", *pdfs.values(), "--bundle", SEED_BUNDLE, "--offline", "--json", "-j", "2"
    )
    reports = [json.loads(line) for line in run.stdout.splitlines() if line.strip().startswith("{")]
    by_file = {report["file"]: report for report in reports if "file" in report}
    return {name: by_file.get(pdf, {}) for name, pdf in pdfs.items()}


NAMES = sorted(CASES)


@pytest.mark.parametrize("template", NAMES)
def test_no_new_warning_or_error(results: Results, template: str, tmp_path: Path) -> None:
    t, r = CASES[template], results[template]
    new = new_warnings(r.with_pith.log, r.without.log)
    stretched = [w for w in new if STRETCHED_COLUMN.match(w)]
    if stretched:
        # the lines the badge takes leave a \\flushbottom column short (ICML: the last
        # heading of column 1 moves to column 2): the same space without pith must do
        # the same
        before = r.base_page.find(t.before)[0]
        after = next(line for line in r.page.find(t.before) if PITH_LABEL not in line.text)
        source = control_source(t, before.rect.top - after.rect.top)
        data_file = ROOT / "samples" / "lamb" / f"pith-{SEED_BODY}.tex"
        control = build(
            t, tmp_path, data_file, fonts_env(), with_pith=False, source=source, label="control"
        )
        assert control.ok, control.output
        assert sorted(new_warnings(control.log, r.without.log)) == sorted(stretched)
        new = [w for w in new if w not in stretched]
    assert new == []


@pytest.mark.parametrize("template", NAMES)
def test_badge_exactly_once_on_page_one(results: Results, template: str) -> None:
    r = results[template]
    text = subprocess.run(
        [require_tool("pdftotext"), "-enc", "UTF-8", str(r.with_pith.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert text.count(PITH_LABEL) == 1
    assert sum(PITH_LABEL in line.text for line in r.page.lines) == 1, "not on page 1"
    assert r.page.links_to(SEED_URL), "the badge's link is not on page 1"


@pytest.mark.parametrize("template", NAMES)
def test_badge_after_the_title_and_author_block(results: Results, template: str) -> None:
    t, r = CASES[template], results[template]
    badge = badge_layout(r.page, PITH_LABEL, SEED_URL).rect
    titles = title_lines(r.page, TITLE)
    assert titles, "the title is not on page 1"
    assert badge.top <= min(line.rect.bottom for line in titles), "the badge is not below the title"
    for text in t.after:
        found = r.page.find(text)
        assert found, f"{text!r} is not on page 1"
        assert badge.top <= found[0].rect.bottom + 0.5, f"the badge is above {text!r}"
    following = [line for line in r.page.find(t.before) if PITH_LABEL not in line.text]
    assert following, f"{t.before!r} is not on page 1"
    assert badge.bottom >= following[0].rect.top - 0.5, f"the badge is below {t.before!r}"


@pytest.mark.parametrize("template", NAMES)
def test_badge_overlaps_nothing(results: Results, template: str) -> None:
    layout = badge_layout(results[template].page, PITH_LABEL, SEED_URL)
    assert layout.touching == ()


@pytest.mark.parametrize("template", NAMES)
def test_badge_outside_the_arxiv_band(results: Results, template: str) -> None:
    r = results[template]
    for rect in r.page.links_to(SEED_URL):
        assert rect.left >= ARXIV_BAND, f"the link starts at x = {rect.left:.1f} bp"


@pytest.mark.parametrize("template", NAMES)
def test_badge_aligned_as_the_title(results: Results, template: str) -> None:
    t, r = CASES[template], results[template]
    badge = badge_layout(r.page, PITH_LABEL, SEED_URL).rect
    titles = title_lines(r.base_page, TITLE)
    if t.align == "center":
        centre = sum(line.rect.center_x for line in titles) / len(titles)
        assert abs(badge.center_x - centre) <= 2.0, (badge.center_x, centre)
    else:
        # flush left, but never inside arXiv's band, where some classes start the title
        left = max(min(line.rect.left for line in titles), ARXIV_BAND)
        assert abs(badge.left - left) <= 2.5, (badge.left, left)


@pytest.mark.parametrize("template", NAMES)
def test_badge_size_follows_the_body_text(results: Results, template: str) -> None:
    r = results[template]
    size = badge_layout(r.page, PITH_LABEL, SEED_URL).size
    assert 0.75 * r.body <= size <= 1.01 * r.body, (size, r.body)


@pytest.mark.parametrize("template", NAMES)
def test_badge_moves_what_follows_by_its_lines_only(results: Results, template: str) -> None:
    """The gap between the end of the title and author block and what follows
    grows by the lines the badge takes (its height and half a line, rounded up
    to whole lines), no more."""
    t, r = CASES[template], results[template]
    badge = badge_layout(r.page, PITH_LABEL, SEED_URL).rect

    def gap(page: Page) -> float:
        end = page.find(t.after[-1])[0]
        following = next(line for line in page.find(t.before) if PITH_LABEL not in line.text)
        return end.rect.bottom - following.rect.top

    line = 1.25 * r.body
    assert gap(r.page) - gap(r.base_page) <= badge.height + 0.5 * line + 0.3 * r.body + line


@pytest.mark.parametrize("template", NAMES)
def test_pithtex_check_verifies(results: Results, checks: dict[str, dict], template: str) -> None:
    results[template]  # compiled, or skipped where this TeX Live lacks the class
    report = checks[template]
    failed = [c for c in report.get("checks", []) if c["status"] == "fail"]
    assert report.get("verdict") == "verified", failed or report
