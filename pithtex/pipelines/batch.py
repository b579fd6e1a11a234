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
  process on what they read, sharing one registry and cache; each number is
  looked up at most once per run, a miss included (:class:`OncePerRun`), so a
  registry outage costs one timeout, not one per file.
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

import contextlib
import functools
import hashlib
import pickle
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from pithtex.core.errors import BundleLookupError, ExitCode, InputError, InternalError, PithError
from pithtex.core.fileio import ensure_directory
from pithtex.core.names import DEFAULT_RESOLVER
from pithtex.core.numbers import PithRef
from pithtex.core.results import fail
from pithtex.jobs.corpus import Executor, ResultsStore, forget_per_process, per_process, run_corpus
from pithtex.jobs.executor import (
    DEFAULT_BOUNDS,
    BoundedRun,
    Bounds,
    TaskFailure,
    run_bounded,
    unexpected_failure,
)
from pithtex.jobs.progress import NULL_PROGRESS, ProgressBar
from pithtex.jobs.sources import Chunk, Item
from pithtex.pdf.check import (
    CheckOptions,
    CheckReport,
    FoundBundle,
    Registry,
    Verdict,
    check_evidence,
    unusable_report,
)
from pithtex.pdf.evidence import (
    DEFAULT_READ_LIMITS,
    PdfError,
    PdfEvidence,
    ReadLimits,
    preload,
    read_pdf,
)
from pithtex.pdf.stamp import StampOptions, StampResult, StampSpec, StampStatus, stamp_pdf
from pithtex.pdf.tesseract import require_tesseract
from pithtex.trust.keyring import Keyring

__all__ = [
    "STAMP_SCHEMA",
    "CheckTask",
    "InternalErrorReport",
    "OncePerRun",
    "SharedRegistry",
    "StampTarget",
    "StampTask",
    "check_corpus",
    "check_many",
    "check_read",
    "link_bases",
    "once_per_run",
    "read_evidence",
    "read_many",
    "stamp_corpus",
    "stamp_many",
]

STAMP_SCHEMA = "pithtex.stamp/1"
"""The schema of one stamp result as JSON (``pithtex stamp --json``, a results folder)."""

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


def read_evidence(
    path: str, limits: ReadLimits = DEFAULT_READ_LIMITS, *, ocr: bool = False
) -> PdfEvidence | TaskFailure:
    """What a check worker does: read one PDF (an unusable PDF becomes a failure value);
    with ``ocr``, a page 1 without title text has its title region read by OCR."""
    try:
        return read_pdf(path, limits=limits, ocr=ocr)
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
    The same as :func:`check_read` of :func:`read_many`.  With ``options.ocr`` and no
    Tesseract, raises :class:`~pithtex.core.errors.MissingToolError` before any file is read.
    """
    readings = read_many(
        paths,
        limits=options.limits,
        jobs=jobs,
        bounds=bounds,
        ordered=ordered,
        ocr=options.ocr,
    )
    return check_read(readings, options, progress=progress)


def read_many(
    paths: Iterable[str | Path],
    *,
    limits: ReadLimits = DEFAULT_READ_LIMITS,
    jobs: int | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
    ordered: bool = True,
    ocr: bool = False,
) -> BoundedRun[str, PdfEvidence | TaskFailure]:
    """The first half of :func:`check_many`: read the PDFs in bounded workers.

    The workers start, with their first files, before this returns, so the
    caller can set up the checks (keyring, registry) while they read.  ``ocr``:
    read the title region of page 1 by OCR when it has no title text (raises
    :class:`~pithtex.core.errors.MissingToolError` first when Tesseract cannot run).
    """
    if ocr:
        require_tesseract()
    reader = partial(read_evidence, limits=limits, ocr=ocr)
    paths_as_text = (str(path) for path in paths)
    return run_bounded(reader, paths_as_text, jobs=jobs, bounds=bounds, ordered=ordered)


def check_read(
    readings: BoundedRun[str, PdfEvidence | TaskFailure],
    options: CheckOptions,
    *,
    progress: ProgressBar = NULL_PROGRESS,
) -> Iterator[CheckReport]:
    """The second half of :func:`check_many`: check what the workers read, here.

    Each number is looked up at most once in the run, a miss included (:func:`once_per_run`).
    """
    options = once_per_run(options)
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
    preload(pdfium=False)  # once, here: every forked worker inherits the PDF libraries
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


# ---------------------------------------------------------------- corpora


def link_bases(resolvers: tuple[str, ...]) -> tuple[str, ...]:
    """Resolvers whose ``/pith/<number>`` links are claims: pith.science and every
    configured one (``resolvers``, ``$PITHTEX_RESOLVERS``, the config file); read once
    per process."""
    return _link_bases(resolvers)


@functools.cache
def _link_bases(resolvers: tuple[str, ...]) -> tuple[str, ...]:
    from pithtex.registry.config import load_settings

    urls = load_settings(resolvers or None).urls
    return tuple(dict.fromkeys((DEFAULT_RESOLVER, *urls)))


class OncePerRun:
    """A registry that asks ``registry`` at most once per number, a miss included.

    What one batch shares: the first file naming a number pays for its lookup (a
    timeout, when the resolvers are down), every later file gets the same bundle or
    the same :class:`~pithtex.core.errors.BundleLookupError` at once.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.outcomes: dict[tuple[str, bool, bool, bool], FoundBundle | BundleLookupError] = {}

    def resolve(
        self, ref: PithRef, *, offline: bool, refresh: bool, allow_stale: bool
    ) -> FoundBundle:
        key = (str(ref), offline, refresh, allow_stale)
        if key not in self.outcomes:
            try:
                self.outcomes[key] = self.registry.resolve(
                    ref, offline=offline, refresh=refresh, allow_stale=allow_stale
                )
            except BundleLookupError as exc:
                self.outcomes[key] = exc
        outcome = self.outcomes[key]
        if isinstance(outcome, BundleLookupError):
            raise outcome
        return outcome


