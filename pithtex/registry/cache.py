"""The per-user cache of verified bundles.

Layout, under the cache root::

    bundles/<26-character body>/bundle.json   the bundle, byte for byte as fetched
    bundles/<26-character body>/meta.json     where and when it came from, its ETag

The root is, in order: the ``root`` given to :class:`BundleCache`,
``$PITHTEX_CACHE_DIR``, ``cache_dir`` from the configuration file, and the
platform's per-user cache directory (``~/.cache/pithtex`` on Linux,
``~/Library/Caches/pithtex`` on macOS, ``%LOCALAPPDATA%\\pithtex\\Cache`` on
Windows).

Only the resolver writes here, and only bundles that verified; both files are
written atomically (bundle first, then the metadata that names the bundle's
SHA-256), so a reader sees a complete entry or none: an entry whose bundle
does not hash to what its metadata says is ignored.  The cache never decides
trust: whoever reads an entry verifies it again with the current keyring.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pithtex.core.canonical import DEFAULT_LIMITS
from pithtex.core.errors import InputError, NetworkError
from pithtex.core.fileio import atomic_write_bytes
from pithtex.core.model import Bundle
from pithtex.core.numbers import BASE32_ALPHABET, BODY_LENGTH, PithRef
from pithtex.core.paths import CACHE_ENV, default_cache_dir

__all__ = [
    "BUNDLE_NAME",
    "META_MAX_BYTES",
    "META_NAME",
    "META_SCHEMA",
    "BundleCache",
    "CacheEntry",
    "CacheMeta",
]

META_SCHEMA = "pithtex.cache-entry/1"
BUNDLE_NAME = "bundle.json"
META_NAME = "meta.json"
META_MAX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class CacheMeta:
    """What the cache knows about one stored bundle besides its bytes."""

    pith_number: str
    source_url: str
    file_sha256: str
    """SHA-256 of the stored bytes: detects a bundle file replaced behind our back."""
    bundle_sha256: str
    built_at: str
    event_count: int
    fetched_at: float
    """When these bytes were downloaded (seconds since the epoch)."""
    checked_at: float
    """When a resolver last confirmed them (download or 304)."""
    etag: str | None = None
    last_modified: str | None = None
    max_age: float | None = None
    """Freshness the resolver granted, if it said (``Cache-Control: max-age``)."""

    def to_json(self) -> dict[str, Any]:
        return {"schema": META_SCHEMA, **asdict(self)}

    @classmethod
    def from_json(cls, doc: Any) -> CacheMeta:
        if not isinstance(doc, dict) or doc.get("schema") != META_SCHEMA:
            raise ValueError("not a cache entry")
        fields = {k: v for k, v in doc.items() if k != "schema"}
        meta = cls(**fields)
        if not isinstance(meta.file_sha256, str) or not isinstance(meta.checked_at, int | float):
            raise ValueError("malformed cache entry")
        return meta


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A stored bundle: its bytes, its metadata and where it lives."""

    body: str
    directory: Path
    data: bytes
    meta: CacheMeta

    @property
    def path(self) -> Path:
        return self.directory / BUNDLE_NAME

    def age(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.meta.checked_at)

    def fresh(self, ttl: float, now: float | None = None) -> bool:
        """Whether the entry may be used without asking a resolver again."""
        limit = ttl if self.meta.max_age is None else min(ttl, self.meta.max_age)
        return self.age(now) < limit


