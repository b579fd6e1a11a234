"""The pith lines of a TeX source: finding ``\\usepackage{pith}`` and ``\\pithnumber``, adding them.

An upload for arXiv needs two lines in the paper's preamble::

    \\usepackage{pith}          (options allowed, e.g. \\usepackage[qr]{pith})
    \\pithnumber{<number>}      the 26-character body or pith:YEAR:BODY

:func:`scan_files` finds them (outside comments) in the TeX files a compile read
(the recorder's list), so a preamble split into ``\\input`` files is understood
and a file the main file does not read (an old draft) is not; :func:`scan` looks
in every TeX file of a tree.
:func:`require_pith_lines` turns what was found into a clear error when a line
is missing or names another paper; :func:`insert_pith_lines` adds the missing
lines to the main file instead (``pithtex arxiv --insert``).  Where the lines go
follows ``docs/latex.md``: ``\\usepackage{pith}`` after hyperref when the main
file loads it, else right after ``\\documentclass``; ``\\pithnumber`` right
after it.  ``\\pdfoutput=1`` in the first lines tells arXiv to use pdfLaTeX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pithtex.core.errors import InputError, NumberFormatError
from pithtex.core.numbers import PithNumber, parse_number
from pithtex.tex.syntax import BEGIN_DOCUMENT, DOCUMENTCLASS, mask_comments

__all__ = [
    "PACKAGE_NAME",
    "PDFOUTPUT_LINES",
    "TEX_SUFFIXES",
    "Insertion",
    "Occurrence",
    "PithLines",
    "PithLinesError",
    "check_numbers",
    "has_pdfoutput",
    "insert_pdfoutput",
    "insert_pith_lines",
    "read_source",
    "require_pith_lines",
    "scan",
    "scan_files",
    "scan_text",
    "unread_hint",
]

TEX_SUFFIXES = (".tex", ".sty", ".cls", ".ltx")
PACKAGE_NAME = "pith"
PDFOUTPUT_LINES = 5
"""arXiv looks for ``\\pdfoutput=1`` in this many first lines of the main file."""

_PACKAGE = re.compile(r"\\(?:usepackage|RequirePackage)\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}")
_NUMBER = re.compile(r"\\pithnumber\s*\{([^}]*)\}")
_PDFOUTPUT = re.compile(r"\\pdfoutput\s*=?\s*1")


class PithLinesError(InputError):
    """The source lacks a pith line, or its ``\\pithnumber`` names another paper."""


@dataclass(frozen=True)
class Occurrence:
    """One ``\\usepackage{pith}`` or ``\\pithnumber{…}`` in a file of the source tree."""

    file: str
    """Path relative to the source tree, with ``/`` separators."""
    line: int
    argument: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class PithLines:
    packages: tuple[Occurrence, ...]
    numbers: tuple[Occurrence, ...]


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def scan_text(text: str, name: str) -> PithLines:
    """The pith lines in one file's text (comments ignored)."""
    masked = mask_comments(text)
    packages = tuple(
        Occurrence(name, _line_of(masked, m.start()), m.group(1).strip())
        for m in _PACKAGE.finditer(masked)
        if PACKAGE_NAME in (p.strip() for p in m.group(1).split(","))
    )
    numbers = tuple(
        Occurrence(name, _line_of(masked, m.start()), m.group(1).strip())
        for m in _NUMBER.finditer(masked)
    )
    return PithLines(packages, numbers)


