"""Safe file output: every file pithtex writes goes through here.

A file is written to a temporary name in its target directory, flushed and
fsynced, then renamed over the final name, so that a crash or ``kill -9`` at any
moment leaves either the old file or the complete new one, never a truncated
file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from pithtex.core.errors import InputError

__all__ = [
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "copy_tree_confined",
    "ensure_directory",
]

TEMP_PREFIX = ".pithtex-"
TEMP_SUFFIX = ".part"


@contextlib.contextmanager
def atomic_output(path: str | Path, *, mode: int | None = None) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    The folder of ``path`` is made when missing (:func:`ensure_directory`).

    On any exception the temporary file is removed and ``path`` is untouched.
    ``mode`` sets permissions (default: those of an existing ``path``, else 0o644
    filtered by the umask).
    """
    target = Path(path)
    directory = ensure_directory(target.parent if str(target.parent) else Path())
    fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(_final_mode(target, mode))
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path, mode=mode) as handle:
        handle.write(data)


def atomic_write_text(path: str | Path, text: str, *, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def ensure_directory(path: str | Path) -> Path:
    """The folder ``path``, made with its parents when missing.

    Every verb makes its missing output folders this way.  Raises
    :class:`~pithtex.core.errors.InputError` (``file.unwritable``) naming the
    folder when it cannot be made, or when something that is not a folder is in
    the way.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"{folder}: exists and is not a folder", code="file.unwritable") from None
    except OSError as exc:
        raise InputError(
            f"{folder}: cannot create the folder ({exc.strerror or exc})", code="file.unwritable"
        ) from None
    return folder


def copy_tree_confined(
    source: str | Path, target: str | Path, *, skip: Callable[[Path], bool] = lambda p: False
) -> None:
    """Copy the folder ``source`` to the new folder ``target``, never leaving ``source``.

    Symbolic links are copied as what they point to when that lies inside
    ``source``; a link that leads out of it (``secret.txt -> /etc/passwd``, a
    linked folder elsewhere) raises :class:`~pithtex.core.errors.InputError`
    ``source.link_outside`` naming it, and a link that loops raises
    ``source.link_loop``, before anything is copied.  Entries for which
    ``skip(path)`` is true (paths inside ``source``) are left out, and so are
    FIFOs, sockets and devices.
    """
    root = Path(source).resolve()
    plan: list[tuple[Path, Path]] = []
    _plan_copy(root, root, Path(target), skip, plan, {root})
    Path(target).mkdir(parents=True)
    for origin, destination in plan:
        if origin.is_dir():
            destination.mkdir(exist_ok=True)
        else:
            shutil.copy2(origin, destination)


def _plan_copy(
    root: Path,
    folder: Path,
    target: Path,
    skip: Callable[[Path], bool],
    plan: list[tuple[Path, Path]],
    open_folders: set[Path],
) -> None:
    for entry in sorted(folder.iterdir()):
        if skip(entry):
            continue
        real = _confined(root, entry)
        destination = target / entry.name
        if real.is_dir():
            if real in open_folders:
                raise InputError(
                    f"{entry.relative_to(root)}: a link back to a folder that contains it (a loop)",
                    code="source.link_loop",
                )
            plan.append((real, destination))
            _plan_copy(root, real, destination, skip, plan, open_folders | {real})
        elif real.is_file():
            plan.append((real, destination))


def _confined(root: Path, entry: Path) -> Path:
    """Where ``entry`` really is; refuses a link that leaves ``root`` or loops."""
    try:
        real = entry.resolve(strict=True)
    except (RuntimeError, OSError) as exc:
        if entry.is_symlink() and isinstance(exc, FileNotFoundError):
            raise InputError(
                f"{entry.relative_to(root)}: a symbolic link to nothing ({entry.readlink()})",
                code="source.link_broken",
            ) from None
        raise InputError(
            f"{entry.relative_to(root)}: a symbolic link that loops", code="source.link_loop"
        ) from None
    if not real.is_relative_to(root):
        raise InputError(
            f"{entry.relative_to(root)}: a symbolic link out of the source folder (to {real}); "
            "copy the file into the folder instead",
            code="source.link_outside",
        )
    return real


def _final_mode(target: Path, mode: int | None) -> int:
    if mode is not None:
        return mode
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
