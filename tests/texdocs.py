"""Sample papers for the LaTeX tests: document classes, variants, engines, and PDF readers.

A :class:`Case` is one compile of the matrix: a :class:`Paper` (a document
class with its title syntax), a :class:`Variant` (hyperref, ``\\DocumentMetadata``,
hyperxmp, pdfx, where ``\\pithnumber`` goes) and an engine.  :func:`compile_case`
compiles the paper twice, with and without pith, with the real engine, and
:class:`PdfFacts` reads back what the tests check: page-1 text positions, link
annotations, Info keys, the XMP packet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from conftest import ROOT, SEED_BODY, SEED_NUMBER, require_tool

from pithtex.core import names as xmpschema

PITH_LABEL = f"pith:{SEED_BODY[:8]}"
SEED_URL = f"https://pith.science/pith/{SEED_BODY}"

TITLE = "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes"
AUTHORS = ("Yang You", "Jing Li", "Sashank Reddi", "James Demmel")
ABSTRACT = (
    "Training large deep neural networks on massive datasets is computationally very "
    "challenging. We study a principled layerwise adaptation strategy to accelerate the "
    "training of deep neural networks with large mini-batches."
)
PARAGRAPHS = (
    "Stochastic gradient methods with large mini-batches reduce the number of sequential "
    "steps of training, but a naive increase of the batch size harms generalization. "
    "Layerwise adaptive learning rates keep the update of every layer proportional to the "
    "norm of its weights, which lets the batch size grow without loss of accuracy.",
    "We analyse the convergence of such methods in the nonconvex setting and show that "
    "the layerwise normalization speeds up convergence when the gradient noise differs "
    "between layers. The experiments train attention models with batch sizes of up to "
    "thirty thousand examples on accelerators connected by a fast network.",
    "The same optimizer trains convolutional networks for image classification without "
    "any tuning of the warm-up schedule, which suggests that the strategy is general and "
    "not specific to one architecture or one data set.",
)


@dataclass(frozen=True)
class Paper:
    """A document class and the way a paper written for it makes its title."""

    name: str
    documentclass: str
    preamble: str
    front: str
    """Body code up to and including the title (and the abstract when it goes there)."""
    after_front: str = ""
    two_column_title: bool = False
    """The title block spans both columns: the badge must be centred on the page."""
    title_page: bool = False
    pith_setup: str = ""
    """Extra pith setup this paper needs (e.g. titlecmd)."""
    pith_options: str = ""
    """Package options this paper needs (e.g. badge=manual)."""
    after: tuple[str, ...] = ()
    """Text of the title and author block that must be above the badge."""
    before: str = ""
    """The first thing after the title block: it must be below the badge."""
    align: str = "center"
    """``center``: the badge is centred as the title; ``left``: flush left (but
    right of arXiv's band); ``foot``: at the foot of page 1 (no title is made)."""
    files: tuple[tuple[str, str], ...] = ()
    """Files written beside the paper: the class or style this paper is for, in
    a few lines that reproduce a real template's title mechanism."""
    warnings: tuple[str, ...] = ()
    """The beginnings of the pith warnings this paper gets."""
    control_after: str = ""
    """Where the badge goes, in the source: a control compile without pith puts
    the same vertical space here (see :func:`compile_control`)."""
    control_code: str = "\\vspace{{{space}bp}}"
    """What the control compile puts there (``{space}`` is the badge's space)."""


@dataclass(frozen=True)
class Variant:
    name: str = "plain"
    hyperref: bool = False
    docmeta: bool = False
    hyperxmp: bool = False
    pdfx: bool = False
    number_in_body: bool = False
    """Give \\pithnumber in the body (before the title) instead of the preamble."""
    data_file: bool = True
    qr: bool = True
    tagging: bool = False
    """\\DocumentMetadata with tagging (the key this TeX Live has for it)."""


ENGINES = ("pdflatex", "xelatex", "lualatex", "dvips")
"""``dvips`` is the DVI route arXiv uses for EPS figures: latex, dvips, ps2pdf."""


@dataclass(frozen=True)
class Case:
    engine: str
    paper: Paper
    variant: Variant = field(default_factory=Variant)

    @property
    def id(self) -> str:
        return f"{self.engine}-{self.paper.name}-{self.variant.name}"


def _elsarticle_frontmatter() -> str:
    """elsarticle makes its title block in the frontmatter environment."""
    return (
        "\\begin{frontmatter}\n"
        f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]}}}\n\\author{{{AUTHORS[3]}}}\n"
        "\\affiliation{organization={UC Berkeley},city={Berkeley},country={USA}}\n"
        + _abstract_env()
        + "\\end{frontmatter}\n"
    )


