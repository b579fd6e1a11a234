"""A corpus of a few hundred PDFs in folders and tar archives, made quickly, for corpus runs.

A handful of distinct PDFs are made with pikepdf and signed bundles (the project's
signing code): verified (the seed bundle, in every channel), the seed's paper
unstamped, untrusted (a bundle of a key outside the keyring), no claim, damaged;
with hostile files of the public corpora and a file that is not a PDF.  They are
copied under many names into folders, a plain tar and a gzip tar.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

from conftest import SEED_BUNDLE, SEED_TITLE, SHARED, make_test_bundle
from pdfsamples import claimed_pdf, make_pdf

HOSTILE = (
    *[
        SHARED / "corpora" / "qpdf-fuzz" / name
        for name in ("15316.fuzz", "16172.fuzz", "23172.fuzz")
    ],
    SHARED / "corpora" / "safedocs" / "Dialects-Dialect-DictIsStream.pdf",
    SHARED / "corpora" / "safedocs" / "CompactedSyntax-CompactedPDFSyntaxTest.pdf",
)


def kinds(folder: Path) -> dict[str, bytes]:
    """The distinct files, by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = json.loads(SEED_BUNDLE.read_bytes())
    made = {
        "verified": claimed_pdf(folder / "verified.pdf", seed),
        "untrusted": claimed_pdf(folder / "untrusted.pdf", make_test_bundle()),
        "plain": make_pdf(folder / "plain.pdf", title="No Badge Here"),
        "unstamped": make_pdf(folder / "unstamped.pdf", title=SEED_TITLE),
    }
    out = {name: path.read_bytes() for name, path in made.items()}
    out["damaged"] = b"%PDF-1.7\nnot really a PDF"
    out["text"] = b"this is a text file with a .pdf name\n"
    for index, path in enumerate(HOSTILE):
        out[f"hostile{index}"] = path.read_bytes()
    return out


def make_corpus(root: Path, *, loose: int = 160, per_tar: int = 70) -> Path:
    """Folders ``loose/a``, ``loose/b``, ``batch1.tar`` and ``batch2.tar.gz`` under ``root``."""
    files = kinds(root / "kinds")
    names = sorted(files)
    corpus = root / "corpus"
    for n in range(loose):
        kind = names[n % len(names)]
        target = corpus / "loose" / ("a" if n % 2 else "b") / f"{n:04d}-{kind}.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[kind])
    for archive, mode in (("batch1.tar", "w"), ("batch2.tar.gz", "w:gz")):
        staging = root / "staging" / archive
        for n in range(per_tar):
            kind = names[(n * 7) % len(names)]
            target = staging / f"2611/{n:04d}-{kind}.pdf"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[kind])
        (staging / "README.txt").write_text("not taken: not a .pdf name\n")
        with tarfile.open(corpus / archive, mode) as tar:
            tar.add(staging, arcname=".")
        shutil.rmtree(staging)
    return corpus


def expected_items(loose: int = 160, per_tar: int = 70) -> int:
    return loose + 2 * per_tar
