"""The record as a reader sees it: what the registry page shows, from a verified bundle.

:func:`record_card` turns a :class:`~pithtex.trust.verify.VerifiedBundle` into a
:class:`RecordCard`: the paper's title, authors, source and version,
submission date, categories, DOI and other aliases, license; who signed the
record and when; and the record's status, item by item, from the merged
state: author attestations, timestamp anchors, storage attestations,
citations, replications and corrections (a correction or retraction comes
first, because a reader must see it beside the verdict).

Everything comes from the state *recomputed* from the signed events, never from
the bundle's raw event list: an unsigned or invalid event cannot put a title,
an author or a status item on the card.  The title is shown as the record's
only when it hashes to the signed ``title_canon_sha256``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pithtex.core.digests import text_canon_sha256
from pithtex.core.model import snapshot_paper
from pithtex.trust.verify import BundleVerification, VerifiedBundle

__all__ = ["STATUS_LISTS", "RecordCard", "StatusItem", "card_of_verification", "record_card"]

STATUS_LISTS: dict[str, str] = {
    "corrections": "correction",
    "author_attestations": "author attestation",
    "timestamp_anchors": "timestamp anchor",
    "storage_attestations": "storage attestation",
    "citation_signatures": "citation",
    "replication_records": "replication",
}
"""The state's lists that make up the record's status, with a reader's name for each."""

_SUMMARY_KEYS = (
    "summary",
    "title",
    "reason",
    "correction_type",
    "kind",
    "type",
    "status",
    "note",
    "description",
    "claim",
    "chain",
    "service",
    "doi",
    "url",
    "uri",
)
"""Payload fields whose text describes an item, in the order they are tried."""
_SUMMARY_MAX = 200
_RETRACTION_WORDS = ("retract", "withdraw")
_TYPE_KEYS = ("correction_type", "type", "kind", "status", "action")


@dataclass(frozen=True, slots=True)
class StatusItem:
    """One signed event of the record's status."""

    kind: str
    """Reader's name of the list it is in (``correction``, ``timestamp anchor``, ...)."""
    event_id: str
    created_at: str
    signer_id: str
    key_id: str
    summary: str
    """What the event says, in a few words (from its payload; may be empty)."""
    retraction: bool = False
    """A correction whose type says the paper is retracted or withdrawn."""

    def to_json(self) -> dict[str, str | bool]:
        return {
            "kind": self.kind,
            "event_id": self.event_id,
            "created_at": self.created_at,
            "signer_id": self.signer_id,
            "key_id": self.key_id,
            "summary": self.summary,
            "retraction": self.retraction,
        }


@dataclass(frozen=True, slots=True)
class RecordCard:
    """The record of one Pith Number, as the registry page presents it."""

    number: str
    short_number: str
    title: str | None
    """The title text, only when it hashes to the signed record's title hash."""
    title_canon_sha256: str
    authors: str | None
    source_kind: str
    source_id: str
    source_version: int | None
    submitted_at: str
    primary_category: str | None
    categories: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]
    """``(kind, value)`` pairs: ``arxiv``, ``arxiv_version``, ``doi``, ``pith_short_8``, ..."""
    license: str | None
    abstract_excerpt: str | None
    signer_key_id: str
    signer_id: str
    first_computed_at: str | None
    built_at: str
    status: tuple[StatusItem, ...]
    """Corrections first, then the other lists of :data:`STATUS_LISTS`, each oldest first."""

    @property
    def doi(self) -> str | None:
        return next((value for kind, value in self.aliases if kind == "doi"), None)

    @property
    def source_label(self) -> str:
        version = f" v{self.source_version}" if self.source_version is not None else ""
        return f"{self.source_kind}:{self.source_id}{version}"

    @property
    def corrections(self) -> tuple[StatusItem, ...]:
        return tuple(item for item in self.status if item.kind == "correction")

    @property
    def retracted(self) -> bool:
        return any(item.retraction for item in self.status)

    @property
    def notice(self) -> str | None:
        """``retracted`` or ``corrected`` when a signed correction says so, else ``None``:
        what a reader must see beside the verdict."""
        if self.retracted:
            return "retracted"
        return "corrected" if self.corrections else None

    def count(self, kind: str) -> int:
        return sum(1 for item in self.status if item.kind == kind)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "short_number": self.short_number,
            "title": self.title,
            "title_canon_sha256": self.title_canon_sha256,
            "authors": self.authors,
            "source": {
                "kind": self.source_kind,
                "id": self.source_id,
                "version": self.source_version,
            },
            "submitted_at": self.submitted_at,
            "primary_category": self.primary_category,
            "categories": list(self.categories),
            "aliases": [{"kind": kind, "value": value} for kind, value in self.aliases],
            "doi": self.doi,
            "license": self.license,
            "signed_by": {"key_id": self.signer_key_id, "signer_id": self.signer_id},
            "first_computed_at": self.first_computed_at,
            "built_at": self.built_at,
            "retracted": self.retracted,
            "status": {
                name: [i.to_json() for i in self.status if i.kind == kind]
                for name, kind in STATUS_LISTS.items()
            },
        }