def _abstract_env() -> str:
    return f"\\begin{{abstract}}\n{ABSTRACT}\n\\end{{abstract}}\n"


_AND = " \\and "
_ARTICLE_PREAMBLE = (
    f"\\title{{{TITLE}}}\n\\author{{{_AND.join(AUTHORS)}}}\n\\date{{1 April 2019}}\n"
)
_LAST = AUTHORS[-1]

# Minimal classes and styles, a few lines each, that reproduce the title
# mechanisms of real templates (which are third-party and stay out of this
# repository): the adapters of pith.sty recognise them by the same names.
CONF_STYLE = r"""\ProvidesPackage{confstyle}[2026/01/01 title and authors in a two-column block]
\newcommand\icmltitle[1]{{\centering\LARGE\bfseries #1\par}\vskip 0.25in}
\newenvironment{icmlauthorlist}{\begin{center}\bfseries}{\end{center}}
\newcommand\icmlauthor[1]{\mbox{#1}\quad}
"""
IOPART_CLASS = r"""\ProvidesClass{iopart}[2026/01/01 the title set at once, maketitle a new page]
\LoadClass{article}
\renewcommand\maketitle{\newpage}
\renewcommand\title[1]{\vspace*{2pc}{\Large\bfseries\raggedright\noindent #1\par}}
\renewcommand\author[1]{\vspace{1pc}{\raggedright\noindent #1\par}}
\newcommand\address[1]{{\small\itshape\raggedright\noindent #1\par}}
\renewenvironment{abstract}{\vspace{16pt}\noindent\textbf{Abstract.}\quad}{\par\vspace{18pt}}
"""
MDPI_CLASS = r"""\ProvidesClass{mdpi}[2026/01/01 the title made after the preamble]
\LoadClass{article}
\RequirePackage{etoolbox}
\newcommand\Title[1]{\gdef\@Title{#1}}
\newcommand\Author[1]{\gdef\@Author{#1}}
\renewcommand\abstract[1]{\gdef\@abstract{#1}}
\renewcommand\@maketitle{\begin{flushleft}{\Large\bfseries\@Title\par}\vspace{12pt}%
  {\bfseries\@Author\par}\end{flushleft}}
\newcommand\abstractkeywords{\noindent\textbf{Abstract:}\space\@abstract\par
  \vspace{4pt}\hrule\vspace{12pt}}
\AfterEndPreamble{\maketitle\let\maketitle\relax\abstractkeywords}
"""
EARLY_CLASS = r"""\ProvidesClass{earlytitle}[2026/01/01 the title made at begin document]
\LoadClass{article}
\AtBeginDocument{\maketitle\let\maketitle\relax}
"""
ECAI_CLASS = r"""\ProvidesClass{ecai}[2026/01/01 authors and addresses set after the title]
\LoadClass[twocolumn]{article}
\newcommand\ecai@authors{}
\newcommand\ecai@addresses{}
\renewcommand\author[1]{\g@addto@macro\ecai@authors{\mbox{#1}\quad}}
\newcommand\address[1]{\g@addto@macro\ecai@addresses{#1\par}}
\renewcommand\maketitle{\begin{center}{\LARGE\bfseries\@title\par}\end{center}}
\newcommand\makeauthors{\begin{center}\bfseries\ecai@authors\end{center}}
\newcommand\makeaddresses{{\small\itshape\ecai@addresses}}
\newcommand\makeorcids{\vskip 2em}
\newenvironment{frontmatter}{}{\twocolumn[\maketitle\makeauthors
  \begin{center}\makeaddresses\makeorcids\end{center}]}
"""
MNRAS_CLASS = r"""\ProvidesClass{mnras}[2026/01/01 a flush-left title, the text block from 0.55in]
\LoadClass[twocolumn]{article}
\setlength\oddsidemargin{-0.45in}
\setlength\textwidth{7.4in}
\renewcommand\@maketitle{\noindent{\LARGE\bfseries\raggedright\@title\par}\vskip 1em
  \noindent{\raggedright\let\and\quad\@author\par}\vskip 2em}
"""
OFFSET_STYLE = r"""\ProvidesPackage{offsetpub}[2026/01/01 the page origin at the paper's corner]
\hoffset=-1in \voffset=-1in
\setlength\oddsidemargin{1.3in}
\setlength\topmargin{0.9in}
\renewcommand\maketitle{{\LARGE\bfseries\raggedright\@title\par}\bigskip
  {\raggedright\let\and\quad\@author\par}\tableofcontents\newpage}
"""
OFFSET_LEFT_BP = 1.3 * 72
"""Where offsetpub's text block starts: 1in + \\hoffset + \\oddsidemargin = 1.3 in."""

