"""Static mirrors: the resolver layout as plain files any web server can host.

:func:`build_mirror` writes, for every bundle given (each verified first)::

    DIR/pith/<N>/bundle.json               the bundle, byte for byte
    DIR/.well-known/pith/<N>/bundle.json   the same bytes
    DIR/pith/<N>/state.json                the state merged from the verified events
    DIR/pith/<N>/index.jsonld              JSON-LD (served for /pith/<N> with
                                           Accept: application/ld+json)
    DIR/pith/<N>/index.html                a human-readable record page
    DIR/pith/<S>/... , DIR/.well-known/pith/<S>/bundle.json
                                           the same files under each short alias S
                                           (8, 12 and 16 characters) no other
                                           number in the mirror shares
    DIR/index.json                         machine-readable list of the numbers
    DIR/index.html                         human-readable list

Building is incremental: bundles already in ``DIR`` (listed in its
``index.json``) stay, a newer bundle of the same number replaces the old one,
and an older one is refused (``mirror.rollback``) unless ``force``.  Every
input is parsed and verified before anything is written; every file is
written atomically.  ``docs/resolver.md`` shows how to serve the layout with
nginx, including content negotiation for ``/pith/<N>``.
"""

from __future__ import annotations

import html
import json
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pithtex.core.canonical import loads
from pithtex.core.digests import bundle_sha256
from pithtex.core.errors import InputError, PithError, UnverifiedBundleError
from pithtex.core.fileio import atomic_write_bytes
from pithtex.core.html import json_for_script
from pithtex.core.layout import (
    BUNDLE_FILE,
    HTML_FILE,
    INDEX_HTML,
    INDEX_JSON,
    JSONLD_FILE,
    RESOLVER_PREFIX,
    STATE_FILE,
    WELL_KNOWN_PREFIX,
    bundle_path,
    document_path,
    join,
    state_path,
    well_known_bundle_path,
)
from pithtex.core.model import Bundle, parse_bundle, parse_time, read_limited
from pithtex.core.numbers import BODY_LENGTH, SHORT_LENGTHS
from pithtex.core.version import __version__
from pithtex.core.wording import counted
from pithtex.registry.jsonld import jsonld_bytes, jsonld_document
from pithtex.registry.resolver import rollback_reason
from pithtex.trust.keyring import Keyring
from pithtex.trust.verify import VerifiedBundle, require_verified

__all__ = [
    "INDEX_SCHEMA",
    "MirrorEntry",
    "MirrorError",
    "MirrorReport",
    "build_mirror",
    "index_page",
    "read_index",
    "record_page",
]

INDEX_SCHEMA = "pithtex.mirror-index/1"


class MirrorError(PithError):
    """A mirror directory or an update to it that cannot be used."""

    default_code = "mirror.invalid"


@dataclass(frozen=True)
class MirrorEntry:
    """One number in a mirror, as listed in ``index.json``."""

    pith_number: str
    short_pith_number: str
    title: str | None
    canonical_sha256: str
    bundle_sha256: str
    built_at: str
    event_count: int
    bundle: str
    well_known_bundle: str
    state: str
    document: str
    aliases: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        return self.pith_number.rsplit(":", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["aliases"] = list(self.aliases)
        return data

    @classmethod
    def from_json(cls, data: Any) -> MirrorEntry:
        entry = cls(**{**data, "aliases": tuple(data.get("aliases", ()))})
        if len(entry.body) != BODY_LENGTH:
            raise ValueError(f"bad number {entry.pith_number!r}")
        return entry

    @classmethod
    def for_bundle(cls, bundle: Bundle) -> MirrorEntry:
        body = bundle.body
        return cls(
            pith_number=bundle.pith_number,
            short_pith_number=f"pith:{body[:8]}",
            title=bundle.title,
            canonical_sha256=bundle.canonical_sha256,
            bundle_sha256=bundle_sha256(bundle.raw),
            built_at=bundle.built_at,
            event_count=len(bundle.events),
            bundle=bundle_path(body),
            well_known_bundle=well_known_bundle_path(body),
            state=state_path(body),
            document=document_path(body),
        )


@dataclass
class MirrorReport:
    """What one build did."""

    directory: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    aliases: int = 0
    ambiguous: list[str] = field(default_factory=list)
    total: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "pithtex.mirror-build/1",
            "directory": str(self.directory),
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "aliases": self.aliases,
            "ambiguous_aliases": self.ambiguous,
            "total": self.total,
        }


@dataclass(frozen=True)
class _Candidate:
    name: str
    data: bytes
    verified: VerifiedBundle

    @property
    def bundle(self) -> Bundle:
        return self.verified.bundle


