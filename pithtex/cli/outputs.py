"""Writing what verbs produce: a file (its folder made when missing) or ``-`` for stdout.

Every verb that writes a file goes through :func:`write_output` or makes its
output folder with :func:`output_directory`, so that all of them behave alike:
missing folders are made, files are replaced atomically, ``-`` means standard
output, and a refusal of the system is a one-line error (exit 2) naming the path.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pithtex.core.errors import InputError
from pithtex.core.fileio import atomic_write_bytes, ensure_directory

__all__ = ["STDOUT", "output_directory", "output_parent", "write_output"]

STDOUT = "-"


def output_directory(path: str | Path) -> Path:
    """The output folder ``path``, made when missing."""
    return ensure_directory(path)


def output_parent(path: str | Path) -> Path:
    """Make the folder a file ``path`` goes into; returns ``path``."""
    target = Path(path)
    ensure_directory(target.parent if str(target.parent) else Path())
    return target


def write_output(target: str | Path, data: bytes) -> None:
    """Write ``data`` to the file ``target`` atomically, or to standard output for ``-``."""
    if str(target) == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    path = output_parent(target)
    try:
        atomic_write_bytes(path, data)
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file", code="file.unwritable") from None
    except OSError as exc:
        raise InputError(
            f"{path}: cannot write ({exc.strerror or exc})", code="file.unwritable"
        ) from None
