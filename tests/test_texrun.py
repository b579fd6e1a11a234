"""Running TeX like arXiv: main file, engine, failures shown by their log lines, inputs used."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import require_tool

from pithtex.core.errors import InputError
from pithtex.pdf.watermark import add_watermark, arxiv_stamp_text
from pithtex.tex.run import (
    CompileError,
    compile_tex,
    detect_engine,
    find_main_file,
    recorded_inputs,
)

DOC = "\\documentclass{article}\n\\begin{document}\n%s\n\\end{document}\n"


def test_main_file_detection(tmp_path: Path) -> None:
    (tmp_path / "intro.tex").write_text("Just a section.\n")
    (tmp_path / "old.tex").write_text("% \\documentclass{article}\\begin{document}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "appendix.tex").write_text(DOC % "x")
    assert find_main_file(tmp_path) == tmp_path / "sub" / "appendix.tex"
    (tmp_path / "paper.tex").write_text(DOC % "y")
    assert find_main_file(tmp_path) == tmp_path / "paper.tex"
    (tmp_path / "other.tex").write_text(DOC % "z")
    assert find_main_file(tmp_path) == tmp_path / "paper.tex"  # the usual name wins
    (tmp_path / "paper.tex").rename(tmp_path / "draft.tex")
    with pytest.raises(InputError, match="several main files"):
        find_main_file(tmp_path)
    with pytest.raises(InputError, match=r"no \.tex file"):
        find_main_file(_empty(tmp_path))


def _empty(tmp_path: Path) -> Path:
    empty = tmp_path / "empty"
    empty.mkdir()
    return empty


@pytest.mark.parametrize(
    ("source", "engine"),
    [
        (DOC % "x", "pdflatex"),
        ("% !TEX program = xelatex\n" + DOC % "x", "xelatex"),
        ("%!TeX TS-program = LuaLaTeX\n" + DOC % "x", "lualatex"),
        ("% !TEX program = latex\n" + DOC % "x", "latex"),
    ],
)
def test_engine_from_magic_comment(source: str, engine: str) -> None:
    assert detect_engine(source) == engine


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(InputError, match="context"):
        detect_engine("% !TEX program = context\n")


@pytest.mark.tex
def test_failed_compile_shows_the_error_lines(tmp_path: Path) -> None:
    require_tool("latexmk")
    main = tmp_path / "main.tex"
    main.write_text(DOC % "Some text.\n\\undefinedmacro\nMore text.")
    with pytest.raises(CompileError) as info:
        compile_tex(main)
    excerpt = info.value.log_excerpt
    assert "Undefined control sequence" in excerpt
    assert "main.tex:4" in excerpt
    assert len(excerpt.splitlines()) < 40


@pytest.mark.tex
def test_no_shell_escape(tmp_path: Path) -> None:
    require_tool("latexmk")
    main = tmp_path / "main.tex"
    main.write_text(DOC % "\\immediate\\write18{touch pwned}ok")
    compile_tex(main)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.tex
def test_recorded_inputs_keep_sources_and_bbl_only(tmp_path: Path) -> None:
    require_tool("latexmk")
    require_tool("bibtex")
    (tmp_path / "sec").mkdir()
    (tmp_path / "sec" / "a.tex").write_text("See \\cite{knuth}.\\input{sec/b}\n")
    (tmp_path / "sec" / "b.tex").write_text("Chained.\n")
    (tmp_path / "refs.bib").write_text(
        "@book{knuth, author={Donald Knuth}, title={The TeXbook}, year={1984}, "
        "publisher={Addison-Wesley}}\n"
    )
    (tmp_path / "unused.tex").write_text("never read\n")
    main = tmp_path / "main.tex"
    main.write_text(DOC % "\\input{sec/a}\\bibliographystyle{plain}\\bibliography{refs}")
    result = compile_tex(main)
    used = {p.relative_to(tmp_path).as_posix() for p in recorded_inputs(result.recorder, tmp_path)}
    assert used == {"main.tex", "sec/a.tex", "sec/b.tex", "main.bbl"}


@pytest.mark.tex
def test_watermark_is_drawn_in_the_left_margin(tmp_path: Path) -> None:
    require_tool("latexmk")
    main = tmp_path / "main.tex"
    main.write_text(DOC % "Body text.")
    pdf = compile_tex(main).pdf
    marked = tmp_path / "marked.pdf"
    text = arxiv_stamp_text("1904.00962", 5, "cs.LG", "3 Jan 2020")
    add_watermark(pdf, marked, text)
    subprocess.run([require_tool("qpdf"), "--check", str(marked)], check=True, capture_output=True)
    out = subprocess.run(
        [
            require_tool("pdftotext"),
            "-f",
            "1",
            "-l",
            "1",
            "-x",
            "0",
            "-y",
            "0",
            "-W",
            "45",
            "-H",
            "842",
            str(marked),
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "arXiv:1904.00962v5" in out
    assert (
        "Body text."
        in subprocess.run(
            [require_tool("pdftotext"), str(marked), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
