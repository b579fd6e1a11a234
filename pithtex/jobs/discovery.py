"""Finding the files of a batch: the one way every verb turns arguments into files.

An argument is a file, a folder or a glob pattern:

* **A file** is taken as named, whatever its name.
* **A folder** is walked recursively, depth first, each folder's entries in
  name order.  A walk takes the regular files whose name ends in ``.pdf`` (in
  any case; or in any of the suffixes asked for: corpus runs also take tar
  archives, see :mod:`pithtex.jobs.sources`) and skips names that start with a
  dot (hidden files and folders, among them pithtex's own temporary files
  ``.pithtex-*.part``), symbolic links (name a link's target to include it)
  and whatever is neither a regular file nor a folder (FIFOs, sockets,
  devices).  Folders listed in ``prune`` (the output folder of a batch inside
  its input tree) are not entered.
* **A glob** (``*``, ``?`` or ``[`` in a name that does not exist; ``**``
  matches folders at any depth) is expanded by Python's :mod:`glob` (which
  follows symbolic links), its matches sorted, and each match taken like an
  argument: regular files as named, folders walked.  Its wildcards match
  hidden names only where the pattern itself starts with a dot, and never
  pithtex's temporary files.
* **A name that does not exist**, or a glob that matches nothing, is passed on
  as a file, so that the verb reports it (``no such file``) with the others.

Arguments are taken in the order given.  A file reached twice (the same device
and inode: named twice, or through a link) is taken once, at its first place.  Every
file found carries the folder its output path is relative to (:class:`Found`):
a folder argument, a glob's leading folders without wildcards, or a file's own
folder; :func:`mirror_outputs` maps files to an output tree with it.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pithtex.core.errors import InputError
from pithtex.core.fileio import TEMP_PREFIX, TEMP_SUFFIX

__all__ = [
    "GLOB_CHARS",
    "PDF_SUFFIX",
    "Found",
    "Selection",
    "find_files",
    "is_glob",
    "is_own_temporary",
    "mirror_outputs",
    "select_files",
]

GLOB_CHARS = frozenset("*?[")
PDF_SUFFIX = ".pdf"


@dataclass(frozen=True, slots=True)
class Found:
    """A file of a batch and the folder its output path is relative to."""

    path: Path
    base: Path

    @property
    def relative(self) -> Path:
        """The file's path below :attr:`base` (its output path under an output folder)."""
        return self.path.relative_to(self.base)


@dataclass(frozen=True, slots=True)
class Selection:
    """The files of a batch, found before anything runs."""

    files: tuple[Found, ...]
    single: bool
    """One argument naming one file (not a folder or a glob): a single-file run."""

    @property
    def paths(self) -> list[Path]:
        return [found.path for found in self.files]


