"""Running one function per item in worker processes, each item bounded in time and memory.

Hostile files can make a C library loop or allocate without end, where no
Python exception handler is ever reached.  :func:`run_bounded` therefore runs
every item in a forked worker process whose address space is capped with
``RLIMIT_AS`` and whose item is killed when it overruns its time.  A worker
that dies or is killed is replaced, and its item gets a :class:`TaskFailure`
naming why; the other items go on.  Results come back in input order.
"""

from __future__ import annotations

import contextlib
import faulthandler
import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Bounds:
    """What one item may cost."""

    timeout: float = 60.0
    """Seconds of wall time per item."""
    memory_bytes: int | None = 1024 * MIB
    """Address space a worker may add to what it had when it started (``None``: no cap)."""


@dataclass(frozen=True, slots=True)
class TaskFailure:
    """An item that produced no result; ``code`` is ``worker.timeout|memory|crashed|error``."""

    code: str
    message: str


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
        try:
            outcome: Any = fn(item)
        except MemoryError:
            outcome = TaskFailure("worker.memory", "ran out of its memory bound")
        except RecursionError:
            outcome = TaskFailure("worker.error", "objects nested too deeply")
        except Exception as exc:  # an unexpected error is this item's result, not the batch's
            outcome = TaskFailure("worker.error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send((index, outcome))
        except (MemoryError, OSError, ValueError, TypeError) as exc:
            conn.send((index, TaskFailure("worker.error", f"cannot return the result: {exc}")))


class _Worker(Generic[T]):
    def __init__(self, fn: Callable[[T], Any], bounds: Bounds) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child, fn, bounds.memory_bytes), daemon=True
        )
        self.process.start()
        child.close()
        self.task: tuple[int, T] | None = None
        self.deadline = 0.0

    def assign(self, index: int, item: T, timeout: float) -> None:
        self.task = (index, item)
        self.deadline = time.monotonic() + timeout
        self.conn.send((index, item))

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(1)
        self.kill()

    def death(self, bounds: Bounds) -> TaskFailure:
        self.process.join(5)
        code = self.process.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            cap = f"{bounds.memory_bytes // MIB} MiB" if bounds.memory_bytes else "no"
            return TaskFailure(
                "worker.crashed",
                f"the reader process died with {name} (memory bound {cap}, or a crash "
                "in a PDF library)",
            )
        return TaskFailure("worker.crashed", f"the reader process exited with status {code}")


def run_bounded(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int = 1,
    bounds: Bounds = Bounds(),
) -> Iterator[tuple[T, R | TaskFailure]]:
    """Yield ``(item, fn(item) or TaskFailure)`` in input order, ``jobs`` items at a time.

    The workers are forked and given their first items before this returns, so
    the caller can prepare what it needs for the results while they work.
    """
    pending = deque(enumerate(items))
    workers = [_Worker(fn, bounds) for _ in range(max(1, min(jobs, len(items))))]
    _assign(workers, pending, bounds)
    return _results(fn, items, pending, workers, bounds)


def _assign(workers: list[_Worker[T]], pending: deque[tuple[int, T]], bounds: Bounds) -> None:
    for worker in workers:
        if worker.task is None and pending:
            index, item = pending.popleft()
            worker.assign(index, item, bounds.timeout)


def _results(
    fn: Callable[[T], R],
    items: Sequence[T],
    pending: deque[tuple[int, T]],
    workers: list[_Worker[T]],
    bounds: Bounds,
) -> Iterator[tuple[T, R | TaskFailure]]:
    done: dict[int, R | TaskFailure] = {}
    emitted = 0
    try:
        while emitted < len(items):
            _assign(workers, pending, bounds)
            busy = [w for w in workers if w.task is not None]
            if busy:
                _collect(busy, workers, done, fn, bounds)
                _assign(workers, pending, bounds)  # keep workers busy while results are used
            while emitted in done:
                yield items[emitted], done.pop(emitted)
                emitted += 1
    finally:
        for worker in workers:
            worker.stop()


def _collect(
    busy: list[_Worker[T]],
    workers: list[_Worker[T]],
    done: dict[int, Any],
    fn: Callable[[T], Any],
    bounds: Bounds,
) -> None:
    """Wait for results or the next deadline; replace workers that died or overran."""
    remaining = min(w.deadline for w in busy) - time.monotonic()
    ready = set(wait([w.conn for w in busy], timeout=max(0.0, remaining)))
    now = time.monotonic()
    for worker in busy:
        assert worker.task is not None
        index = worker.task[0]
        if worker.conn in ready:
            try:
                got, outcome = worker.conn.recv()
            except (EOFError, OSError):
                done[index] = worker.death(bounds)
            except Exception as exc:  # a result that cannot be unpickled
                done[index] = TaskFailure("worker.error", f"unreadable result: {exc}")
            else:
                done[got] = outcome
                worker.task = None
                continue
        elif now >= worker.deadline:
            done[index] = TaskFailure(
                "worker.timeout", f"took longer than the {bounds.timeout:g} s bound"
            )
        else:
            continue
        worker.kill()
        workers[workers.index(worker)] = _Worker(fn, bounds)


def default_jobs() -> int:
    """Worker processes for a batch: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