PAPERS: dict[str, Paper] = {
    p.name: p
    for p in (
        Paper(
            "article",
            r"\documentclass{article}",
            _ARTICLE_PREAMBLE,
            "\\maketitle\n" + _abstract_env(),
            after=(_LAST, "1 April 2019"),
            before="Abstract",
        ),
        Paper(
            "article-2col",
            r"\documentclass[twocolumn]{article}",
            _ARTICLE_PREAMBLE,
            "\\maketitle\n" + _abstract_env(),
            two_column_title=True,
            after=(_LAST, "1 April 2019"),
            before="Abstract",
        ),
        Paper(
            "report",
            r"\documentclass{report}",
            _ARTICLE_PREAMBLE,
            "\\maketitle\n" + _abstract_env(),
            title_page=True,
            after=(_LAST, "1 April 2019"),
        ),
        Paper(
            "amsart",
            r"\documentclass{amsart}",
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]}}}\n\\address{{UC Berkeley}}\n"
            f"\\author{{{_LAST}}}\n\\address{{UC Berkeley}}\n",
            _abstract_env() + "\\maketitle\n",
            after=(AUTHORS[0], "accelerate"),
            before="Part 1",
        ),
        Paper(
            "revtex",
            r"\documentclass[aps,prl,twocolumn]{revtex4-2}",
            "",
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]}}}\n\\affiliation{{UC Berkeley}}\n"
            f"\\author{{{_LAST}}}\n\\affiliation{{UC Berkeley}}\n"
            + _abstract_env()
            + "\\maketitle\n",
            two_column_title=True,
            after=(_LAST, "UC Berkeley", "accelerate"),
            before="Part 1",
        ),
        Paper(
            "ieee-journal",
            r"\documentclass[journal]{IEEEtran}",
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]} and {_LAST}}}\n",
            "\\maketitle\n" + _abstract_env(),
            two_column_title=True,
            after=(_LAST,),
            before="Abstract",
        ),
        Paper(
            "ieee-conference",
            r"\documentclass[conference]{IEEEtran}",
            f"\\title{{{TITLE}}}\n"
            f"\\author{{\\IEEEauthorblockN{{{AUTHORS[0]}}}\\IEEEauthorblockA{{UC Berkeley}}"
            f"\\and\\IEEEauthorblockN{{{_LAST}}}\\IEEEauthorblockA{{UC Berkeley}}}}\n",
            "\\maketitle\n" + _abstract_env(),
            two_column_title=True,
            after=(_LAST, "UC Berkeley"),
            before="Abstract",
        ),
        Paper(
            "acmart",
            r"\documentclass[sigconf]{acmart}",
            "\\settopmatter{printacmref=false}\n\\setcopyright{none}\n"
            "\\renewcommand\\footnotetextcopyrightpermission[1]{}\n"
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]}}}\n"
            "\\affiliation{\\institution{UC Berkeley}\\city{Berkeley}\\country{USA}}\n"
            f"\\author{{{_LAST}}}\n"
            "\\affiliation{\\institution{UC Berkeley}\\city{Berkeley}\\country{USA}}\n",
            _abstract_env() + "\\maketitle\n",
            two_column_title=True,
            after=(_LAST, "UC Berkeley"),
            before="Part 1",
        ),
        Paper(
            "llncs",
            r"\documentclass{llncs}",
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]} \\and {_LAST}}}\n"
            "\\institute{UC Berkeley}\n",
            "\\maketitle\n" + _abstract_env(),
            after=(_LAST, "UC Berkeley"),
            before="Abstract",
        ),
        Paper(
            "elsarticle",
            r"\documentclass[preprint,12pt]{elsarticle}",
            "",
            _elsarticle_frontmatter(),
            after=(_LAST, "UC Berkeley"),
        ),
        Paper(
            "elsarticle-2col",
            r"\documentclass[final,5p,twocolumn]{elsarticle}",
            "",
            _elsarticle_frontmatter(),
            two_column_title=True,
            after=(_LAST, "UC Berkeley"),
            before="Part 1",
        ),
        Paper(
            "conference",
            r"\documentclass[twocolumn]{article}",
            "\\newcommand\\conftitle[2]{{\\centering\\LARGE\\bfseries #1\\par}\\vskip 1em"
            "{\\centering #2\\par}\\vskip 1em}\n",
            "\\twocolumn[\n\\conftitle{" + TITLE + "}{" + ", ".join(AUTHORS) + "}\n]\n"
            "\\section*{Abstract}\n" + ABSTRACT + "\n",
            two_column_title=True,
            pith_setup="\\pithsetup{titlecmd=conftitle}\n",
            after=(_LAST,),
            before="Abstract",
            control_after=", ".join(AUTHORS) + "}",
        ),
        # the title mechanisms of real templates, in minimal classes and styles
        Paper(
            "icml",
            r"\documentclass[twocolumn]{article}",
            "\\usepackage{confstyle}\n",
            "\\twocolumn[\n\\icmltitle{"
            + TITLE
            + "}\n\\begin{icmlauthorlist}\n"
            + "".join(f"\\icmlauthor{{{a}}}\n" for a in AUTHORS)
            + "\\end{icmlauthorlist}\n\\vskip 0.3in\n]\n\\section*{Abstract}\n"
            + ABSTRACT
            + "\n",
            two_column_title=True,
            files=(("confstyle.sty", CONF_STYLE),),
            after=(_LAST,),
            before="Abstract",
            control_after="\\end{icmlauthorlist}",
        ),
        Paper(
            "iopart",
            r"\documentclass{iopart}",
            "",
            f"\\title{{{TITLE}}}\n\\author{{{', '.join(AUTHORS)}}}\n\\address{{UC Berkeley}}\n"
            + _abstract_env()
            + "\\maketitle\n",
            files=(("iopart.cls", IOPART_CLASS),),
            align="left",
            after=(_LAST, "UC Berkeley"),
            before="Abstract.",
        ),
        Paper(
            "mdpi",
            r"\documentclass{mdpi}",
            f"\\Title{{{TITLE}}}\n\\Author{{{', '.join(AUTHORS)}}}\n\\abstract{{{ABSTRACT}}}\n",
            "",
            files=(("mdpi.cls", MDPI_CLASS),),
            align="left",
            after=(_LAST, "Abstract:"),
            before="Part 1",
        ),
        Paper(
            "earlytitle",
            r"\documentclass{earlytitle}",
            _ARTICLE_PREAMBLE,
            _abstract_env(),
            files=(("earlytitle.cls", EARLY_CLASS),),
            after=(_LAST, "1 April 2019"),
            before="Abstract",
        ),
        Paper(
            "ecai",
            r"\documentclass{ecai}",
            "",
            "\\begin{frontmatter}\n"
            f"\\title{{{TITLE}}}\n"
            + "".join(f"\\author{{{a}}}\n" for a in AUTHORS)
            + "\\address{UC Berkeley}\n\\address{Google}\n\\end{frontmatter}\n"
            "\\section*{Abstract}\n" + ABSTRACT + "\n",
            two_column_title=True,
            files=(("ecai.cls", ECAI_CLASS),),
            after=(_LAST, "Google"),
            before="Abstract",
        ),
        Paper(
            "titleenv",
            r"\documentclass{article}",
            "\\newenvironment{titleblock}{\\begin{center}}{\\end{center}}\n",
            "\\begin{titleblock}\n{\\LARGE\\bfseries "
            + TITLE
            + "\\par}\\bigskip\n"
            + ", ".join(AUTHORS)
            + "\n\\end{titleblock}\n"
            + _abstract_env(),
            pith_setup="\\pithsetup{titleenv=titleblock}\n",
            after=(_LAST,),
            before="Abstract",
        ),
        Paper(
            "handset",
            r"\documentclass{article}",
            "",
            "\\begin{flushleft}\n{\\Large\\bfseries "
            + TITLE
            + "\\par}\\bigskip\n"
            + ", ".join(AUTHORS)
            + "\\\\\nUC Berkeley\n%BADGE\n\\end{flushleft}\n"
            + _abstract_env(),
            pith_options="badge=manual",
            align="left",
            after=(_LAST, "UC Berkeley"),
            before="Abstract",
        ),
        Paper(
            "mnras",
            r"\documentclass{mnras}",
            _ARTICLE_PREAMBLE,
            "\\maketitle\n" + _abstract_env(),
            two_column_title=True,
            files=(("mnras.cls", MNRAS_CLASS),),
            align="left",
            after=(_LAST,),
            before="Abstract",
            control_after="\\begin{document}",
            control_code="\\makeatletter\\g@addto@macro\\@maketitle{{\\vspace{{{space}bp}}}}"
            "\\makeatother",
        ),
        Paper(
            "offset",
            r"\documentclass{article}",
            "\\usepackage{offsetpub}\n" + _ARTICLE_PREAMBLE,
            "\\maketitle\n" + _abstract_env(),
            files=(("offsetpub.sty", OFFSET_STYLE),),
            align="foot",
            warnings=("No title was made before page 1 was shipped out",),
        ),
    )
}

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("plain"),
        Variant("hyperref", hyperref=True),
        Variant("docmeta", hyperref=True, docmeta=True),
        Variant("docmeta-nohyperref", docmeta=True),
        Variant("hyperxmp", hyperref=True, hyperxmp=True),
        Variant("pdfx", pdfx=True),
        Variant("body-number", hyperref=True, number_in_body=True),
        Variant("number-only", data_file=False, qr=False),
        Variant("tagged", docmeta=True, tagging=True),
    )
}


