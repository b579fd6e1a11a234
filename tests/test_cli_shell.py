"""Shell completion (bash, zsh, fish) and the manual page, both generated from the parser."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, run_cli

from pithtex.cli import build_parser


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_for_each_shell(shell: str) -> None:
    result = run_cli("completion", shell)
    assert result.returncode == 0, result.stderr
    assert "pithtex" in result.stdout and "_ARGCOMPLETE" in result.stdout


def _complete(line: str) -> list[str]:
    """What the shell would offer for ``line``: argcomplete answers on file descriptor 8."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    process = subprocess.run(
        ["sh", "-c", '"$0" -m pithtex 8>&1 9>/dev/null 1>/dev/null', sys.executable],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    return [word.strip() for word in process.stdout.split("\n") if word.strip()]


def test_completion_offers_verbs_and_their_options() -> None:
    assert set(_complete("pithtex st")) == {"stamp", "sty"}
    assert "--embed-bundle" in _complete("pithtex stamp --emb")
    assert "--offline" in _complete("pithtex check --off")


def test_manual_page_lists_every_verb_and_option() -> None:
    result = run_cli("man")
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert page.startswith(".TH PITHTEX") and '"pithtex manual"' in page
    sub = next(a for a in build_parser()._actions if a.dest == "verb")
    for verb in sub.choices:  # type: ignore[union-attr]
        assert f"pithtex\\fR \\fI\\,{verb}" in page, verb
    assert "embed\\-bundle" in page and "\\-\\-offline" in page


def test_version_flags() -> None:
    for flag in ("-V", "--version"):
        result = run_cli(flag)
        assert result.returncode == 0 and result.stdout.startswith("pithtex "), result.stderr
