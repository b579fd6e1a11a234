"""Corpus runs on the local pool: sources (folders, globs, manifests, tars), the results
folder and its journal, resuming an interrupted run, stamping into a mirrored tree, and the
driver's memory over 20,000 items (real processes, real files, real signatures)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEED_BUNDLE, run_cli
from corpusfixtures import expected_items, make_corpus

from pithtex.core.errors import InputError
from pithtex.jobs.corpus import (
    JOURNAL_NAME,
    SUMMARY_NAME,
    LocalPool,
    ResultsStore,
    run_corpus,
)
from pithtex.jobs.executor import TaskFailure
from pithtex.jobs.sources import (
    Chunk,
    Item,
    archive_items,
    corpus_chunks,
    count_items,
    manifest_paths,
    materialized,
    spool_folder,
)

EXPECTED = {
    "verified": ("verified", "check.verified"),
    "untrusted": ("failed", "check.signature.untrusted"),
    "plain": ("no-claim", "check.claims.none"),
    "unstamped": ("no-claim", "check.claims.none"),
    "damaged": ("unusable", "check.pdf.damaged"),
    "text": ("unusable", "check.pdf.not_pdf"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


def kind_of(key: str) -> str:
    return key.rsplit("/", 1)[-1].split("-", 1)[1].removesuffix(".pdf")


def results_records(folder: Path) -> list[dict[str, Any]]:
    """Every record of the chunks the journal lists."""
    records = []
    for line in (folder / JOURNAL_NAME).read_text().splitlines():
        entry = json.loads(line)
        records += [json.loads(r) for r in (folder / entry["file"]).read_text().splitlines()]
    return records


def assert_verdicts(records: list[dict[str, Any]]) -> None:
    for record in records:
        kind = kind_of(record["key"])
        if kind in EXPECTED:
            assert (record["verdict"], record["code"]) == EXPECTED[kind], record["key"]
        else:  # a hostile file: a documented outcome, never a bug
            assert record["exit_code"] in (1, 2, 3), record


# ---------------------------------------------------------------- sources


def test_sources_key_every_item_stably(corpus: Path, tmp_path: Path) -> None:
    chunks = list(corpus_chunks([corpus], chunk_size=50))
    archives = [c for c in chunks if c.archive]
    assert [Path(c.archive or "").name for c in archives] == ["batch1.tar", "batch2.tar.gz"]
    assert [c.relative for c in archives] == ["batch1", "batch2"]
    loose = [item for c in chunks if not c.archive for item in c.files]
    assert len(loose) == 160 and all(len(c.files) <= 50 for c in chunks if not c.archive)
    keys = [item.key for chunk in chunks for item in chunk.items()]
    assert len(keys) == len(set(keys)) == expected_items()
    plain, packed = (list(archive_items(c.archive or "", c.relative, None)) for c in archives)
    assert plain[0].key == f"{corpus / 'batch1.tar'}::./2611/0000-damaged.pdf"
    assert plain[0].relative == "batch1/2611/0000-damaged.pdf"
    assert all(i.data is None and i.offset > 0 for i in plain)  # located, not read
    assert all(i.data is not None and i.offset == -1 for i in packed)  # streamed
    assert [c.key for c in corpus_chunks([corpus], chunk_size=50)] == [c.key for c in chunks]
    assert count_items([corpus / "loose", corpus / "batch1.tar"]) == 160 + 70
    assert count_items([corpus]) is None  # a gzip tar is not read just to count it


def test_a_member_reaches_the_reader_in_memory_never_on_disk(corpus: Path) -> None:
    (first,) = [i for i in archive_items(str(corpus / "batch1.tar"), "b", None)][:1]
    with tarfile.open(corpus / "batch1.tar") as tar:
        member = tar.extractfile(first.member or "")
        assert member is not None
        expected = member.read()
    with spool_folder() as spool:
        assert spool.startswith("/dev/shm/")  # tmpfs: memory
        with materialized(first, spool) as path:
            assert Path(path).read_bytes() == expected and Path(path).parent == Path(spool)
        assert not os.listdir(spool)  # removed after reading
    assert not Path(spool).exists()


def test_manifests_take_paths_literally(corpus: Path, tmp_path: Path) -> None:
    weird = tmp_path / "[odd] name.pdf"
    weird.write_bytes(b"%PDF-1.4\n")
    manifest = tmp_path / "list.txt"
    one = sorted((corpus / "loose" / "a").iterdir())[0]
    manifest.write_bytes(f"{one}\n\n{weird}\r\n{corpus / 'batch1.tar'}\n".encode())
    assert list(manifest_paths(manifest)) == [str(one), str(weird), str(corpus / "batch1.tar")]
    keys = [i.key for c in corpus_chunks(manifests=[manifest]) for i in c.items()]
    assert keys[:2] == [str(one), str(weird)] and len(keys) == 2 + 70
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"a\0b\n")
    with pytest.raises(InputError) as caught:
        list(manifest_paths(binary))
    assert caught.value.code == "manifest.invalid"
    with pytest.raises(InputError) as missing:
        list(manifest_paths(tmp_path / "none.txt"))
    assert missing.value.code == "manifest.unreadable"


def tar_of(path: Path, members: dict[str, bytes], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_hostile_archives_name_each_problem(tmp_path: Path) -> None:
    archive = tar_of(
        tmp_path / "evil.tar",
        {"../escape.pdf": b"a", "/abs.pdf": b"b", "x.pdf": b"c", "big.pdf": b"d" * 5000},
    )
    with tarfile.open(archive, "a") as tar:  # the same name again, and a link
        info = tarfile.TarInfo("x.pdf")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"e"))
        link = tarfile.TarInfo("link.pdf")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    items = {i.key.split("::")[1]: i for i in archive_items(str(archive), "evil", 1000)}
    assert sorted(items) == ["../escape.pdf", "/abs.pdf", "big.pdf", "x.pdf", "x.pdf#2"]
    assert items["../escape.pdf"].relative is None and items["/abs.pdf"].relative is None
    assert items["x.pdf#2"].relative is None and items["x.pdf"].relative == "evil/x.pdf"
    assert items["big.pdf"].problem is not None and items["big.pdf"].problem[0] == "pdf.too_large"
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[:1200])
    *_, last = archive_items(str(cut), "cut", None)
    assert last.key == str(cut) and last.problem is not None
    assert last.problem[0] == "archive.damaged"
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"\x1f\x8b" + os.urandom(2000))
    (only,) = archive_items(str(garbage), "g", None)
    assert only.problem is not None and only.problem[0] == "archive.damaged"


# ---------------------------------------------------------------- checking


def test_check_a_corpus_into_a_results_folder(corpus: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    run = run_cli("check", "--offline", "--json", "-j", "2", "--results", results, corpus)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    summary = lines.pop()
    assert len(lines) == expected_items() == summary["files"]
    records = results_records(results)
    assert sorted(r["key"] for r in records) == sorted(d["file"] for d in lines)
    assert len({r["key"] for r in records}) == expected_items()
    assert_verdicts(records)
    stored = json.loads((results / SUMMARY_NAME).read_text())
    assert stored["items"] == expected_items() and stored["exit_code"] == run.returncode == 1
    assert stored["outcomes"]["verified"] == summary["verdicts"]["verified"]
    again = run_cli("check", "--offline", "--results", results, corpus)
    assert again.returncode == 2 and "already holds results" in again.stderr
    stamp = run_cli("stamp", "--bundle", SEED_BUNDLE, "--in-place", "--results", results, corpus)
    assert stamp.returncode == 2 and "another task" in stamp.stderr


def test_an_interrupted_run_resumed_reports_every_item_once(corpus: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    args = [sys.executable, "-m", "pithtex", "check", "--offline", "-j", "1"]
    args += ["--chunk-size", "8", "--results", str(results), str(corpus)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    journal = results / JOURNAL_NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:
        if journal.exists() and len(journal.read_bytes().splitlines()) >= 3:
            break
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # no chance to clean up
    first.wait(30)
    done_before = len(journal.read_bytes().splitlines())
    assert done_before >= 3 and not (results / SUMMARY_NAME).exists()
    with journal.open("ab") as handle:  # as if cut short in the middle of a line
        handle.write(b'{"chunk": "files:')
    resumed = run_cli(
        "check",
        "--offline",
        "--json",
        "--resume",
        "--chunk-size",
        "8",
        "--results",
        results,
        corpus,
    )
    lines = resumed.stdout.splitlines()
    summary = json.loads(lines[-1])
    assert summary["files"] == expected_items()  # the whole corpus, resumed part included
    assert len(lines) - 1 < expected_items()  # what was done was not done again
    records = results_records(results)
    counts = Counter(r["key"] for r in records)
    assert len(counts) == expected_items() and set(counts.values()) == {1}
    assert_verdicts(records)
    assert not list(results.glob(".pithtex-*"))  # no temporary file left behind


# ---------------------------------------------------------------- stamping


def test_stamp_a_corpus_into_a_mirrored_tree(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "in").mkdir()
    evil = tar_of(
        tmp_path / "in" / "evil.tar",
        {"../escape.pdf": b"%PDF-1.4", "/abs.pdf": b"%PDF-1.4"},
    )
    run = run_cli(
        "stamp", "--bundle", SEED_BUNDLE, "--embed-bundle", "--json", "--out-dir", out, corpus, evil
    )
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    summary = lines.pop()
    assert summary["files"] == expected_items() + 2
    by_key = {doc["file"]: doc for doc in lines}
    for key, doc in by_key.items():
        if key.endswith(("verified.pdf", "unstamped.pdf")):
            assert doc["status"] == "stamped" if "unstamped" in key else "unchanged", doc
    unsafe = [doc for key, doc in by_key.items() if key.startswith(str(evil))]
    assert {doc["error"]["code"] for doc in unsafe} == {"archive.unsafe_name"}
    assert not (tmp_path / "escape.pdf").exists() and not Path("/abs.pdf").exists()
    member = next(p for p in (out / "batch1" / "2611").iterdir() if "unstamped" in p.name)
    assert (out / "batch2" / "2611").is_dir()
    assert any((out / "loose" / "a").glob("*-verified.pdf"))
    assert not (out / "evil").exists()  # refused: the folder made for it is gone
    check = run_cli("check", "--offline", "--json", member)
    assert json.loads(check.stdout)["verdict"] == "verified"
    in_place = run_cli(
        "stamp", "--bundle", SEED_BUNDLE, "--json", "--in-place", corpus / "batch1.tar"
    )
    codes = {
        json.loads(line).get("error", {}).get("code") for line in in_place.stdout.splitlines()[:-1]
    }
    assert codes == {"stamp.options"} and in_place.returncode == 2


def test_outputs_that_would_collide_are_refused_before_anything_runs(tmp_path: Path) -> None:
    for side in ("x", "y"):
        (tmp_path / side / "p").mkdir(parents=True)
        (tmp_path / side / "p" / "a.pdf").write_bytes(b"%PDF-1.4")
    out = tmp_path / "out"
    run = run_cli(
        "stamp",
        "--bundle",
        SEED_BUNDLE,
        "--out-dir",
        out,
        tmp_path / "x" / "p",
        tmp_path / "y" / "p",
    )
    assert run.returncode == 2 and "collide" in run.stderr and not out.exists()


# ---------------------------------------------------------------- the driver's memory


class Echo:
    """A task that costs nothing per item, through the same API."""

    name = "echo"

    def prepare(self) -> None:
        pass

    def read(self, item: Item, path: str) -> int:
        return len(item.key)

    def finish(self, item: Item, outcome: int | TaskFailure) -> int:
        return outcome if isinstance(outcome, int) else -1

    def record(self, key: str, result: int) -> dict[str, Any]:
        return {"length": result}

    def tally(self, record: Any) -> tuple[str, str, int]:
        return "ok", "echo.ok", 0


def synthetic(count: int, size: int) -> Iterator[Chunk]:
    for start in range(0, count, size):
        items = tuple(
            Item(f"item-{n:08d}", f"/nonexistent/{n}", None) for n in range(start, start + size)
        )
        yield Chunk(f"chunk-{start}", items)


def rss() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_the_drivers_memory_stays_flat_from_1000_to_20000_items(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "results", "echo")
    marks: dict[int, int] = {}
    run = run_corpus(Echo(), synthetic(20_000, 500), executor=LocalPool(jobs=2), store=store)
    for count, _ in enumerate(run, start=1):
        if count in (1_000, 20_000):
            marks[count] = rss()
    assert store.tally.items == 20_000
    growth = marks[20_000] / marks[1_000] - 1
    assert growth < 0.10, f"RSS {marks[1_000]} kB at 1,000 items, {marks[20_000]} kB at 20,000"
