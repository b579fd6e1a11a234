"""``pithtex arxiv``: from a source folder to an upload that compiles again and verifies.

Every archive is unpacked into an empty folder and compiled from scratch with
plain ``pdflatex`` runs (no BibTeX, no latexmk: what arXiv does), and the PDF
is checked with :func:`pithtex.pdf.check.check_pdf`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ROOT,
    SEED_BUNDLE,
    SEED_NUMBER,
    make_test_bundle,
    require_tool,
    run_cli,
    test_key,
    write_json,
)
from httpfixtures import FaultServer, bundle_bytes, json_route

from pithtex.core.layout import bundle_path
from pithtex.core.model import load_bundle
from pithtex.pdf.check import CheckOptions, check_pdf
from pithtex.trust.keyring import Keyring
from pithtex.trust.signing import PaperMetadata

pytestmark = pytest.mark.tex

SAMPLE = ROOT / "samples" / "lamb"
PAPER = PaperMetadata(
    source_id="2611.04321",
    title="Layerwise Trust Ratios for Large Batch Training",
    abstract="We study trust ratios.",
    submitted_at="2026-11-02T10:00:00Z",
    primary_cat="cs.LG",
    version=1,
)


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("latexmk")
    require_tool("pdflatex")
    require_tool("bibtex")


def _sample_source(tmp_path: Path) -> Path:
    """The sample paper as an author has it: the .tex file alone, nothing generated."""
    source = tmp_path / "lamb"
    source.mkdir()
    shutil.copyfile(SAMPLE / "paper.tex", source / "paper.tex")
    return source


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _members(archive: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(archive) as tar:
        return {m.name: m for m in tar.getmembers()}


def recompile_and_check(archive: Path, workdir: Path, keyring: Keyring, bundle: Path) -> Any:
    """Unpack into an empty folder, compile with plain pdflatex runs, check the PDF."""
    workdir.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(workdir, filter="data")
    mains = [p for p in workdir.glob("*.tex") if "\\documentclass" in p.read_text()]
    assert len(mains) == 1, mains
    main = mains[0]
    for _ in range(3):
        subprocess.run(
            [
                "pdflatex",
                "-interaction=nonstopmode",
                "-halt-on-error",
                "-no-shell-escape",
                main.name,
            ],
            cwd=workdir,
            check=True,
            capture_output=True,
            timeout=300,
        )
    assert not (workdir / main.with_suffix(".blg").name).exists()  # BibTeX never ran here
    report = check_pdf(
        str(main.with_suffix(".pdf")),
        CheckOptions(keyring=keyring, bundle=load_bundle(bundle), registry=None),
    )
    assert report.verdict.value == "verified", [c.to_json() for c in report.checks if c.failed]
    return report


# ---------------------------------------------------------------- the sample paper


def test_sample_upload_compiles_again_and_verifies(tmp_path: Path) -> None:
    source = _sample_source(tmp_path)
    before = _tree(source)
    archive = tmp_path / "upload.tar.gz"
    result = run_cli(
        "arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive, "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["schema"] == "pithtex.arxiv/1"
    assert summary["verdict"] == "verified" and summary["number"] == SEED_NUMBER
    assert summary["main"] == "paper.tex" and summary["engine"] == "pdflatex"
    data_file = f"pith-{SEED_NUMBER.rsplit(':', 1)[1]}.tex"
    assert sorted(_members(archive)) == sorted(["paper.tex", "pith.sty", data_file])
    assert summary["files"] == sorted(_members(archive))
    assert summary["archive_sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert any("pdfoutput" in note for note in summary["notes"])
    assert _tree(source) == before  # the author's folder is never touched
    recompile_and_check(archive, tmp_path / "fresh", Keyring.default(), SEED_BUNDLE)


def test_archive_is_reproducible_and_clean(tmp_path: Path) -> None:
    source = _sample_source(tmp_path)
    (source / "paper.aux").write_text("\\relax stale\n")  # old build outputs are left out
    (source / "notes.txt").write_text("not part of the paper\n")
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    for archive in (first, second):
        run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive, "-q", check=True)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes()[4:8] == b"\0\0\0\0"  # gzip header: no timestamp
    members = _members(first)
    assert list(members) == sorted(members)
    for info in members.values():
        assert info.isfile() and info.mode == 0o644 and info.uid == 0 and info.gid == 0
        assert info.mtime == members["paper.tex"].mtime
    assert "notes.txt" not in members and "paper.aux" not in members


def test_default_output_name_and_pdf_copy(tmp_path: Path) -> None:
    source = _sample_source(tmp_path)
    result = run_cli(
        "arxiv", source, "--bundle", SEED_BUNDLE, "--pdf", tmp_path / "out.pdf", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "lamb-arxiv.tar.gz").is_file()
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF-")
    assert "OK" in result.stdout and "paper.tex" in result.stdout
    assert "compile" in result.stderr  # the steps, with their timings


# ---------------------------------------------------------------- a tree with subfolders


MAIN = r"""\documentclass{article}
\usepackage{graphicx}
\usepackage{hyperref}
\usepackage{pith}
\pithnumber{%(number)s}
\hypersetup{pdftitle={%(title)s}}
\title{%(title)s}
\author{Ada Lovelace \and Alan Turing}
\begin{document}
\maketitle
\begin{abstract}
We study trust ratios for every layer of a deep network.
\end{abstract}
\input{sections/intro}
\bibliographystyle{plain}
\bibliography{refs/library}
\end{document}
"""

INTRO = r"""\section{Introduction}\label{sec:intro}
Large batches need care~\cite{goyal2017}. Section~\ref{sec:method} gives the method.
\input{sections/method}
"""

METHOD = r"""\section{Method}\label{sec:method}
Layerwise adaptation~\cite{you2017} rescales each update, see Figure~\ref{fig:plot}.
\begin{figure}[h]\centering\includegraphics[width=3cm]{figures/plot}
\caption{A plot.}\label{fig:plot}\end{figure}
"""

LIBRARY = r"""@article{goyal2017, author = {Goyal, Priya and He, Kaiming},
  title = {Accurate, Large Minibatch {SGD}}, journal = {arXiv:1706.02677}, year = {2017}}
