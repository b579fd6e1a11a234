"""Shared fixtures: paths, the seed bundle, test signing keys, bundle factories, the CLI.

External tools (TeX engines, qpdf, exiftool, ...) are required: a test that
needs one *fails* when it is missing (``bootstrap.sh`` installs them); it is
never skipped, so CI cannot pass without exercising them.

Tests that run TeX are marked ``tex``: ``pytest -m tex`` is the compile matrix,
which CI runs against the host's TeX Live and against the TeX Lives of
``.ci/texlive-chroot``.  A test without the mark that runs a TeX program fails,
so that no compile escapes the matrix.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pithtex.trust.signing import PaperMetadata, SigningKey, build_paper_bundle

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED_BUNDLE = ROOT / "samples" / "lamb" / "bundle.json"
SEED_TEXT = SEED_BUNDLE.read_bytes()
SEED_NUMBER = "pith:2019:J655K2KRI7DJHF4SOFYZCQRRE5"
SEED_BODY = "J655K2KRI7DJHF4SOFYZCQRRE5"
SEED_HASH = "4fbbd5695147c693979271719142312751c3535b842a03f4c428753a52087fea"
SEED_TITLE = "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes"
TEXLIVE_BIN = ROOT / ".ci" / "texlive-bin"
TEX_PROGRAMS = tuple(sorted(p.name for p in TEXLIVE_BIN.iterdir() if p.name != "in-root"))
"""The TeX programs the project and its tests run (each has a wrapper in .ci/texlive-bin)."""

TEST_PAPER = PaperMetadata(
    source_id="2611.01234",
    title="A Test Paper on {Braces}, 100% & Ünïcödé \\ Escapes",
    abstract="We test things.",
    submitted_at="2026-11-02T10:00:00Z",
    primary_cat="cs.DL",
    cross_cats=("cs.CR",),
    version=2,
)


def require_tool(name: str) -> str:
    """Path of an external program; fails the test (never skips) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run ./bootstrap.sh (as root) first")
    return path


def pytest_report_header() -> str:
    """Which TeX Live the compile matrix runs against (the host's, or a chosen root's)."""
    root = os.environ.get("PITHTEX_TEXLIVE_ROOT")
    where = f"in {root}" if root else "(host)"
    if shutil.which("pdftex") is None:
        return f"TeX: pdftex not found {where}"
    banner = subprocess.run(
        ["pdftex", "--version"], capture_output=True, text=True, check=False, timeout=60
    ).stdout.partition("\n")[0]
    return f"TeX: {banner} {where}"


@pytest.fixture(scope="session")
def _tex_refusers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of stand-ins for the TeX programs that fail, naming the missing mark."""
    folder = tmp_path_factory.mktemp("tex-refusers")
    for name in TEX_PROGRAMS:
        script = folder / name
        script.write_text(
            f"#!/bin/sh\necho '{name}: run by a test not marked pytest.mark.tex' >&2\nexit 127\n"
        )
        script.chmod(0o755)
    return folder


@pytest.fixture(autouse=True)
def _tex_only_in_tex_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests not marked ``tex`` find stand-ins that fail in place of the TeX programs."""
    if request.node.get_closest_marker("tex") is None:
        refusers = request.getfixturevalue("_tex_refusers")
        monkeypatch.setenv("PATH", f"{refusers}{os.pathsep}{os.environ.get('PATH', '')}")


def test_key(n: int = 1, **identity: Any) -> SigningKey:
    """A deterministic signing key: the same bytes in every run."""
    return SigningKey.from_seed(f"test-key-{n}", f"pithtex test key {n}".encode(), **identity)


@pytest.fixture
def seed_bundle() -> dict[str, Any]:
    """A fresh, mutable copy of the seed bundle (parsed JSON)."""
    return json.loads(SEED_TEXT)


@pytest.fixture
def seed() -> dict[str, Any]:
    """The seed bundle (parsed JSON), by the name the PDF tests give it."""
    return json.loads(SEED_TEXT)


def check_codes(report: Any) -> dict[str, str]:
    """A check report's status codes by check name."""
    return {c.check: c.code for c in report.checks}


def check_with_default_keyring(path: Path) -> Any:
    """``check_pdf`` of ``path``, trusting the shipped registry key only."""
    from pithtex.pdf.check import CheckOptions, check_pdf
    from pithtex.trust.keyring import Keyring

    return check_pdf(str(path), CheckOptions(keyring=Keyring.default()))


@pytest.fixture
def registry_key() -> SigningKey:
    return test_key(1)


@pytest.fixture
def test_keyring(tmp_path: Path, registry_key: SigningKey) -> Path:
    """A keyring file trusting ``registry_key``."""
    path = tmp_path / "keyring.json"
    path.write_text(json.dumps({"keys": [registry_key.public_entry()]}))
    return path


def make_test_bundle(
    key: SigningKey | None = None, paper: PaperMetadata = TEST_PAPER, **kwargs: Any
) -> dict[str, Any]:
    return build_paper_bundle(
        paper,
        key or test_key(1),
        created_at="2026-11-03T12:00:00Z",
        authors="Ada Lovelace, Alan Turing",
        **kwargs,
    )


@pytest.fixture
def bundle_factory() -> Callable[..., dict[str, Any]]:
    return make_test_bundle


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1))
    return path


def run_cli(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    check: bool = False,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pithtex ARGS`` from this checkout; returns the completed process."""
    merged = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "pithtex", *map(str, args)],
        check=False,
        cwd=cwd,
        env=merged,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"pithtex {' '.join(map(str, args))} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


test_key.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