def case(engine: str, paper: str, variant: str = "plain") -> Case:
    return Case(engine, PAPERS[paper], VARIANTS[variant])


def document(c: Case, *, with_pith: bool) -> str:
    """The LaTeX source of a case, with or without pith."""
    v, p = c.variant, c.paper
    lines: list[str] = []
    if v.docmeta:
        lines.append(f"\\DocumentMetadata{{{tagging_key() if v.tagging else ''}}}")
    lines.append(p.documentclass)
    if v.pdfx:
        lines.append("\\usepackage[a-2b]{pdfx}")
    if v.hyperref and not p.name.startswith("acmart"):
        lines.append("\\usepackage{hyperref}")
    if v.hyperxmp:
        lines.append("\\usepackage{hyperxmp}")
    if v.hyperref or v.hyperxmp:
        lines.append(f"\\hypersetup{{pdftitle={{{TITLE}}},pdfauthor={{{AUTHORS[0]}}}}}")
    if with_pith:
        options = ",".join(filter(None, (f"qr={'true' if v.qr else 'false'}", p.pith_options)))
        lines.append(f"\\usepackage[{options}]{{pith}}")
        lines.append(p.pith_setup.rstrip())
        if not v.number_in_body:
            lines.append(f"\\pithnumber{{{SEED_BODY}}}")
    lines.append(p.preamble.rstrip())
    lines.append("\\begin{document}")
    if with_pith and v.number_in_body:
        lines.append(f"\\pithnumber{{{SEED_NUMBER}}}")
    lines.append(p.front.replace("%BADGE", "\\pithbadge" if with_pith else "").rstrip())
    lines.append(p.after_front.rstrip())
    # two pages or more of running text, so that the lines the badge takes move page
    # and column breaks inside paragraphs, as in a real paper
    for index, paragraph in enumerate(PARAGRAPHS * 4):
        if index % 4 == 0:
            lines.append(f"\\section{{Part {index // 4 + 1}}}")
        lines.append(paragraph + "\n")
    lines.append("\\end{document}")
    return "\n".join(line for line in lines if line) + "\n"


