"""Measurement helpers for the benchmark runner.

Every figure is taken in the same run as the anchor it is compared with, and
reported as a ratio to it, so that results survive a change of machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
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


def pithtex_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "pithtex", *args]
