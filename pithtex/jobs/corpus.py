"""Running a task over a corpus: chunks in, one result per item out, exactly once.

A :class:`Task` says what to do with each item of a corpus (see
:mod:`pithtex.jobs.sources`), in two halves: :meth:`~Task.read` runs in a
bounded worker process (the hostile part: a PDF library on untrusted bytes),
:meth:`~Task.finish` in the process that forked it (the shared part: bundles,
lookups, verification).  An executor runs the chunks:

* :class:`LocalPool` (the default): the bounded workers of
  :mod:`pithtex.jobs.executor` on this machine, items of consecutive chunks
  flowing through one pool, :meth:`~Task.finish` in this process;
* :class:`pithtex.jobs.cluster.DaskExecutor`: one chunk per Dask task, each run by
  :func:`run_chunk` in a Dask worker, which reads every item in a bounded
  child of its own, so that a hostile PDF cannot kill the worker (the children
  are kept from chunk to chunk: a :class:`~pithtex.jobs.executor.WorkerPool`).

:func:`run_corpus` drives either, with bounded work in flight (an executor
takes chunks and items only as it has room for them), and yields every item's
result once: a key already reported is dropped.  With a :class:`ResultsStore`
each completed chunk's records are written atomically as one JSON Lines file
and journalled, so that a run resumed after an interruption skips what is
done, and the summary counts the whole corpus.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import multiprocessing
import os
import pickle
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from pithtex.core.errors import ExitCode, InputError, batch_exit_code
from pithtex.core.fileio import atomic_output, atomic_write_bytes, ensure_directory
from pithtex.jobs.executor import DEFAULT_BOUNDS, Bounds, TaskFailure, WorkerPool, run_bounded
from pithtex.jobs.progress import NULL_PROGRESS, ProgressBar
from pithtex.jobs.sources import Chunk, Item, SourceError, materialized, spool_folder

__all__ = [
    "JOURNAL_NAME",
    "RESULTS_SCHEMA",
    "SUMMARY_NAME",
    "SUMMARY_SCHEMA",
    "ChunkDone",
    "Executor",
    "ItemDone",
    "KeySet",
    "LocalPool",
    "ResultsStore",
    "Tally",
    "Task",
    "forget_per_process",
    "in_child",
    "per_process",
    "run_chunk",
    "run_corpus",
]

P = TypeVar("P")
R = TypeVar("R")

RESULTS_SCHEMA = "pithtex.corpus-results/1"
SUMMARY_SCHEMA = "pithtex.corpus-summary/1"
JOURNAL_NAME = "journal.jsonl"
SUMMARY_NAME = "summary.json"
RUN_NAME = "run.json"


class Task(Protocol[P, R]):
    """What to do with each item of a corpus; picklable (a Dask worker gets a copy)."""

    @property
    def name(self) -> str:
        """What the task is (``check``, ``stamp``): a results folder holds one task's results."""

    def prepare(self) -> None:
        """Set up the process that forks the readers (import what they share)."""

    def read(self, item: Item, path: str) -> P:
        """In a bounded worker: the item's file is at ``path``."""

    def finish(self, item: Item, outcome: P | TaskFailure) -> R:
        """In the process that forked the worker: the item's result."""

    def record(self, key: str, result: R) -> dict[str, Any]:
        """The JSON record of a result (``key`` is added to it)."""

    def tally(self, record: Mapping[str, Any]) -> tuple[str, str, int]:
        """A record's outcome, status code and exit code, for the summary."""


@dataclass(frozen=True, slots=True)
class ItemDone(Generic[R]):
    """One item's result."""

    chunk: str
    key: str
    result: R


@dataclass(frozen=True, slots=True)
class ChunkDone:
    """Every item of a chunk has been given (an executor's event; not yielded to callers)."""

    chunk: str
    items: int


Event = ItemDone[R] | ChunkDone


class Executor(Protocol):
    """Runs a task over chunks; yields each item's result and then its chunk's end."""

    def run(self, task: Task[Any, R], chunks: Iterable[Chunk]) -> Iterator[ItemDone[R] | ChunkDone]:
        """Events: every :class:`ItemDone` of a chunk comes before its :class:`ChunkDone`."""


# ---------------------------------------------------------------- per process


_PER_PROCESS: dict[str, Any] = {}