def compile_control(c: Case, workdir: Path, space_bp: float) -> Compiled:
    """The paper without pith, with ``space_bp`` of vertical space where the badge
    goes: what the page makeup does with the badge's lines alone.  A class with
    \\flushbottom stretches a column that these lines leave short (a section
    heading that no longer fits moves to the next column), and TeX reports an
    Underfull \\vbox for it; the control shows that the space, not pith, does it."""
    marker = c.paper.control_after
    assert marker, f"{c.paper.name} has no control_after: where does its badge go?"
    directory = workdir / f"{c.id}-control"
    directory.mkdir(parents=True, exist_ok=True)
    source = document(c, with_pith=False)
    assert source.count(marker) == 1, marker
    code = c.paper.control_code.format(space=f"{space_bp:.3f}")
    source = source.replace(marker, marker + code)
    (directory / "paper.tex").write_text(source, encoding="utf-8")
    for name, text in c.paper.files:
        (directory / name).write_text(text, encoding="utf-8")
    for _ in range(3 if c.variant.tagging else 2 if c.variant.docmeta else 1):
        code, output = run_engine(c.engine, directory, "paper")
    log_path = directory / "paper.log"
    log = log_path.read_text(encoding="latin-1") if log_path.exists() else ""
    return Compiled(c, False, directory / "paper.pdf", log, code, output)