def record_card(verified: VerifiedBundle) -> RecordCard:
    """The card of a verified bundle, from its recomputed state."""
    return _card(verified.verification)


def card_of_verification(verification: BundleVerification) -> RecordCard | None:
    """The card of a bundle :func:`~pithtex.trust.verify.verify_bundle` verified, without
    verifying it again; ``None`` when it did not verify (untrusted or invalid): nothing an
    unverified bundle says is shown as the record."""
    return _card(verification) if verification.verified else None


def _card(verification: BundleVerification) -> RecordCard:
    bundle = verification.bundle
    record = bundle.record
    current = _mapping(verification.state.get("current"))
    paper = _latest_paper(current)
    title = _text(paper.get("title"))
    if title is not None and text_canon_sha256(title) != record.title_canon_sha256:
        title = None
    metadata = _mapping(record.raw.get("metadata"))
    primary = _text(metadata.get("primary_cat"))
    cross = [c for c in _list(metadata.get("cross_cats_sorted")) if isinstance(c, str)]
    return RecordCard(
        number=verification.number.full,
        short_number=verification.number.short_form,
        title=title,
        title_canon_sha256=record.title_canon_sha256,
        authors=_text(paper.get("authors_text")),
        source_kind=record.source_kind,
        source_id=record.source_id,
        source_version=record.source_version,
        submitted_at=record.submitted_at,
        primary_category=primary,
        categories=tuple(dict.fromkeys([*([primary] if primary else []), *cross])),
        aliases=_aliases(current),
        license=_text(metadata.get("license")),
        abstract_excerpt=_text(paper.get("abstract_excerpt")),
        signer_key_id=bundle.signature.key_id,
        signer_id=_signer_id(current),
        first_computed_at=_first_computed(current),
        built_at=bundle.built_at,
        status=_status(current),
    )


def _latest_paper(current: dict[str, Any]) -> dict[str, Any]:
    snapshots = [_mapping(s) for s in _list(current.get("graph_snapshots"))]
    for entry in sorted(snapshots, key=lambda s: str(s.get("created_at", "")), reverse=True):
        paper = snapshot_paper(entry.get("payload"))
        if paper:
            return paper
    return {}


def _aliases(current: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for entry in map(_mapping, _list(current.get("source_aliases"))):
        kind, value = _text(entry.get("alias_kind")), _text(entry.get("alias_value"))
        if kind and value:
            pairs.append((kind, value))
    return tuple(pairs)


def _signer_id(current: dict[str, Any]) -> str:
    created = _mapping(current.get("record_created"))
    return _text(_mapping(created.get("signer")).get("signer_id")) or ""


def _first_computed(current: dict[str, Any]) -> str | None:
    created = _mapping(current.get("record_created"))
    receipt = _mapping(_mapping(created.get("payload")).get("receipt"))
    return _text(receipt.get("first_computed_at")) or _text(created.get("created_at"))


def _status(current: dict[str, Any]) -> tuple[StatusItem, ...]:
    items: list[StatusItem] = []
    for name, kind in STATUS_LISTS.items():
        entries = sorted(map(_mapping, _list(current.get(name))), key=_created)
        items.extend(_item(kind, entry) for entry in entries)
    return tuple(items)


def _created(entry: dict[str, Any]) -> str:
    return str(entry.get("created_at", ""))


def _item(kind: str, entry: dict[str, Any]) -> StatusItem:
    signer = _mapping(entry.get("signer"))
    payload = _mapping(entry.get("payload"))
    return StatusItem(
        kind=kind,
        event_id=_text(entry.get("event_id")) or "",
        created_at=_created(entry),
        signer_id=_text(signer.get("signer_id")) or "",
        key_id=_text(signer.get("key_id")) or "",
        summary=_summary(payload),
        retraction=kind == "correction" and _says_retracted(payload),
    )


def _says_retracted(payload: dict[str, Any]) -> bool:
    types = (str(payload.get(key, "")).lower() for key in _TYPE_KEYS)
    return any(word in text for text in types for word in _RETRACTION_WORDS)


def _summary(payload: dict[str, Any]) -> str:
    """A few words from the payload: its first descriptive text field, clipped."""
    for key in _SUMMARY_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 1] + "…"
    return ""


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