def read_source(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def scan(root: Path) -> PithLines:
    """The pith lines in every TeX file (``.tex``, ``.sty``, ``.cls``, ``.ltx``) under ``root``."""
    return scan_files(root, root.rglob("*"))


def scan_files(root: Path, files: Iterable[Path]) -> PithLines:
    """The pith lines in those of ``files`` that are TeX files under ``root``."""
    packages: list[Occurrence] = []
    numbers: list[Occurrence] = []
    root = root.resolve()
    for path in sorted({p.resolve() for p in files}):
        if path.suffix.lower() not in TEX_SUFFIXES or not path.is_file():
            continue
        if not path.is_relative_to(root):
            continue
        if path.name == f"{PACKAGE_NAME}.sty" or path.name.startswith(f"{PACKAGE_NAME}-"):
            continue  # the package itself and its data files
        found = scan_text(read_source(path), path.relative_to(root).as_posix())
        packages.extend(found.packages)
        numbers.extend(found.numbers)
    return PithLines(tuple(packages), tuple(numbers))


def unread_hint(unread: PithLines, read: PithLines) -> str:
    """Where the lines are that the compile did not read, for an error message."""
    found = {o.file for o in unread.packages + unread.numbers}
    found -= {o.file for o in read.packages + read.numbers}
    if not found:
        return ""
    listed = ", ".join(sorted(found)[:3])
    return f" ({listed} has pith lines, but the main file does not read it)"


def check_numbers(lines: PithLines, number: PithNumber) -> None:
    """Raise :class:`PithLinesError` when a ``\\pithnumber`` is malformed or another paper's."""
    for found in lines.numbers:
        try:
            ref = parse_number(found.argument, allow_short=False)
        except NumberFormatError as exc:
            raise PithLinesError(
                f"{found.where}: \\pithnumber{{{found.argument}}} is not a full Pith Number "
                f"({exc.message}); it should be \\pithnumber{{{number.full}}}",
                code="source.number_invalid",
            ) from None
        if ref.body != number.body or (ref.year is not None and ref.year != number.year):
            raise PithLinesError(
                f"{found.where}: \\pithnumber{{{found.argument}}} names another paper than "
                f"the bundle ({number.full}); correct it or use the bundle of this paper",
                code="source.number_mismatch",
            )


def require_pith_lines(lines: PithLines, number: PithNumber, hint: str = "") -> None:
    """Raise :class:`PithLinesError` unless the source loads pith and gives this number."""
    check_numbers(lines, number)
    missing = []
    if not lines.packages:
        missing.append("\\usepackage{pith}")
    if not lines.numbers:
        missing.append(f"\\pithnumber{{{number.full}}}")
    if missing:
        raise PithLinesError(
            f"the source has no {' and no '.join(missing)} in its preamble{hint}: add "
            f"{' and '.join(missing)} (see: pithtex help latex), or run with --insert to add "
            "them to the uploaded copy",
            code="source.no_pith",
        )


@dataclass(frozen=True)
class Insertion:
    line: int
    """1-based line number of the first inserted line in the new text."""
    text: str


def _line_end(text: str, offset: int) -> int:
    """Offset just after the newline ending the line that contains ``offset``."""
    end = text.find("\n", offset)
    return len(text) if end < 0 else end + 1


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _package_anchor(masked: str, preamble_end: int) -> int:
    """Where ``\\usepackage{pith}`` goes: after hyperref if loaded, else after the class."""
    hyperref = [
        m
        for m in _PACKAGE.finditer(masked, 0, preamble_end)
        if "hyperref" in (p.strip() for p in m.group(1).split(","))
    ]
    if hyperref:
        return _line_end(masked, hyperref[-1].end())
    documentclass = DOCUMENTCLASS.search(masked, 0, preamble_end)
    if documentclass is None:
        raise PithLinesError(
            "the main file has no \\documentclass: cannot add \\usepackage{pith}",
            code="source.no_documentclass",
        )
    return _line_end(masked, documentclass.end())


def insert_pith_lines(
    main_text: str, main_name: str, lines: PithLines, number: PithNumber
) -> tuple[str, list[Insertion]]:
    """The main file with the missing pith lines added, and what was added where.

    ``lines`` is what :func:`scan_files` found in the files the compile read; lines
    already present there are not added again.  A ``\\pithnumber`` naming another paper is an
    error, never overwritten.
    """
    check_numbers(lines, number)
    if lines.packages and lines.numbers:
        return main_text, []
    masked = mask_comments(main_text)
    begin = BEGIN_DOCUMENT.search(masked)
    if begin is None:
        raise PithLinesError(
            f"{main_name}: no \\begin{{document}}: cannot add the pith lines",
            code="source.no_main",
        )
    additions: list[tuple[int, str]] = []
    number_line = f"\\pithnumber{{{number.full}}}\n"
    if not lines.packages:
        anchor = _package_anchor(masked, begin.start())
        own = [o for o in lines.numbers if o.file == main_name]
        if own:  # the package must come before an existing \pithnumber
            first = _nth_line_start(main_text, min(o.line for o in own))
            anchor = min(anchor, first)
        block = "\\usepackage{pith}\n" + ("" if lines.numbers else number_line)
        additions.append((anchor, block))
    elif not lines.numbers:
        own = [o for o in lines.packages if o.file == main_name]
        if own:
            anchor = _line_end(main_text, _nth_line_start(main_text, own[-1].line))
        else:  # the package is loaded from another file: give the number before the body
            anchor = _line_start(main_text, begin.start())
        additions.append((anchor, number_line))
    return _apply(main_text, additions)


def _nth_line_start(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        offset = text.index("\n", offset) + 1
    return offset


def has_pdfoutput(main_text: str) -> bool:
    """Whether ``\\pdfoutput=1`` is in the first lines, where arXiv looks for it."""
    head = "\n".join(mask_comments(main_text).splitlines()[:PDFOUTPUT_LINES])
    return bool(_PDFOUTPUT.search(head))


def insert_pdfoutput(main_text: str) -> tuple[str, list[Insertion]]:
    """The main file with ``\\pdfoutput=1`` as its first line."""
    return _apply(main_text, [(0, "\\pdfoutput=1\n")])


def _apply(text: str, additions: list[tuple[int, str]]) -> tuple[str, list[Insertion]]:
    if not additions:
        return text, []
    if not text.endswith("\n"):
        text += "\n"
    pieces: list[str] = []
    inserted: list[Insertion] = []
    cursor = 0
    for offset, block in sorted(additions):
        pieces.append(text[cursor:offset])
        if pieces and pieces[-1] and not pieces[-1].endswith("\n"):
            pieces.append("\n")
        start_line = "".join(pieces).count("\n") + 1
        pieces.append(block)
        inserted.append(Insertion(start_line, block.rstrip("\n")))
        cursor = offset
    pieces.append(text[cursor:])
    return "".join(pieces), inserted
