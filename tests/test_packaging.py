"""pithtex as users install it: the wheel in a fresh venv, the sdist with its tests.

The wheel must be complete: ``pithtex demo`` in an empty folder compiles,
stamps and checks the sample paper, and ``pithtex help`` reads the shipped
docs.  The sdist must carry what its own tests need.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, require_tool

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def _one(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


def test_wheel_ships_the_samples_docs_templates_and_license(dist: Path) -> None:
    names = set(zipfile.ZipFile(_one(dist, "*.whl")).namelist())
    for wanted in (
        "pithtex/samples/lamb/paper.tex",
        "pithtex/samples/lamb/bundle.json",
        "pithtex/templates/pith-header.sty.j2",
        "pithtex/latex/src/pith-code.sty",
        "pithtex/latex/pith.tex",
        "pithtex/latex/build.lua",
        "pithtex/docs/install.md",
        "pithtex/data/keyring.json",
        "pithtex/py.typed",
    ):
        assert wanted in names, wanted
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(_one(dist, "*.whl")).read(metadata).decode()
    assert "Project-URL: Homepage, https://pith.science" in text
    assert "License-Expression: MIT" in text


@pytest.mark.tex
def test_the_wheel_in_a_fresh_venv_runs_the_demo_in_an_empty_folder(
    dist: Path, tmp_path: Path
) -> None:
    require_tool("latexmk")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PITHTEX_DEBUG")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(_one(dist, "*.whl"))],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    pithtex = env_dir / "bin" / "pithtex"
    demo = subprocess.run(
        [str(pithtex), "demo"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "verdict: VERIFIED" in demo.stdout
    check = subprocess.run(
        [str(pithtex), "check", "pithtex-demo/paper.pdf"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    where = subprocess.run(
        [str(python), "-c", "import pithtex; print(pithtex.__file__)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in where.stdout, "the venv's own pithtex ran, not the checkout's"
    shown = subprocess.run(
        [str(pithtex), "help", "install"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0 and "pipx install pithtex" in shown.stdout


@pytest.mark.tex  # the tests it runs from the sdist compile (the API guide's example)
def test_the_sdist_carries_its_tests_and_they_run(dist: Path, tmp_path: Path) -> None:
    with tarfile.open(_one(dist, "*.tar.gz")) as archive:
        archive.extractall(tmp_path, filter="data")
    (root,) = (p for p in tmp_path.iterdir() if p.is_dir())
    (tmp_path / "shared").symlink_to(SHARED)
    for needed in (
        "tests/conftest.py",
        "tests/hostile.py",
        "samples/lamb/paper.tex",
        "latex/pith.sty",
        "LICENSE",
        "bootstrap.sh",
    ):
        assert (root / needed).is_file(), needed
    env = {**os.environ, "PYTHONPATH": str(root)}
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    assert " error" not in collected.stdout.splitlines()[-1]
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "tests/test_verify_seed.py",
            "tests/test_check.py",
            "tests/test_latex_render.py",
            "tests/test_public_api.py",
            "tests/test_docs.py",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