def per_process(key: str, make: Callable[[], Any]) -> Any:
    """``make()`` once per process for ``key`` (a Dask worker runs many chunks: their
    tasks share one registry, one set of looked-up bundles)."""
    try:
        return _PER_PROCESS[key]
    except KeyError:
        value = _PER_PROCESS[key] = make()
        return value


def forget_per_process(key: str) -> Any:
    """Drop what :func:`per_process` made for ``key`` in this process; returns it (or ``None``)."""
    return _PER_PROCESS.pop(key, None)


# ---------------------------------------------------------------- items in bounded workers


def in_child(task: Task[P, Any], item: Item, spool: str | None = None) -> P | TaskFailure:
    """What a bounded worker does with one item: make its file readable, read it.

    ``spool`` is the folder for tar members' files (:func:`~pithtex.jobs.sources.spool_folder`).
    """
    try:
        with materialized(item, spool) as path:
            return task.read(item, path)
    except SourceError as exc:
        return TaskFailure(exc.code, exc.message)


def _tagged_child(task: Task[P, Any], spool: str, tagged: tuple[str, Item]) -> P | TaskFailure:
    return in_child(task, tagged[1], spool)


def _allow_children() -> None:
    """Let a daemonic process (a Dask worker) fork the bounded readers.

    multiprocessing refuses children to daemonic processes lest they outlive
    them; a reader notices its parent's end on its pipe and exits.
    """
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    config.pop("daemon", None)


def run_chunk(
    task: Task[Any, R], chunk: Chunk, *, jobs: int = 1, bounds: Bounds = DEFAULT_BOUNDS
) -> list[tuple[str, R]]:
    """Run one chunk here: each item read in a bounded child, then finished here.

    What a Dask worker runs for one task; ``jobs`` children read at once.
    """
    _allow_children()
    task.prepare()
    with _readers(task, jobs, bounds).run(chunk.items(), ordered=True) as run:
        return [(item.key, task.finish(item, outcome)) for item, outcome in run]


def _readers(task: Task[Any, Any], jobs: int, bounds: Bounds) -> WorkerPool[Item, Any]:
    """This process's bounded readers for ``task``, kept from chunk to chunk (a Dask worker
    runs many chunks of one task: forking its readers once saves a fork per chunk)."""
    key = "readers-" + hashlib.sha256(pickle.dumps((task, jobs, bounds))).hexdigest()

    def make() -> WorkerPool[Item, Any]:
        spool = per_process("spool", _process_spool)
        return WorkerPool(partial(in_child, task, spool=spool), jobs=jobs, bounds=bounds)

    return per_process(key, make)  # type: ignore[no-any-return]


def _process_spool() -> str:
    """A spool folder for this process's life (removed at exit, or as an orphan later)."""
    spool = ExitStack()
    folder = spool.enter_context(spool_folder())
    atexit.register(spool.close)
    return folder


class _ChunkCounts:
    """Which chunks are complete, while their items flow through one pool."""

    def __init__(self) -> None:
        self.expected: dict[str, int] = {}
        self.received: Counter[str] = Counter()

    def flatten(self, chunks: Iterable[Chunk]) -> Iterator[tuple[str, Item]]:
        for chunk in chunks:
            count = 0
            for item in chunk.items():
                count += 1
                yield chunk.key, item
            self.expected[chunk.key] = count

    def got(self, chunk: str) -> None:
        self.received[chunk] += 1

    def complete(self) -> Iterator[ChunkDone]:
        for chunk, count in list(self.expected.items()):
            if self.received[chunk] >= count:
                del self.expected[chunk]
                self.received.pop(chunk, None)
                yield ChunkDone(chunk, count)


@dataclass(frozen=True, slots=True)
class LocalPool:
    """The bounded process pool of this machine (:func:`pithtex.jobs.executor.run_bounded`).

    ``ordered`` gives results in corpus order (reproducible reports); otherwise
    as they complete.
    """

    jobs: int | None = None
    bounds: Bounds = DEFAULT_BOUNDS
    ordered: bool = True

    def run(self, task: Task[Any, R], chunks: Iterable[Chunk]) -> Iterator[ItemDone[R] | ChunkDone]:
        task.prepare()
        counts = _ChunkCounts()
        items = counts.flatten(chunks)
        with (
            spool_folder() as spool,
            run_bounded(
                partial(_tagged_child, task, spool),
                items,
                jobs=self.jobs,
                bounds=self.bounds,
                ordered=self.ordered,
            ) as run,
        ):
            for (chunk, item), outcome in run:
                yield ItemDone(chunk, item.key, task.finish(item, outcome))
                counts.got(chunk)
                yield from counts.complete()
        yield from counts.complete()  # the last chunks, and empty ones