def is_own_temporary(name: str) -> bool:
    """Whether ``name`` is one of pithtex's temporary files (see :mod:`pithtex.core.fileio`)."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def is_glob(argument: str) -> bool:
    """Whether an argument is a glob pattern (wildcards in a name that does not exist)."""
    return bool(GLOB_CHARS & set(argument)) and not os.path.lexists(argument)


def select_files(
    arguments: Sequence[str | Path], *, prune: Iterable[Path] = (), suffix: str = PDF_SUFFIX
) -> Selection:
    """:func:`find_files` for a command line: every file, found before anything runs.

    Raises :class:`InputError` (``usage.no_files``) when the arguments give no file.
    """
    files = tuple(find_files(arguments, prune=prune, suffix=suffix))
    if not files:
        raise InputError(f"no {suffix} files found in the given folders", code="usage.no_files")
    single = len(arguments) == 1 and len(files) == 1 and not _expands(str(arguments[0]))
    return Selection(files, single)


def find_files(
    arguments: Iterable[str | Path],
    *,
    prune: Iterable[Path] = (),
    suffix: str | tuple[str, ...] = PDF_SUFFIX,
) -> Iterator[Found]:
    """The files the arguments name, lazily, by the rules of this module.

    ``suffix`` may be several: a walk then takes files ending in any of them.
    """
    names = [str(argument) for argument in arguments]
    one_folder = len(names) == 1 and Path(names[0]).is_dir()  # no file in it twice
    suffixes = (suffix,) if isinstance(suffix, str) else suffix
    wanted = tuple(s.lower() for s in suffixes)
    walker = _Walker(wanted, _identities(prune), seen=None if one_folder else set())
    for name in names:
        yield from walker.argument(name)


def mirror_outputs(found: Iterable[Found], out_dir: str | Path) -> Iterator[tuple[Path, Path]]:
    """``(file, output)`` pairs that keep each file's path below its base under ``out_dir``.

    Raises :class:`InputError` (``batch.collision``) when two files would get the
    same output; call it on the whole batch before anything is written.
    """
    root = Path(out_dir)
    taken: dict[Path, Path] = {}
    for item in found:
        output = root / item.relative
        first = taken.setdefault(output, item.path)
        if first != item.path:
            raise InputError(
                f"{first} and {item.path} would both be written to {output}: their outputs "
                "collide (stamp them in separate runs or name their folders)",
                code="batch.collision",
            )
        yield item.path, output


def _expands(argument: str) -> bool:
    """Whether an argument stands for several files: a folder or a glob with matches."""
    return Path(argument).is_dir() or (is_glob(argument) and bool(glob.glob(argument)))  # noqa: PTH207


def _identities(folders: Iterable[Path]) -> set[tuple[int, int]]:
    found = set()
    for folder in folders:
        try:
            info = Path(folder).stat()
        except OSError:
            continue
        found.add((info.st_dev, info.st_ino))
    return found


def _glob_base(pattern: str) -> Path:
    """The leading folders of a pattern, up to its first wildcard."""
    parts = Path(pattern).parts[:-1]
    literal = []
    for part in parts:
        if GLOB_CHARS & set(part):
            break
        literal.append(part)
    return Path(*literal) if literal else Path()


class _Walker:
    """Walks arguments into files, remembering what it took when asked to."""

    def __init__(
        self,
        suffix: tuple[str, ...],
        pruned: set[tuple[int, int]],
        seen: set[tuple[int, int]] | None,
    ) -> None:
        self.suffix = suffix
        self.pruned = pruned
        self.seen = seen

    def argument(self, name: str) -> Iterator[Found]:
        path = Path(name)
        if path.is_dir():
            yield from self.folder(path, path)
        elif is_glob(name):
            yield from self.pattern(name)
        else:
            yield from self.named(path, path.parent)

    def pattern(self, pattern: str) -> Iterator[Found]:
        base = _glob_base(pattern)
        matches = sorted(glob.glob(pattern, recursive=True))  # noqa: PTH207
        if not matches:
            yield Found(Path(pattern), Path(pattern).parent)  # reported as a missing file
        for match in matches:
            path = Path(match)
            if path.is_dir():
                yield from self.folder(path, base)
            elif path.is_file() and not is_own_temporary(path.name):
                yield from self.named(path, base)

    def named(self, path: Path, base: Path) -> Iterator[Found]:
        try:
            info = path.stat()
        except OSError:  # missing or unreadable: the verb says which
            yield Found(path, base)
            return
        if self.first_time((info.st_dev, info.st_ino)):
            yield Found(path, base)

    def folder(self, folder: Path, base: Path) -> Iterator[Found]:
        try:
            device = folder.stat().st_dev
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:  # an unreadable folder is reported, not skipped in silence
            yield Found(folder, base if folder != base else folder.parent)
            return
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            path = folder / entry.name
            if entry.is_dir(follow_symlinks=False):
                if not self.pruned or self.identity(entry) not in self.pruned:
                    yield from self.folder(path, base)
            elif self.wanted(entry) and self.first_time((device, entry.inode())):
                yield Found(path, base)

    def wanted(self, entry: os.DirEntry[str]) -> bool:
        """A regular file with the suffix (links and the rest were left out before)."""
        return entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(self.suffix)

    @staticmethod
    def identity(entry: os.DirEntry[str]) -> tuple[int, int]:
        info = entry.stat(follow_symlinks=False)
        return info.st_dev, info.st_ino

    def first_time(self, identity: tuple[int, int]) -> bool:
        if self.seen is None:
            return True
        if identity in self.seen:
            return False
        self.seen.add(identity)
        return True
