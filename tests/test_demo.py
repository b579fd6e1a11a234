"""``pithtex demo``: the whole toolchain on the sample paper, end to end, in a fresh folder."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEED_NUMBER, require_tool, run_cli

from pithtex.pdf.check import CheckOptions, check_pdf
from pithtex.trust.keyring import Keyring

STEPS = ["copy", "render", "compile", "stamp", "check", "png"]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.tex
def test_demo_end_to_end(tmp_path: Path) -> None:
    for tool in ("latexmk", "pdflatex", "pdftoppm", "pdftotext"):
        require_tool(tool)
    result = run_cli("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    folder = tmp_path / "pithtex-demo"
    out = result.stdout
    for step in STEPS:
        assert f"  {step} " in out
    assert f"verdict: VERIFIED  {SEED_NUMBER}" in out
    assert "FAIL" not in out
    pdf = folder / "paper.pdf"
    for name in ("paper.tex", "bundle.json", "pith.sty", "pith-J655K2KRI7DJHF4SOFYZCQRRE5.tex"):
        assert (folder / name).is_file()
    # an independent check of what the demo wrote: offline, with the bundle the PDF carries
    report = check_pdf(str(pdf), CheckOptions(keyring=Keyring.default(), registry=None))
    assert report.verdict.value == "verified"
    assert report.bundle_source == "embedded"
    # the PNG is page 1 (US letter at 110 dpi) of the stamped paper
    png = folder / "paper-page1.png"
    assert _png_size(png) == (935, 1210)
    page1 = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "pith:J655K2KR" in page1
    title_at = page1.index("Large Batch Optimization")
    assert title_at < page1.index("pith:J655K2KR") < page1.index("Abstract")


@pytest.mark.tex
def test_demo_json_and_refusal_of_a_non_empty_folder(tmp_path: Path) -> None:
    require_tool("latexmk")
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me\n")
    refused = run_cli("demo", folder)
    assert refused.returncode == 2 and "not empty" in refused.stderr and "--force" in refused.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["mine.txt"]
    result = run_cli("demo", folder, "--force", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["schema"] == "pithtex.demo/1" and summary["verdict"] == "verified"
    assert [s["name"] for s in summary["steps"]] == STEPS
    assert all(s["seconds"] >= 0 for s in summary["steps"])
    assert (folder / "mine.txt").read_text() == "keep me\n"


def test_demo_without_tex_says_how_to_install_it(tmp_path: Path) -> None:
    """With no TeX on PATH: exit 5 and the way to install it, before anything is written."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(sys.executable, bin_dir / "python3")
    env = {"PATH": str(bin_dir), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "pithtex", "demo", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "PATH"}, **env},
        check=False,
    )
    assert result.returncode == 5, result.stderr
    for platform in ("Debian/Ubuntu", "Fedora", "Arch", "macOS", "Windows"):
        assert platform in result.stderr
    assert "apt-get install" in result.stderr and "MiKTeX" in result.stderr
    assert "latexmk" in result.stderr and "texlive" in result.stderr
    assert "pithtex help install" in result.stderr
    assert "bootstrap.sh" not in result.stderr, "a wheel user has no bootstrap.sh"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d").exists()


@pytest.mark.tex
def test_demo_runs_again_in_its_own_folder(tmp_path: Path) -> None:
    """The README's first command works a second time: the demo reuses its own output."""
    require_tool("latexmk")
    first = run_cli("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = run_cli("demo", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "verdict: VERIFIED" in again.stdout
    assert (tmp_path / "pithtex-demo" / ".pithtex-demo").is_file()
