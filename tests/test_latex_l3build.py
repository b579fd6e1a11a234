"""The LaTeX package's own regression tests: ``l3build check`` over ``latex/testfiles``.

The ``.lvt`` files exercise pith's messages, the option errors, the number
parser, the data file (its reading and each mismatch) and the fields; the
``.tlg`` files hold the expected log, which shows only pith's own messages and
values, so that the same ``.tlg`` holds on every TeX Live the CI runs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, require_tool

from pithtex.tex import render

pytestmark = pytest.mark.tex

LATEX = ROOT / render.LATEX_DIR


def _copy(tmp_path: Path) -> Path:
    """A copy of ``latex/`` (l3build writes its build/ folder beside build.lua)."""
    target = tmp_path / "latex"
    shutil.copytree(LATEX, target, ignore=shutil.ignore_patterns("build", "*.pdf"))
    return target


def _check(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("l3build"), "check"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _diffs(directory: Path) -> str:
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")[-3000:]
        for path in sorted((directory / "build" / "test").glob("*.diff"))
    )


def test_every_regression_test_has_its_expected_log() -> None:
    tests = {p.stem for p in (LATEX / "testfiles").glob("*.lvt")}
    logs = {p.stem for p in (LATEX / "testfiles").glob("*.tlg")}
    assert tests == logs
    assert {"pith-parser", "pith-options", "pith-number", "pith-data"} <= tests


def test_l3build_check_passes(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    result = _check(directory)
    assert result.returncode == 0, result.stdout[-3000:] + _diffs(directory)
    assert "All checks passed" in result.stdout


def test_l3build_check_fails_when_a_message_changes(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    sty = directory / render.STY_FILE
    text = sty.read_text(encoding="utf-8")
    changed = text.replace("cannot~appear~in~a~Pith~Number", "is~not~base32")
    assert changed != text
    sty.write_text(changed, encoding="utf-8")
    result = _check(directory)
    assert result.returncode != 0
    assert "pith-parser" in result.stdout + result.stderr
