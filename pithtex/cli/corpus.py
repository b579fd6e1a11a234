"""The corpus options of the batch verbs: manifests, tar archives, results, resuming, Dask.

``pithtex check`` and ``pithtex stamp`` take the same options for large
batches; this module turns them into the library's pieces (chunks of
:mod:`pithtex.jobs.sources`, a :class:`~pithtex.jobs.corpus.ResultsStore`, an
executor) and nothing more.
"""

from __future__ import annotations

import argparse
import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pithtex.core.errors import InputError

if TYPE_CHECKING:
    from pithtex.jobs.corpus import Executor, ResultsStore
    from pithtex.jobs.executor import Bounds
    from pithtex.jobs.sources import Chunk

__all__ = ["DASK_JOBS_PER_TASK", "Corpus", "add_corpus_options", "corpus_from_args"]

DASK_JOBS_PER_TASK = 1
"""Bounded readers per Dask task unless ``--jobs`` says otherwise.  One is enough to keep
a single-threaded worker busy: the bounded run hands the reader the next file while the
worker checks the last one; a second reader per worker only oversubscribes the cores
(measured: 0.43x of the local pool with two, 0.74-0.95x with one, on two cores)."""


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    """``--manifest``, ``--chunk-size``, ``--results``, ``--resume`` and the Dask options."""
    group = parser.add_argument_group("large corpora (see docs/scale.md)")
    group.add_argument(
        "--manifest",
        action="append",
        default=[],
        metavar="FILE",
        help="also take the paths FILE lists, one per line (repeatable)",
    )
    group.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        metavar="N",
        help="loose files per chunk: the unit of results, resuming and Dask tasks (default 64; "
        "a tar archive is one chunk)",
    )
    group.add_argument(
        "--results",
        metavar="DIR",
        help="write each chunk's results to DIR as JSON Lines, with a journal and a summary",
    )
    group.add_argument(
        "--resume",
        action="store_true",
        help="go on with the run whose results are in --results DIR, skipping what is done",
    )
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the chunks on this Dask scheduler's workers (needs pithtex[dask])",
    )
    where.add_argument(
        "--dask-local",
        type=int,
        metavar="N",
        help="run the chunks on a Dask cluster of N local worker processes (needs pithtex[dask])",
    )


@dataclass(frozen=True)
class Corpus:
    """What the corpus options of one command line ask for."""

    arguments: tuple[str, ...]
    manifests: tuple[str, ...]
    chunk_size: int
    results: str | None
    resume: bool
    scheduler: str | None
    dask_local: int | None

    @property
    def distributed(self) -> bool:
        return self.scheduler is not None or self.dask_local is not None

    @property
    def single(self) -> bool:
        """One argument naming one file that is not a tar archive, and nothing else."""
        from pithtex.jobs.sources import is_archive_name

        if self.manifests or self.results or self.distributed or len(self.arguments) != 1:
            return False
        path = Path(self.arguments[0])
        # a file, or a name that is none: the single-file path then says so
        return not (path.is_dir() or is_archive_name(path.name) or glob.has_magic(str(path)))

    def open_store(self, task: str) -> ResultsStore | None:
        if self.results is None:
            return None
        from pithtex.jobs.corpus import ResultsStore

        return ResultsStore(self.results, task, resume=self.resume)

    def chunks(self, store: ResultsStore | None, prune: tuple[Path, ...] = ()) -> Iterator[Chunk]:
        from pithtex.jobs.sources import corpus_chunks

        return corpus_chunks(
            self.arguments,
            manifests=self.manifests,
            chunk_size=self.chunk_size,
            prune=prune + self._own_folders(),
            skip=None if store is None else store.is_done_key,
            skip_chunk=None if store is None else store.is_done_chunk,
            max_member_bytes=_max_member_bytes(),
        )

    def total(self, store: ResultsStore | None, prune: tuple[Path, ...] = ()) -> int | None:
        """Items left to do, counted from names and tar headers (``None``: unknown)."""
        from pithtex.jobs.sources import count_items

        total = count_items(self.arguments, manifests=self.manifests, prune=prune)
        if total is None or store is None:
            return total
        return max(0, total - store.resumed_items)

    def executor(self, jobs: int | None, bounds: Bounds) -> Executor:
        from pithtex.jobs.corpus import LocalPool

        if not self.distributed:
            return LocalPool(jobs=jobs, bounds=bounds)
        from pithtex.jobs.cluster import DaskExecutor

        return DaskExecutor(
            scheduler=self.scheduler,
            local_workers=self.dask_local or 1,
            jobs_per_task=jobs or DASK_JOBS_PER_TASK,
            bounds=bounds,
        )

    def _own_folders(self) -> tuple[Path, ...]:
        return () if self.results is None else (Path(self.results),)


def _max_member_bytes() -> int:
    from pithtex.pdf.evidence import DEFAULT_READ_LIMITS

    return DEFAULT_READ_LIMITS.max_file_bytes


def corpus_from_args(args: argparse.Namespace, arguments: list[str]) -> Corpus:
    """The corpus a command line names; a usage error (exit 2) for options that do not fit."""
    from pithtex.jobs.sources import DEFAULT_CHUNK_SIZE

    if not arguments and not args.manifest:
        raise InputError(
            "name files, folders, globs, tar archives or --manifest FILE", code="usage.no_files"
        )
    if args.resume and not args.results:
        raise InputError(
            "--resume needs --results DIR (the run to go on with)", code="usage.invalid"
        )
    if args.chunk_size is not None and args.chunk_size < 1:
        raise InputError("--chunk-size must be at least 1", code="usage.invalid")
    if args.dask_local is not None and args.dask_local < 1:
        raise InputError("--dask-local must be at least 1", code="usage.invalid")
    if args.scheduler is not None and not args.scheduler.startswith(("tcp://", "tls://")):
        raise InputError(
            f"--scheduler {args.scheduler!r}: give the scheduler's address as tcp://HOST:PORT",
            code="usage.invalid",
        )
    return Corpus(
        arguments=tuple(arguments),
        manifests=tuple(args.manifest),
        chunk_size=args.chunk_size or DEFAULT_CHUNK_SIZE,
        results=args.results,
        resume=args.resume,
        scheduler=args.scheduler,
        dask_local=args.dask_local,
    )