class BundleCache:
    """Verified bundles by number, on disk."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.bundles = self.root / "bundles"

    def __repr__(self) -> str:
        return f"BundleCache({str(self.root)!r})"

    def entry_dir(self, body: str) -> Path:
        if len(body) != BODY_LENGTH or any(c not in BASE32_ALPHABET for c in body):
            raise ValueError(f"{body!r} is not a full Pith body")
        return self.bundles / body

    def get(self, body: str) -> CacheEntry | None:
        """The entry for a full body, or ``None`` (also when it is damaged)."""
        directory = self.entry_dir(body)
        meta_bytes = _read_regular(directory / META_NAME, META_MAX_BYTES)
        data = _read_regular(directory / BUNDLE_NAME, DEFAULT_LIMITS.max_bytes)
        if meta_bytes is None or data is None:
            return None
        try:
            meta = CacheMeta.from_json(json.loads(meta_bytes))
        except (ValueError, TypeError):  # damaged or foreign
            return None
        if hashlib.sha256(data).hexdigest() != meta.file_sha256:
            return None
        return CacheEntry(body, directory, data, meta)

    def find(self, ref: PithRef) -> CacheEntry | None:
        """The entry a full number or a short prefix names; ``None`` when none does.

        Raises :class:`~pithtex.core.errors.NetworkError` (``resolver.ambiguous``) when a
        short number matches several cached bundles.
        """
        if ref.is_full:
            entry = self.get(ref.body)
            return entry if entry is not None and _year_matches(entry, ref) else None
        matches = [e for e in self._prefixed(ref.body) if _year_matches(e, ref)]
        if len(matches) > 1:
            names = ", ".join(sorted(e.meta.pith_number for e in matches)[:4])
            raise NetworkError(
                f"{ref} matches {len(matches)} cached bundles ({names}); give more characters",
                code="resolver.ambiguous",
            )
        return matches[0] if matches else None

    def _prefixed(self, prefix: str) -> Iterator[CacheEntry]:
        try:
            names = [d.name for d in os.scandir(self.bundles) if d.name.startswith(prefix)]
        except OSError:  # no cache yet, or one we may not read: nothing cached for us
            return
        for name in sorted(names):
            if len(name) == BODY_LENGTH:
                entry = self.get(name)
                if entry is not None:
                    yield entry

    def put(self, data: bytes, bundle: Bundle, meta: CacheMeta) -> CacheEntry:
        """Store a verified bundle's bytes and metadata, atomically, replacing any entry."""
        directory = self.entry_dir(bundle.body)
        meta = replace(meta, file_sha256=hashlib.sha256(data).hexdigest())
        try:
            directory.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(directory / BUNDLE_NAME, data)
            self._write_meta(directory, meta)
        except OSError as exc:
            raise self._unwritable(exc) from None
        return CacheEntry(bundle.body, directory, data, meta)

    def _unwritable(self, exc: OSError) -> InputError:
        return InputError(
            f"cannot write the bundle cache in {self.root} ({exc.strerror or exc}); "
            f"choose another with --cache-dir or ${CACHE_ENV}",
            code="cache.unwritable",
        )

    def touch(self, entry: CacheEntry, **changes: Any) -> CacheEntry:
        """The entry with its metadata updated (e.g. ``checked_at`` after a 304)."""
        meta = replace(entry.meta, **changes)
        try:
            self._write_meta(entry.directory, meta)
        except OSError as exc:
            raise self._unwritable(exc) from None
        return replace(entry, meta=meta)

    def _write_meta(self, directory: Path, meta: CacheMeta) -> None:
        text = json.dumps(meta.to_json(), indent=1, sort_keys=True) + "\n"
        atomic_write_bytes(directory / META_NAME, text.encode("utf-8"))

    def remove(self, body: str) -> bool:
        directory = self.entry_dir(body)
        if not directory.exists():
            return False
        shutil.rmtree(directory)
        return True

    def entries(self) -> Iterator[CacheEntry]:
        """Every intact entry, in body order."""
        return self._prefixed("")

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        count = 0
        for entry in list(self.entries()):
            count += self.remove(entry.body)
        return count


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes, else ``None``.

    A cache entry is only ever written by :meth:`BundleCache.put` as a regular
    file; anything else planted there (a FIFO that would block a reader forever,
    a device, a symbolic link, a folder) is ignored without being opened for a read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= limit else None


def _year_matches(entry: CacheEntry, ref: PithRef) -> bool:
    if ref.year is None:
        return True
    return entry.meta.pith_number.startswith(f"pith:{ref.year:04d}:")
