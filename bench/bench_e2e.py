"""The whole job: ``pithtex arxiv`` on the sample paper against latexmk alone.

Anchor, measured in the same run: latexmk compiling the same source (the sample
paper with ``pith.sty`` and its data file beside it) in a fresh folder, with
the flags ``pithtex arxiv`` gives it (pdfLaTeX, no shell escape, recorder).
The figure is the wall time of the whole command ``python3 -m pithtex arxiv``
(interpreter start-up, bundle verification, rendering, the compile, the check
of the PDF, the archive).  Runs alternate between the two so that load from
other work on the machine hits both alike; the medians are compared.

Target: at most 1.2x the anchor.  Also reported: ``pithtex demo`` end to end.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, SEED_BUNDLE, Row, clean_python_argv, clean_python_env, pithtex_argv

SAMPLE = ROOT / "samples" / "lamb"
RUNS = 7
TARGET = 1.2


def _latexmk_argv() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from pithtex.tex.run import latexmk_command

    return latexmk_command(Path("paper.tex"), "pdflatex")


def _prepared_source(directory: Path) -> Path:
    """The sample with pith.sty and its data file: what latexmk alone compiles."""
    source = directory / "prepared"
    source.mkdir()
    shutil.copyfile(SAMPLE / "paper.tex", source / "paper.tex")
    env = {"PYTHONPATH": str(ROOT)}
    for args in (("sty", "-o", str(source)), ("tex", str(SEED_BUNDLE), "-o", str(source))):
        subprocess.run(pithtex_argv(*args), check=True, capture_output=True, env=_env(env))
    return source


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **extra}


def _time(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        cwd=cwd,
        env=_env(env or {"PYTHONPATH": str(ROOT)}),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _latexmk_once(prepared: Path, scratch: Path, index: int) -> float:
    folder = scratch / f"latexmk-{index}"
    shutil.copytree(prepared, folder)
    return _time(_latexmk_argv(), folder)


def _arxiv_once(scratch: Path, index: int, *, clean: bool = False) -> float:
    output = scratch / f"upload-{index}.tar.gz"
    args = ("-m", "pithtex", "arxiv", str(SAMPLE), "--bundle", str(SEED_BUNDLE), "-o", str(output))
    if clean:  # start-up as on a regular install: no development .pth files
        return _time([*clean_python_argv(*args), "-q"], scratch, clean_python_env())
    return _time([sys.executable, *args, "-q"], scratch)


def _demo_once(scratch: Path, index: int) -> float:
    return _time(pithtex_argv("demo", str(scratch / f"demo-{index}")), scratch)


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="pithtex-bench-e2e-") as name:
        scratch = Path(name)
        prepared = _prepared_source(scratch)
        _latexmk_once(prepared, scratch, -1)  # warm the file cache and the fonts
        _arxiv_once(scratch, -1)
        anchor: list[float] = []
        ours: list[float] = []
        clean: list[float] = []
        for index in range(RUNS):
            anchor.append(_latexmk_once(prepared, scratch, index))
            ours.append(_arxiv_once(scratch, index))
            clean.append(_arxiv_once(scratch, RUNS + index, clean=True))
        demo = statistics.median(_demo_once(scratch, index) for index in range(3))
    latexmk = statistics.median(anchor)
    arxiv = statistics.median(ours)
    arxiv_clean = statistics.median(clean)
    return [
        Row(
            "e2e",
            "pithtex arxiv on the sample, total wall time",
            arxiv,
            "s",
            f"<= {TARGET}x latexmk",
            arxiv <= TARGET * latexmk,
            "latexmk alone, same source",
            latexmk,
        ),
        Row(
            "e2e",
            "pithtex arxiv, clean start-up (no development .pth files)",
            arxiv_clean,
            "s",
            f"<= {TARGET}x latexmk",
            arxiv_clean <= TARGET * latexmk,
            "latexmk alone, same source",
            latexmk,
        ),
        Row(
            "e2e",
            "pithtex demo (render, compile, stamp, check, PNG)",
            demo,
            "s",
            "-",
            None,
            "latexmk alone, same source",
            latexmk,
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row, f"ratio {row.ratio:.3f}" if row.ratio else "")
