"""Records and hashing: every digest the Pith formats define.

* the canonical record hash (``canonical_sha256``) and the number derived from it,
* the title and abstract hashes (``title_canon_sha256``),
* an event's ``content_sha256`` / ``event_id``,
* a bundle's ``bundle_sha256`` and a state's ``state_sha256``,
* the ``source_aliases`` derived from a record.

All functions work on parsed JSON (``dict``) so that unknown fields are hashed
exactly as they came.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from pithtex.core.canonical import sha256_digest, without
from pithtex.core.numbers import SHORT_LENGTHS, PithNumber

__all__ = [
    "EVENT_ID_PREFIX",
    "EVENT_UNSIGNED_FIELDS",
    "bundle_sha256",
    "canon_text",
    "derive_source_aliases",
    "event_content_sha256",
    "event_id_for",
    "is_placeholder_title",
    "record_number",
    "record_sha256",
    "record_year",
    "state_sha256",
    "text_canon_sha256",
]

EVENT_UNSIGNED_FIELDS = ("signature", "content_sha256", "event_id")
EVENT_ID_PREFIX = "sha256:"

_WHITESPACE = re.compile(r"\s+")


def canon_text(text: str) -> str:
    """NFKC, case folding, white-space runs collapsed to one space, ends stripped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WHITESPACE.sub(" ", folded).strip()


def text_canon_sha256(text: str) -> str:
    """``title_canon_sha256`` / ``abstract_canon_sha256`` of a text."""
    return hashlib.sha256(canon_text(text).encode("utf-8")).hexdigest()


_PLACEHOLDER_SUFFIXES = (".doc", ".docx", ".odt", ".rtf", ".tex", ".pdf", ".txt", ".md")


def is_placeholder_title(title: str | None) -> bool:
    """Titles producers write when the author gave none: treated as no title at all."""
    text = (title or "").strip().casefold()
    return (
        not text
        or text in ("untitled", "untitled document", "title", "no title")
        or text.startswith("microsoft word - ")
        or text.endswith(_PLACEHOLDER_SUFFIXES)
    )


def record_sha256(record: dict[str, Any]) -> str:
    """``canonical_sha256`` of a canonical record."""
    return sha256_digest(record).hex()


def record_year(record: dict[str, Any]) -> int | None:
    """The submission year of a record (``metadata.submitted_at``), if well formed."""
    metadata = record.get("metadata")
    submitted = metadata.get("submitted_at") if isinstance(metadata, dict) else None
    if isinstance(submitted, str) and len(submitted) >= 4 and submitted[:4].isdigit():
        return int(submitted[:4])
    return None


def record_number(record: dict[str, Any]) -> PithNumber:
    """The Pith Number a canonical record derives to."""
    return PithNumber.from_digest(sha256_digest(record), record_year(record))


def event_content_sha256(event: dict[str, Any]) -> str:
    """``content_sha256`` of an event: the canonical event without its unsigned fields."""
    return sha256_digest(without(event, *EVENT_UNSIGNED_FIELDS)).hex()


def event_id_for(content_sha256: str) -> str:
    return EVENT_ID_PREFIX + content_sha256


def bundle_sha256(bundle: dict[str, Any]) -> str:
    """``bundle_sha256``: the canonical bundle without ``bundle_signature``."""
    return sha256_digest(without(bundle, "bundle_signature")).hex()


def state_sha256(state: dict[str, Any]) -> str:
    """``state_sha256``: the canonical state without ``state_sha256``."""
    return sha256_digest(without(state, "state_sha256")).hex()


def derive_source_aliases(
    record: dict[str, Any], number: PithNumber, created_at: str
) -> list[dict[str, str]]:
    """The ``source_aliases`` the merge derives from a record, sorted by kind then value.

    arXiv sources give ``arxiv`` (the id), ``arxiv_version`` (``<id>v<version>``)
    and ``doi`` (``10.48550/arxiv.<id>``); a ``doi`` source gives ``doi``; every
    record gives ``pith_short_8``, ``_12`` and ``_16``.
    """
    source = record.get("source")
    source = source if isinstance(source, dict) else {}
    kind, ident, version = source.get("kind"), source.get("id"), source.get("version")
    pairs: list[tuple[str, str]] = []
    if kind == "arxiv" and isinstance(ident, str):
        pairs.append(("arxiv", ident))
        if isinstance(version, int) and not isinstance(version, bool):
            pairs.append(("arxiv_version", f"{ident}v{version}"))
        pairs.append(("doi", f"10.48550/arxiv.{ident}"))
    elif kind == "doi" and isinstance(ident, str):
        pairs.append(("doi", ident.lower()))
    pairs.extend((f"pith_short_{n}", number.short(n)) for n in SHORT_LENGTHS)
    pairs.sort()
    return [
        {"alias_kind": kind_, "alias_value": value, "created_at": created_at}
        for kind_, value in pairs
    ]
