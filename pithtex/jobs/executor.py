"""The one batch executor: a function over many items in bounded worker processes.

Hostile files can make a C library loop or allocate without end, where no
Python exception handler is ever reached.  :func:`run_bounded` therefore runs
every item in a forked worker process whose address space is capped with
``RLIMIT_AS`` and whose item is abandoned (the worker killed) when it overruns
its time.  A worker that dies or is killed is replaced, and its item gets a
:class:`TaskFailure` naming why; the other items go on.

* **Items** come from any iterable and are taken from it only when a worker is
  free, so a generator of millions of paths is never held in memory.
* **Workers** are forked when there is an item for them (at most ``jobs``) and
  reused for item after item: the function and what it imported are set up once
  per worker, not per item.  The first items are handed out before
  :func:`run_bounded` returns, so the caller can prepare while they work.
* **Results** come back in input order (``ordered=True``, the default: reports
  are reproducible) or as they complete (``ordered=False``: no item waits for a
  slow one).  Either way at most ``window`` items are taken and not yet yielded,
  which bounds the memory of a run whatever its size; in input order a slow item
  holds back at most ``window`` results behind it.
* **Pools**: a :class:`WorkerPool` keeps its idle workers from one run to the
  next (a Dask worker reads chunk after chunk with the same readers); a run
  gives back the workers that are idle when it ends and kills any still busy.
* **Failures**: ``worker.timeout``, ``worker.memory`` (the function ran out of
  its bound), ``worker.crashed`` (the process died: the memory bound hit inside
  a C library, or a crash there) and ``worker.recursion`` are properties of the
  input; ``worker.error`` (the function raised an exception it did not expect)
  is a bug, with :attr:`~pithtex.core.errors.ExitCode.INTERNAL` as its exit code.
"""

from __future__ import annotations

import contextlib
import faulthandler
import multiprocessing
import os
import resource
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Generic, TypeVar

from pithtex.core.closing import Closing
from pithtex.core.errors import ExitCode
from pithtex.jobs.limits import DEFAULT_MEMORY_MIB, DEFAULT_TIMEOUT, MIB

__all__ = [
    "DEFAULT_BOUNDS",
    "INTERNAL_FAILURES",
    "MIB",
    "WINDOW_PER_JOB",
    "BoundedRun",
    "Bounds",
    "TaskFailure",
    "WorkerPool",
    "default_jobs",
    "run_bounded",
    "unexpected_failure",
]

T = TypeVar("T")
R = TypeVar("R")

WINDOW_PER_JOB = 16
"""Items a run may have taken and not yet yielded, per worker (the default window)."""

INTERNAL_FAILURES = frozenset({"worker.error"})
"""Failure codes that mean a bug in pithtex rather than a property of the item."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """What one item may cost."""

    timeout: float = DEFAULT_TIMEOUT
    """Seconds of wall time per item."""
    memory_bytes: int | None = DEFAULT_MEMORY_MIB * MIB
    """Address space a worker may add to what it had when it started (``None``: no cap)."""


DEFAULT_BOUNDS = Bounds()
"""The bounds of every verb unless told otherwise (see :mod:`pithtex.jobs.limits`)."""


@dataclass(frozen=True, slots=True)
class TaskFailure:
    """An item that produced no result.

    ``code`` is ``worker.timeout|memory|crashed|recursion|error``, or a code of the
    function's own when it returns a failure itself.
    """

    code: str
    message: str

    @property
    def internal(self) -> bool:
        """Whether the failure is a bug in pithtex (an exception nobody expected)."""
        return self.code in INTERNAL_FAILURES

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INTERNAL if self.internal else ExitCode.UNUSABLE


def default_jobs() -> int:
    """Worker processes for a batch: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_bounded(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
    ordered: bool = True,
    window: int | None = None,
) -> BoundedRun[T, R]:
    """Run ``fn`` over ``items``; iterate the result for ``(item, fn(item) or TaskFailure)``.

    ``jobs`` defaults to :func:`default_jobs`; ``window`` to ``WINDOW_PER_JOB``
    per job.  ``fn`` is not pickled (the workers are forked), items and results
    are.  Close the run (or use it as a context manager) to stop its workers
    when not iterating it to the end.
    """
    workers = default_jobs() if jobs is None else max(1, jobs)
    limit = WINDOW_PER_JOB * workers if window is None else max(window, workers)
    return BoundedRun(fn, iter(items), workers, bounds, ordered=ordered, window=limit)