def once_per_run(options: CheckOptions) -> CheckOptions:
    """``options`` whose registry is asked at most once per number (see :class:`OncePerRun`).

    A :class:`SharedRegistry` already is; so is a registry wrapped before.
    """
    registry = options.registry
    if registry is None or isinstance(registry, SharedRegistry | OncePerRun):
        return options
    return replace(options, registry=OncePerRun(registry))


class _Lookups:
    """One process's resolver and the outcome of every lookup it made, misses included."""

    def __init__(self, registry: SharedRegistry) -> None:
        from pithtex.registry.resolver import make_resolver

        self.resolver = make_resolver(
            registry.keyring, resolvers=registry.resolvers or None, cache=registry.cache_dir
        )
        self.once = OncePerRun(self.resolver)

    def resolve(
        self, ref: PithRef, *, offline: bool, refresh: bool, allow_stale: bool
    ) -> FoundBundle:
        return self.once.resolve(ref, offline=offline, refresh=refresh, allow_stale=allow_stale)


@dataclass(frozen=True)
class SharedRegistry:
    """The cache and resolvers of a batch, as plain settings (picklable: a Dask worker
    gets a copy).

    The resolver is made in each process when a PDF first needs it (so that the
    HTTP modules are imported only then), and each number is looked up at most
    once per process, a miss included, whatever the number of files naming it.
    """

    keyring: Keyring
    resolvers: tuple[str, ...] = ()
    cache_dir: str | None = None

    def _lookups(self) -> _Lookups:
        identity = hashlib.sha256(pickle.dumps(self)).hexdigest()
        lookups: _Lookups = per_process(f"lookups:{identity}", partial(_Lookups, self))
        return lookups

    def resolve(self, ref: PithRef, *, offline: bool, refresh: bool, allow_stale: bool) -> Any:
        return self._lookups().resolve(
            ref, offline=offline, refresh=refresh, allow_stale=allow_stale
        )

    def close(self) -> None:
        """Close this process's HTTP connections, if a lookup opened them."""
        identity = hashlib.sha256(pickle.dumps(self)).hexdigest()
        lookups = forget_per_process(f"lookups:{identity}")
        if lookups is not None:
            lookups.resolver.http.close()


@dataclass(frozen=True)
class CheckTask:
    """Checking each item of a corpus (a :class:`~pithtex.jobs.corpus.Task`).

    The workers read; the checks run in the process that forked them (the
    driver with the local pool, each Dask worker with Dask), which shares one
    registry (a :class:`SharedRegistry` keeps it picklable).
    """

    options: CheckOptions
    name: str = "check"

    def prepare(self) -> None:
        preload()  # once, here: every forked reader inherits the PDF libraries

    def read(self, item: Item, path: str) -> PdfEvidence | TaskFailure:
        evidence = read_evidence(path, self.options.limits, ocr=self.options.ocr)
        if isinstance(evidence, PdfEvidence) and evidence.path != item.key:
            return replace(evidence, path=item.key)  # a tar member's in-memory file
        return evidence

    def finish(self, item: Item, outcome: PdfEvidence | TaskFailure) -> CheckReport:
        return _report(item.key, outcome, self.options)

    def record(self, key: str, result: CheckReport) -> dict[str, Any]:
        return result.to_json()

    def tally(self, record: Mapping[str, Any]) -> tuple[str, str, int]:
        return str(record["verdict"]), str(record["code"]), int(record["exit_code"])


