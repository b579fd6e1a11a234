"""The TeX Live the compile matrix runs against: the host's, or a root of ``.ci/texlive-chroot``.

``.ci/texlive-chroot run ROOT CMD`` puts ``.ci/texlive-bin`` first on PATH, whose
wrappers run each TeX program inside ROOT.  These tests check that every TeX
program the project runs is there and works, that a compile through pithtex really
used the chosen TeX Live, and that a test not marked ``tex`` cannot run TeX (so
``pytest -m tex`` is the whole compile matrix).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import TEX_PROGRAMS, TEXLIVE_BIN, require_tool

from pithtex.tex.run import compile_tex

_TEXLIVE = re.compile(r"\(TeX Live [^)]*\)")
_PS = "%!PS\n/Times-Roman findfont 12 scalefont setfont 72 720 moveto (ps2pdf) show showpage\n"


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _probe(name: str, folder: Path) -> list[str]:
    """A command that makes ``name`` do something small and exit 0."""
    if name == "ps2pdf":
        (folder / "probe.ps").write_text(_PS)
        return [name, "probe.ps", "probe.pdf"]
    if name == "makeindex":
        (folder / "probe.idx").write_text("\\indexentry{pith}{1}\n")
        return [name, "-q", "probe.idx"]
    return [name, "--version"]


def _banner_texlive(text: str) -> str:
    match = _TEXLIVE.search(text)
    assert match is not None, f"no TeX Live named in {text!r}"
    return match.group(0)


@pytest.mark.tex
@pytest.mark.parametrize("name", TEX_PROGRAMS)
def test_every_tex_program_runs(tmp_path: Path, name: str) -> None:
    path = Path(require_tool(name))
    root = os.environ.get("PITHTEX_TEXLIVE_ROOT")
    assert (path.parent == TEXLIVE_BIN) == bool(root), f"{name} is {path}, root {root}"
    result = _run(_probe(name, tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    if name == "ps2pdf":
        assert (tmp_path / "probe.pdf").read_bytes().startswith(b"%PDF-")
    if name == "makeindex":
        assert "\\item pith, 1" in (tmp_path / "probe.ind").read_text()


@pytest.mark.tex
def test_compiles_use_the_chosen_texlive(tmp_path: Path) -> None:
    """The PDF's banner names the TeX Live of ``pdftex --version``, and under a root,
    the one the root was built with."""
    import pikepdf

    main = tmp_path / "main.tex"
    main.write_text("\\documentclass{article}\\begin{document}TeX Live\\end{document}\n")
    with pikepdf.open(compile_tex(main, "pdflatex").pdf) as pdf:
        banner = str(pdf.trailer.Info["/PTEX.Fullbanner"])
    version = _run(["pdftex", "--version"], tmp_path).stdout.partition("\n")[0]
    assert _banner_texlive(banner) == _banner_texlive(version)
    root = os.environ.get("PITHTEX_TEXLIVE_ROOT")
    if root is not None:
        built = (Path(root) / ".pithtex-texlive").read_text().splitlines()[1]
        assert built == version


def test_tests_not_marked_tex_cannot_run_tex(tmp_path: Path) -> None:
    for name in TEX_PROGRAMS:
        result = _run([name, "--version"], tmp_path)
        assert result.returncode == 127
        assert f"{name}: run by a test not marked pytest.mark.tex" in result.stderr
