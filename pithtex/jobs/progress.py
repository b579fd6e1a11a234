"""The progress protocol: one seam between long jobs and whatever shows their progress.

Library code that works through many items (the many-file checks and stamps,
the mirror builder, the step timer of ``demo`` and ``arxiv``) reports to a
:class:`ProgressBar`: :meth:`~ProgressBar.update` when items are done,
:meth:`~ProgressBar.describe` for what it is doing now, and
:meth:`~ProgressBar.write` for a line of output that must not tear the bar.
:data:`NULL_PROGRESS` shows nothing; :func:`open_progress` is the one set-up
every verb uses: a tqdm bar on stderr when asked (``--progress``), or by
default when stderr is a terminal and there is more than one item.  Another
front end (a GUI, a log) implements the protocol and passes its own object.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, Protocol, TextIO, TypeVar

__all__ = [
    "NULL_PROGRESS",
    "NullProgress",
    "ProgressBar",
    "TqdmProgress",
    "open_progress",
    "progress_wanted",
    "tracked",
]

T = TypeVar("T")


class ProgressBar(Protocol):
    """What a long job reports its progress to."""

    def update(self, n: int = 1) -> None:
        """``n`` more items are done."""

    def describe(self, text: str) -> None:
        """What the job is doing now (a step's name)."""

    def write(self, line: str, *, stream: TextIO | None = None) -> None:
        """Print ``line`` (on ``stream``, default stdout) without tearing the bar."""

    def close(self) -> None:
        """The job is over: take the bar away."""


class NullProgress:
    """Shows nothing; lines are printed as they come."""

    def update(self, n: int = 1) -> None:
        pass

    def describe(self, text: str) -> None:
        pass

    def write(self, line: str, *, stream: TextIO | None = None) -> None:
        print(line, file=stream or sys.stdout)

    def close(self) -> None:
        pass

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


NULL_PROGRESS = NullProgress()


class TqdmProgress:
    """A tqdm bar on stderr (tqdm is imported when the first bar is made)."""

    def __init__(self, *, total: int | None, unit: str, desc: str | None = None) -> None:
        import tqdm

        tqdm.tqdm.monitor_interval = 0  # no monitor thread: workers are forked
        self._tqdm = tqdm.tqdm
        self._bar: Any = tqdm.tqdm(
            total=total, unit=unit, desc=desc, file=sys.stderr, dynamic_ncols=True
        )

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def describe(self, text: str) -> None:
        self._bar.set_description_str(text)

    def write(self, line: str, *, stream: TextIO | None = None) -> None:
        self._tqdm.write(line, file=stream or sys.stdout)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> TqdmProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def progress_wanted(asked: bool | None, *, total: int | None) -> bool:
    """Whether to show a bar: as asked, else when stderr is a terminal and items are several."""
    if asked is not None:
        return asked
    return (total is None or total > 1) and sys.stderr.isatty()


def open_progress(
    asked: bool | None, *, total: int | None, unit: str, desc: str | None = None
) -> NullProgress | TqdmProgress:
    """The progress bar of a verb (``asked`` is its ``--progress``/``--no-progress``)."""
    if progress_wanted(asked, total=total):
        return TqdmProgress(total=total, unit=unit, desc=desc)
    return NULL_PROGRESS


def tracked(items: Iterable[T], progress: ProgressBar) -> Iterator[T]:
    """``items``, with one :meth:`~ProgressBar.update` after each has been used."""
    for item in items:
        yield item
        progress.update()