@article{you2017, author = {You, Yang and Gitman, Igor},
  title = {Large Batch Training of Convolutional Networks},
  journal = {arXiv:1708.03888}, year = {2017}}
@article{unused2020, author = {Nobody, A.}, title = {Not Cited}, journal = {J}, year = {2020}}
"""


def _figure(path: Path) -> None:
    from reportlab.lib.pagesizes import A6
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A6, invariant=1)
    pdf.line(10, 10, 200, 300)
    pdf.drawString(20, 20, "plot")
    pdf.save()


@pytest.fixture
def test_bundle(tmp_path: Path) -> tuple[Path, Path]:
    """A bundle for PAPER signed by test_key(1), and a keyring file trusting that key."""
    bundle = write_json(tmp_path / "paper-bundle.json", make_test_bundle(paper=PAPER))
    keyring = write_json(tmp_path / "keyring.json", {"keys": [test_key(1).public_entry()]})
    return bundle, keyring


def _subfolder_tree(tmp_path: Path, number: str, main: str = MAIN) -> Path:
    source = tmp_path / "paper-src"
    for folder in ("sections", "refs", "figures", "old"):
        (source / folder).mkdir(parents=True)
    (source / "main.tex").write_text(main % {"number": number, "title": PAPER.title})
    (source / "sections" / "intro.tex").write_text(INTRO)
    (source / "sections" / "method.tex").write_text(METHOD)
    (source / "refs" / "library.bib").write_text(LIBRARY)
    _figure(source / "figures" / "plot.pdf")
    _figure(source / "figures" / "unused.pdf")
    (source / "old" / "draft.tex").write_text("An old section nobody inputs.\n")
    return source


def test_tree_with_subfolders_bibtex_and_input_chain(
    tmp_path: Path, test_bundle: tuple[Path, Path]
) -> None:
    bundle, keyring = test_bundle
    number = load_bundle(bundle).pith_number
    source = _subfolder_tree(tmp_path, number)
    before = _tree(source)
    archive = tmp_path / "upload.tar.gz"
    result = run_cli(
        "arxiv", source, "--bundle", bundle, "--keyring", keyring, "-o", archive, "--json"
    )
    assert result.returncode == 0, result.stderr
    body = number.rsplit(":", 1)[1]
    assert sorted(_members(archive)) == sorted(
        [
            "figures/plot.pdf",
            "main.bbl",  # BibTeX's output: arXiv does not run BibTeX
            f"pith-{body}.tex",
            "pith.sty",
            "main.tex",
            "sections/intro.tex",
            "sections/method.tex",
        ]
    )  # not the .bib, the unused figure or the old draft
    assert _tree(source) == before
    with tarfile.open(archive) as tar:
        bbl = tar.extractfile("main.bbl")
        assert bbl is not None and b"goyal2017" in bbl.read()
    report = recompile_and_check(archive, tmp_path / "fresh", Keyring.build([str(keyring)]), bundle)
    assert report.number == number


def test_insert_adds_the_lines_to_the_upload_only(
    tmp_path: Path, test_bundle: tuple[Path, Path]
) -> None:
    bundle, keyring = test_bundle
    bare = MAIN.replace("\\usepackage{pith}\n\\pithnumber{%(number)s}\n", "")
    source = _subfolder_tree(tmp_path, "", main=bare)
    before = _tree(source)
    archive = tmp_path / "upload.tar.gz"
    refused = run_cli("arxiv", source, "--bundle", bundle, "--keyring", keyring, "-o", archive)
    assert refused.returncode == 2
    assert "\\usepackage{pith}" in refused.stderr and "--insert" in refused.stderr
    assert not archive.exists()
    result = run_cli(
        "arxiv", source, "--bundle", bundle, "--keyring", keyring, "-o", archive, "--insert"
    )
    assert result.returncode == 0, result.stderr
    assert _tree(source) == before  # the author's main.tex is unchanged
    with tarfile.open(archive) as tar:
        member = tar.extractfile("main.tex")
        assert member is not None
        lines = member.read().decode().splitlines()
    number = load_bundle(bundle).pith_number
    assert lines[0] == "\\pdfoutput=1"
    hyperref = lines.index("\\usepackage{hyperref}")
    assert lines[hyperref + 1] == "\\usepackage{pith}"  # after hyperref, as docs/latex.md says
    assert lines[hyperref + 2] == f"\\pithnumber{{{number}}}"
    assert "inserted at main.tex:1: \\pdfoutput=1" in result.stdout
    recompile_and_check(archive, tmp_path / "fresh", Keyring.build([str(keyring)]), bundle)


def test_pith_lines_in_a_file_the_main_file_does_not_read_do_not_count(
    tmp_path: Path, test_bundle: tuple[Path, Path]
) -> None:
    """An old draft with pith lines (another paper's number, even) is not read by the
    compile: the lines are missing, the error says where they are, and --insert puts
    them into the main file."""
    bundle, keyring = test_bundle
    bare = MAIN.replace("\\usepackage{pith}\n\\pithnumber{%(number)s}\n", "")
    source = _subfolder_tree(tmp_path, "", main=bare)
    (source / "old" / "main_v0.tex").write_text(MAIN % {"number": SEED_NUMBER, "title": "v0"})
    archive = tmp_path / "upload.tar.gz"
    refused = run_cli("arxiv", source, "--bundle", bundle, "--keyring", keyring, "-o", archive)
    assert refused.returncode == 2, refused.stderr
    assert "old/main_v0.tex has pith lines, but the main file does not read it" in refused.stderr
    assert not archive.exists()
    result = run_cli(
        "arxiv", source, "--bundle", bundle, "--keyring", keyring, "-o", archive, "--insert"
    )
    assert result.returncode == 0, result.stderr
    with tarfile.open(archive) as tar:
        assert "old/main_v0.tex" not in tar.getnames()
        member = tar.extractfile("main.tex")
        assert member is not None
        text = member.read().decode()
    assert f"\\pithnumber{{{load_bundle(bundle).pith_number}}}" in text
    recompile_and_check(archive, tmp_path / "fresh", Keyring.build([str(keyring)]), bundle)


def test_pith_lines_in_a_file_the_main_file_reads(
    tmp_path: Path, test_bundle: tuple[Path, Path]
) -> None:
    """A preamble split into an \\input file: its pith lines count."""
    bundle, keyring = test_bundle
    number = load_bundle(bundle).pith_number
    bare = MAIN.replace("\\usepackage{pith}\n\\pithnumber{%(number)s}\n", "\\input{setup}\n")
    source = _subfolder_tree(tmp_path, "", main=bare)
    (source / "setup.tex").write_text(f"\\usepackage{{pith}}\n\\pithnumber{{{number}}}\n")
    archive = tmp_path / "upload.tar.gz"
    result = run_cli(
        "arxiv", source, "--bundle", bundle, "--keyring", keyring, "-o", archive, "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["inserted"] == [] and "setup.tex" in report["files"]
    assert [s["name"] for s in report["steps"]].count("compile") == 1


def test_missing_pithnumber_is_an_error(tmp_path: Path) -> None:
    source = _sample_source(tmp_path)
    text = (source / "paper.tex").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("\\pithnumber")]
    (source / "paper.tex").write_text("\n".join(lines) + "\n")
    archive = tmp_path / "upload.tar.gz"
    result = run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive)
    assert result.returncode == 2
    assert f"\\pithnumber{{{SEED_NUMBER}}}" in result.stderr and "--insert" in result.stderr
    assert not archive.exists()


def test_pithnumber_of_another_paper_is_an_error_even_with_insert(
    tmp_path: Path, test_bundle: tuple[Path, Path]
) -> None:
    bundle, keyring = test_bundle
    source = _subfolder_tree(tmp_path, SEED_NUMBER)  # the seed's number, not this paper's
    for extra in ((), ("--insert",)):
        result = run_cli(
            "arxiv",
            source,
            "--bundle",
            bundle,
            "--keyring",
            keyring,
            "-o",
            "x.tar.gz",
            *extra,
            cwd=tmp_path,
        )
        assert result.returncode == 2
        assert "names another paper" in result.stderr and "main.tex:5" in result.stderr
    assert not (tmp_path / "x.tar.gz").exists()


def test_compile_error_shows_the_log_lines_and_writes_nothing(tmp_path: Path) -> None:
    source = _sample_source(tmp_path)
    text = (source / "paper.tex").read_text()
    (source / "paper.tex").write_text(text.replace("\\maketitle", "\\maketitle\n\\nosuchmacro"))
    archive = tmp_path / "upload.tar.gz"
    result = run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive)
    assert result.returncode == 1
    assert "Undefined control sequence" in result.stderr
    assert "paper.tex:" in result.stderr  # file:line of the failure
    assert "\\nosuchmacro" in result.stderr
    assert len(result.stderr.splitlines()) < 60  # the failing lines, not the whole log
    assert not archive.exists()


def test_failing_check_writes_no_archive(tmp_path: Path) -> None:
    """A paper whose title is not the record's compiles, but the check fails: exit 1."""
    source = _sample_source(tmp_path)
    text = (source / "paper.tex").read_text()
    retitled = text.replace("Large Batch Optimization for Deep Learning", "Something Else")
    (source / "paper.tex").write_text(retitled)
    archive = tmp_path / "upload.tar.gz"
    result = run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive)
    assert result.returncode == 1, result.stderr
    assert "check.title" in result.stdout and "no archive was written" in result.stdout
    assert not archive.exists()