class WorkerPool(Closing, Generic[T, R]):
    """Bounded workers running ``fn``, kept between the runs :meth:`run` makes.

    Each run forks workers only when the pool has no idle one; closing the pool
    stops them.  ``fn`` is fixed for the pool's life (the workers are forked with it).
    """

    def __init__(self, fn: Callable[[T], R], *, jobs: int = 1, bounds: Bounds = DEFAULT_BOUNDS):
        self.fn = fn
        self.jobs = max(1, jobs)
        self.bounds = bounds
        self._idle: list[_Worker] = []

    def run(self, items: Iterable[T], *, ordered: bool = True) -> BoundedRun[T, R]:
        """Like :func:`run_bounded`, with this pool's workers."""
        window = WINDOW_PER_JOB * self.jobs
        return BoundedRun(
            self.fn, iter(items), self.jobs, self.bounds, ordered=ordered, window=window, pool=self
        )

    def take(self) -> _Worker | None:
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            worker.kill()
        return None

    def give(self, worker: _Worker) -> None:
        self._idle.append(worker)

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for worker in idle:
            worker.ask_to_stop()
        for worker in idle:
            worker.process.join(1)
            worker.kill()


# ---------------------------------------------------------------- the worker process


def _address_space() -> int:
    """Current virtual memory size of this process, in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit_memory(extra: int | None) -> None:
    if extra is None:
        return
    limit = _address_space() + extra
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def unexpected_failure(exc: Exception) -> TaskFailure:
    """The ``worker.error`` failure of an exception nobody expected, naming where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return TaskFailure("worker.error", f"{type(exc).__name__}: {exc}{where}")


def _outcome(fn: Callable[[Any], Any], item: Any) -> Any:
    try:
        return fn(item)
    except MemoryError:
        return TaskFailure("worker.memory", "ran out of its memory bound")
    except RecursionError:
        return TaskFailure("worker.recursion", "objects nested too deeply")
    except Exception as exc:  # an unexpected error is this item's result, not the batch's
        return unexpected_failure(exc)


def _worker_main(conn: Connection, fn: Callable[[Any], Any], memory: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and stops us
    faulthandler.disable()  # a crash is reported by the parent, not dumped on stderr
    _limit_memory(memory)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, item = message
        outcome = _outcome(fn, item)
        try:
            conn.send((index, outcome))
        except MemoryError:
            conn.send((index, TaskFailure("worker.memory", "ran out of memory returning")))
        except Exception as exc:  # a result that cannot be pickled is a bug
            conn.send((index, unexpected_failure(exc)))


class _Worker:
    """One forked worker process, its pipe, and the item it is working on."""

    def __init__(self, fn: Callable[[Any], Any], bounds: Bounds) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child, fn, bounds.memory_bytes), daemon=True
        )
        self.process.start()
        child.close()
        self.task: tuple[int, Any] | None = None
        self.deadline = 0.0

    def assign(self, index: int, item: Any, timeout: float) -> None:
        self.task = (index, item)
        self.deadline = time.monotonic() + timeout
        self.conn.send((index, item))

    def ask_to_stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def death(self, bounds: Bounds) -> TaskFailure:
        self.process.join(5)
        code = self.process.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            cap = f"{bounds.memory_bytes // MIB} MiB" if bounds.memory_bytes else "no"
            return TaskFailure(
                "worker.crashed",
                f"the worker process died with {name} (memory bound {cap}, or a crash "
                "in a PDF library)",
            )
        return TaskFailure("worker.crashed", f"the worker process exited with status {code}")


# ---------------------------------------------------------------- the run


