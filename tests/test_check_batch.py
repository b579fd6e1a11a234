"""Batch checking: the bounded worker pool and ``pithtex check DIR_OR_GLOB...``."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from conftest import SEED_BUNDLE, make_test_bundle, run_cli
from hostile import basic, bomb
from pdfsamples import claimed_pdf, make_pdf

from pithtex.jobs.executor import Bounds, TaskFailure, run_bounded

MIB = 1024 * 1024


def behave(item: str) -> str:
    """A task that does what its name says."""
    if item == "hang":
        time.sleep(3600)
    if item == "allocate":
        return str(len(bytearray(4096 * MIB)))
    if item == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if item == "raise":
        raise ValueError("a bad item")
    return item.upper()


def test_each_item_is_bounded_and_the_batch_goes_on() -> None:
    items = ["a", "hang", "b", "allocate", "c", "segfault", "d", "raise", "e"]
    started = time.monotonic()
    results = list(run_bounded(behave, items, jobs=2, bounds=Bounds(1.5, 256 * MIB)))
    assert time.monotonic() - started < 30
    assert [item for item, _ in results] == items  # input order
    outcome = dict(results)
    assert [outcome[k] for k in "abcde"] == list("ABCDE")
    assert isinstance(outcome["hang"], TaskFailure)
    assert outcome["hang"].code == "worker.timeout"
    assert outcome["allocate"] == TaskFailure("worker.memory", "ran out of its memory bound")
    assert outcome["segfault"].code == "worker.crashed"
    assert "SIGSEGV" in outcome["segfault"].message
    assert outcome["raise"].code == "worker.error"
    assert outcome["raise"].message.startswith("ValueError: a bad item (at test_check_batch.py:")


def test_one_worker_many_items() -> None:
    items = [str(n) for n in range(50)]
    assert [r for _, r in run_bounded(behave, items, jobs=1)] == items


@pytest.fixture
def papers(tmp_path: Path) -> Path:
    seed = json.loads(SEED_BUNDLE.read_bytes())
    folder = tmp_path / "papers"
    (folder / "sub").mkdir(parents=True)
    claimed_pdf(folder / "a-good.pdf", seed)
    claimed_pdf(folder / "sub" / "b-good.PDF", seed)
    claimed_pdf(folder / "c-untrusted.pdf", make_test_bundle())
    make_pdf(folder / "d-plain.pdf", title="No Badge Here")
    (folder / "e-broken.pdf").write_bytes(b"%PDF-1.7\nnot really")
    (folder / "notes.txt").write_text("not a pdf")
    return folder


def test_batch_json_lines_in_order_with_summary(papers: Path) -> None:
    result = run_cli("check", "--json", "--jobs", "2", papers)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary = lines.pop()
    files = [doc["file"] for doc in lines]
    assert files == sorted(files)  # input order: the directory's files, sorted
    assert [(doc["verdict"], doc["code"]) for doc in lines] == [
        ("verified", "check.verified"),
        ("failed", "check.signature.untrusted"),
        ("no-claim", "check.claims.none"),
        ("unusable", "check.pdf.damaged"),
        ("verified", "check.verified"),
    ]
    assert summary == {
        "schema": "pithtex.check-summary/1",
        "files": 5,
        "verdicts": {"verified": 2, "failed": 1, "unusable": 1, "no-claim": 1, "indeterminate": 0},
        "reasons": {
            "failed": {"check.signature.untrusted": 1},
            "no-claim": {"check.claims.none": 1},
            "unusable": {"check.pdf.damaged": 1},
        },
        "exit_code": 1,
    }
    assert result.returncode == 1


def test_batch_text_lines_and_summary_table(papers: Path) -> None:
    result = run_cli("check", papers / "a-good.pdf", papers / "d-plain.pdf")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("VERIFIED") and "a-good.pdf" in lines[0]
    assert lines[1].startswith("NO-CLAIM") and "d-plain.pdf" in lines[1]
    assert "summary: 2 files" in result.stdout
    assert any(line.split() == ["verified", "1"] for line in lines)
    assert result.returncode == 3  # no failure, no unusable file: the no-claim code
    quiet = run_cli("check", "-q", papers / "a-good.pdf", papers / "d-plain.pdf")
    assert "a-good.pdf" not in quiet.stdout and "d-plain.pdf" in quiet.stdout


def test_globs_missing_files_and_the_progress_bar(papers: Path) -> None:
    pattern = str(papers / "**" / "*good*")
    result = run_cli("check", "--progress", pattern, papers / "missing.pdf")
    assert result.returncode == 2
    assert "a-good.pdf" in result.stdout and "b-good.PDF" in result.stdout
    assert "UNUSABLE" in result.stdout and "no such file" in result.stdout
    assert "3/3" in result.stderr  # tqdm's counter
    nothing = run_cli("check", str(papers / "*.none"))
    assert nothing.returncode == 2


def test_batch_per_file_timeout(tmp_path: Path) -> None:
    """A file that takes long (15 MiB of page content, under the 16 MiB cap) is abandoned."""
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(basic(content=bomb(15 * MIB)))
    again = tmp_path / "slow-again.pdf"
    again.write_bytes(slow.read_bytes())  # the same file named twice is checked once
    result = run_cli("check", "--json", "--timeout", "0.05", slow, again, slow)
    lines = [json.loads(line) for line in result.stdout.splitlines()][:-1]
    assert [doc["code"] for doc in lines] == ["check.pdf.timeout"] * 2
    assert "0.05 s" in lines[0]["reason"]
    assert result.returncode == 2


def test_usage_errors() -> None:
    assert run_cli("check", "--jobs", "0", "x.pdf").returncode == 2
    assert run_cli("check").returncode == 2