def test_untrusted_bundle_is_refused_before_compiling(
    tmp_path: Path, test_bundle: tuple[Path, Path]
) -> None:
    bundle, _ = test_bundle
    number = load_bundle(bundle).pith_number
    source = _subfolder_tree(tmp_path, number)
    result = run_cli("arxiv", source, "--bundle", bundle, "-o", tmp_path / "x.tar.gz")
    assert result.returncode == 1
    assert "untrusted" in result.stderr and "no upload was made" in result.stderr
    assert "compile" not in result.stderr


def test_number_fetches_the_bundle_from_a_resolver(
    tmp_path: Path, test_bundle: tuple[Path, Path]
) -> None:
    bundle, keyring = test_bundle
    number = load_bundle(bundle).pith_number
    source = _subfolder_tree(tmp_path, number)
    route = "/" + bundle_path(number.rsplit(":", 1)[1])
    archive = tmp_path / "upload.tar.gz"
    with FaultServer({route: json_route(bundle_bytes(json.loads(bundle.read_text())))}) as server:
        result = run_cli(
            "arxiv", source, "--number", number, "--resolver", server.base,
            "--cache-dir", tmp_path / "cache", "--keyring", keyring, "-o", archive,
        )  # fmt: skip
        assert server.requests_to(route) == 1
        base = server.base
    assert result.returncode == 0, result.stderr
    with tarfile.open(archive) as tar:  # like pithtex tex: the first --resolver is the badge's
        data = tar.extractfile(f"pith-{number.rsplit(':', 1)[1]}.tex")
        assert data is not None and f"{base}/pith/".encode() in data.read()


