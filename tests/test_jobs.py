"""The job layer on its own: the bounded executor over iterables, file discovery,
output trees, the batch exit policy and the progress seam (real processes, real files)."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pithtex.core.errors import BATCH_EXIT_PRECEDENCE, ExitCode, InputError, batch_exit_code
from pithtex.core.fileio import TEMP_PREFIX, TEMP_SUFFIX, atomic_output
from pithtex.jobs.discovery import Found, find_files, mirror_outputs, select_files
from pithtex.jobs.executor import Bounds, TaskFailure, WorkerPool, run_bounded
from pithtex.jobs.progress import NullProgress, tracked
from pithtex.jobs.steps import StepTimer


def pid_of(item: object) -> int:
    return os.getpid()


def slow_first(item: str) -> str:
    if item == "slow":
        time.sleep(1.0)
    return item


def fail_or_echo(item: str) -> str:
    if item == "bug":
        raise KeyError("not a key")
    return item


def test_workers_are_reused_and_forked_only_for_items() -> None:
    assert list(run_bounded(pid_of, [], jobs=4)) == []
    assert not multiprocessing.active_children()  # no item, no worker
    pids = {pid for _, pid in run_bounded(pid_of, range(40), jobs=2)}
    assert len(pids) == 2 and os.getpid() not in pids
    assert len({pid for _, pid in run_bounded(pid_of, range(1), jobs=8)}) == 1
    assert not multiprocessing.active_children()  # stopped at the end of the run


def test_items_are_taken_lazily_within_the_window() -> None:
    taken = itertools.count()

    def endless() -> Iterator[str]:
        for n in itertools.count():
            next(taken)
            yield "slow" if n == 0 else str(n)

    run = run_bounded(slow_first, endless(), jobs=2, window=6)
    try:
        first = next(run)  # the slow first item holds back the results behind it
        assert first == ("slow", "slow")
        assert next(taken) <= 6 + 1  # never more than the window taken and not yielded
        assert [item for item, _ in itertools.islice(run, 20)] == [str(n) for n in range(1, 21)]
    finally:
        run.close()
    assert not multiprocessing.active_children()


def test_results_in_input_order_or_as_they_complete() -> None:
    items = ["slow", "a", "b", "c"]
    ordered = [item for item, _ in run_bounded(slow_first, items, jobs=2)]
    assert ordered == items
    completed = [item for item, _ in run_bounded(slow_first, items, jobs=2, ordered=False)]
    assert sorted(completed) == sorted(items) and completed[-1] == "slow"


def test_an_unexpected_exception_is_an_internal_failure() -> None:
    outcome = dict(run_bounded(fail_or_echo, ["a", "bug", "b"], jobs=1))
    assert outcome["a"] == "a" and outcome["b"] == "b"
    failure = outcome["bug"]
    assert isinstance(failure, TaskFailure) and failure.internal
    assert failure.exit_code is ExitCode.INTERNAL
    assert failure.message.startswith("KeyError: 'not a key' (at test_jobs.py:")
    timeout = TaskFailure("worker.timeout", "took longer")
    assert not timeout.internal and timeout.exit_code is ExitCode.UNUSABLE


def test_closing_a_run_kills_a_running_item() -> None:
    run = run_bounded(slow_first, ["slow"], bounds=Bounds(timeout=60))
    assert multiprocessing.active_children()
    started = time.monotonic()
    run.close()
    assert time.monotonic() - started < 5
    assert not multiprocessing.active_children()


def test_batch_exit_policy() -> None:
    assert batch_exit_code([]) is ExitCode.OK
    assert batch_exit_code([0, 0]) is ExitCode.OK
    assert batch_exit_code([0, 3]) is ExitCode.NO_CLAIM
    assert batch_exit_code([3, 2, 0]) is ExitCode.UNUSABLE
    assert batch_exit_code([2, 1, 3]) is ExitCode.FAILED
    assert batch_exit_code([1, 70, 2]) is ExitCode.INTERNAL
    assert batch_exit_code([99]) is ExitCode.INTERNAL  # no item can exit 99 but by a bug
    assert set(BATCH_EXIT_PRECEDENCE) == set(ExitCode)
    assert int(ExitCode.INTERNAL) == 70


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Nested folders with PDFs, and everything a walk must leave out."""
    root = tmp_path / "papers"
    for name in ("b/2.pdf", "a/1.pdf", "a/deep/er/3.PDF", "c.pdf", "a/notes.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"%PDF-1.7\n")
    (root / ".hidden.pdf").write_bytes(b"%PDF-1.7\n")
    (root / ".git").mkdir()
    (root / ".git" / "x.pdf").write_bytes(b"%PDF-1.7\n")
    (root / f"{TEMP_PREFIX}abc{TEMP_SUFFIX}").write_bytes(b"%PDF-1.7\n")
    (root / "a" / f"{TEMP_PREFIX}x.pdf{TEMP_SUFFIX}").write_bytes(b"%PDF")
    (root / "link.pdf").symlink_to(root / "c.pdf")
    (root / "linked-folder").symlink_to(root / "a")
    os.mkfifo(root / "fifo.pdf")
    return root


def relative(found: list[Found], root: Path) -> list[str]:
    return [f.path.relative_to(root).as_posix() for f in found]


def test_a_folder_is_walked_depth_first_in_name_order(tree: Path) -> None:
    found = list(find_files([tree]))
    assert relative(found, tree) == ["a/1.pdf", "a/deep/er/3.PDF", "b/2.pdf", "c.pdf"]
    assert {f.base for f in found} == {tree}
    assert [f.relative.as_posix() for f in found][1] == "a/deep/er/3.PDF"


def test_an_interrupted_write_leaves_a_file_every_walk_skips(tree: Path) -> None:
    with pytest.raises(RuntimeError), atomic_output(tree / "b" / "new.pdf") as handle:
        handle.write(b"%PDF-1.7\n")
        partial = list((tree / "b").glob(f"{TEMP_PREFIX}*"))
        assert partial and relative(list(find_files([tree / "b"])), tree) == ["b/2.pdf"]
        raise RuntimeError("killed mid-write")


def test_globs_named_files_and_missing_names(tree: Path) -> None:
    pattern = str(tree / "**" / "*.pdf")
    found = list(find_files([pattern]))
    # glob's own rules (no hidden names, links followed), regular files only, never
    # pithtex's temporary files, each file once (link.pdf is c.pdf, linked-folder is a)
    assert relative(found, tree) == ["a/1.pdf", "b/2.pdf", "c.pdf"]
    assert {f.base for f in found} == {tree}
    explicit = list(find_files([tree / "a" / "notes.txt", tree / "missing.pdf"]))
    assert relative(explicit, tree) == ["a/notes.txt", "missing.pdf"]
    nothing = list(find_files([str(tree / "*.none")]))
    assert [f.path.name for f in nothing] == ["*.none"]  # reported by the verb as missing
    by_folder = list(find_files([str(tree / "*" / "deep")]))
    assert [f.relative.as_posix() for f in by_folder] == ["a/deep/er/3.PDF"]


def test_a_file_reached_twice_is_taken_once(tree: Path) -> None:
    found = list(find_files([tree / "c.pdf", tree, tree / "link.pdf", str(tree / "*.pdf")]))
    assert relative(found, tree) == ["c.pdf", "a/1.pdf", "a/deep/er/3.PDF", "b/2.pdf"]


def test_pruned_folders_are_not_entered(tree: Path) -> None:
    found = list(find_files([tree], prune=[tree / "a" / "deep", tree / "nonexistent"]))
    assert relative(found, tree) == ["a/1.pdf", "b/2.pdf", "c.pdf"]


def test_selection_single_and_empty(tree: Path, tmp_path: Path) -> None:
    assert select_files([tree / "c.pdf"]).single
    assert select_files([tree / "missing.pdf"]).single
    assert not select_files([tree]).single
    assert not select_files([str(tree / "c*.pdf")]).single
    assert not select_files([tree / "c.pdf", tree / "b" / "2.pdf"]).single
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as caught:
        select_files([tmp_path / "empty"])
    assert caught.value.code == "usage.no_files"


def test_outputs_mirror_the_input_tree_and_never_collide(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pairs = list(mirror_outputs(find_files([tree, str(tree / "b" / "*.pdf")]), out))
    assert [o.relative_to(out).as_posix() for _, o in pairs] == [
        "a/1.pdf",
        "a/deep/er/3.PDF",
        "b/2.pdf",
        "c.pdf",
    ]
    other = tmp_path / "other"
    (other / "a").mkdir(parents=True)
    (other / "a" / "1.pdf").write_bytes(b"%PDF-1.7\n")
    with pytest.raises(InputError) as caught:
        list(mirror_outputs(find_files([tree, other]), out))
    assert caught.value.code == "batch.collision" and "collide" in caught.value.message


class Recorder(NullProgress):
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def update(self, n: int = 1) -> None:
        self.events.append(("update", n))

    def describe(self, text: str) -> None:
        self.events.append(("describe", text))


def test_the_step_timer_and_iterables_report_to_the_progress_seam() -> None:
    recorder = Recorder()
    timer = StepTimer(progress=recorder)
    for name in ("one", "two"):
        with timer.step(name) as detail:
            detail.append(name.upper())
    assert [s.detail for s in timer.steps] == ["ONE", "TWO"]
    assert recorder.events == [
        ("describe", "one"),
        ("update", 1),
        ("describe", "two"),
        ("update", 1),
    ]
    recorder.events.clear()
    assert list(tracked("abc", recorder)) == ["a", "b", "c"]
    assert recorder.events == [("update", 1)] * 3


def zombie(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


def test_a_worker_that_died_while_idle_is_replaced() -> None:
    def items() -> Iterator[int]:
        yield 0
        (idle,) = multiprocessing.active_children()  # the worker, done with item 0
        os.kill(idle.pid or 0, 9)
        while not zombie(idle.pid or 0):
            time.sleep(0.01)
        yield 1  # its pipe is closed now: handed to a new worker, not failed
        yield 2

    outcomes = [pid for _, pid in run_bounded(pid_of, items(), jobs=1, window=1)]
    assert all(isinstance(pid, int) for pid in outcomes), outcomes
    assert outcomes[0] != outcomes[1] == outcomes[2]


def _pid_or_sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_a_worker_pool_keeps_its_idle_workers_from_run_to_run() -> None:
    with WorkerPool(_pid_or_sleep, jobs=2, bounds=Bounds(timeout=1.0)) as pool:
        with pool.run([0.0] * 6) as first:
            pids = {outcome for _, outcome in first}
        assert len(pids) <= 2 and os.getpid() not in pids
        with pool.run([0.0] * 6) as second:
            assert {outcome for _, outcome in second} <= pids  # the same processes
        with pool.run([5.0]) as slow:  # overruns its bound: that worker is killed
            ((_, failure),) = list(slow)
        assert getattr(failure, "code", None) == "worker.timeout"
        with pool.run([0.0] * 4) as after:
            assert all(isinstance(outcome, int) for _, outcome in after)
    for pid in pids:  # closing the pool stopped (and reaped) its workers
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
