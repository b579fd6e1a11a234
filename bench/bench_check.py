"""Checker: one PDF with start-up, and batch throughput (issue: checker).

The samples are a 10-page pdfLaTeX paper, each copy stamped (as the stamper
would) with its own freshly signed bundle: badge text and a resolver link on
page 1, Info keys, the XMP packet and the embedded bundle.  Every file has a
different record, so nothing is verified twice.  Anchor, in the same run on
the same files: ``exiftool -XMP:all`` (one file, start-up included; and the
whole directory).  Single-file figures are the best of interleaved runs; the
``clean start-up`` row starts Python as a regular install does, without the
``.pth`` files of the development machines (see ``bench_stamp``).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    ROOT,
    Row,
    best_command_seconds,
    clean_python_argv,
    clean_python_env,
    instructions,
    per_second,
    pithtex_argv,
)

sys.path.insert(0, str(ROOT / "tests"))

from pdfsamples import stamp_pdf  # type: ignore[import-not-found]

from pithtex.pdf.check import CheckOptions, check_pdf
from pithtex.trust.keyring import Keyring
from pithtex.trust.signing import PaperMetadata, SigningKey, build_paper_bundle

BATCH_FILES = 200
TITLE = "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes"

DOCUMENT = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{lipsum}
\usepackage{hyperref}
\title{%s}
\author{Yang You and others}
\begin{document}
\maketitle
\lipsum[1-60]
\end{document}
"""


def compile_paper(directory: Path) -> bytes:
    (directory / "paper.tex").write_text(DOCUMENT % TITLE)
    subprocess.run(
        ["pdflatex", "-interaction=batchmode", "paper.tex"],
        cwd=directory,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return (directory / "paper.pdf").read_bytes()


def make_samples(directory: Path) -> tuple[list[Path], Path]:
    """``BATCH_FILES`` stamped papers, each with its own record, and the keyring file."""
    key = SigningKey.from_seed("bench-registry", b"pithtex bench registry key")
    keyring = directory / "keyring.json"
    keyring.write_text(json.dumps({"keys": [key.public_entry()]}))
    paper = compile_paper(directory)
    batch = directory / "batch"
    batch.mkdir()
    files = []
    for index in range(BATCH_FILES):
        metadata = PaperMetadata(
            source_id=f"2611.{index:05d}",
            title=TITLE,
            abstract="Training large deep neural networks on massive datasets is hard.",
            submitted_at="2026-11-02T10:00:00Z",
            primary_cat="cs.LG",
        )
        bundle = build_paper_bundle(metadata, key, created_at="2026-11-03T12:00:00Z")
        target = batch / f"paper-{index:03d}.pdf"
        target.write_bytes(stamp_pdf(paper, bundle))
        files.append(target)
    return files, keyring


COUNTED_FILES = 20
"""Files whose check is counted in instructions (less the count for one file)."""

_CHECK_FILES = """\
import sys
from pathlib import Path
from pithtex.pdf.check import CheckOptions, check_pdf
from pithtex.trust.keyring import Keyring
options = CheckOptions(keyring=Keyring.build([Path(sys.argv[1])]))
for path in sys.argv[2:]:
    assert check_pdf(path, options).verdict.value == "verified"
"""


def instructions_per_file(files: list[Path], keyring: Path) -> tuple[float, float]:
    """Instructions per file of ``check_pdf`` in one process and of ``exiftool -XMP:all``:
    the count for :data:`COUNTED_FILES` files less the count for one (start-up), divided."""
    few, many = [str(files[0])], [str(f) for f in files[1 : COUNTED_FILES + 1]]

    def ours(paths: list[str]) -> int:
        return instructions([sys.executable, "-c", _CHECK_FILES, str(keyring), *paths], cwd=ROOT)

    def exiftool(paths: list[str]) -> int:
        return instructions(["exiftool", "-XMP:all", *paths])

    ours_per_file = (ours(many) - ours(few)) / (len(many) - 1)
    exiftool_per_file = (exiftool(many) - exiftool(few)) / (len(many) - 1)
    return ours_per_file, exiftool_per_file


def batch_seconds(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, worker processes included) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        files, keyring = make_samples(work)
        sample, batch = files[0], files[0].parent
        trust = ["--keyring", str(keyring)]
        options = CheckOptions(keyring=Keyring.build([keyring]))
        assert check_pdf(str(sample), options).verdict.value == "verified"
        in_process = per_second(lambda: check_pdf(str(sample), options))
        single = best_command_seconds(
            {
                "ours": pithtex_argv("check", *trust, str(sample)),
                "exiftool": ["exiftool", "-XMP:all", str(sample)],
                "ours clean": clean_python_argv("-m", "pithtex", "check", *trust, str(sample)),
            },
            cwd=ROOT,
            env={"ours clean": clean_python_env()},
        )
        one, exif_one, one_clean = single["ours"], single["exiftool"], single["ours clean"]
        one_wall, _ = batch_seconds(pithtex_argv("check", *trust, "-j", "1", str(batch)))
        two_wall, two_cpu = batch_seconds(pithtex_argv("check", *trust, "-j", "2", str(batch)))
        exif_wall, exif_cpu = batch_seconds(["exiftool", "-XMP:all", str(batch)])
        size_kib = sample.stat().st_size / 1024
        counted = instructions_per_file(files, keyring) if shutil.which("valgrind") else None
    rows = [
        Row(
            "check",
            f"one {size_kib:.0f} KiB PDF, start-up included, wall",
            one * 1000,
            "ms",
            "< 300 ms",
            one < 0.3,
            anchor="exiftool -XMP:all (ms)",
            anchor_value=exif_one * 1000,
        ),
        Row(
            "check",
            f"one {size_kib:.0f} KiB PDF, clean start-up (no site .pth), wall",
            one_clean * 1000,
            "ms",
            "< 300 ms",
            one_clean < 0.3,
            anchor="exiftool -XMP:all (ms)",
            anchor_value=exif_one * 1000,
        ),
        Row(
            "check",
            f"batch of {BATCH_FILES}, -j 2, files per CPU-second (all processes)",
            BATCH_FILES / two_cpu,
            "files/s/core",
            ">= 100 files/s per core",
            BATCH_FILES / two_cpu >= 100,
            anchor="exiftool -XMP:all DIR (files/CPU-s)",
            anchor_value=BATCH_FILES / exif_cpu,
        ),
        Row(
            "check",
            f"batch of {BATCH_FILES}, -j 2, wall (shared machine: load varies)",
            BATCH_FILES / two_wall,
            "files/s",
            ">= 200 files/s on 2 cores",
            BATCH_FILES / two_wall >= 200,
            anchor="exiftool -XMP:all DIR (files/s)",
            anchor_value=BATCH_FILES / exif_wall,
        ),
        Row(
            "check",
            f"batch of {BATCH_FILES}, -j 1, wall",
            BATCH_FILES / one_wall,
            "files/s",
            "-",
            None,
            anchor="exiftool -XMP:all DIR (files/s)",
            anchor_value=BATCH_FILES / exif_wall,
        ),
        Row(
            "check",
            "check_pdf in-process, one core",
            in_process,
            "files/s",
            ">= 100 files/s",
            in_process >= 100,
        ),
    ]
    if counted is not None:
        ours, exif = counted
        rows.append(
            Row(
                "check",
                f"check_pdf in-process, instructions per file ({COUNTED_FILES} files less one)",
                ours / 1e6,
                "M instr",
                "-",
                None,
                anchor="exiftool -XMP:all, per file (M instr)",
                anchor_value=exif / 1e6,
            )
        )
    return rows
