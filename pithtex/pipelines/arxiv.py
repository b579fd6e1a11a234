"""From a paper's source folder to an arXiv upload that carries a verified Pith badge.

:func:`make_upload` does the whole job, in this order, and never touches the
author's folder (everything happens in a temporary copy):

1. verify the bundle against the keyring (an unverified bundle is refused);
2. find the main file (:func:`pithtex.tex.run.find_main_file`, or ``main``);
3. write ``pith.sty`` and the paper's data file beside the main file;
4. compile it the way arXiv does (:func:`pithtex.tex.run.compile_tex`: the engine
   the source asks for, pdfLaTeX by default, no shell escape, latexmk repeating
   runs until references settle, BibTeX when the source has ``.bib`` files);
5. check that the files the compile read (the recorder's list) load pith and
   give this paper's ``\\pithnumber`` (:mod:`pithtex.tex.source`), or with
   ``insert`` add the missing lines to the copy's main file and compile again;
6. check the PDF with :func:`pithtex.pdf.check.check_pdf` against the bundle;
7. only if it is verified: write a deterministic ``.tar.gz`` holding exactly the
   files the compile read (the recorder's list), which includes ``pith.sty``, the
   data file and the ``.bbl`` (arXiv does not run BibTeX).

The archive is reproducible: members sorted by name, regular files only, mode
0644, uid/gid 0, fixed mtime, gzip header without name or time.  The format is
specified in ``docs/arxiv.md``.
"""

from __future__ import annotations

import io
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pithtex.core.errors import InputError
from pithtex.core.fileio import atomic_output, atomic_write_bytes, copy_tree_confined
from pithtex.core.names import DEFAULT_RESOLVER
from pithtex.jobs.progress import NULL_PROGRESS, ProgressBar
from pithtex.jobs.steps import Step, StepTimer
from pithtex.tex import source as texsource
from pithtex.tex.render import paper_data_from_bundle
from pithtex.tex.run import DEFAULT_TIMEOUT, CompileError
from pithtex.trust.verify import require_verified

if TYPE_CHECKING:
    from pithtex.core.model import Bundle
    from pithtex.pdf.check import CheckReport
    from pithtex.tex.render import PaperData
    from pithtex.tex.run import CompileResult
    from pithtex.trust.keyring import Keyring


__all__ = [
    "ARCHIVE_MTIME",
    "BUILD_SUFFIXES",
    "SCHEMA",
    "SKIPPED_DIRS",
    "UploadOptions",
    "UploadResult",
    "archive_members",
    "make_upload",
]
SCHEMA = "pithtex.arxiv/1"
ARCHIVE_MTIME = 1_700_000_000
"""The mtime of every archive member (2023-11-14): fixed, so archives are reproducible."""
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".latexmk", "_minted"})
BUILD_SUFFIXES = (
    ".aux", ".log", ".fls", ".fdb_latexmk", ".out", ".toc", ".lof", ".lot", ".blg",
    ".synctex.gz", ".pdf", ".dvi", ".xdv", ".ps", ".bcf", ".run.xml", ".nav", ".snm",
)  # fmt: skip
"""Outputs of a previous compile of the main file, left out of the working copy."""


@dataclass(frozen=True)
class UploadOptions:
    output: Path
    main: Path | None = None
    """The main file (inside the source folder); found automatically when ``None``."""
    insert: bool = False
    """Add missing ``\\usepackage{pith}``, ``\\pithnumber`` and ``\\pdfoutput=1`` lines."""
    pdf_copy: Path | None = None
    """Also keep the compiled PDF here."""
    timeout: float = DEFAULT_TIMEOUT
    resolver_base: str | None = None
    """The base URL the badge links to (default ``https://pith.science``)."""


@dataclass
class UploadResult:
    """What :func:`make_upload` did; ``archive`` is ``None`` when the check failed."""

    source: Path
    main: str
    engine: str
    number: str
    report: CheckReport
    archive: Path | None = None
    files: tuple[str, ...] = ()
    archive_sha256: str | None = None
    archive_size: int | None = None
    inserted: tuple[texsource.Insertion, ...] = ()
    notes: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.report.verdict.value == "verified"

    @property
    def ok(self) -> bool:
        return self.archive is not None

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "source": str(self.source),
            "main": self.main,
            "engine": self.engine,
            "number": self.number,
            "verdict": self.report.verdict.value,
            "code": self.report.code,
            "reason": self.report.reason,
            "archive": None if self.archive is None else str(self.archive),
            "archive_sha256": self.archive_sha256,
            "archive_size": self.archive_size,
            "files": list(self.files),
            "inserted": [{"line": i.line, "text": i.text} for i in self.inserted],
            "notes": list(self.notes),
            "steps": [{"name": s.name, "seconds": round(s.seconds, 4)} for s in self.steps],
            "checks": [c.to_json() for c in self.report.checks],
        }