def test_missing_source_and_ambiguous_main(tmp_path: Path) -> None:
    missing = run_cli("arxiv", tmp_path / "nope", "--bundle", SEED_BUNDLE)
    assert missing.returncode == 2 and "no such directory" in missing.stderr
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way\n")
    nowhere = run_cli("arxiv", tmp_path, "--bundle", SEED_BUNDLE, "-o", blocked / "b.tgz")
    assert nowhere.returncode == 2 and "exists and is not a folder" in nowhere.stderr
    source = _sample_source(tmp_path)
    shutil.copyfile(source / "paper.tex", source / "other.tex")
    shutil.move(source / "paper.tex", source / "draft.tex")
    ambiguous = run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", tmp_path / "x.tar.gz")
    assert ambiguous.returncode == 2 and "--main" in ambiguous.stderr
    chosen = run_cli(
        "arxiv", source, "--bundle", SEED_BUNDLE, "--main", "draft.tex",
        "-o", tmp_path / "x.tar.gz", "--json",
    )  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr
    assert "other.tex" not in json.loads(chosen.stdout)["files"]


# ---------------------------------------------------------------- links in the source


@pytest.mark.parametrize(
    ("make", "code", "named"),
    [
        (lambda s: (s / "secret.txt").symlink_to("/etc/passwd"), "link_outside", "secret.txt"),
        (lambda s: (s / "figs").symlink_to("/etc"), "link_outside", "figs"),
        (
            lambda s: ((s / "a").symlink_to(s / "b"), (s / "b").symlink_to(s / "a")),
            "link_loop",
            "a",
        ),
        (lambda s: (s / "up").symlink_to(s), "link_loop", "up"),
    ],
    ids=["file-outside", "folder-outside", "loop", "folder-loop"],
)
def test_links_out_of_the_source_or_in_a_loop_are_refused_by_name(
    tmp_path: Path, make: Any, code: str, named: str
) -> None:
    source = _sample_source(tmp_path)
    make(source)
    archive = tmp_path / "upload.tar.gz"
    result = run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("pithtex: error:")]
    assert len(errors) == 1 and named in errors[0] and len(errors[0]) < 300, result.stderr
    assert {"link_outside": "out of the source folder", "link_loop": "loop"}[code] in errors[0]
    assert "Traceback" not in result.stderr
    assert not archive.exists()
    json_run = run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive, "--json")
    assert json_run.returncode == 2


