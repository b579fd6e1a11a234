"""The library's many-file forms: :func:`check_many` and :func:`stamp_many`.

Both run their per-file work in the bounded workers of
:mod:`pithtex.jobs.executor` (memory and time per file, a worker that dies is
replaced) and yield one result per file, in input order, as soon as it and those
before it are done (or, with ``ordered=False``, as each is done).  They take
any iterable of files, so a batch of millions keeps memory flat;
:mod:`pithtex.jobs.discovery` turns command-line arguments into files and
output paths, the same way for every verb.

* :func:`check_many`: the workers read the PDFs (the hostile part); the checks
  (bundle choice, lookups, verification, comparisons) run in the calling
  process on what they read, sharing one registry and cache.
* :func:`stamp_many`: the workers stamp; the bundle was verified once, before
  (:func:`pithtex.pdf.stamp.prepare`).  Missing folders of the outputs are made
  (never in a dry run), and those a refused file left empty are removed.

A file whose worker timed out, ran out of memory or crashed gets a result with
the failure's code (``check.pdf.timeout``; ``worker.timeout`` for a stamp) and
exit code 2; a bug in pithtex met on one file (an exception nobody expected)
gets exit code 70 (:attr:`~pithtex.core.errors.ExitCode.INTERNAL`), and the
batch goes on.  :func:`~pithtex.core.errors.batch_exit_code` gives the exit
code of the whole batch.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pithtex.core.errors import ExitCode, InputError, InternalError, PithError
from pithtex.core.fileio import ensure_directory
from pithtex.core.results import fail
from pithtex.jobs.executor import (
    DEFAULT_BOUNDS,
    BoundedRun,
    Bounds,
    TaskFailure,
    run_bounded,
    unexpected_failure,
)
from pithtex.jobs.progress import NULL_PROGRESS, ProgressBar
from pithtex.pdf.check import CheckOptions, CheckReport, Verdict, check_evidence, unusable_report
from pithtex.pdf.evidence import DEFAULT_READ_LIMITS, PdfError, PdfEvidence, ReadLimits, read_pdf
from pithtex.pdf.stamp import StampOptions, StampResult, StampSpec, StampStatus, stamp_pdf

__all__ = [
    "InternalErrorReport",
    "StampTarget",
    "check_many",
    "check_read",
    "read_evidence",
    "read_many",
    "stamp_many",
]

StampTarget = tuple[str | Path, str | Path]
"""A file to stamp and where its stamped copy goes (the same path: in place)."""


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class InternalErrorReport(CheckReport):
    """The report of a file whose check met a bug in pithtex (exit code 70, not 2).

    Its verdict is ``unusable`` (no verdict could be reached) and its code
    ``check.pdf.error`` (a bug while reading) or ``check.internal.error`` (while
    checking what was read).
    """

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INTERNAL


def read_evidence(path: str, limits: ReadLimits = DEFAULT_READ_LIMITS) -> PdfEvidence | TaskFailure:
    """What a check worker does: read one PDF (an unusable PDF becomes a failure value)."""
    try:
        return read_pdf(path, limits=limits)
    except PdfError as exc:
        return TaskFailure(exc.code, exc.message)


def check_many(
    paths: Iterable[str | Path],
    options: CheckOptions,
    *,
    jobs: int | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
    progress: ProgressBar = NULL_PROGRESS,
    ordered: bool = True,
) -> Iterator[CheckReport]:
    """Check every PDF of ``paths``; one report per file, in input order.

    ``jobs`` worker processes (default: one per usable core) read the files,
    each within ``bounds``; they start, with their first files, before this
    returns.  ``progress`` gets one update per report.  ``ordered=False``
    yields each report as soon as its file is read (its ``file`` says which).
    The same as :func:`check_read` of :func:`read_many`.
    """
    readings = read_many(paths, limits=options.limits, jobs=jobs, bounds=bounds, ordered=ordered)
    return check_read(readings, options, progress=progress)


def read_many(
    paths: Iterable[str | Path],
    *,
    limits: ReadLimits = DEFAULT_READ_LIMITS,
    jobs: int | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
    ordered: bool = True,
) -> BoundedRun[str, PdfEvidence | TaskFailure]:
    """The first half of :func:`check_many`: read the PDFs in bounded workers.

    The workers start, with their first files, before this returns, so the
    caller can set up the checks (keyring, registry) while they read.
    """
    reader = partial(read_evidence, limits=limits)
    paths_as_text = (str(path) for path in paths)
    return run_bounded(reader, paths_as_text, jobs=jobs, bounds=bounds, ordered=ordered)


def check_read(
    readings: BoundedRun[str, PdfEvidence | TaskFailure],
    options: CheckOptions,
    *,
    progress: ProgressBar = NULL_PROGRESS,
) -> Iterator[CheckReport]:
    """The second half of :func:`check_many`: check what the workers read, here."""
    with readings:
        for path, outcome in readings:
            report = _report(path, outcome, options)
            progress.update()
            yield report


def _report(path: str, outcome: PdfEvidence | TaskFailure, options: CheckOptions) -> CheckReport:
    if isinstance(outcome, TaskFailure):
        if outcome.internal:
            return _internal_report(path, "check.pdf", outcome.message)
        return unusable_report(path, outcome.code, outcome.message)
    try:
        return check_evidence(outcome, options)
    except PithError:
        raise  # a deliberate error (a bad resolver setting, say) stops the batch
    except Exception as exc:  # a bug on this file: report it, go on with the others
        return _internal_report(path, "check.internal", unexpected_failure(exc).message)


def _internal_report(path: str, check: str, message: str) -> CheckReport:
    reason = f"internal error (a bug in pithtex): {message}"
    return InternalErrorReport(path, Verdict.UNUSABLE, (fail(check, "error", reason, path),))


# ---------------------------------------------------------------- stamping


def stamp_many(
    targets: Iterable[StampTarget],
    spec: StampSpec,
    options: StampOptions,
    *,
    jobs: int | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
    progress: ProgressBar = NULL_PROGRESS,
    ordered: bool = True,
) -> Iterator[StampResult]:
    """Stamp every ``(source, output)`` of ``targets``; one result per file, in input order.

    ``jobs`` worker processes (default: one per usable core) stamp, each file
    within ``bounds``; they start, with their first files, before this returns.
    Two targets must not share an output (see
    :func:`pithtex.jobs.discovery.mirror_outputs`).  ``progress`` gets one update
    per result; ``ordered=False`` yields each result as soon as it is ready.
    """
    importlib.import_module("pikepdf")  # once, here: every forked worker inherits it
    folders = _OutputFolders(make=not options.dry_run)
    stamper = partial(_stamp_one, spec=spec, options=options)
    run = run_bounded(stamper, folders.prepare(targets), jobs=jobs, bounds=bounds, ordered=ordered)
    return _stamp_results(run, spec, folders, progress)


def _stamp_one(target: tuple[Path, Path], *, spec: StampSpec, options: StampOptions) -> StampResult:
    """What a stamp worker does (stamp_pdf never raises for a problem with the file)."""
    return stamp_pdf(target[0], target[1], spec, options)


def _stamp_results(
    run: BoundedRun[tuple[Path, Path], StampResult],
    spec: StampSpec,
    folders: _OutputFolders,
    progress: ProgressBar,
) -> Iterator[StampResult]:
    try:
        with run:
            for (source, output), outcome in run:
                if isinstance(outcome, TaskFailure):
                    result = _failed_stamp(source, output, spec, outcome)
                else:
                    result = outcome
                progress.update()
                yield result
    finally:
        folders.remove_empty()


def _failed_stamp(source: Path, output: Path, spec: StampSpec, failure: TaskFailure) -> StampResult:
    error: PithError
    if failure.internal:
        error = InternalError(
            f"{source}: internal error (a bug in pithtex): {failure.message}", code=failure.code
        )
    else:
        error = InputError(f"{source}: {failure.message}", code=failure.code)
    return StampResult(
        str(source), str(output), StampStatus.REFUSED, pith_number=spec.number, error=error
    )


class _OutputFolders:
    """Makes the missing folders of outputs, and removes those left empty at the end."""

    def __init__(self, *, make: bool) -> None:
        self.make = make
        self.made: list[Path] = []

    def prepare(self, targets: Iterable[StampTarget]) -> Iterator[tuple[Path, Path]]:
        """The targets as paths, each output's folder made before its file is handed out.

        A folder that cannot be made stops the batch (``file.unwritable``, naming it).
        """
        for source, output in targets:
            target = (Path(source), Path(output))
            if self.make:
                self._make(target[1].parent)
            yield target

    def _make(self, folder: Path) -> None:
        missing = []
        while not folder.is_dir() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        if missing:
            ensure_directory(missing[0])
            self.made.extend(reversed(missing))

    def remove_empty(self) -> None:
        for folder in reversed(self.made):  # the deepest first
            try:
                folder.rmdir()
            except OSError:
                continue  # not empty: something was written there