def make_upload(
    source_dir: Path,
    bundle: Bundle,
    keyring: Keyring,
    options: UploadOptions,
    *,
    on_step: Callable[[Step], None] | None = None,
    progress: ProgressBar = NULL_PROGRESS,
) -> UploadResult:
    """Compile ``source_dir`` with the badge, check it, and write the upload archive."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise InputError(f"{source_dir}: not a directory", code="source.missing")
    timer = StepTimer(on_step, progress)
    with timer.step("bundle") as detail:
        verified = require_verified(bundle, keyring, refusal="no upload was made")
        data = paper_data_from_bundle(
            verified, resolver_base=options.resolver_base or DEFAULT_RESOLVER
        )
        detail.append(verified.number.full)
    with tempfile.TemporaryDirectory(prefix="pithtex-arxiv-") as scratch:
        work = Path(scratch) / "src"
        with timer.step("copy") as detail:
            main = _main_file(source_dir, options.main)
            _copy_tree(source_dir, work, main, options.output)
            work_main = work / main.relative_to(source_dir.resolve())
            detail.append(work_main.relative_to(work).as_posix())
        result, compiled = _compile_and_check(
            source_dir, work, work_main, data, bundle, keyring, timer, options
        )
        result.steps = timer.steps
        if not result.verified:
            return result
        with timer.step("archive") as detail:
            files = archive_members(compiled, work_main.parent)
            _write_archive(options.output, work_main.parent, files, result)
            if options.pdf_copy is not None:
                atomic_write_bytes(options.pdf_copy, compiled.pdf.read_bytes())
            detail.append(f"{len(files)} files")
    return result


def _compile_and_check(
    source_dir: Path,
    work: Path,
    main: Path,
    data: PaperData,
    bundle: Bundle,
    keyring: Keyring,
    timer: StepTimer,
    options: UploadOptions,
) -> tuple[UploadResult, CompileResult]:
    from pithtex.tex.render import STY_FILE, write_data, write_sty
    from pithtex.tex.run import compile_tex, detect_engine, recorded_inputs

    folder = main.parent
    main_name = main.relative_to(work).as_posix()
    notes: list[str] = []
    with timer.step("source") as detail:
        text = texsource.read_source(main)
        engine = detect_engine(text)
        previous = {
            path: _read_or_none(path) for path in (folder / STY_FILE, folder / data.file_name)
        }
        write_sty(folder)
        write_data(data, folder)
        for path, before in previous.items():
            if before is not None and before != path.read_bytes():
                notes.append(
                    f"the source's own {path.relative_to(work).as_posix()} differs from the one "
                    "pithtex writes for this bundle: the upload has pithtex's"
                )
        detail.append(f"{main_name}, {engine}")
    warm = threading.Thread(target=_import_checker, daemon=True)
    warm.start()  # the checker's imports load while TeX runs
    with timer.step("compile") as detail:
        try:
            compiled = compile_tex(main, engine, timeout=options.timeout)
        except CompileError as exc:
            _refuse_outside_reads(exc)
            raise
        detail.append(engine)
    with timer.step("lines") as detail:
        read = texsource.scan_files(work, recorded_inputs(compiled.recorder, work))
        inserted = _pith_lines(
            work, main, main_name, text, read, data, engine, notes, insert=options.insert
        )
        detail.append(f"{len(inserted)} inserted" if inserted else "found")
    if inserted:
        with timer.step("compile") as detail:
            compiled = compile_tex(main, engine, timeout=options.timeout)
            detail.append(f"{engine}, with the inserted lines")
    warm.join()
    with timer.step("check") as detail:
        report = _check(compiled.pdf, bundle, keyring, data.resolver_base)
        detail.append(report.verdict.value)
    result = UploadResult(
        source=source_dir,
        main=main_name,
        engine=engine,
        number=data.number.full,
        report=report,
        inserted=tuple(inserted),
        notes=notes,
    )
    return result, compiled


_MISSING_FILE = re.compile(
    r"(?:File `|I can't find file `)([^']+)' not found|I can't find file `([^']+)'"
)


def _refuse_outside_reads(failure: CompileError) -> None:
    """A compile that failed on a file outside the source folder is a source problem (exit 2).

    The upload is compiled from a copy of the folder, as arXiv compiles it on its
    own: ``\\input{../x}`` or an absolute path finds nothing there.
    """
    names = {a or b for a, b in _MISSING_FILE.findall(failure.log_excerpt)}
    outside = sorted(n for n in names if n.startswith(("../", "/", "~")) or "/../" in n)
    if outside:
        raise InputError(
            f"the source reads files outside its folder ({', '.join(outside[:5])}): arXiv "
            "compiles the upload on its own, so move them into the source folder",
            code="source.outside_input",
        ) from None


def _import_checker() -> None:
    """Import what the check needs (the PDF libraries, the checker) ahead of time."""
    import importlib

    for name in ("pithtex.pdf.check", "tarfile", "gzip", "hashlib"):
        importlib.import_module(name)
    from pithtex.pdf.evidence import preload

    preload()


def _pith_lines(
    work: Path,
    main: Path,
    main_name: str,
    text: str,
    lines: texsource.PithLines,
    data: PaperData,
    engine: str,
    notes: list[str],
    *,
    insert: bool,
) -> list[texsource.Insertion]:
    """Check the pith lines the compile read (or add them to the main file with
    ``insert``); returns what was added."""
    if insert:
        text, inserted = texsource.insert_pith_lines(text, main_name, lines, data.number)
    else:
        complete = lines.packages and lines.numbers
        hint = "" if complete else texsource.unread_hint(texsource.scan(work), lines)
        texsource.require_pith_lines(lines, data.number, hint)
        inserted = []
    if engine == "pdflatex" and not texsource.has_pdfoutput(text):
        if insert:
            text, added = texsource.insert_pdfoutput(text)
            inserted = added + [texsource.Insertion(i.line + 1, i.text) for i in inserted]
        else:
            notes.append(
                f"{main_name} has no \\pdfoutput=1 in its first {texsource.PDFOUTPUT_LINES} "
                "lines: choose pdfLaTeX when arXiv asks for the compiler, or add the line "
                "(--insert does)"
            )
    if inserted:
        main.write_text(text, encoding="utf-8")
    return inserted


def _read_or_none(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _check(pdf: Path, bundle: Bundle, keyring: Keyring, resolver_base: str) -> CheckReport:
    from pithtex.core.names import DEFAULT_RESOLVER
    from pithtex.pdf.check import CheckOptions, check_pdf

    options = CheckOptions(
        keyring=keyring,
        bundle=bundle,
        bundle_label="bundle",
        resolvers=tuple(dict.fromkeys((DEFAULT_RESOLVER, resolver_base))),
        registry=None,
    )
    return check_pdf(str(pdf), options)


def _main_file(source_dir: Path, main: Path | None) -> Path:
    from pithtex.tex.run import find_main_file, read_tex
    from pithtex.tex.syntax import is_main_file

    root = source_dir.resolve()
    if main is None:
        return find_main_file(root).resolve()
    candidate = main if main.is_absolute() else source_dir / main
    if not candidate.is_file() and (root / main).is_file():
        candidate = root / main
    candidate = candidate.resolve()
    if not candidate.is_file() or not candidate.is_relative_to(root):
        raise InputError(f"{main}: no such file in {source_dir}", code="source.main_missing")
    if not is_main_file(read_tex(candidate)):
        raise InputError(
            f"{main}: not a main file (no \\documentclass and \\begin{{document}})",
            code="source.not_main",
        )
    return candidate


def _copy_tree(source_dir: Path, work: Path, main: Path, output: Path) -> None:
    stem = main.with_suffix("")
    outputs = {stem.with_name(stem.name + suffix) for suffix in BUILD_SUFFIXES}
    outputs.add(output.resolve())

    def skip(path: Path) -> bool:
        return path.name in SKIPPED_DIRS or path in outputs

    copy_tree_confined(source_dir, work, skip=skip)


def archive_members(compiled: CompileResult, root: Path) -> list[Path]:
    """The files the compile read under ``root`` (recorder list); refuses outside reads.

    A file read through a relative path that leaves ``root`` (``\\input{../x}``)
    would be missing from the upload, so it is an error naming the file.
    """
    from pithtex.tex.run import recorded_inputs

    base = compiled.recorder.parent.resolve()
    root = root.resolve()
    outside: list[str] = []
    for line in compiled.recorder.read_text(errors="replace").splitlines():
        kind, _, name = line.partition(" ")
        path = Path(name.strip())
        if kind != "INPUT" or path.is_absolute():
            continue
        resolved = (base / path).resolve()
        if not resolved.is_relative_to(root) and resolved.is_file():
            outside.append(name.strip())
    if outside:
        listed = ", ".join(sorted(set(outside))[:5])
        raise InputError(
            f"the compile read files outside the main file's folder ({listed}): arXiv "
            "compiles the upload on its own, so move them into the source folder",
            code="source.outside_input",
        )
    return recorded_inputs(compiled.recorder, root)


def _write_archive(output: Path, root: Path, files: list[Path], result: UploadResult) -> None:
    import gzip
    import hashlib
    import tarfile

    buffer = io.BytesIO()
    names = sorted((path.relative_to(root).as_posix(), path) for path in files)
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, path in names:
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = ARCHIVE_MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    archive = buffer.getvalue()
    with atomic_output(output) as handle:
        handle.write(archive)
    result.archive = output
    result.files = tuple(name for name, _ in names)
    result.archive_sha256 = hashlib.sha256(archive).hexdigest()
    result.archive_size = len(archive)