STRETCHED_COLUMN = re.compile(
    r"^Underfull \\vbox \(badness \d+\) has occurred while \\output is active"
)
"""TeX's warning for a \\flushbottom column (or page) with too little to fill it."""


@cache
def kernel_date() -> str:
    """The LaTeX kernel's date (``\\fmtversion``), e.g. ``2022-11-01``."""
    latex_ltx = subprocess.run(
        [require_tool("kpsewhich"), "latex.ltx"], capture_output=True, text=True, check=True
    ).stdout.strip()
    text = Path(latex_ltx).read_text(encoding="latin-1")
    match = re.search(r"\\edef\\fmtversion\s*\{(\d{4}[-/]\d\d[-/]\d\d)\}", text)
    assert match, "no \\fmtversion in latex.ltx"
    return match.group(1).replace("/", "-")


def tagging_key() -> str:
    """The \\DocumentMetadata key that switches tagging on in this TeX Live: the
    testphase modules of 2022 and 2023, ``tagging=on`` from the 2024-06 kernel."""
    date = kernel_date()
    if date >= "2024-06-01":
        return "tagging=on"
    if date >= "2023-06-01":
        return "testphase=phase-III"
    return "testphase=phase-II"


XMPDATA = f"""\\Title{{{TITLE}}}
\\Author{{{AUTHORS[0]}}}
\\Language{{en-US}}
"""


@dataclass
class Compiled:
    case: Case
    with_pith: bool
    pdf: Path
    log: str
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.pdf.is_file()


def tex_env(directory: Path) -> dict[str, str]:
    """Find pith.sty in the checkout's latex/ directory, and the data file beside the paper."""
    return {
        **os.environ,
        "TEXINPUTS": f"{directory}{os.pathsep}{ROOT / 'latex'}{os.pathsep}",
        "SOURCE_DATE_EPOCH": "1554130415",
        "FORCE_SOURCE_DATE": "1",
    }


