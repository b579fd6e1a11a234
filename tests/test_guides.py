"""The getting-started guides run as written, on fresh folders.

Each guide's commands are taken from its code blocks and run in a new folder
holding only what the guide says the reader has (the sample paper and its
bundle, the producer PDFs); the pipeline guide's build script runs verbatim.
Outputs are compared on the lines a reader acts on (verdicts, ``stamped``
lines, summaries, the archive line), with timings and sizes left out.
``fetch`` talks to a mirror served on 127.0.0.1 instead of pith.science.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SEED_BUNDLE, require_tool
from httpfixtures import pithtex_serve

from pithtex.registry.mirror import build_mirror
from pithtex.trust.keyring import Keyring

pytestmark = [pytest.mark.tex, pytest.mark.slow]

DOCS = ROOT / "docs"
SAMPLE = ROOT / "samples" / "lamb"
PRODUCERS = ROOT / "samples" / "producers"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
KEY_LINE = re.compile(r"^(verdict:|VERIFIED|FAILED|NO-CLAIM|OK |stamped |summary:|\d+ files?:)")
MEASURE = re.compile(r"\d+(?:\.\d+)? ?(?:s|ms|KiB|MiB|bytes)\b")


def _blocks(page: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer((DOCS / page).read_text())]


def _transcripts(page: str) -> Iterator[list[tuple[str, list[str]]]]:
    """Blocks written as ``$ command`` lines, each with the output shown after it."""
    for language, body in _blocks(page):
        if language or not body.startswith("$ "):
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
        yield steps


def _key_lines(lines: list[str]) -> list[str]:
    return [MEASURE.sub("#", line.strip()) for line in lines if KEY_LINE.match(line.strip())]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(extra or {})}


def _shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _replay(steps: list[tuple[str, list[str]]], cwd: Path, env: dict[str, str]) -> Path:
    """Run each ``$`` line in one shell session's folder; compare the key output lines."""
    for command, shown in steps:
        if command.startswith("cd "):
            cwd = (cwd / command[3:].strip()).resolve()
            continue
        result = _shell(command, cwd, env)
        expected = _key_lines(shown)
        actual = _key_lines((result.stdout + result.stderr).splitlines())
        assert expected == actual, (command, result.stdout, result.stderr)
        wanted = (
            1 if any(line.startswith(("verdict: FAILED", "FAILED")) for line in expected) else 0
        )
        assert result.returncode == wanted, (command, result.returncode, result.stderr)
    return cwd


@pytest.fixture(scope="module")
def mirror_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A mirror of the seed bundle on 127.0.0.1, standing in for pith.science."""
    directory = tmp_path_factory.mktemp("mirror")
    build_mirror(directory, [SEED_BUNDLE], keyring=Keyring.default())
    with pithtex_serve(directory) as base:
        yield base


def test_the_pipeline_guides_build_script_runs_verbatim_on_a_fresh_folder(tmp_path: Path) -> None:
    require_tool("latexmk")
    (script,) = [body for lang, body in _blocks("getting-started-pipeline.md") if
                 body.startswith("#!/usr/bin/env bash")]  # fmt: skip
    paper = tmp_path / "papers" / "2611.00001"
    paper.mkdir(parents=True)
    shutil.copy(SAMPLE / "paper.tex", paper / "paper.tex")
    shutil.copy(SEED_BUNDLE, paper / "bundle.json")
    (tmp_path / "build.sh").write_text(script)
    result = _shell("bash build.sh", tmp_path, _env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "pdfs" / "2611.00001.pdf").is_file()
    summary = (tmp_path / "checks.jsonl").read_text().splitlines()[-1]
    assert '"verified":1' in summary.replace(" ", "") and '"exit_code":0' in summary.replace(
        " ", ""
    )
    (transcript, *_) = _transcripts("getting-started-pipeline.md")
    shown = [line for command, lines in transcript if command == "bash build.sh" for line in lines]
    assert _key_lines(shown) == _key_lines((result.stdout + result.stderr).splitlines())


def test_the_pipeline_guides_producer_pdfs_section(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for pdf in ("ghostscript.pdf", "reportlab.pdf"):
        shutil.copy(PRODUCERS / pdf, tmp_path / "in" / pdf)
    shutil.copy(SEED_BUNDLE, tmp_path / "bundle.json")
    steps = next(t for t in _transcripts("getting-started-pipeline.md") if "in/*.pdf" in t[0][0])
    _replay(steps, tmp_path, _env())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "ghostscript.pdf",
        "reportlab.pdf",
    ]


def test_the_pipeline_guides_python_example(tmp_path: Path) -> None:
    require_tool("latexmk")
    shutil.copy(SAMPLE / "paper.tex", tmp_path / "paper.tex")
    shutil.copy(SEED_BUNDLE, tmp_path / "bundle.json")
    for name in ("sty", "tex"):
        args = ["-o", "."] if name == "sty" else ["bundle.json", "-o", "."]
        subprocess.run(
            [sys.executable, "-m", "pithtex", name, *args], cwd=tmp_path, env=_env(), check=True
        )
    subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-quiet", "paper.tex"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    one, many = [body for lang, body in _blocks("getting-started-pipeline.md") if lang == "python"]
    assert _python(one, tmp_path).split() == ["verified", "check.verified"]
    for paper in ("2611.00001", "2611.00002"):
        (tmp_path / "papers" / paper).mkdir(parents=True)
        shutil.copy(tmp_path / "paper.pdf", tmp_path / "papers" / paper / "paper.pdf")
    printed = _python(many, tmp_path).splitlines()
    assert printed[-1] == "0" and len(printed) == 3
    assert all(line.startswith("stamped ") for line in printed[:2]), printed
    assert (tmp_path / "stamped" / "2611.00002" / "paper.pdf").is_file()


def _python(code: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_author_guide_from_fetch_to_the_arxiv_upload(tmp_path: Path, mirror_url: str) -> None:
    """fetch, sty, tex, latexmk, check and arxiv, in the order the guide gives them."""
    require_tool("latexmk")
    env = _env({"PITHTEX_RESOLVERS": mirror_url, "PITHTEX_CACHE_DIR": str(tmp_path / "cache")})
    fetches = [
        line
        for lang, body in _blocks("getting-started-author.md")
        if lang == "sh"
        for line in body.splitlines()
        if "pithtex fetch" in line
    ]
    assert fetches, "the guide fetches the bundle first"
    for line in fetches:
        fetched = _shell(line, tmp_path, env)
        assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "bundle.json").is_file()
    (tmp_path / "my-paper").mkdir()
    shutil.copy(SAMPLE / "paper.tex", tmp_path / "my-paper" / "paper.tex")
    cwd = tmp_path
    for steps in _transcripts("getting-started-author.md"):
        if "2611.01234v1.pdf" in steps[0][0]:
            continue  # after arXiv: a PDF the reader downloads, not one made here
        if steps[0][0] == "cd my-paper":
            cwd = _replay(steps, cwd, env)
            compiled = _shell("latexmk -pdf paper.tex", cwd, env)
            assert compiled.returncode == 0, compiled.stdout[-2000:]
        else:
            cwd = _replay(steps, cwd, env)
    assert (tmp_path / "upload.tar.gz").is_file()