# ---------------------------------------------------------------- keys seen


class KeySet:
    """Item keys, as 64-bit digests (a few tens of bytes per key, whatever its length)."""

    def __init__(self) -> None:
        self._digests: set[int] = set()

    @staticmethod
    def _digest(key: str) -> int:
        data = key.encode("utf-8", "surrogateescape")
        return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")

    def add(self, key: str) -> bool:
        """Add ``key``; whether it was new."""
        digest = self._digest(key)
        if digest in self._digests:
            return False
        self._digests.add(digest)
        return True

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._digest(key) in self._digests

    def __len__(self) -> int:
        return len(self._digests)


# ---------------------------------------------------------------- the summary


@dataclass
class Tally:
    """What the items of a run (and of the runs it resumes) added up to."""

    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    codes: set[int] = field(default_factory=set)

    def add(self, outcome: str, code: str, exit_code: int) -> None:
        self.outcomes[outcome] += 1
        self.reasons[(outcome, code)] += 1
        self.codes.add(exit_code)

    @property
    def items(self) -> int:
        return sum(self.outcomes.values())

    @property
    def exit_code(self) -> ExitCode:
        return batch_exit_code(self.codes)

    def to_json(self, task: str) -> dict[str, Any]:
        by_reason: dict[str, dict[str, int]] = {}
        for (outcome, code), count in sorted(self.reasons.items()):
            by_reason.setdefault(outcome, {})[code] = count
        return {
            "schema": SUMMARY_SCHEMA,
            "task": task,
            "items": self.items,
            "outcomes": dict(sorted(self.outcomes.items())),
            "reasons": by_reason,
            "exit_code": int(self.exit_code),
        }


