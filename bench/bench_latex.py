"""LaTeX: compile-time overhead of ``\\usepackage{pith}`` on the 7-page sample paper.

The sample paper (``samples/lamb/paper.tex``, pdfLaTeX) is compiled in four
versions in the same run, round-robin so that a change of machine load hits
them all alike: without pith (the anchor), with pith (badge, QR code and XMP),
and, for scale, without pith but with the LaTeX ``qrcode`` package drawing the
same URL, and with ``hyperxmp``.  Two figures for each: the best CPU time
(user and system) of the pdflatex process over several rounds, and, when
valgrind is installed, the number of instructions pdflatex executes (counted
by cachegrind), which does not depend on the machine or its load at all.
Both are reported as ratios to the paper without pith.  Target: pith adds at
most 3%.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import ROOT, SEED_BUNDLE, Row, instructions

from pithtex.core.model import load_bundle
from pithtex.tex import render as latex
from pithtex.trust.keyring import Keyring
from pithtex.trust.verify import require_verified

SAMPLE = ROOT / "samples" / "lamb" / "paper.tex"
PITH_LINES = ("\\usepackage[qr]{pith}", "\\pithnumber{")
ROUNDS = 11
TARGET_RATIO = 1.03


def variants(source: str, url: str) -> dict[str, str]:
    """The sample with pith, without it, and without it but with each anchor package."""
    base = "\n".join(line for line in source.splitlines() if not line.startswith(PITH_LINES)) + "\n"
    if base == source:
        raise RuntimeError("the sample paper does not load pith the expected way")
    qrcode = base.replace(
        "\\usepackage{hyperref}", "\\usepackage{hyperref}\n\\usepackage{qrcode}"
    ).replace("\\maketitle", f"\\maketitle\n\\begin{{center}}\\qrcode{{{url}}}\\end{{center}}")
    hyperxmp = base.replace(
        "\\usepackage{hyperref}", "\\usepackage{hyperref}\n\\usepackage{hyperxmp}"
    )
    return {"base": base, "pith": source, "qrcode": qrcode, "hyperxmp": hyperxmp}


def compile_seconds(directory: Path, job: str) -> float:
    """CPU seconds (user + system) of one pdflatex run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", job],
        cwd=directory,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compile_instructions(directory: Path, job: str) -> int:
    """Instructions pdflatex executes for one run, counted by valgrind's cachegrind."""
    argv = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", job]
    return instructions(argv, cwd=directory)


def measure() -> tuple[dict[str, float], dict[str, int]]:
    if shutil.which("pdflatex") is None:
        raise RuntimeError("pdflatex is not installed: run ./bootstrap.sh")
    data = latex.paper_data_from_bundle(
        require_verified(load_bundle(SEED_BUNDLE), Keyring.default())
    )
    with tempfile.TemporaryDirectory(prefix="pithtex-bench-") as temp:
        directory = Path(temp)
        latex.write_sty(directory)
        latex.write_data(data, directory)
        jobs = {}
        for name, text in variants(SAMPLE.read_text(encoding="utf-8"), data.url).items():
            (directory / f"{name}.tex").write_text(text, encoding="utf-8")
            jobs[name] = f"{name}.tex"
            compile_seconds(directory, jobs[name])  # warm-up: fonts, aux file
            compile_seconds(directory, jobs[name])
        times: dict[str, list[float]] = {name: [] for name in jobs}
        for _ in range(ROUNDS):
            for name, job in jobs.items():
                times[name].append(compile_seconds(directory, job))
        instructions = {}
        if shutil.which("valgrind") is not None:
            instructions = {
                name: compile_instructions(directory, job) for name, job in jobs.items()
            }
    return {name: min(values) for name, values in times.items()}, instructions


def run() -> list[Row]:
    seconds, instructions = measure()
    rows = [
        Row(
            "latex",
            f"{METRICS[name]}: pdfLaTeX CPU time",
            seconds[name] * 1000,
            "ms",
            TARGET if name == "pith" else "-",
            seconds[name] / seconds["base"] <= TARGET_RATIO if name == "pith" else None,
            "paper without pith",
            seconds["base"] * 1000,
        )
        for name in ("pith", "qrcode", "hyperxmp")
    ]
    if instructions:
        rows.extend(
            Row(
                "latex",
                f"{METRICS[name]}: instructions (cachegrind)",
                instructions[name] / 1e6,
                "M",
                TARGET if name == "pith" else "-",
                instructions[name] / instructions["base"] <= TARGET_RATIO
                if name == "pith"
                else None,
                "paper without pith",
                instructions["base"] / 1e6,
            )
            for name in ("pith", "qrcode", "hyperxmp")
        )
    return rows


TARGET = "<= 1.03x (3% overhead)"
METRICS = {
    "pith": "7-page sample + pith (badge, QR, XMP)",
    "qrcode": "anchor: + qrcode package drawing the URL",
    "hyperxmp": "anchor: + hyperxmp",
}
