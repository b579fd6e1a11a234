"""The code-quality gates CI holds the library to: ruff, ruff format, mypy --strict, lint-imports.

They run as tests so that the README's one test command (which CI runs)
covers them; each names the offending lines when it fails.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "pithtex", "tests", "bench"),
        ("ruff", "format", "--check", "pithtex", "tests", "bench"),
        ("mypy",),
    ],
    ids=["ruff", "ruff-format", "mypy-strict"],
)
def test_linters_are_clean(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    """The layers (core -> trust -> registry/pdf/tex -> jobs -> pipelines -> cli) hold."""
    script = (
        "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
