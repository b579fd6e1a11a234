"""Corpus sources: the items of a batch, streamed, each under a stable key, in chunks.

A corpus is given as arguments (files, folders, glob patterns: walked by
:mod:`pithtex.jobs.discovery`, the one way to walk a folder), as manifests
(text files naming one path per line) and as tar archives, plain or
compressed, named directly, in a manifest or met in a folder walk.

* **Items** (:class:`Item`) are the files of a batch.  A file on disk is keyed
  by its path as found; a member of a tar by ``ARCHIVE::MEMBER`` (a name that
  occurs twice in one archive gets ``#2``, ``#3`` after it).  Keys are stable
  from run to run, which is what lets a run be resumed and duplicates dropped.
* **Tar members** are read without being extracted to disk.  The members of a
  plain tar are located (offset and size) by reading their headers only; the
  bounded worker copies its member from the archive into a file of its own in
  a private folder in memory (tmpfs, ``/dev/shm``), removed after reading.  A
  compressed tar can only be read from its start, so its members' bytes are
  carried with their items.  Only
  regular members whose name ends in ``.pdf`` are taken, hidden names skipped,
  as in a folder walk.
* **Chunks** (:class:`Chunk`) are what a distributed run hands out as one
  task: a tar archive (its members listed by whoever runs it), or up to
  ``chunk_size`` files.  A chunk's key is stable for the same corpus: the
  archive's path, or a digest of its files' keys.

:func:`materialized` is the one place where an item becomes a path the PDF
readers open.  Nothing here is held per item beyond the chunk being made, so
a corpus of millions of files streams in flat memory (a tar's member headers
are held while it is listed).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pithtex.core.errors import InputError
from pithtex.jobs.discovery import PDF_SUFFIX, Found, find_files, is_glob

__all__ = [
    "ARCHIVE_SEPARATOR",
    "ARCHIVE_SUFFIXES",
    "DEFAULT_CHUNK_SIZE",
    "MAX_MANIFEST_LINE",
    "Chunk",
    "Item",
    "SourceError",
    "archive_items",
    "chunk_key",
    "corpus_chunks",
    "count_items",
    "is_archive_name",
    "manifest_paths",
    "materialized",
    "spool_folder",
]

ARCHIVE_SEPARATOR = "::"
"""Between an archive's path and a member's name in the member's key."""

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")
"""Names taken as tar archives (their content decides whether they are compressed)."""

DEFAULT_CHUNK_SIZE = 64
"""Files per chunk of loose files (a tar archive is always one chunk)."""

MAX_MANIFEST_LINE = 64 * 1024
"""The longest line a manifest may have (a path is far shorter)."""

_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
"""gzip, bzip2 and xz: streams that can only be read from their start."""

_COPY_STEP = 16 * 1024 * 1024


class SourceError(InputError):
    """An item that cannot be had from its source (a member too large, a damaged archive)."""

    default_code = "archive.damaged"


@dataclass(frozen=True, slots=True)
class Item:
    """One file of a corpus: on disk, or a member of a tar archive."""

    key: str
    """The item's stable name: its path, or ``ARCHIVE::MEMBER``."""
    path: str
    """The file on disk; for a member, its archive."""
    relative: str | None
    """Where its output goes below an output folder (``None``: nowhere safe)."""
    member: str | None = None
    """The member's name in the archive (``None``: a file on disk)."""
    offset: int = -1
    """Where a plain tar's member data starts (``-1``: carried in :attr:`data`)."""
    size: int = 0
    data: bytes | None = None
    problem: tuple[str, str] | None = None
    """``(code, message)`` when the item cannot be read at all (known before reading)."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A unit of work: a tar archive, or a few loose files."""

    key: str
    files: tuple[Item, ...] = ()
    archive: str | None = None
    """A tar archive: its members are listed by whoever runs the chunk."""
    relative: str | None = None
    """The archive's output folder below an output folder (its path without the suffix)."""
    max_member_bytes: int | None = None

    def items(self) -> Iterator[Item]:
        """The chunk's items, in order (an archive's members read as they are listed)."""
        if self.archive is None:
            yield from self.files
        else:
            yield from archive_items(self.archive, self.relative, self.max_member_bytes)


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def chunk_key(keys: Iterable[str]) -> str:
    """The key of a chunk of loose files: a digest of their keys, in order."""
    digest = hashlib.sha256()
    for key in keys:
        digest.update(key.encode("utf-8", "surrogateescape") + b"\0")
    return "files:" + digest.hexdigest()[:32]


# ---------------------------------------------------------------- arguments to chunks


