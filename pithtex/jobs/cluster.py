"""The Dask executor: a corpus's chunks as tasks of a Dask distributed cluster.

:class:`DaskExecutor` connects to a running scheduler (``tcp://HOST:PORT``) or
starts a :class:`distributed.LocalCluster` of ``local_workers`` processes.
Each chunk (a tar archive, or a few files) is one Dask task running
:func:`pithtex.jobs.corpus.run_chunk` in a worker: every item is read there in
a bounded child process (memory, time), so a hostile PDF costs one child, never
the worker.  The task object is shipped with every chunk; what it sets up
(registry, bundles) is made once per worker process and reused
(:func:`pithtex.jobs.corpus.per_process`).

At most ``in_flight`` chunks (default: two per worker thread) are submitted
and not yet collected, which bounds the driver's memory whatever the corpus
size.  A worker that dies mid-chunk loses nothing: the scheduler runs the chunk
again elsewhere, and only the run that completes comes back.  A chunk that
keeps failing (its workers keep dying, ``distributed.scheduler.allowed-failures``)
is submitted again up to ``retries`` times, then each of its items is reported
as ``worker.lost``.  Workers need pithtex installed and the corpus's paths
readable under the same names.

``dask`` and ``distributed`` come with the optional extra ``pithtex[dask]``;
they are imported when a run starts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from pithtex.core.errors import MissingToolError
from pithtex.jobs.corpus import ChunkDone, ItemDone, Task, run_chunk
from pithtex.jobs.executor import DEFAULT_BOUNDS, Bounds, TaskFailure
from pithtex.jobs.sources import Chunk

__all__ = ["DEFAULT_RETRIES", "DaskExecutor", "import_distributed"]

R = TypeVar("R")

DEFAULT_RETRIES = 2
"""Times a chunk whose task failed (its workers died) is submitted again."""

WORKER_WAIT = 60.0
"""Seconds to wait for the first worker of a cluster."""


def import_distributed() -> Any:
    """The :mod:`distributed` module, or a one-line error naming the extra to install."""
    try:
        import distributed
    except ImportError:
        raise MissingToolError(
            "Dask is not installed: pip install 'pithtex[dask]'", code="tool.dask"
        ) from None
    return distributed


@dataclass(frozen=True, slots=True)
class DaskExecutor:
    """Chunks as Dask tasks, on a running cluster (``scheduler``) or a local one."""

    scheduler: str | None = None
    """``tcp://HOST:PORT`` of a running scheduler (``None``: start a LocalCluster)."""
    local_workers: int = 2
    """Worker processes of the LocalCluster (one thread each)."""
    jobs_per_task: int = 1
    """Bounded children reading at once within one task."""
    bounds: Bounds = DEFAULT_BOUNDS
    in_flight: int | None = None
    """Chunks submitted and not yet collected (default: two per worker thread)."""
    retries: int = DEFAULT_RETRIES

    def run(self, task: Task[Any, R], chunks: Iterable[Chunk]) -> Iterator[ItemDone[R] | ChunkDone]:
        distributed = import_distributed()
        cluster = None
        if self.scheduler is None:
            cluster = distributed.LocalCluster(
                n_workers=self.local_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
        client = distributed.Client(self.scheduler or cluster)
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT)
            yield from _Submitter(self, client, distributed, task).run(iter(chunks))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


class _Submitter:
    """Keeps a bounded number of chunks on the cluster; collects them as they complete."""

    def __init__(self, executor: DaskExecutor, client: Any, distributed: Any, task: Any) -> None:
        self.executor = executor
        self.client = client
        self.task = task
        self.done = distributed.as_completed()
        self.chunks: dict[str, tuple[Chunk, int]] = {}

    def limit(self) -> int:
        if self.executor.in_flight is not None:
            return max(1, self.executor.in_flight)
        workers = self.client.scheduler_info()["workers"].values()
        threads = sum(int(worker.get("nthreads", 1)) for worker in workers)
        return 2 * max(1, threads)

    def submit(self, chunk: Chunk, attempt: int) -> None:
        digest = hashlib.sha256(chunk.key.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        key = f"pithtex-chunk-{digest}-{attempt}"
        future = self.client.submit(
            run_chunk,
            self.task,
            chunk,
            jobs=self.executor.jobs_per_task,
            bounds=self.executor.bounds,
            key=key,
            pure=False,
        )
        self.chunks[future.key] = (chunk, attempt)
        self.done.add(future)

    def run(self, chunks: Iterator[Chunk]) -> Iterator[ItemDone[Any] | ChunkDone]:
        for chunk in islice(chunks, self.limit()):
            self.submit(chunk, 0)
        for future in self.done:
            chunk, attempt = self.chunks.pop(future.key)
            pairs = self.collect(future, chunk, attempt)
            future.release()
            if pairs is not None:
                for key, result in pairs:
                    yield ItemDone(chunk.key, key, result)
                yield ChunkDone(chunk.key, len(pairs))
            for following in islice(chunks, 1):
                self.submit(following, 0)

    def collect(self, future: Any, chunk: Chunk, attempt: int) -> list[tuple[str, Any]] | None:
        """A chunk's results; ``None`` when it was submitted again."""
        try:
            return future.result()  # type: ignore[no-any-return]
        except Exception as exc:  # the task failed: its workers died, or the cluster went away
            if attempt < self.executor.retries:
                self.submit(chunk, attempt + 1)
                return None
            failure = TaskFailure(
                "worker.lost", f"the chunk's Dask task failed {attempt + 1} times ({exc})"
            )
            return [(item.key, self.task.finish(item, failure)) for item in chunk.items()]
