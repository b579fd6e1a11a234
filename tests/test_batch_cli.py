"""Batches behave alike in every verb: ``check`` and ``stamp`` walk the same tree the
same way, apply one exit policy, have one ``--jobs`` default and the same bounds per
file; mirror, check and stamp report to one progress seam; a bug exits 70.

Bugs and the core count are provoked in real ``pithtex`` processes by a
``sitecustomize`` module put first on their ``PYTHONPATH`` (test-only; nothing of it
ships)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import (
    ROOT,
    SEED_BUNDLE,
    SEED_NUMBER,
    TEST_PAPER,
    make_test_bundle,
    run_cli,
    write_json,
)
from hostile import basic, stream
from pdfsamples import claimed_pdf
from stamp_pdfs import TITLE, reportlab_pdf

from pithtex.core import names as xmpschema
from pithtex.core.fileio import TEMP_PREFIX, TEMP_SUFFIX

PITH_NUMBER_KEY = f"{{{xmpschema.NAMESPACE_URI}}}number"
TREE = ["a/1.pdf", "a/deep/er/2.PDF", "b/3.pdf", "c.pdf"]
"""The PDFs of the ``tree`` fixture, in the order every verb walks them."""


def pith_number(path: Path) -> str | None:
    with pikepdf.open(path) as pdf:
        return pdf.open_metadata().get(PITH_NUMBER_KEY)


def json_lines(text: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    lines = [json.loads(line) for line in text.splitlines()]
    return lines[:-1], lines[-1]


def with_hook(tmp_path: Path, code: str) -> dict[str, str]:
    """The environment of a pithtex process that runs ``code`` first (as sitecustomize)."""
    folder = tmp_path / "hook"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(code)
    return {"PYTHONPATH": f"{folder}{os.pathsep}{ROOT}"}


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small PDF whose title is the seed record's."""
    return reportlab_pdf(tmp_path_factory.mktemp("paper") / "paper.pdf").read_bytes()


@pytest.fixture
def tree(tmp_path: Path, paper: bytes) -> Path:
    """Nested folders of PDFs, with what every walk leaves out."""
    root = tmp_path / "papers"
    for name in TREE:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(paper)
    (root / "a" / "notes.txt").write_text("not a PDF")
    (root / ".hidden.pdf").write_bytes(paper)
    (root / ".cache").mkdir()
    (root / ".cache" / "x.pdf").write_bytes(paper)
    (root / "b" / f"{TEMP_PREFIX}k2j3{TEMP_SUFFIX}").write_bytes(paper[:100])  # a killed write
    (root / "link.pdf").symlink_to(root / "c.pdf")
    return root


def test_check_and_stamp_walk_a_tree_the_same_way(tree: Path, tmp_path: Path) -> None:
    check = run_cli("check", "--json", "--offline", "--cache-dir", tmp_path / "cache", tree)
    checked, summary = json_lines(check.stdout)
    assert [Path(r["file"]).relative_to(tree).as_posix() for r in checked] == TREE
    assert summary["verdicts"]["no-claim"] == 4 and check.returncode == 3
    out = tmp_path / "out"
    stamp = run_cli("stamp", tree, "--bundle", SEED_BUNDLE, "--out-dir", out, "--json")
    stamped, stamp_summary = json_lines(stamp.stdout)
    assert [r["file"] for r in stamped] == [r["file"] for r in checked]
    assert stamp_summary == {"schema": "pithtex.stamp-summary/1", "files": 4, "stamped": 4}
    # the output tree mirrors the input tree
    assert [Path(r["output"]).relative_to(out).as_posix() for r in stamped] == TREE
    for name in TREE:
        assert pith_number(out / name) == SEED_NUMBER
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == TREE
    assert stamp.returncode == 0