def corpus_chunks(
    arguments: Sequence[str | Path] = (),
    *,
    manifests: Sequence[str | Path] = (),
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    prune: Iterable[Path] = (),
    skip: Callable[[str], bool] | None = None,
    skip_chunk: Callable[[str], bool] | None = None,
    max_member_bytes: int | None = None,
) -> Iterator[Chunk]:
    """The chunks of a corpus, lazily: arguments first, then each manifest's paths.

    Loose files are grouped ``chunk_size`` at a time, in the order found; each
    tar archive is a chunk of its own.  ``skip(key)`` leaves out a file (one
    already done, say); ``skip_chunk(key)`` a whole chunk.
    """
    size = max(1, chunk_size)
    pending: list[Item] = []

    def flush() -> Iterator[Chunk]:
        if pending:
            chunk = Chunk(chunk_key(item.key for item in pending), tuple(pending))
            pending.clear()
            if skip_chunk is None or not skip_chunk(chunk.key):
                yield chunk

    for found in _found(arguments, manifests, prune):
        if _is_archive(found.path):
            yield from flush()
            chunk = _archive_chunk(found, max_member_bytes)
            if skip_chunk is None or not skip_chunk(chunk.key):
                yield chunk
            continue
        key = str(found.path)
        if skip is not None and skip(key):
            continue
        pending.append(Item(key, key, str(found.relative)))
        if len(pending) >= size:
            yield from flush()
    yield from flush()


def count_items(
    arguments: Sequence[str | Path] = (),
    *,
    manifests: Sequence[str | Path] = (),
    prune: Iterable[Path] = (),
) -> int | None:
    """How many items the corpus has, counted from names and tar headers only.

    ``None`` when a compressed tar is among them (counting it means reading it all).
    """
    total = 0
    for found in _found(arguments, manifests, prune):
        if not _is_archive(found.path):
            total += 1
            continue
        if _compressed(found.path):
            return None
        total += sum(1 for _ in archive_items(str(found.path), None, None, headers_only=True))
    return total


def manifest_paths(manifest: str | Path) -> Iterator[str]:
    """The paths a manifest names: one per line, blank lines skipped, taken literally.

    Relative paths are relative to the current folder.  Raises
    :class:`InputError` (``manifest.unreadable``, ``manifest.invalid``) naming
    the manifest and the line.
    """
    name = str(manifest)
    try:
        handle = Path(manifest).open("rb")  # noqa: SIM115 - closed below, lines streamed
    except OSError as exc:
        raise InputError(
            f"{name}: cannot read the manifest ({exc.strerror or exc})", code="manifest.unreadable"
        ) from None
    with handle:
        for number, raw in enumerate(_lines(handle, name), start=1):
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            if b"\0" in line:
                raise InputError(f"{name}:{number}: a NUL byte in a path", code="manifest.invalid")
            yield os.fsdecode(line)


def _lines(handle: Iterable[bytes], name: str) -> Iterator[bytes]:
    for line in handle:
        if len(line) > MAX_MANIFEST_LINE:
            raise InputError(
                f"{name}: a line longer than {MAX_MANIFEST_LINE} bytes (not a manifest)",
                code="manifest.invalid",
            )
        yield line


def _found(
    arguments: Sequence[str | Path], manifests: Sequence[str | Path], prune: Iterable[Path]
) -> Iterator[Found]:
    pruned = list(prune)
    suffixes = (PDF_SUFFIX, *ARCHIVE_SUFFIXES)
    if arguments:
        yield from find_files(arguments, prune=pruned, suffix=suffixes)
    for manifest in manifests:
        for line in manifest_paths(manifest):
            path = Path(line)
            if path.is_dir() or is_glob(line):
                yield from find_files([line], prune=pruned, suffix=suffixes)
            else:  # named: taken as it is, whatever its name (as a file argument)
                yield Found(path, path.parent)


def _is_archive(path: Path) -> bool:
    return is_archive_name(path.name) and path.is_file()


def _archive_chunk(found: Found, max_member_bytes: int | None) -> Chunk:
    relative = str(found.relative)
    for suffix in ARCHIVE_SUFFIXES:
        if relative.lower().endswith(suffix):
            relative = relative[: -len(suffix)]
            break
    return Chunk(
        "tar:" + str(found.path),
        archive=str(found.path),
        relative=relative,
        max_member_bytes=max_member_bytes,
    )


# ---------------------------------------------------------------- tar archives


def _compressed(path: str | Path) -> bool:
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(6)
    except OSError:
        return False
    return head.startswith(_COMPRESSED_MAGIC)


def archive_items(
    archive: str,
    relative: str | None,
    max_member_bytes: int | None,
    *,
    headers_only: bool = False,
) -> Iterator[Item]:
    """The PDF members of a tar, in archive order, as items.

    A plain tar is read header by header (its members' data stays where it is);
    a compressed one is streamed, each wanted member's bytes read into its item
    (never more than ``max_member_bytes``: a larger member is an item with a
    ``pdf.too_large`` problem).  A tar that cannot be read, or breaks off,
    gives one last item keyed by the archive's path with the problem.
    """
    streamed = _compressed(archive)
    names: dict[str, int] = {}
    try:
        with tarfile.open(archive, mode="r|*" if streamed else "r:") as tar:
            while (info := tar.next()) is not None:
                if not _wanted(info):
                    continue
                seen = names.get(info.name, 0) + 1
                names[info.name] = seen
                key = f"{archive}{ARCHIVE_SEPARATOR}{info.name}"
                if seen > 1:
                    key += f"#{seen}"
                if headers_only:
                    yield Item(key, archive, None, info.name, size=info.size)
                    continue
                output = _member_output(relative, info.name, seen)
                yield _member_item(tar, info, key, archive, output, streamed, max_member_bytes)
            if not streamed and Path(archive).stat().st_size < tar.offset + tarfile.BLOCKSIZE:
                raise tarfile.ReadError("it is cut short inside a header")
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        yield Item(archive, archive, None, problem=("archive.damaged", _archive_problem(exc)))