# ---------------------------------------------------------------- the results folder


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ResultsStore:
    """A results folder: one JSON Lines file per completed chunk, a journal, a summary.

    ``chunk-<digest>.jsonl`` holds a chunk's records and is written atomically
    before its line is appended (and fsynced) to ``journal.jsonl``; a chunk is
    done when its journal line is.  Opening with ``resume`` reads the journal
    (what it lists is skipped, and counted in the summary), drops a last line
    that an interruption cut short, and removes chunk files it does not list.
    Without ``resume`` a folder that holds a run is refused.
    """

    def __init__(self, folder: str | Path, task: str, *, resume: bool = False) -> None:
        self.folder = ensure_directory(folder)
        self.task = task
        self.done_chunks: set[str] = set()
        self.done_keys = KeySet()
        self.tally = Tally()
        self.resumed_items = 0
        self._journal_path = self.folder / JOURNAL_NAME
        self._check_run(resume)
        if resume:
            self._load()
        self._journal = self._journal_path.open("ab")

    # -- opening

    def _check_run(self, resume: bool) -> None:
        run_file = self.folder / RUN_NAME
        if run_file.exists():
            try:
                run = json.loads(run_file.read_bytes())
            except (OSError, ValueError):
                run = {}
            if run.get("task") != self.task:
                raise InputError(
                    f"{self.folder}: holds the results of another task "
                    f"({run.get('task', 'unknown')}); use a new results folder",
                    code="results.mismatch",
                )
            if not resume:
                raise InputError(
                    f"{self.folder}: already holds results: --resume to go on with that run, "
                    "or name a new folder",
                    code="results.exists",
                )
            return
        atomic_write_bytes(run_file, _dumps({"schema": RESULTS_SCHEMA, "task": self.task}) + b"\n")

    def _load(self) -> None:
        """Read the journal and the chunk files it lists; rewrite it without a cut line."""
        lines: list[bytes] = []
        listed: set[str] = set()
        for entry in self._journal_entries():
            name = entry["file"]
            self.done_chunks.add(entry["chunk"])
            listed.add(name)
            lines.append(_dumps(entry))
            self._load_chunk(self.folder / name)
        self.resumed_items = self.tally.items
        for orphan in self.folder.glob("chunk-*.jsonl"):
            if orphan.name not in listed:  # written, but its journal line was not
                orphan.unlink(missing_ok=True)
        atomic_write_bytes(self._journal_path, b"".join(line + b"\n" for line in lines))

    def _journal_entries(self) -> Iterator[dict[str, Any]]:
        try:
            handle = self._journal_path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for raw in handle:
                try:
                    entry = json.loads(raw)
                except ValueError:
                    return  # cut short by an interruption: that chunk is not done
                if not raw.endswith(b"\n") or not isinstance(entry, dict):
                    return
                if isinstance(entry.get("chunk"), str) and isinstance(entry.get("file"), str):
                    yield entry

    def _load_chunk(self, path: Path) -> None:
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise InputError(
                f"{path}: listed in the journal but cannot be read ({exc.strerror})",
                code="results.damaged",
            ) from None
        with handle:
            for raw in handle:
                record = json.loads(raw)
                self.done_keys.add(record["key"])
                self.tally.add(*self._tally(record))

    def _tally(self, record: Mapping[str, Any]) -> tuple[str, str, int]:
        return str(record["outcome"]), str(record["code"]), int(record["exit_code"])

    # -- a run

    def is_done_key(self, key: str) -> bool:
        return key in self.done_keys

    def is_done_chunk(self, chunk: str) -> bool:
        return chunk in self.done_chunks

    def commit(self, chunk: str, records: list[dict[str, Any]]) -> None:
        """Write a completed chunk's records, then journal it."""
        name = f"chunk-{hashlib.sha256(chunk.encode('utf-8', 'surrogateescape')).hexdigest()[:24]}"
        name += ".jsonl"
        with atomic_output(self.folder / name) as handle:
            for record in records:
                handle.write(_dumps(record) + b"\n")
        self._journal.write(_dumps({"chunk": chunk, "file": name, "items": len(records)}) + b"\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self.done_chunks.add(chunk)
        for record in records:
            self.tally.add(*self._tally(record))

    def close(self, *, complete: bool) -> None:
        """Close the journal; a complete run also writes ``summary.json``."""
        self._journal.close()
        if complete:
            summary = _dumps(self.tally.to_json(self.task)) + b"\n"
            atomic_write_bytes(self.folder / SUMMARY_NAME, summary)


# ---------------------------------------------------------------- the driver


def run_corpus(
    task: Task[Any, R],
    chunks: Iterable[Chunk],
    *,
    executor: Executor | None = None,
    store: ResultsStore | None = None,
    progress: ProgressBar = NULL_PROGRESS,
) -> Iterator[ItemDone[R]]:
    """Every item's result, once, as the executor completes them.

    The executor (default :class:`LocalPool`) takes chunks only as it has room
    for them, so memory stays flat however large the corpus: what grows is
    one digest per key reported (to drop duplicates).  With a ``store`` each
    completed chunk is written and journalled before its results are yielded;
    its summary is written when the run completes.  ``progress`` gets one
    update per result.
    """
    runner = executor if executor is not None else LocalPool()
    seen = KeySet()
    pending: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    held: defaultdict[str, list[ItemDone[R]]] = defaultdict(list)
    complete = False
    try:
        for event in runner.run(task, chunks):
            if isinstance(event, ChunkDone):
                if store is not None:
                    store.commit(event.chunk, pending.pop(event.chunk, []))
                    yield from _release(held.pop(event.chunk, []), progress)
                continue
            if not seen.add(event.key):
                continue  # a duplicate (the same file twice, a chunk run again)
            if store is None:
                yield from _release([event], progress)
                continue
            pending[event.chunk].append(_record(task, event))
            held[event.chunk].append(event)
        complete = True
    finally:
        if store is not None:
            store.close(complete=complete)


def _release(events: list[ItemDone[R]], progress: ProgressBar) -> Iterator[ItemDone[R]]:
    for event in events:
        progress.update()
        yield event


def _record(task: Task[Any, R], event: ItemDone[R]) -> dict[str, Any]:
    record = {"key": event.key, **task.record(event.key, event.result)}
    outcome, code, exit_code = task.tally(record)
    record.update(outcome=outcome, code=code, exit_code=exit_code)
    return record