def read_index(directory: Path) -> dict[str, MirrorEntry]:
    """The entries of ``DIR/index.json`` by body; empty for a new directory."""
    path = directory / INDEX_JSON
    if not path.exists():
        return {}
    try:
        doc = loads(read_limited(path, 1 << 30))
        if not isinstance(doc, dict) or doc.get("schema") != INDEX_SCHEMA:
            raise ValueError(f"not a {INDEX_SCHEMA} document")
        entries = [MirrorEntry.from_json(item) for item in doc["numbers"]]
    except (InputError, ValueError, KeyError, TypeError) as exc:
        raise MirrorError(f"{path}: not a mirror index ({exc})") from None
    return {entry.body: entry for entry in entries}


def build_mirror(
    directory: str | Path,
    bundle_files: Sequence[str | Path],
    *,
    keyring: Keyring,
    base_url: str | None = None,
    force: bool = False,
    short_aliases: bool = True,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> MirrorReport:
    """Add ``bundle_files`` to the mirror in ``directory`` (created if needed)."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise MirrorError(f"{root}: exists and is not a directory", code="mirror.not_directory")
    existing = read_index(root)
    candidates = _verified_candidates(bundle_files, keyring)
    report = MirrorReport(root)
    chosen = _choose(candidates, existing, force, report)
    root.mkdir(parents=True, exist_ok=True)
    entries = dict(existing)
    items: Iterable[_Candidate] = chosen.values()
    if progress is not None:
        items = progress(list(items))
    for candidate in items:
        entries[candidate.bundle.body] = _write_number(root, candidate, base_url)
    entries = _write_aliases(root, entries, set(chosen), short_aliases, report)
    _write_indexes(root, entries, base_url)
    report.total = len(entries)
    return report


def _hostable(bundle: Bundle, keyring: Keyring, file: str) -> VerifiedBundle:
    refusal = "a mirror only hosts verified bundles"
    try:
        return require_verified(bundle, keyring, refusal=refusal, context=file)
    except UnverifiedBundleError as exc:
        exc.code = f"mirror.{exc.verdict}"
        raise


def _verified_candidates(files: Sequence[str | Path], keyring: Keyring) -> list[_Candidate]:
    candidates = []
    for file in files:
        data = read_limited(file)
        try:
            bundle = parse_bundle(data)
        except InputError as exc:
            raise exc.prefixed(str(file)) from None
        candidates.append(_Candidate(str(file), data, _hostable(bundle, keyring, str(file))))
    return candidates


def _choose(
    candidates: list[_Candidate],
    existing: dict[str, MirrorEntry],
    force: bool,
    report: MirrorReport,
) -> dict[str, _Candidate]:
    """The bundle to write per number: newest of the inputs, never older than the mirror's."""
    chosen: dict[str, _Candidate] = {}
    for candidate in candidates:
        body = candidate.bundle.body
        other = chosen.get(body)
        if other is not None:
            if rollback_reason(other.bundle, candidate.bundle) is None:
                chosen[body] = candidate
            continue
        chosen[body] = candidate
    for body, candidate in list(chosen.items()):
        old = existing.get(body)
        number = candidate.bundle.pith_number
        if old is None:
            report.added.append(number)
        elif old.bundle_sha256 == bundle_sha256(candidate.bundle.raw):
            report.unchanged.append(number)
        else:
            if not force:
                _refuse_rollback(old, candidate)
            report.updated.append(number)
    return chosen


def _refuse_rollback(old: MirrorEntry, candidate: _Candidate) -> None:
    new = candidate.bundle
    reason = None
    if parse_time(new.built_at) < parse_time(old.built_at):
        reason = f"built at {new.built_at}, before the mirrored {old.built_at}"
    elif len(new.events) < old.event_count:
        reason = f"{len(new.events)} events, fewer than the mirrored {old.event_count}"
    if reason is not None:
        raise MirrorError(
            f"{candidate.name}: older than the bundle of {new.pith_number} already in the "
            f"mirror: {reason} (use --force to replace it)",
            code="mirror.rollback",
        )


def _write_number(root: Path, candidate: _Candidate, base_url: str | None) -> MirrorEntry:
    for relative, data in _number_files(candidate, base_url).items():
        _write(root / relative, data)
    return MirrorEntry.for_bundle(candidate.bundle)


def _number_files(candidate: _Candidate, base_url: str | None) -> dict[str, bytes]:
    """The files of one number, by path relative to the mirror root."""
    bundle = candidate.bundle
    body = bundle.body
    document = jsonld_document(bundle, base_url)
    return {
        bundle_path(body): candidate.data,
        well_known_bundle_path(body): candidate.data,
        state_path(body): _json_bytes(candidate.verified.state),
        f"{document_path(body)}/{JSONLD_FILE}": jsonld_bytes(document),
        f"{document_path(body)}/{HTML_FILE}": record_page(bundle, document, base_url),
    }


def _write_aliases(
    root: Path,
    entries: dict[str, MirrorEntry],
    changed: set[str],
    enabled: bool,
    report: MirrorReport,
) -> dict[str, MirrorEntry]:
    """Write short-alias copies for unambiguous prefixes; remove stale ones."""
    owners: dict[str, list[str]] = {}
    for body in entries:
        for length in SHORT_LENGTHS:
            owners.setdefault(body[:length], []).append(body)
    aliases: dict[str, list[str]] = {body: [] for body in entries}
    for prefix, bodies in sorted(owners.items()):
        if len(bodies) > 1 or not enabled:
            if len(bodies) > 1:
                report.ambiguous.append(prefix)
            _remove_alias(root, prefix)
            continue
        body = bodies[0]
        aliases[body].append(prefix)
        previous = entries[body].aliases
        if body in changed or prefix not in previous:
            _copy_alias(root, body, prefix)
        report.aliases += 1
    return {
        body: MirrorEntry(**{**asdict(entry), "aliases": tuple(aliases[body])})
        for body, entry in entries.items()
    }


def _copy_alias(root: Path, body: str, alias: str) -> None:
    for prefix, names in (
        (RESOLVER_PREFIX, (BUNDLE_FILE, STATE_FILE, JSONLD_FILE, HTML_FILE)),
        (WELL_KNOWN_PREFIX, (BUNDLE_FILE,)),
    ):
        for name in names:
            source = root / prefix / body / name
            if source.exists():
                _write(root / prefix / alias / name, source.read_bytes())


def _remove_alias(root: Path, alias: str) -> None:
    for prefix in (RESOLVER_PREFIX, WELL_KNOWN_PREFIX):
        path = root / prefix / alias
        if path.is_dir():
            shutil.rmtree(path)


def _write_indexes(root: Path, entries: dict[str, MirrorEntry], base_url: str | None) -> None:
    ordered = [entries[body] for body in sorted(entries)]
    index = {
        "schema": INDEX_SCHEMA,
        "generator": f"pithtex {__version__}",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base_url": base_url,
        "count": len(ordered),
        "numbers": [entry.to_json() for entry in ordered],
    }
    _write(root / INDEX_JSON, _json_bytes(index))
    _write(root / INDEX_HTML, index_page(ordered, base_url))


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data, mode=0o644)
    except OSError as exc:
        raise MirrorError(
            f"{path}: cannot write ({exc.strerror or exc})", code="mirror.unwritable"
        ) from None


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# ---------------------------------------------------------------- HTML pages