def _wanted(info: tarfile.TarInfo) -> bool:
    name = PurePosixPath(info.name).name
    return info.isreg() and name.lower().endswith(PDF_SUFFIX) and not name.startswith(".")


def _archive_problem(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"the tar archive cannot be read ({exc.strerror})"
    return f"the tar archive is damaged or not a tar ({exc or type(exc).__name__})"


def _member_output(relative: str | None, name: str, seen: int) -> str | None:
    """A member's output path below the output folder; ``None`` for an unsafe name.

    An absolute name, or one with a ``..`` part, would leave the archive's output
    folder; so would a second member of the same name overwrite the first.
    """
    member = PurePosixPath(name)
    if relative is None or seen > 1 or member.is_absolute() or ".." in member.parts:
        return None
    return str(Path(relative) / Path(*member.parts))


def _member_item(
    tar: tarfile.TarFile,
    info: tarfile.TarInfo,
    key: str,
    archive: str,
    output: str | None,
    streamed: bool,
    cap: int | None,
) -> Item:
    if cap is not None and info.size > cap:
        problem = ("pdf.too_large", f"{info.size} bytes is over the {cap}-byte cap")
        return Item(key, archive, output, info.name, size=info.size, problem=problem)
    if not streamed:
        return Item(key, archive, output, info.name, offset=info.offset_data, size=info.size)
    handle = tar.extractfile(info)
    data = handle.read() if handle is not None else b""
    return Item(key, archive, output, info.name, size=info.size, data=data)


# ---------------------------------------------------------------- items to paths


SPOOL_CANDIDATES = ("/dev/shm",)  # noqa: S108 - a private folder is made in it
"""Folders in memory (tmpfs) where a member's file is spooled, the first usable one."""


@contextlib.contextmanager
def spool_folder() -> Iterator[str]:
    """A private folder for the files of tar members, in memory where the system has one.

    The process that forks the readers makes it for a run and removes it, with
    whatever a killed reader left there, at the end.  Folders of processes that
    were killed before they could (their process id is in the name) are removed
    by the next one.
    """
    base = next(
        (c for c in SPOOL_CANDIDATES if Path(c).is_dir() and os.access(c, os.W_OK)),
        tempfile.gettempdir(),
    )
    _remove_orphans(Path(base))
    folder = tempfile.mkdtemp(prefix=f"{_SPOOL_PREFIX}{os.getpid()}-", dir=base)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_SPOOL_PREFIX = ".pithtex-spool-"


def _remove_orphans(base: Path) -> None:
    for folder in base.glob(f"{_SPOOL_PREFIX}*"):
        pid = folder.name.removeprefix(_SPOOL_PREFIX).split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.lstat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


@contextlib.contextmanager
def materialized(item: Item, spool: str | None = None) -> Iterator[str]:
    """A path the PDF readers can open for ``item``, valid inside the ``with`` block.

    A file on disk is its own path.  A tar member is copied into a file of its
    own in the ``spool`` folder (see :func:`spool_folder`; in memory, not on
    disk), removed when the block ends: the readers open paths by name, so an
    anonymous in-memory file (a memfd) does not do.  Raises
    :class:`SourceError` for an item with a problem.
    """
    if item.problem is not None:
        code, message = item.problem
        raise SourceError(message, code=code)
    if item.member is None:
        yield item.path
        return
    fd, name = tempfile.mkstemp(prefix="member-", suffix=".pdf", dir=spool)
    try:
        try:
            if item.data is not None:
                _write_all(fd, item.data)
            else:
                _copy_member(item, fd)
        finally:
            os.close(fd)
        yield name
    except OSError as exc:
        raise SourceError(
            f"the member cannot be spooled ({exc.strerror or exc})", code="archive.spool"
        ) from None
    finally:
        Path(name).unlink(missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _copy_member(item: Item, fd: int) -> None:
    """Copy a plain tar's member into ``fd``, in the kernel where it can."""
    try:
        source = os.open(item.path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise SourceError(
            f"the tar archive cannot be read ({exc.strerror})", code="archive.unreadable"
        ) from None
    try:
        offset, left = item.offset, item.size
        while left > 0:
            step = min(left, _COPY_STEP)
            try:
                copied = os.copy_file_range(source, fd, step, offset)
            except OSError:  # not supported between these file systems
                copied = os.write(fd, os.pread(source, step, offset))
            if copied <= 0:
                raise SourceError("the tar archive ends inside a member", code="archive.damaged")
            offset += copied
            left -= copied
    finally:
        os.close(source)