def test_links_inside_the_source_are_uploaded_as_what_they_point_to(tmp_path: Path) -> None:
    source = _sample_source(tmp_path)
    (source / "sections").mkdir()
    (source / "sections" / "extra.tex").write_text("An extra sentence from a linked file.\n")
    (source / "linked.tex").symlink_to(source / "sections" / "extra.tex")
    text = (source / "paper.tex").read_text()
    (source / "paper.tex").write_text(text.replace("\\maketitle", "\\maketitle\n\\input{linked}"))
    archive = tmp_path / "upload.tar.gz"
    result = run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive)
    assert result.returncode == 0, result.stderr
    members = _members(archive)
    assert members["linked.tex"].isfile(), "a link is uploaded as the file it names"
    with tarfile.open(archive) as tar:
        extracted = tar.extractfile("linked.tex")
        assert extracted is not None and b"linked file" in extracted.read()


@pytest.mark.parametrize("reference", ["\\input{../outside}", "\\input{/tmp/nowhere-pithtex}"])
def test_a_read_outside_the_source_folder_is_a_source_error(tmp_path: Path, reference: str) -> None:
    source = _sample_source(tmp_path)
    (tmp_path / "outside.tex").write_text("Text from outside the folder.\n")
    text = (source / "paper.tex").read_text()
    (source / "paper.tex").write_text(text.replace("\\maketitle", f"\\maketitle\n{reference}"))
    archive = tmp_path / "upload.tar.gz"
    result = run_cli("arxiv", source, "--bundle", SEED_BUNDLE, "-o", archive)
    assert result.returncode == 2, result.stderr
    assert "outside its folder" in result.stderr and reference[7:-1] in result.stderr
    assert not archive.exists()