def test_a_dry_run_creates_nothing(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "not-made"
    before = sorted(str(p) for p in tree.rglob("*"))
    result = run_cli(
        "stamp", tree, "--bundle", SEED_BUNDLE, "--out-dir", out, "--dry-run", "--json"
    )
    lines, summary = json_lines(result.stdout)
    assert [r["status"] for r in lines] == ["planned"] * 4 and summary["planned"] == 4
    assert result.returncode == 0
    assert not out.exists()
    assert sorted(str(p) for p in tree.rglob("*")) == before


def test_the_output_folder_inside_the_input_tree_is_not_walked(tree: Path) -> None:
    out = tree / "stamped"
    run_cli("stamp", tree, "--bundle", SEED_BUNDLE, "--out-dir", out, check=True)
    again = run_cli("stamp", tree, "--bundle", SEED_BUNDLE, "--out-dir", out, "--json")
    lines, _ = json_lines(again.stdout)
    assert [Path(r["file"]).relative_to(tree).as_posix() for r in lines] == TREE
    assert [r["status"] for r in lines] == ["stamped"] * 4  # the inputs, not the copies


def test_one_exit_policy_for_check_and_stamp(tmp_path: Path, paper: bytes) -> None:
    """A failure (1) outranks an unusable file (2), which outranks no claim (3)."""
    seed = json.loads(SEED_BUNDLE.read_bytes())
    received = tmp_path / "received"
    received.mkdir()
    claimed_pdf(received / "a-verified.pdf", seed)
    claimed_pdf(received / "b-untrusted.pdf", make_test_bundle())  # 1
    (received / "c-broken.pdf").write_bytes(b"%PDF-1.7\nnot really")  # 2
    check = run_cli("check", "--json", "--offline", "--cache-dir", tmp_path / "c", received)
    reports, summary = json_lines(check.stdout)
    assert [r["exit_code"] for r in reports] == [0, 1, 2]
    assert check.returncode == summary["exit_code"] == 1
    finished = tmp_path / "finished"
    finished.mkdir()
    (finished / "a-paper.pdf").write_bytes(paper)
    reportlab_pdf(finished / "b-other.pdf", title="Another Paper Altogether")  # 1
    (finished / "c-broken.pdf").write_bytes(b"%PDF-1.7\nnot really")  # 2
    stamp = run_cli("stamp", finished, "--bundle", SEED_BUNDLE, "--in-place", "--json")
    results, _ = json_lines(stamp.stdout)
    assert [r["status"] for r in results] == ["stamped", "refused", "refused"]
    assert stamp.returncode == 1
    only_broken = run_cli("stamp", finished / "c-broken.pdf", "--bundle", SEED_BUNDLE, "--in-place")
    assert only_broken.returncode == 2


WORKER_PIDS = """
import os
import pithtex.pdf.evidence as evidence
import pithtex.pdf.stamp as stamp

os.sched_getaffinity = lambda pid: {0, 1, 2}  # this process may use three cores


def recorded(real):
    def worker_side(*args, **kwargs):
        with open(os.environ["PIDS_FILE"], "a") as pids:
            pids.write(f"{os.getpid()}\\n")
        return real(*args, **kwargs)
    return worker_side


evidence.read_pdf = recorded(evidence.read_pdf)
stamp.stamp_pdf = recorded(stamp.stamp_pdf)
"""


def test_one_jobs_default_for_every_batch_verb(tree: Path, tmp_path: Path, paper: bytes) -> None:
    for n in range(4):
        (tree / f"more-{n}.pdf").write_bytes(paper)
    env = with_hook(tmp_path, WORKER_PIDS)
    for verb in ("check", "stamp"):
        pids = tmp_path / f"{verb}.pids"
        args = ("--offline",) if verb == "check" else ("--bundle", SEED_BUNDLE, "--in-place")
        result = run_cli(verb, tree, *args, env={**env, "PIDS_FILE": str(pids)})
        assert result.returncode in (0, 3), result.stderr
        seen = pids.read_text().split()
        assert len(seen) == 8  # every file, each in a worker
        assert len(set(seen)) == 3, verb  # one worker per usable core
    for verb in ("check", "stamp"):
        assert "default: one per usable core" in run_cli(verb, "--help").stdout


def text_bomb(path: Path, size: int = 40 * 1024 * 1024) -> Path:
    """No title in the metadata, so the stamper reads page 1: ``size`` bytes of text objects
    for PDFium (which needs some 25 times that); 40 MiB is over the reader's content cap,
    15 MiB within it."""
    line = b"BT /F1 9 Tf (a) Tj ET\n"
    content = b"BT /F1 12 Tf 72 700 Td (" + TITLE.encode() + b") Tj ET\n"
    content += line * (size // len(line))
    path.write_bytes(basic(content=stream(content, flate=True)))
    return path


def big_array(path: Path) -> Path:
    """Ten million objects for qpdf to parse and write: seconds of work (and 1.5 GB)."""
    info = b"<< /Title (%s) >>" % TITLE.encode()
    array = b"[" + b"0 " * 10_000_000 + b"]"
    path.write_bytes(basic(catalog=b"/Big 6 0 R", more={6: array, 7: info}, trailer=b"/Info 7 0 R"))
    return path


def test_page_one_over_the_readers_caps_never_reaches_pdfium(tmp_path: Path) -> None:
    """40 MiB of page content: over the content cap, so PDFium is not asked for the title."""
    bomb = text_bomb(tmp_path / "bomb.pdf")
    result = run_cli("stamp", bomb, "--bundle", SEED_BUNDLE, "-o", tmp_path / "x.pdf", "--json")
    refused = json.loads(result.stdout)
    assert result.returncode == 1 and refused["error"]["code"] == "title.missing"
    assert "cannot be read within bounds" in refused["error"]["message"]


def test_a_stamp_over_its_memory_bound_is_reported_and_the_batch_goes_on(
    tmp_path: Path, paper: bytes
) -> None:
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    (inputs / "a.pdf").write_bytes(paper)
    text_bomb(inputs / "sub" / "bomb.pdf", 15 * 1024 * 1024)  # within the caps, not 256 MiB
    (inputs / "z.pdf").write_bytes(paper)
    out = tmp_path / "out"
    result = run_cli(
        "stamp", inputs, "--bundle", SEED_BUNDLE, "--out-dir", out, "--memory", "256", "--json"
    )
    lines, summary = json_lines(result.stdout)
    by_name = {Path(r["file"]).name: r for r in lines}
    assert by_name["bomb.pdf"]["status"] == "refused"
    assert by_name["bomb.pdf"]["error"]["code"] in ("worker.crashed", "worker.memory")
    assert "memory bound 256 MiB" in by_name["bomb.pdf"]["error"]["message"]
    assert summary == {"schema": "pithtex.stamp-summary/1", "files": 3, "stamped": 2, "refused": 1}
    assert result.returncode == 2
    assert pith_number(out / "a.pdf") == pith_number(out / "z.pdf") == SEED_NUMBER
    assert not (out / "sub").exists()  # the refused file's folder was made, then removed
    single = run_cli(
        "stamp", inputs / "sub" / "bomb.pdf", "--bundle", SEED_BUNDLE, "-o", tmp_path / "x.pdf",
        "--memory", "256",
    )  # fmt: skip
    assert single.returncode == 2 and "memory bound 256 MiB" in single.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_a_stamp_over_its_time_bound_is_reported_and_the_batch_goes_on(
    tmp_path: Path, paper: bytes
) -> None:
    (tmp_path / "a.pdf").write_bytes(paper)
    slow = big_array(tmp_path / "slow.pdf")
    (tmp_path / "z.pdf").write_bytes(paper)
    out = tmp_path / "out"
    files = [tmp_path / "a.pdf", slow, tmp_path / "z.pdf"]
    # memory enough that qpdf is stopped by the clock (a third of the way), not the cap
    bounds = ("--timeout", "0.5", "--memory", "4096")
    result = run_cli("stamp", *files, "--bundle", SEED_BUNDLE, "--out-dir", out, *bounds, "--json")
    lines, summary = json_lines(result.stdout)
    assert [r["status"] for r in lines] == ["stamped", "refused", "stamped"]
    assert lines[1]["error"]["code"] == "worker.timeout"
    assert "0.5 s" in lines[1]["error"]["message"]
    assert result.returncode == 2 and summary["refused"] == 1
    assert not (out / "slow.pdf").exists() and pith_number(out / "z.pdf") == SEED_NUMBER


BUGS = """
import os
import pithtex.core.numbers as numbers
import pithtex.pdf.check as check
import pithtex.pdf.evidence as evidence
import pithtex.pdf.stamp as stamp


def buggy(real, name):
    def call(first, *args, **kwargs):
        path = getattr(first, "path", first)  # a path, or the evidence read from one
        if os.path.basename(str(path)) == name:
            raise ZeroDivisionError("a deliberate bug")
        return real(first, *args, **kwargs)
    return call


evidence.read_pdf = buggy(evidence.read_pdf, "bug-reading.pdf")
check.check_evidence = buggy(check.check_evidence, "bug-checking.pdf")
stamp.stamp_pdf = buggy(stamp.stamp_pdf, "bug.pdf")
numbers.parse_number = buggy(numbers.parse_number, "pith:bug")
"""


def test_a_bug_exits_70_never_2(tmp_path: Path, paper: bytes) -> None:
    env = with_hook(tmp_path, BUGS)
    seed = json.loads(SEED_BUNDLE.read_bytes())
    received = tmp_path / "received"
    received.mkdir()
    for name in ("a.pdf", "bug-checking.pdf", "bug-reading.pdf", "z.pdf"):
        claimed_pdf(received / name, seed)
    check = run_cli("check", "--json", received, env=env)
    reports, summary = json_lines(check.stdout)
    assert [(r["code"], r["exit_code"]) for r in reports] == [
        ("check.verified", 0),
        ("check.internal.error", 70),
        ("check.pdf.error", 70),
        ("check.verified", 0),
    ]
    assert "ZeroDivisionError: a deliberate bug" in reports[2]["reason"]
    assert check.returncode == summary["exit_code"] == 70
    single = run_cli("check", received / "bug-reading.pdf", env=env)
    assert single.returncode == 70 and "internal error" in single.stdout
    finished = tmp_path / "finished"
    finished.mkdir()
    for name in ("a.pdf", "bug.pdf", "z.pdf"):
        (finished / name).write_bytes(paper)
    stamp = run_cli("stamp", finished, "--bundle", SEED_BUNDLE, "--in-place", "--json", env=env)
    results, _ = json_lines(stamp.stdout)
    assert [r["status"] for r in results] == ["stamped", "refused", "stamped"]
    assert results[1]["error"]["code"] == "worker.error"
    assert "a bug in pithtex" in results[1]["error"]["message"]
    assert stamp.returncode == 70
    verb = run_cli("number", "pith:bug", env=env)
    assert verb.returncode == 70
    assert "internal error: ZeroDivisionError: a deliberate bug" in verb.stderr
    assert "Traceback" not in verb.stderr
    # without the hook the same inputs are fine: the bugs were the hook's
    assert (
        run_cli("stamp", finished / "bug.pdf", "--bundle", SEED_BUNDLE, "--in-place").returncode
        == 0
    )


RECORDED_PROGRESS = """
import json
import os
import pithtex.jobs.progress as progress


class Recorded(progress.NullProgress):
    def __init__(self, *, total, unit, desc=None):
        self.record = {"total": total, "unit": unit, "updates": 0}

    def update(self, n=1):
        self.record["updates"] += n

    def close(self):
        with open(os.environ["PROGRESS_FILE"], "a") as out:
            out.write(json.dumps(self.record) + "\\n")


progress.TqdmProgress = Recorded
"""


def test_check_stamp_and_mirror_report_to_one_progress_seam(
    tree: Path, tmp_path: Path, test_keyring: Path
) -> None:
    env = {**with_hook(tmp_path, RECORDED_PROGRESS), "PROGRESS_FILE": str(tmp_path / "bars")}
    run_cli("check", "--progress", "--offline", tree, env=env)
    run_cli("stamp", "--progress", tree, "--bundle", SEED_BUNDLE, "--in-place", env=env)
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    shutil.copy(SEED_BUNDLE, bundles / "seed.json")
    for n in range(2):
        paper = dataclasses.replace(TEST_PAPER, source_id=f"2611.0000{n}")
        write_json(bundles / f"{n}.json", make_test_bundle(paper=paper))
    mirror = run_cli(
        "mirror", "build", tmp_path / "mirror", bundles, "--keyring", test_keyring, "--progress",
        env=env,
    )  # fmt: skip
    assert mirror.returncode == 0, mirror.stderr
    bars = [json.loads(line) for line in (tmp_path / "bars").read_text().splitlines()]
    assert bars == [
        {"total": 4, "unit": "file", "updates": 4},
        {"total": 4, "unit": "pdf", "updates": 4},
        {"total": 3, "unit": "number", "updates": 3},
    ]
    quiet = run_cli("check", "--no-progress", "--offline", tree, env=env)
    assert "summary: 4 files" in quiet.stdout
    assert len((tmp_path / "bars").read_text().splitlines()) == 3  # no bar this time


def test_the_library_forms_take_any_iterable_in_either_order(tmp_path: Path) -> None:
    from pithtex.core.errors import batch_exit_code
    from pithtex.pdf.check import CheckOptions
    from pithtex.pdf.stamp import StampOptions, prepare
    from pithtex.pipelines.batch import check_many, stamp_many
    from pithtex.trust.keyring import Keyring

    keyring = Keyring.default()
    source = reportlab_pdf(tmp_path / "paper.pdf", page_text=TITLE)
    names = [f"{n:02d}.pdf" for n in range(12)]
    targets = ((source, tmp_path / "out" / name) for name in names)  # a generator
    spec = prepare(SEED_BUNDLE, keyring)
    options = StampOptions(embed_bundle=True)  # checked offline below, with the bundle it carries
    stamped = list(stamp_many(targets, spec, options, jobs=2, ordered=False))
    assert sorted(Path(r.output or "").name for r in stamped) == names
    assert {r.status.value for r in stamped} == {"stamped"}
    outputs = (tmp_path / "out" / name for name in names)
    reports = list(check_many(outputs, CheckOptions(keyring=keyring, registry=None), jobs=2))
    assert [Path(r.file).name for r in reports] == names  # input order
    assert batch_exit_code(r.exit_code for r in reports) == 0