def check_corpus(
    chunks: Iterable[Chunk],
    options: CheckOptions,
    *,
    executor: Executor | None = None,
    store: ResultsStore | None = None,
    progress: ProgressBar = NULL_PROGRESS,
) -> Iterator[CheckReport]:
    """Check every item of a corpus (see :func:`pithtex.jobs.sources.corpus_chunks`).

    One report per item, keyed by its ``file`` (a path, or ``ARCHIVE::MEMBER``),
    as the executor completes them (:class:`~pithtex.jobs.corpus.LocalPool` by
    default, or :class:`~pithtex.jobs.cluster.DaskExecutor`); each exactly once.
    With a Dask executor, ``options`` is shipped to the workers: its registry
    must be picklable (:class:`SharedRegistry`).  With ``options.ocr`` and no Tesseract
    here, raises :class:`~pithtex.core.errors.MissingToolError` before any item is read.
    """
    if options.ocr:
        require_tesseract()
    task = CheckTask(once_per_run(options))
    for done in run_corpus(task, chunks, executor=executor, store=store, progress=progress):
        yield done.result


@dataclass(frozen=True)
class StampTask:
    """Stamping each item of a corpus (a :class:`~pithtex.jobs.corpus.Task`).

    ``out_dir`` is the root of the output tree (``None``: in place, files on
    disk only).  Each output goes to ``out_dir`` / the item's path below its
    base; a tar's members go to a folder named after the tar.  Folders are made
    by the worker as it writes (never in a dry run).
    """

    spec: StampSpec
    options: StampOptions
    out_dir: str | None = None
    name: str = "stamp"

    def prepare(self) -> None:
        preload(pdfium=False)

    def output_of(self, item: Item) -> str | None:
        if self.out_dir is None:
            return item.path if item.member is None else None
        return None if item.relative is None else str(Path(self.out_dir) / item.relative)

    def read(self, item: Item, path: str) -> StampResult:
        output = self.output_of(item)
        if output is None:
            return self._refused(item, output, self._no_output(item))
        if not self.options.dry_run:
            try:
                ensure_directory(Path(output).parent)
            except InputError as exc:
                return self._refused(item, output, exc)
        result = stamp_pdf(path, output, self.spec, self.options)
        return replace(result, source=item.key)

    def _no_output(self, item: Item) -> InputError:
        if self.out_dir is None:
            return InputError(
                "a member of a tar archive cannot be stamped in place: use --out-dir",
                code="stamp.options",
            )
        return InputError(
            f"{item.member}: a member name that would leave its output folder (absolute, "
            "'..', or a second member of the same name): not written",
            code="archive.unsafe_name",
        )

    def _refused(self, item: Item, output: str | None, error: PithError) -> StampResult:
        return StampResult(
            item.key, output, StampStatus.REFUSED, pith_number=self.spec.number, error=error
        )

    def finish(self, item: Item, outcome: StampResult | TaskFailure) -> StampResult:
        if isinstance(outcome, TaskFailure):
            output = self.output_of(item)
            return _failed_stamp(Path(item.key), Path(output or item.key), self.spec, outcome)
        return outcome

    def record(self, key: str, result: StampResult) -> dict[str, Any]:
        return {"schema": STAMP_SCHEMA, **result.to_json(), "exit_code": result.exit_code}

    def tally(self, record: Mapping[str, Any]) -> tuple[str, str, int]:
        error = record.get("error")
        code = error["code"] if isinstance(error, dict) else f"stamp.{record['status']}"
        return str(record["status"]), str(code), int(record["exit_code"])


def stamp_corpus(
    chunks: Iterable[Chunk],
    spec: StampSpec,
    options: StampOptions,
    *,
    out_dir: str | Path | None = None,
    executor: Executor | None = None,
    store: ResultsStore | None = None,
    progress: ProgressBar = NULL_PROGRESS,
) -> Iterator[StampResult]:
    """Stamp every item of a corpus into the output tree ``out_dir`` (``None``: in place).

    One result per item as the executor completes them, each exactly once.
    Output folders that a refused file left empty are removed at the end.
    """
    task = StampTask(spec, options, None if out_dir is None else str(out_dir))
    refused: set[Path] = set()
    try:
        for done in run_corpus(task, chunks, executor=executor, store=store, progress=progress):
            result = done.result
            if result.error is not None and result.output and out_dir is not None:
                refused.add(Path(result.output).parent)
            yield result
    finally:
        if out_dir is not None:
            _remove_empty(refused, Path(out_dir))


def _remove_empty(folders: set[Path], root: Path) -> None:
    """Remove the folders (and their parents below ``root``) left empty, deepest first."""
    chain: set[Path] = set()
    for refused in folders:
        folder = refused
        while folder != root and folder.is_relative_to(root):
            chain.add(folder)
            folder = folder.parent
    for folder in sorted(chain, key=lambda path: len(path.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()
