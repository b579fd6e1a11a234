"""The CTAN upload of the LaTeX package: the manual built with real TeX, and the archive.

The archive follows CTAN's upload rules: one top-level folder ``pith/`` holding
the package (``pith.sty``, a documented source that CTAN installs as it is), the
manual ``pith.pdf`` and its source ``pith.tex``, ``README.md`` and
``CHANGELOG.md``; beside it ``pith.tds.zip``, the same files in the TeX
Directory Structure (``tex/latex/pith``, ``doc/latex/pith``), ready to unpack
into a TEXMF tree.  Nothing CTAN would regenerate is in it (there is no
``.dtx``/``.ins`` from which ``pith.sty`` could be remade), and no build
leftovers.  Entries are sorted, dated :data:`~pithtex.tex.render.PACKAGE_DATE`
and with fixed permissions, so the archive depends only on its files.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pithtex.core.errors import PithError
from pithtex.tex import render
from pithtex.tex.run import CompileError, log_errors, require_programs, run_tex_program

__all__ = [
    "CTAN_LICENSE",
    "DOC_FILES",
    "MANUAL_ENGINE",
    "MANUAL_PDF",
    "MANUAL_SOURCE",
    "CtanArchive",
    "ManualError",
    "build_ctan_archive",
    "build_manual",
]

MANUAL_SOURCE = "pith.tex"
MANUAL_PDF = "pith.pdf"
MANUAL_ENGINE = "pdflatex"
DOC_FILES = ("README.md", "CHANGELOG.md")
"""Text files of the package, from :func:`~pithtex.tex.render.latex_dir`."""
CTAN_LICENSE = "mit"
"""The package's license, as CTAN's upload form names it."""
MANUAL_RUNS = 2
"""pdfLaTeX runs for the manual: the second settles the contents and references."""
MANUAL_TIMEOUT = 300.0
TDS_ZIP = f"{render.PACKAGE_NAME}.tds.zip"


class ManualError(PithError):
    """The manual did not compile (exit code 1); the message carries the log's errors."""

    default_code = "tex.manual"


@dataclass(frozen=True, slots=True)
class CtanArchive:
    """The upload archive and what it holds."""

    data: bytes
    names: tuple[str, ...]
    """The archive's entries, in order (``pith.tds.zip`` included)."""
    version: str


def build_manual(directory: Path) -> Path:
    """Typeset the manual in ``directory`` (which holds ``pith.tex`` and ``pith.sty``)."""
    require_programs(MANUAL_ENGINE)
    source = directory / MANUAL_SOURCE
    for _ in range(MANUAL_RUNS):
        command = [MANUAL_ENGINE, "-interaction=nonstopmode", "-halt-on-error", source.name]
        try:
            result = run_tex_program(command, directory, timeout=MANUAL_TIMEOUT, env=_tex_env())
        except CompileError as exc:
            raise ManualError(f"{MANUAL_SOURCE}: {exc.message}") from exc
        if result.returncode != 0:
            log = source.with_suffix(".log")
            excerpt = log_errors(log) if log.exists() else result.stdout[-2000:]
            raise ManualError(f"{MANUAL_SOURCE}: {MANUAL_ENGINE} failed:\n{excerpt}")
    return directory / MANUAL_PDF


def _tex_env() -> dict[str, str]:
    """The environment of the manual's runs: dated by the package, so the PDF is reproducible."""
    epoch = int(datetime.strptime(render.PACKAGE_DATE, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    return {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "FORCE_SOURCE_DATE": "1"}


def _package_files(directory: Path) -> dict[str, bytes]:
    """Render and copy the package's files into ``directory``; name -> content."""
    source_dir = render.latex_dir()
    files = {render.STY_FILE: render.render_sty().encode("utf-8")}
    for name in (MANUAL_SOURCE, *DOC_FILES):
        files[name] = (source_dir / name).read_bytes()
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return files


def build_ctan_archive() -> CtanArchive:
    """The CTAN upload archive of this pithtex's ``pith.sty``, its manual built with TeX.

    Raises :class:`~pithtex.core.errors.MissingToolError` without pdfLaTeX and
    :class:`ManualError` when the manual does not compile.
    """
    with tempfile.TemporaryDirectory(prefix="pithtex-ctan-") as tmp:
        work = Path(tmp)
        files = _package_files(work)
        files[MANUAL_PDF] = build_manual(work).read_bytes()
    folder = render.PACKAGE_NAME
    tds = {
        f"tex/latex/{folder}/{render.STY_FILE}": files[render.STY_FILE],
        **{
            f"doc/latex/{folder}/{name}": files[name]
            for name in (MANUAL_PDF, MANUAL_SOURCE, *DOC_FILES)
        },
    }
    upload = {f"{folder}/{name}": data for name, data in files.items()}
    upload[TDS_ZIP] = _zip(tds)
    return CtanArchive(_zip(upload), tuple(sorted(upload)), render.PACKAGE_VERSION)


def _zip(entries: dict[str, bytes]) -> bytes:
    """A deterministic zip of ``entries``: folders listed, names sorted, one date."""
    year, month, day = (int(part) for part in render.PACKAGE_DATE.split("-"))
    date = (year, month, day, 0, 0, 0)
    folders = sorted(
        {f"{parent}/" for name in entries for parent in Path(name).parents if str(parent) != "."}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in folders:
            info = zipfile.ZipInfo(name, date_time=date)
            info.external_attr = (0o40755 << 16) | 0x10
            archive.writestr(info, b"")
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=date)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
    return buffer.getvalue()