def run_engine(engine: str, directory: Path, job: str, timeout: float = 240) -> tuple[int, str]:
    """Compile ``job.tex`` in ``directory`` to ``job.pdf``; no shell escape anywhere."""
    env = tex_env(directory)
    flags = ["-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
    if engine == "dvips":
        steps = [
            [require_tool("latex"), *flags, f"{job}.tex"],
            [require_tool("dvips"), "-q", "-o", f"{job}.ps", f"{job}.dvi"],
            [require_tool("ps2pdf"), f"{job}.ps", f"{job}.pdf"],
        ]
    else:
        steps = [[require_tool(engine), *flags, f"{job}.tex"]]
    output = []
    for argv in steps:
        result = subprocess.run(
            argv,
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
        output.append(result.stdout + result.stderr)
        if result.returncode != 0:
            return result.returncode, "\n".join(output)
    return 0, "\n".join(output)


def compile_case(c: Case, workdir: Path, data_file: Path | None, *, with_pith: bool) -> Compiled:
    directory = workdir / f"{c.id}-{'pith' if with_pith else 'base'}"
    directory.mkdir(parents=True, exist_ok=True)
    job = "paper"
    (directory / f"{job}.tex").write_text(document(c, with_pith=with_pith), encoding="utf-8")
    for name, text in c.paper.files:
        (directory / name).write_text(text, encoding="utf-8")
    if c.variant.pdfx:
        (directory / f"{job}.xmpdata").write_text(XMPDATA, encoding="utf-8")
    if with_pith and c.variant.data_file and data_file is not None:
        shutil.copy(data_file, directory / data_file.name)
    # LaTeX's PDF management settles the last page (where it writes XMP) in a second
    # run; a tagged PDF's structure tree needs a third
    for _ in range(3 if c.variant.tagging else 2 if c.variant.docmeta else 1):
        code, output = run_engine(c.engine, directory, job)
    log_path = directory / f"{job}.log"
    log = log_path.read_text(encoding="latin-1") if log_path.exists() else ""
    return Compiled(c, with_pith, directory / f"{job}.pdf", log, code, output)


_WARNING_START = re.compile(
    r"^(?:LaTeX Warning|LaTeX Font Warning|Package \S+ Warning|Class \S+ Warning|"
    r"pdfTeX warning|Overfull|Underfull|Missing character|! )"
)


def log_warnings(log: str) -> list[str]:
    """Warnings and errors of a TeX log, normalised (line numbers and pages removed)."""
    found = []
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if _WARNING_START.match(line):
            text = line
            follow = index + 1
            while follow < len(lines) and lines[follow].startswith("("):
                text += " " + lines[follow]
                follow += 1
            text = re.sub(r"on input line \d+", "", text)
            text = re.sub(r"lines? \d+(--\d+)?", "", text)
            text = re.sub(r"page \d+", "", text)
            found.append(re.sub(r"\s+", " ", text).strip())
    return found


def new_warnings(with_pith: str, without: str) -> list[str]:
    base = log_warnings(without)
    extra = []
    for warning in log_warnings(with_pith):
        if warning in base:
            base.remove(warning)
        else:
            extra.append(warning)
    return extra


@dataclass(frozen=True)
class Box:
    left: float
    bottom: float
    right: float
    top: float

    @property
    def center_x(self) -> float:
        return (self.left + self.right) / 2


class PdfFacts:
    """What a compiled PDF says about its badge and metadata."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def page_size(self) -> tuple[float, float]:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(self.path))
        try:
            width, height = pdf[0].get_size()
        finally:
            pdf.close()
        return float(width), float(height)

    def find_text(self, needle: str, page: int = 0, match_case: bool = True) -> list[Box]:
        """Bounding boxes of each occurrence of ``needle`` on ``page`` (PDF points)."""
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(self.path))
        try:
            textpage = pdf[page].get_textpage()
            searcher = textpage.search(needle, match_case=match_case)
            boxes = []
            while (hit := searcher.get_next()) is not None:
                start, count = hit
                chars = [textpage.get_charbox(i) for i in range(start, start + count)]
                boxes.append(
                    Box(
                        min(c[0] for c in chars),
                        min(c[1] for c in chars),
                        max(c[2] for c in chars),
                        max(c[3] for c in chars),
                    )
                )
            return boxes
        finally:
            pdf.close()

    def page_count(self) -> int:
        import pikepdf

        with pikepdf.open(self.path) as pdf:
            return len(pdf.pages)

    def all_text(self) -> str:
        result = subprocess.run(
            [require_tool("pdftotext"), "-enc", "UTF-8", str(self.path), "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def link_annotations(self, page: int = 0) -> list[dict[str, Any]]:
        import pikepdf

        links = []
        with pikepdf.open(self.path) as pdf:
            for annot in pdf.pages[page].get("/Annots", []):
                if annot.get("/Subtype") != "/Link":
                    continue
                action = annot.get("/A")
                uri = str(action.get("/URI")) if action is not None and "/URI" in action else None
                links.append({"uri": uri, "rect": [float(x) for x in annot.Rect]})
        return links

    def info(self) -> dict[str, str]:
        import pikepdf

        with pikepdf.open(self.path) as pdf:
            return {str(k): str(v) for k, v in pdf.docinfo.items()}

    def metadata_streams(self) -> int:
        """How many XMP metadata streams the file holds (catalog-level or not)."""
        import pikepdf

        with pikepdf.open(self.path) as pdf:
            return sum(
                1
                for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/Metadata"
            )

    def xmp_bytes(self) -> bytes | None:
        import pikepdf

        with pikepdf.open(self.path) as pdf:
            metadata = pdf.Root.get("/Metadata")
            return None if metadata is None else bytes(metadata.read_bytes())

    def xmp_values(self) -> dict[str, list[str]]:
        """Every property of the XMP packet as ``{prefix:name: [values]}`` (elements and
        attributes of ``rdf:Description``); raises if the packet is not well-formed XML."""
        data = self.xmp_bytes()
        if data is None:
            return {}
        text = data.decode("utf-8").lstrip("\ufeff")
        text = re.sub(r"<\?xpacket[^>]*\?>", "", text)
        text = re.sub(r"<\?adobe-xap-filters[^>]*\?>", "", text)
        root = ET.fromstring(text.strip())
        prefixes = {
            xmpschema.NAMESPACE_URI: xmpschema.PREFIX,
            "http://purl.org/dc/elements/1.1/": "dc",
        }
        rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
        values: dict[str, list[str]] = {}

        def name_of(tag: str) -> str | None:
            match = re.match(r"\{(.*)\}(.*)", tag)
            if match and match.group(1) in prefixes:
                return f"{prefixes[match.group(1)]}:{match.group(2)}"
            return None

        for description in root.iter(f"{rdf}Description"):
            for key, value in description.attrib.items():
                if (name := name_of(key)) is not None:
                    values.setdefault(name, []).append(value)
            for child in description:
                if (name := name_of(child.tag)) is None:
                    continue
                texts = [t.strip() for t in child.itertext() if t.strip()]
                values.setdefault(name, []).extend(texts)
        return values


def render_png(pdf: Path, out_prefix: Path, dpi: int = 300) -> Path:
    subprocess.run(
        [
            require_tool("pdftoppm"),
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-gray",
            "-png",
            str(pdf),
            str(out_prefix),
        ],
        check=True,
        capture_output=True,
    )
    candidates = sorted(out_prefix.parent.glob(out_prefix.name + "*.png"))
    return candidates[0]


def decode_qr(png: Path) -> list[str]:
    result = subprocess.run(
        [require_tool("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if line]


def with_variant(c: Case, **changes: Any) -> Case:
    return replace(c, variant=replace(c.variant, **changes))


def compile_source(
    directory: Path, source: str, *, engine: str = "pdflatex", halt: bool = True
) -> Compiled:
    """Compile a small document given as text (``paper.tex`` in ``directory``)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "paper.tex").write_text(source, encoding="utf-8")
    env = tex_env(directory)
    flags = ["-interaction=nonstopmode", "-no-shell-escape"]
    if halt:
        flags.append("-halt-on-error")
    result = subprocess.run(
        [require_tool(engine), *flags, "paper.tex"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=240,
        check=False,
    )
    log_path = directory / "paper.log"
    log = log_path.read_text(encoding="latin-1") if log_path.exists() else ""
    c = Case(engine, PAPERS["article"])
    return Compiled(c, True, directory / "paper.pdf", log, result.returncode, result.stdout)


MAX_PRINT_LINE = 79
"""TeX Live's log line width: longer lines continue on the next line."""


def log_messages(log: str, kind: str = "Error") -> list[str]:
    """The full text of each ``Package pith <kind>`` message of a log, on one line."""
    messages = []
    lines = log.splitlines()
    for index, line in enumerate(lines):
        match = re.search(rf"Package pith {kind}: (.*)", line)
        if not match:
            continue
        text = match.group(1)
        follow = index + 1
        while follow < len(lines):
            previous, following = lines[follow - 1], lines[follow]
            if len(previous) >= MAX_PRINT_LINE:  # TeX broke an overlong line here
                text += following
            elif following.startswith("(pith)"):
                text += " " + following[len("(pith)") :].strip()
            else:
                break
            follow += 1
        messages.append(re.sub(r"\s+", " ", text).strip())
    return messages


def tex_errors(log: str) -> list[str]:
    """Every error line (``! ...``) of a TeX log."""
    return [line for line in log.splitlines() if line.startswith("! ")]