def _href(base_url: str | None, path: str) -> str:
    return html.escape(join(base_url or "", path))


def record_page(bundle: Bundle, document: dict[str, Any], base_url: str | None) -> bytes:
    """A small self-contained HTML page for one record, with its JSON-LD embedded."""
    body = bundle.body
    title = bundle.title or bundle.pith_number
    embedded = json_for_script(document)
    authors = bundle.paper.get("authors_text")
    rows = [
        ("Pith Number", html.escape(bundle.pith_number)),
        ("Short form", html.escape(f"pith:{body[:8]}")),
        ("Canonical SHA-256", f"<code>{html.escape(bundle.canonical_sha256)}</code>"),
        ("Source", html.escape(f"{bundle.record.source_kind}:{bundle.record.source_id}")),
        ("Submitted", html.escape(bundle.record.submitted_at)),
        ("Bundle built", html.escape(bundle.built_at)),
        ("Events", str(len(bundle.events))),
    ]
    table = "\n".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    byline = f"<p>{html.escape(authors)}</p>\n" if isinstance(authors, str) and authors else ""
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} ({html.escape(f"pith:{body[:8]}")})</title>
<link rel="alternate" type="application/ld+json" href="{_href(base_url, document_path(body))}">
<script type="application/ld+json">{embedded}</script>
<style>body{{font-family:sans-serif;max-width:48em;margin:2em auto;padding:0 1em}}
th{{text-align:left;padding-right:1em;vertical-align:top}}code{{word-break:break-all}}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{byline}<table>
{table}
</table>
<p><a href="{_href(base_url, bundle_path(body))}">bundle.json</a> ·
<a href="{_href(base_url, state_path(body))}">state.json</a> ·
<a href="{_href(base_url, well_known_bundle_path(body))}">well-known bundle</a></p>
<p>Verify it yourself: <code>pithtex fetch {html.escape(bundle.pith_number)}</code></p>
</body>
</html>
"""
    return page.encode("utf-8")


def index_page(entries: Sequence[MirrorEntry], base_url: str | None) -> bytes:
    """The mirror's front page: every number with its title and links."""
    items = "\n".join(
        f'<li><a href="{_href(base_url, e.document)}">{html.escape(e.pith_number)}</a> '
        f"{html.escape(e.title or '')} "
        f'(<a href="{_href(base_url, e.bundle)}">bundle</a>)</li>'
        for e in entries
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Pith mirror ({counted(len(entries), "record")})</title>
</head>
<body>
<h1>Pith mirror</h1>
<p>{counted(len(entries), "record")}. Machine-readable list:
<a href="{_href(base_url, INDEX_JSON)}">index.json</a>.</p>
<ul>
{items}
</ul>
</body>
</html>
"""
    return page.encode("utf-8")
