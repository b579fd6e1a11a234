"""``pithtex ctan``: the manual built with real TeX, and an archive CTAN accepts.

The acceptance test unpacks the archive's TDS zip into an empty TEXMFHOME and
compiles the sample paper with no pith.sty beside it: TeX must find the package
in that tree alone, and the PDF must check VERIFIED.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SEED_BUNDLE, SEED_NUMBER, require_tool, run_cli

from pithtex.core.model import load_bundle
from pithtex.pdf.check import CheckOptions, check_pdf
from pithtex.tex import ctan, render
from pithtex.tex.run import compile_tex
from pithtex.trust.keyring import Keyring

pytestmark = pytest.mark.tex

SAMPLE = ROOT / "samples" / "lamb"
PACKAGE_FILES = {"pith.sty", "pith.pdf", "pith.tex", "README.md", "CHANGELOG.md"}


@pytest.fixture(scope="module")
def archive() -> ctan.CtanArchive:
    require_tool("pdflatex")
    return ctan.build_ctan_archive()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def test_the_archive_has_one_top_folder_and_the_tds_zip_beside_it(
    archive: ctan.CtanArchive,
) -> None:
    members = _members(archive.data)
    assert set(members) == {f"pith/{name}" for name in PACKAGE_FILES} | {"pith.tds.zip"}
    assert members["pith/pith.sty"].decode() == render.render_sty()
    tds = _members(members["pith.tds.zip"])
    assert set(tds) == {"tex/latex/pith/pith.sty"} | {
        f"doc/latex/pith/{name}" for name in PACKAGE_FILES - {"pith.sty"}
    }
    assert tds["tex/latex/pith/pith.sty"] == members["pith/pith.sty"]
    assert members["pith/pith.pdf"].startswith(b"%PDF-")


def test_nothing_ctan_regenerates_or_a_build_leaves_is_in_it(archive: ctan.CtanArchive) -> None:
    names = list(_members(archive.data)) + list(_members(_members(archive.data)["pith.tds.zip"]))
    for name in names:
        assert Path(name).suffix not in {
            ".aux",
            ".log",
            ".toc",
            ".out",
            ".dtx",
            ".ins",
            ".zip",
        } or (name == "pith.tds.zip"), name
        assert "build/" not in name and "testfiles" not in name, name


def test_one_license_is_stated_in_the_source_the_manual_and_the_readme(
    archive: ctan.CtanArchive, tmp_path: Path
) -> None:
    members = _members(archive.data)
    assert "Released under the MIT license" in members["pith/pith.sty"].decode()
    assert "Released under the MIT license" in members["pith/README.md"].decode()
    assert "LPPL" not in members["pith/pith.sty"].decode()
    pdf = tmp_path / "pith.pdf"
    pdf.write_bytes(members["pith/pith.pdf"])
    text = subprocess.run(
        [require_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Permission is hereby granted, free of charge" in text
    assert f"Version {render.PACKAGE_VERSION} of {render.PACKAGE_DATE}" in text
    for section in ("Options", "Messages and their cures", "Change history", "pith/badge"):
        assert section in text


def test_the_manual_compiles_from_the_package_sources(tmp_path: Path) -> None:
    require_tool("pdflatex")
    shutil.copy(render.latex_dir() / ctan.MANUAL_SOURCE, tmp_path)
    render.write_sty(tmp_path)
    pdf = ctan.build_manual(tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF-")
    log = (tmp_path / "pith.log").read_text(errors="replace")
    assert "Package pith Warning" not in log
    assert "undefined references" not in log


def test_a_broken_manual_is_a_one_line_error(tmp_path: Path) -> None:
    require_tool("pdflatex")
    (tmp_path / ctan.MANUAL_SOURCE).write_text("\\documentclass{article}\\begin{document}\\oops\n")
    with pytest.raises(ctan.ManualError, match="pdflatex failed"):
        ctan.build_manual(tmp_path)


def test_the_archive_is_reproducible(archive: ctan.CtanArchive) -> None:
    assert ctan.build_ctan_archive().data == archive.data


def test_the_sample_paper_compiles_from_the_archive_alone_and_verifies(
    archive: ctan.CtanArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("latexmk")
    texmf = tmp_path / "texmf"
    texmf.mkdir()
    with zipfile.ZipFile(io.BytesIO(_members(archive.data)["pith.tds.zip"])) as tds:
        tds.extractall(texmf)
    paper = tmp_path / "paper"
    paper.mkdir()
    for name in ("paper.tex", "pith-J655K2KRI7DJHF4SOFYZCQRRE5.tex"):
        shutil.copy(SAMPLE / name, paper)
    assert not (paper / "pith.sty").exists()
    monkeypatch.setenv("TEXMFHOME", str(texmf))
    found = subprocess.run(
        [require_tool("kpsewhich"), "pith.sty"], capture_output=True, text=True, check=False
    ).stdout.strip()
    assert found == str(texmf / "tex" / "latex" / "pith" / "pith.sty")
    result = compile_tex(paper / "paper.tex")
    assert str(texmf / "tex" / "latex" / "pith" / "pith.sty") in result.log.read_text(
        errors="replace"
    ).replace("\n", "")
    report = check_pdf(
        str(result.pdf),
        CheckOptions(
            keyring=Keyring.default(), bundle=load_bundle(SEED_BUNDLE), registry=None, offline=True
        ),
    )
    assert report.verdict.value == "verified", report
    assert report.number == SEED_NUMBER


def test_cli_writes_the_archive_and_reports_it_as_json(tmp_path: Path) -> None:
    require_tool("pdflatex")
    result = run_cli("ctan", "-o", tmp_path / "out" / "pith.zip", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema"] == "pithtex.ctan/1"
    assert report["license"] == "mit"
    assert "pith/pith.pdf" in report["files"]
    assert zipfile.is_zipfile(tmp_path / "out" / "pith.zip")


def test_cli_writes_the_archive_to_stdout(tmp_path: Path) -> None:
    require_tool("pdflatex")
    result = subprocess.run(
        [sys.executable, "-m", "pithtex", "ctan", "-o", "-"],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert zipfile.is_zipfile(io.BytesIO(result.stdout))
    assert list(tmp_path.iterdir()) == []


def test_cli_without_pdflatex_exits_5_with_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "ctan", "-o", tmp_path / "pith.zip", env={"PATH": str(Path(sys.executable).parent)}
    )
    assert result.returncode == 5
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "pith.zip").exists()