class BoundedRun(Closing, Generic[T, R]):
    """An iterator of ``(item, outcome)`` pairs; the outcome is ``fn(item)`` or a failure."""

    def __init__(
        self,
        fn: Callable[[T], R],
        items: Iterator[T],
        jobs: int,
        bounds: Bounds,
        *,
        ordered: bool,
        window: int,
        pool: WorkerPool[T, R] | None = None,
    ) -> None:
        self._fn = fn
        self._pool = pool
        self._items = items
        self._jobs = jobs
        self._bounds = bounds
        self._ordered = ordered
        self._window = window
        self._workers: list[_Worker] = []
        self._taken = 0
        """Items taken from ``items`` so far (the next item's index)."""
        self._yielded = 0
        self._exhausted = False
        self._done: dict[int, tuple[T, R | TaskFailure]] = {}
        self._completed: deque[tuple[T, R | TaskFailure]] = deque()
        self._closed = False
        self._fill()

    def __iter__(self) -> BoundedRun[T, R]:
        return self

    def __next__(self) -> tuple[T, R | TaskFailure]:
        while True:
            ready = self._pop_ready()
            if ready is not None:
                self._yielded += 1
                self._fill()  # keep the workers busy while the caller uses the result
                return ready
            self._fill()
            busy = [w for w in self._workers if w.task is not None]
            if not busy:
                self.close()
                raise StopIteration
            self._collect(busy)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit, modules may be gone
            self.close()

    def close(self) -> None:
        """Stop every worker (an item still running is abandoned)."""
        if self._closed:
            return
        self._closed = True
        self._exhausted = True
        workers, self._workers = self._workers, []
        if self._pool is not None:  # idle workers go back to the pool; busy ones are killed
            for worker in workers:
                if worker.task is None:
                    self._pool.give(worker)
                else:
                    worker.kill()
            return
        for worker in workers:
            worker.ask_to_stop()
        for worker in workers:
            worker.process.join(1 if worker.task is None else 0)
            worker.kill()

    # ------------------------------------------------------------ taking items

    def _fill(self) -> None:
        """Hand items to free workers, forking new ones up to ``jobs``, within the window."""
        while not self._exhausted and self._taken - self._yielded < self._window:
            worker = next((w for w in self._workers if w.task is None), None)
            if worker is None and len(self._workers) >= self._jobs:
                return
            try:
                item = next(self._items)
            except StopIteration:
                self._exhausted = True
                return
            if worker is None:  # forked only now that there is an item for it
                worker = self._fork()
            try:
                worker.assign(self._taken, item, self._bounds.timeout)
            except OSError:  # it died while idle (killed from outside): a new one takes it
                self._drop(worker)
                self._fork().assign(self._taken, item, self._bounds.timeout)
            self._taken += 1

    def _fork(self) -> _Worker:
        taken = self._pool.take() if self._pool is not None else None
        worker = taken or _Worker(self._fn, self._bounds)
        self._workers.append(worker)
        return worker

    def _drop(self, worker: _Worker) -> None:
        worker.kill()
        self._workers.remove(worker)

    # ------------------------------------------------------------ results

    def _pop_ready(self) -> tuple[T, R | TaskFailure] | None:
        if not self._ordered:
            return self._completed.popleft() if self._completed else None
        return self._done.pop(self._yielded, None)

    def _finish(self, index: int, item: T, outcome: R | TaskFailure) -> None:
        if self._ordered:
            self._done[index] = (item, outcome)
        else:
            self._completed.append((item, outcome))

    def _collect(self, busy: list[_Worker]) -> None:
        """Wait for results or the next deadline; drop workers that died or overran."""
        remaining = min(w.deadline for w in busy) - time.monotonic()
        ready = set(wait([w.conn for w in busy], timeout=max(0.0, remaining)))
        now = time.monotonic()
        for worker in busy:
            assert worker.task is not None
            index, item = worker.task
            if worker.conn in ready:
                try:
                    _, outcome = worker.conn.recv()
                except (EOFError, OSError):
                    failure = worker.death(self._bounds)
                except Exception as exc:  # a result that cannot be unpickled is a bug
                    failure = unexpected_failure(exc)
                else:
                    worker.task = None
                    self._finish(index, item, outcome)
                    continue
            elif now >= worker.deadline:
                failure = TaskFailure(
                    "worker.timeout", f"took longer than the {self._bounds.timeout:g} s bound"
                )
            else:
                continue
            self._finish(index, item, failure)
            self._drop(worker)
