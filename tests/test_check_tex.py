"""A TeX-made PDF (pdfLaTeX + hyperref, a hand-written badge) read by the checker.

Until the LaTeX package lands, the badge is written by hand the way the package
writes it: a resolver link whose text is ``pith:`` and eight characters, and
the Info key ``/PithNumber``.  The seed bundle is given with ``--bundle``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import SEED_BODY, SEED_BUNDLE, SEED_NUMBER, SEED_TITLE, require_tool, run_cli
from pdfsamples import stamp_pdf

pytestmark = pytest.mark.tex

DOCUMENT = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{hyperref}
\hypersetup{%(pdftitle)s pdfinfo={PithNumber={%(number)s}}}
\title{%(title)s}
\author{Yang You and others}
\date{}
\begin{document}
\maketitle
\begin{center}\small\href{https://pith.science/pith/%(body)s}{\texttt{pith:%(short)s}}\end{center}
\begin{abstract}Training large deep neural networks on massive datasets is hard.\end{abstract}
\section{Introduction}
With large batches, LAMB trains BERT in 76 minutes.
\end{document}
"""


def compile_latex(
    directory: Path, title: str, number: str, body: str, *, metadata_title: bool = True
) -> Path:
    pdflatex = require_tool("pdflatex")
    source = directory / "paper.tex"
    values = {
        "title": title,
        "number": number,
        "body": body,
        "short": body[:8],
        "pdftitle": f"pdftitle={{{title}}}," if metadata_title else "",
    }
    source.write_text(DOCUMENT % values)
    result = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    return directory / "paper.pdf"


@pytest.fixture(scope="module")
def tex_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_latex(tmp_path_factory.mktemp("tex"), SEED_TITLE, SEED_NUMBER, SEED_BODY)


def test_tex_pdf_verifies_with_the_bundle(tex_pdf: Path) -> None:
    result = run_cli("check", "--json", "--bundle", SEED_BUNDLE, tex_pdf)
    doc = json.loads(result.stdout)
    assert result.returncode == 0, doc["reason"]
    channels = {c["channel"] for c in doc["claims"]}
    assert {"info.number", "link", "text"} <= channels
    titles = {t["source"]: t["text"] for t in doc["titles"]}
    assert titles == {"info": SEED_TITLE}  # the page is searched, its title not looked for


def test_tex_pdf_without_a_metadata_title_is_matched_by_its_page(tmp_path: Path) -> None:
    pdf = compile_latex(tmp_path, SEED_TITLE, SEED_NUMBER, SEED_BODY, metadata_title=False)
    doc = json.loads(run_cli("check", "--json", "--bundle", SEED_BUNDLE, pdf).stdout)
    assert doc["verdict"] == "verified", doc["reason"]
    assert doc["titles"] == [{"source": "page1", "text": SEED_TITLE}]


def test_tex_pdf_without_a_bundle_says_so(tex_pdf: Path) -> None:
    result = run_cli("check", "--offline", "--cache-dir", tex_pdf.parent / "cache", tex_pdf)
    assert result.returncode == 4  # indeterminate: not a finding against the paper
    assert "check.bundle.unavailable" in result.stdout
    assert "INDETERMINATE" in result.stdout


def test_tex_pdf_of_another_paper_with_the_genuine_badge(tmp_path: Path) -> None:
    title = "Sparse Graph Colouring in Linear Time"
    pdf = compile_latex(tmp_path, title, SEED_NUMBER, SEED_BODY)
    result = run_cli("check", "--json", "--bundle", SEED_BUNDLE, pdf)
    doc = json.loads(result.stdout)
    assert result.returncode == 1
    assert doc["code"] == "check.title.mismatch"
    assert title in doc["reason"]


def test_tex_pdf_stamped_afterwards_verifies_from_its_embedded_bundle(
    tex_pdf: Path, tmp_path: Path
) -> None:
    """Both: the badge compiled in by TeX, then XMP, Info keys and the bundle stamped in."""
    stamped = tmp_path / "stamped.pdf"
    seed = json.loads(SEED_BUNDLE.read_bytes())
    stamped.write_bytes(stamp_pdf(tex_pdf.read_bytes(), seed, badge=False))
    doc = json.loads(run_cli("check", "--json", stamped).stdout)
    assert doc["verdict"] == "verified", doc["reason"]
    assert doc["bundle"]["source"] == "embedded"
    channels = [c["channel"] for c in doc["claims"]]
    assert channels.count("link") == 2  # the TeX badge and the stamped link
    assert {"xmp.number", "xmp.identifier", "info.number", "embedded", "text"} <= set(channels)
    qpdf = subprocess.run(
        [require_tool("qpdf"), "--check", stamped], capture_output=True, text=True, check=False
    )
    assert qpdf.returncode == 0, qpdf.stdout  # an independent reader finds the file sound
