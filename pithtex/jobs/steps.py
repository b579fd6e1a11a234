"""Timed steps of a multi-step job (``pithtex demo``, ``pithtex arxiv``).

A job runs its stages inside :meth:`StepTimer.step`; each finished stage is a
:class:`Step` with its wall time and a short detail, kept in order and passed to
an optional callback so the command line can print progress as it happens.
The timer also reports to a :class:`~pithtex.jobs.progress.ProgressBar` (the
same seam as the batches): the running step's name, then one update per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pithtex.jobs.progress import NULL_PROGRESS, ProgressBar

__all__ = ["Step", "StepTimer"]


@dataclass(frozen=True)
class Step:
    """One finished stage: its name, wall time and what it did."""

    name: str
    seconds: float
    detail: str = ""


class StepTimer:
    """Collects named steps with their wall time."""

    def __init__(
        self, on_step: Callable[[Step], None] | None = None, progress: ProgressBar = NULL_PROGRESS
    ) -> None:
        self.steps: list[Step] = []
        self.on_step = on_step
        self.progress = progress

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Time the body; words appended to the yielded list become the step's detail."""
        detail: list[str] = []
        self.progress.describe(name)
        started = time.perf_counter()
        yield detail
        done = Step(name, time.perf_counter() - started, " ".join(detail))
        self.steps.append(done)
        self.progress.update()
        if self.on_step is not None:
            self.on_step(done)
