"""Reading the inputs verbs take: a file, ``-`` for standard input, a bundle inside a PDF.

A PDF argument ``-`` (``check -``, ``stamp -``) is spooled, up to the reader's file-size
cap, into a private temporary file that the verb reads like any other and that is
removed when it is done (:func:`stdin_pdf`).

A bundle argument may name a bundle file, ``-`` (the bundle on standard
input), or a PDF that carries one (``pithtex stamp --embed-bundle``).  Every
read is capped: a bundle by the strict parser's size limit, a PDF by the
reader's, and a PDF is opened only in a worker process bounded in memory and
time, as ``pithtex check`` does.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pithtex.core.canonical import DEFAULT_LIMITS
from pithtex.core.errors import InputError, InternalError, PithError
from pithtex.core.model import Bundle, parse_bundle, read_limited

__all__ = [
    "STDIN",
    "load_bundle_input",
    "looks_like_pdf",
    "read_bundle_input",
    "read_stdin",
    "stdin_pdf",
    "write_stdout_file",
]

STDIN = "-"
PDF_MAGIC = b"%PDF-"
_MAGIC_WINDOW = 1024
"""A PDF header may follow up to 1 KB of junk; readers accept it there."""


def read_stdin(limit: int) -> bytes:
    """Standard input as bytes, refusing more than ``limit`` bytes."""
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise InputError(
            f"standard input: larger than the {limit}-byte cap", code="input.too_large"
        )
    return data


def looks_like_pdf(head: bytes) -> bool:
    return PDF_MAGIC in head[:_MAGIC_WINDOW]


def read_bundle_input(name: str) -> tuple[bytes, str]:
    """The bundle bytes ``name`` gives, and where they came from (for messages)."""
    from pithtex.pdf.evidence import DEFAULT_READ_LIMITS

    if name == STDIN:
        data = read_stdin(DEFAULT_READ_LIMITS.max_file_bytes)
        if not looks_like_pdf(data):
            if len(data) > DEFAULT_LIMITS.max_bytes:
                raise InputError(
                    "standard input: larger than a bundle may be", code="json.too_large"
                )
            return data, "standard input"
        with tempfile.NamedTemporaryFile(prefix="pithtex-stdin-", suffix=".pdf") as copy:
            copy.write(data)
            copy.flush()
            return _embedded(Path(copy.name), "standard input")
    path = Path(name)
    try:
        with path.open("rb") as handle:
            head = handle.read(_MAGIC_WINDOW)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file", code="file.missing") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a file", code="file.unreadable") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})", code="file.unreadable") from None
    if looks_like_pdf(head):
        return _embedded(path, name)
    return read_limited(path), name


def load_bundle_input(name: str) -> Bundle:
    """The bundle ``name`` gives (a file, ``-``, or a PDF carrying one), parsed strictly."""
    data, where = read_bundle_input(name)
    try:
        return parse_bundle(data)
    except InputError as exc:
        raise exc.prefixed(where) from None


def _embedded(path: Path, label: str) -> tuple[bytes, str]:
    """The bundle embedded in the PDF at ``path``, read in a bounded worker."""
    from pithtex.core.names import EMBEDDED_BUNDLE_NAME
    from pithtex.jobs.executor import Bounds, TaskFailure, run_bounded

    ((_, outcome),) = list(run_bounded(_embedded_in, [path], bounds=Bounds()))
    if isinstance(outcome, TaskFailure):
        error = InternalError if outcome.internal else InputError  # a bug exits 70, not 2
        raise error(f"{label}: the PDF could not be read ({outcome.message})", code=outcome.code)
    data, code, message = outcome
    if code is not None:
        raise InputError(f"{label}: {message}", code=code)
    if data is None:
        raise InputError(
            f"{label}: the PDF carries no embedded {EMBEDDED_BUNDLE_NAME} (pithtex stamp "
            "--embed-bundle adds one); 'pithtex check' finds its bundle by number",
            code="bundle.not_embedded",
        )
    return data, f"embedded in {label}"


def _embedded_in(path: Path) -> tuple[bytes | None, str | None, str | None]:
    """In the worker: the embedded bundle's bytes, or the reader's error code and message."""
    from pithtex.pdf.evidence import read_pdf

    try:
        evidence = read_pdf(path)
    except PithError as exc:
        return None, exc.code, exc.message
    return (None if evidence.embedded is None else evidence.embedded.data), None, None


@contextmanager
def stdin_pdf() -> Iterator[Path]:
    """Standard input, which must be a PDF, as a private temporary file (removed after)."""
    from pithtex.pdf.evidence import DEFAULT_READ_LIMITS

    data = read_stdin(DEFAULT_READ_LIMITS.max_file_bytes)
    if not looks_like_pdf(data):
        raise InputError("standard input: not a PDF (no %PDF- header)", code="pdf.not_pdf")
    with tempfile.TemporaryDirectory(prefix="pithtex-stdin-") as folder:
        path = Path(folder) / "stdin.pdf"
        path.write_bytes(data)
        del data
        yield path


def write_stdout_file(path: Path) -> None:
    """Copy the file at ``path`` to standard output, as bytes."""
    sys.stdout.flush()
    with path.open("rb") as handle:
        shutil.copyfileobj(handle, sys.stdout.buffer)
    sys.stdout.buffer.flush()
