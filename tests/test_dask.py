"""Corpus runs on Dask: a scheduler and two workers started as separate processes
(``dask scheduler``, ``dask worker``) on 127.0.0.1, and a LocalCluster; the same per-item
verdicts as the local pool, nothing lost or duplicated when a worker is killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, require_tool, run_cli
from corpusfixtures import expected_items, make_corpus
from test_corpus import assert_verdicts, results_records

from pithtex.jobs.cluster import DaskExecutor
from pithtex.jobs.corpus import LocalPool, ResultsStore
from pithtex.jobs.sources import corpus_chunks
from pithtex.pdf.check import CheckOptions
from pithtex.pipelines.batch import check_corpus
from pithtex.trust.keyring import Keyring

pytestmark = pytest.mark.slow

Verdicts = dict[str, tuple[str, str]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("dask-corpus"))


def options() -> CheckOptions:
    return CheckOptions(keyring=Keyring.build([], include_default=True), registry=None)


@pytest.fixture(scope="module")
def local_verdicts(corpus: Path) -> Verdicts:
    """The per-item verdicts of the local pool: what every executor must give."""
    chunks = corpus_chunks([corpus], chunk_size=16)
    reports = check_corpus(chunks, options(), executor=LocalPool(jobs=2))
    verdicts = {report.file: (report.verdict.value, report.code) for report in reports}
    assert len(verdicts) == expected_items()
    return verdicts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dask scheduler`` and two ``dask worker`` processes, one thread each."""
    dask = require_tool("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    logs = tmp_path_factory.mktemp("dask-logs")
    quiet = ["--no-dashboard"]
    started = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), *quiet],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(logs / "scheduler.log").open("wb"),
        )
    ]
    try:
        wait_for_port(port, time.monotonic() + 60)
        for n in range(2):
            started.append(
                subprocess.Popen(
                    [dask, "worker", address, "--nthreads", "1", "--nworkers", "1", *quiet],
                    env=env,
                    cwd=logs,
                    stdout=subprocess.DEVNULL,
                    stderr=(logs / f"worker{n}.log").open("wb"),
                )
            )
        yield address
    finally:
        for process in reversed(started):
            process.send_signal(signal.SIGINT)
        for process in reversed(started):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def worker_pids(address: str) -> dict[str, int]:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
        return client.run(os.getpid)  # type: ignore[no-any-return]


def busy_worker(address: str) -> str:
    """The address of a worker that is running a task now."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            busy = [worker for worker, keys in client.processing().items() if keys]
            if busy:
                return busy[0]
            time.sleep(0.01)
    raise AssertionError("no worker was running a task")


def test_a_hand_started_cluster_gives_the_local_pools_verdicts(
    cluster: str, corpus: Path, local_verdicts: Verdicts
) -> None:
    worker_pids(cluster)  # both workers are up
    executor = DaskExecutor(scheduler=cluster)
    reports = check_corpus(corpus_chunks([corpus], chunk_size=16), options(), executor=executor)
    got = Counter()
    verdicts = {}
    for report in reports:
        got[report.file] += 1
        verdicts[report.file] = (report.verdict.value, report.code)
    assert set(got.values()) == {1}
    assert verdicts == local_verdicts


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    cluster: str, corpus: Path, local_verdicts: Verdicts, tmp_path: Path
) -> None:
    pids = worker_pids(cluster)
    store = ResultsStore(tmp_path / "results", "check")
    executor = DaskExecutor(scheduler=cluster, in_flight=4)
    chunks = corpus_chunks([corpus], chunk_size=8)
    killed: list[int] = []

    def kill_a_busy_worker() -> None:  # as soon as a worker runs a chunk
        victim = pids[busy_worker(cluster)]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    verdicts: dict[str, tuple[str, str]] = {}
    seen = Counter()
    for report in check_corpus(chunks, options(), executor=executor, store=store):
        seen[report.file] += 1
        verdicts[report.file] = (report.verdict.value, report.code)
    killer.join()
    (victim,) = killed
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)
    assert set(seen.values()) == {1} and verdicts == local_verdicts
    records = results_records(tmp_path / "results")
    assert Counter(r["key"] for r in records) == seen
    restarted = worker_pids(cluster)  # the nanny started a new worker in its place
    assert victim not in restarted.values() and len(restarted) == 2


def test_the_cli_on_a_local_cluster_and_on_a_scheduler(
    cluster: str, corpus: Path, local_verdicts: Verdicts, tmp_path: Path
) -> None:
    for name, where in (("local", ["--dask-local", "2"]), ("scheduler", ["--scheduler", cluster])):
        results = tmp_path / name
        run = run_cli("check", "--offline", "--json", "--results", results, *where, corpus)
        lines = [json.loads(line) for line in run.stdout.splitlines()]
        summary = lines.pop()
        assert summary["files"] == expected_items(), run.stderr[-2000:]
        assert {d["file"]: (d["verdict"], d["code"]) for d in lines} == local_verdicts
        records = results_records(results)
        assert len({r["key"] for r in records}) == len(records) == expected_items()
        assert_verdicts(records)
        assert run.returncode == 1


def test_dask_options_are_checked(corpus: Path) -> None:
    bad = run_cli("check", "--scheduler", "127.0.0.1:8786", corpus)
    assert bad.returncode == 2 and "tcp://HOST:PORT" in bad.stderr
    both = run_cli("check", "--scheduler", "tcp://127.0.0.1:1", "--dask-local", "2", corpus)
    assert both.returncode == 2
    resume = run_cli("check", "--resume", corpus)
    assert resume.returncode == 2 and "--results" in resume.stderr
