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
from pathlib import Path
from typing import Any

from conftest import ROOT, SEED_BODY, SEED_NUMBER, require_tool

from pithtex.core import names as xmpschema

PITH_LABEL = f"pith:{SEED_BODY[:8]}"
SEED_URL = f"https://pith.science/pith/{SEED_BODY}"
ARXIV_BAND_BP = 36.0
"""arXiv stamps its identifier into the left margin of page 1, x < 0.5 in: keep out."""

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

PAPERS: dict[str, Paper] = {
    p.name: p
    for p in (
        Paper(
            "article",
            r"\documentclass{article}",
            _ARTICLE_PREAMBLE,
            "\\maketitle\n" + _abstract_env(),
        ),
        Paper(
            "article-2col",
            r"\documentclass[twocolumn]{article}",
            _ARTICLE_PREAMBLE,
            "\\maketitle\n" + _abstract_env(),
            two_column_title=True,
        ),
        Paper(
            "report",
            r"\documentclass{report}",
            _ARTICLE_PREAMBLE,
            "\\maketitle\n" + _abstract_env(),
            title_page=True,
        ),
        Paper(
            "amsart",
            r"\documentclass{amsart}",
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]}}}\n\\address{{UC Berkeley}}\n"
            f"\\author{{{AUTHORS[3]}}}\n\\address{{UC Berkeley}}\n",
            _abstract_env() + "\\maketitle\n",
        ),
        Paper(
            "revtex",
            r"\documentclass[aps,prl,twocolumn]{revtex4-2}",
            "",
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]}}}\n\\affiliation{{UC Berkeley}}\n"
            f"\\author{{{AUTHORS[3]}}}\n\\affiliation{{UC Berkeley}}\n"
            + _abstract_env()
            + "\\maketitle\n",
            two_column_title=True,
        ),
        Paper(
            "ieee-journal",
            r"\documentclass[journal]{IEEEtran}",
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]} and {AUTHORS[3]}}}\n",
            "\\maketitle\n" + _abstract_env(),
            two_column_title=True,
        ),
        Paper(
            "ieee-conference",
            r"\documentclass[conference]{IEEEtran}",
            f"\\title{{{TITLE}}}\n"
            f"\\author{{\\IEEEauthorblockN{{{AUTHORS[0]}}}\\IEEEauthorblockA{{UC Berkeley}}"
            f"\\and\\IEEEauthorblockN{{{AUTHORS[3]}}}\\IEEEauthorblockA{{UC Berkeley}}}}\n",
            "\\maketitle\n" + _abstract_env(),
            two_column_title=True,
        ),
        Paper(
            "acmart",
            r"\documentclass[sigconf]{acmart}",
            "\\settopmatter{printacmref=false}\n\\setcopyright{none}\n"
            "\\renewcommand\\footnotetextcopyrightpermission[1]{}\n"
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]}}}\n"
            "\\affiliation{\\institution{UC Berkeley}\\city{Berkeley}\\country{USA}}\n"
            f"\\author{{{AUTHORS[3]}}}\n"
            "\\affiliation{\\institution{UC Berkeley}\\city{Berkeley}\\country{USA}}\n",
            _abstract_env() + "\\maketitle\n",
            two_column_title=True,
        ),
        Paper(
            "llncs",
            r"\documentclass{llncs}",
            f"\\title{{{TITLE}}}\n\\author{{{AUTHORS[0]} \\and {AUTHORS[3]}}}\n"
            "\\institute{UC Berkeley}\n",
            "\\maketitle\n" + _abstract_env(),
        ),
        Paper(
            "elsarticle",
            r"\documentclass[preprint,12pt]{elsarticle}",
            "",
            _elsarticle_frontmatter(),
        ),
        Paper(
            "elsarticle-2col",
            r"\documentclass[final,5p,twocolumn]{elsarticle}",
            "",
            _elsarticle_frontmatter(),
            two_column_title=True,
        ),
        Paper(
            "conference",
            r"\documentclass[twocolumn]{article}",
            "\\newcommand\\conftitle[1]{{\\centering\\LARGE\\bfseries #1\\par}\\vskip 1em}\n",
            "\\twocolumn[\n\\conftitle{" + TITLE + "}\n"
            "\\begin{center}"
            + ", ".join(AUTHORS)
            + "\\end{center}\n\\vskip 1em]\n"
            + "\\section*{Abstract}\n"
            + ABSTRACT
            + "\n",
            two_column_title=True,
            pith_setup="\\pithsetup{titlecmd=conftitle}\n",
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
    )
}


def case(engine: str, paper: str, variant: str = "plain") -> Case:
    return Case(engine, PAPERS[paper], VARIANTS[variant])


def document(c: Case, *, with_pith: bool) -> str:
    """The LaTeX source of a case, with or without pith."""
    v, p = c.variant, c.paper
    lines: list[str] = []
    if v.docmeta:
        lines.append("\\DocumentMetadata{}")
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
        lines.append(f"\\usepackage[qr={'true' if v.qr else 'false'}]{{pith}}")
        lines.append(p.pith_setup.rstrip())
        if not v.number_in_body:
            lines.append(f"\\pithnumber{{{SEED_BODY}}}")
    lines.append(p.preamble.rstrip())
    lines.append("\\begin{document}")
    if with_pith and v.number_in_body:
        lines.append(f"\\pithnumber{{{SEED_NUMBER}}}")
    lines.append(p.front.rstrip())
    lines.append(p.after_front.rstrip())
    # two pages or more of running text, so that the lines the badge takes move page
    # and column breaks inside paragraphs, as in a real paper
    for index, paragraph in enumerate(PARAGRAPHS * 4):
        if index % 4 == 0:
            lines.append(f"\\section{{Part {index // 4 + 1}}}")
        lines.append(paragraph + "\n")
    lines.append("\\end{document}")
    return "\n".join(line for line in lines if line) + "\n"


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
    if c.variant.pdfx:
        (directory / f"{job}.xmpdata").write_text(XMPDATA, encoding="utf-8")
    if with_pith and c.variant.data_file and data_file is not None:
        shutil.copy(data_file, directory / data_file.name)
    # LaTeX's PDF management settles the last page (where it writes XMP) in a second run
    for _ in range(2 if c.variant.docmeta else 1):
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
