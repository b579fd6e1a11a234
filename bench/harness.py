"""Measurement helpers for the benchmark runner.

Every figure is taken in the same run as the anchor it is compared with, and
reported as a ratio to it, so that results survive a change of machine.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED_BUNDLE = ROOT / "samples" / "lamb" / "bundle.json"


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    area: str
    metric: str
    value: float
    unit: str
    target: str
    met: bool | None = None
    anchor: str | None = None
    anchor_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.anchor_value in (None, 0):
            return None
        assert self.anchor_value is not None
        return self.value / self.anchor_value


def per_second(fn: Callable[[], object], *, seconds: float = 2.0) -> float:
    """How many calls of ``fn`` complete per second (one core, best of three slices)."""
    fn()
    best = 0.0
    for _ in range(3):
        count = 0
        start = time.perf_counter()
        deadline = start + seconds / 3
        while True:
            fn()
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


def best_call_seconds(fn: Callable[[], object], *, repeat: int = 7, number: int = 100) -> float:
    """Best average seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def command_seconds(
    argv: Sequence[str],
    *,
    runs: int = 7,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> float:
    """Median wall time of a whole command (start-up included), after one warm-up run."""
    merged = {**os.environ, **(env or {})}
    times = []
    for index in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(
            argv,
            cwd=cwd,
            env=merged,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if index:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def best_command_seconds(
    commands: dict[str, Sequence[str]],
    *,
    runs: int = 11,
    cwd: Path | None = None,
    env: dict[str, dict[str, str]] | None = None,
) -> dict[str, float]:
    """Best wall time of each command, runs interleaved after one warm-up each.

    On a shared machine the minimum is the figure least disturbed by other
    load, and interleaving exposes every command (and its anchor) to the same
    load; ``env`` maps a command's name to variables added for it.
    """
    env = env or {}
    best = dict.fromkeys(commands, float("inf"))
    for index in range(runs + 1):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(
                argv,
                cwd=cwd,
                env={**os.environ, **env.get(name, {})},
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if index:
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def pithtex_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "pithtex", *args]


def clean_python_argv(*args: str) -> list[str]:
    """Python started without ``site`` (no ``.pth`` files run), ``ROOT`` and site-packages
    on the path: start-up as on a machine where pithtex is a regular install.

    The development machines carry ``.pth`` files a user's machine does not
    (an editable-install finder, and here a sandbox hook that imports certifi
    at every start-up, ~25 ms together); use :func:`clean_python_env` with it.
    """
    return [sys.executable, "-S", *args]


def clean_python_env() -> dict[str, str]:
    paths = [str(ROOT), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    return {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


def site_overhead_seconds() -> float:
    """What ``site`` and this machine's ``.pth`` files add to every Python start-up."""
    with_site = command_seconds([sys.executable, "-c", "pass"], runs=11)
    without = command_seconds(clean_python_argv("-c", "pass"), runs=11, env=clean_python_env())
    return with_site - without


def instructions(argv: Sequence[str], *, cwd: Path | None = None) -> int:
    """Instructions ``argv`` executes (one process, its children not followed), counted
    by valgrind's cachegrind: immune to machine load."""
    counter = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    result = subprocess.run(
        [*counter, *argv],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if match is None:
        raise RuntimeError("cachegrind printed no instruction count")
    return int(match.group(1).replace(",", ""))
