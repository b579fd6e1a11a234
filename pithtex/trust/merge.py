"""The deterministic merge: signed events in, the merged state out.

Specified in ``docs/merge.md`` (``pith-open-graph-merge-v1``).  In short:

1. Each event is validated (content hash, event id, subject, signature by a
   known key valid at the event's time; a ``record_created`` must carry this
   record).  Failures go to ``invalid_events`` with their status code.
2. Conflicts from one signer are equivocations: a second ``record_created``,
   or two events naming the same ``prev_event``.  The first by
   ``(created_at, event_id)`` is kept; the others are listed, not applied.
3. Valid events are applied in a topological order of ``prev_event`` and
   ``supersedes`` links, ties broken by (``record_created`` first, time,
   event id), so the result does not depend on the order events arrive in.
4. ``current`` collects the applied events by type; an event listed in a later
   event's ``supersedes`` by the same signer leaves ``current``.

The result carries the per-event validations so that a verifier reports them
without checking any signature twice.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pithtex.core.digests import (
    derive_source_aliases,
    event_content_sha256,
    event_id_for,
    record_sha256,
    state_sha256,
)
from pithtex.core.model import STATE_TYPE, Event, PublicKey, parse_time
from pithtex.core.numbers import PithNumber
from pithtex.core.results import CheckResult, fail, ok
from pithtex.trust.keyring import SignatureClaim, signature_checks

__all__ = [
    "CURRENT_LISTS",
    "MERGE_VERSION",
    "RECORD_CREATED",
    "STATE_VERSION",
    "EventValidation",
    "KeyLookup",
    "MergeResult",
    "build_state",
    "merge",
    "validate_event",
]

MERGE_VERSION = "pith-open-graph-merge-v1"
STATE_VERSION = "1.0"
RECORD_CREATED = "record_created"

CURRENT_LISTS: dict[str, str] = {
    "graph_snapshot": "graph_snapshots",
    "author_attestation": "author_attestations",
    "timestamp_anchor": "timestamp_anchors",
    "storage_attestation": "storage_attestations",
    "citation_signature": "citation_signatures",
    "replication_record": "replication_records",
    "correction": "corrections",
    "mirror_hint": "mirror_hints",
}
"""Event type -> list in ``current`` that collects it."""

KeyLookup = Callable[[str], PublicKey | None]


@dataclass(frozen=True, slots=True)
class EventValidation:
    """The checks of one event, in the order they ran."""

    index: int
    event: Event
    checks: tuple[CheckResult, ...]

    @property
    def valid(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def reason(self) -> str | None:
        return next((c.code for c in self.checks if c.failed), None)


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The merged state, every event's validation, and the applied events in order."""

    state: dict[str, Any]
    validations: list[EventValidation]
    applied: list[Event]


def validate_event(
    event: Event, index: int, number: PithNumber, record_hash: str, lookup: KeyLookup
) -> EventValidation:
    """Every check the merge requires of one event about the record ``record_hash``."""
    subject = f"events[{index}]"
    actual = event_content_sha256(event.raw)
    checks = [
        _check_hash(event, actual, subject),
        _check_subject(event, number, record_hash, subject),
    ]
    checks.extend(_check_signature(event, actual, lookup, subject))
    return EventValidation(index, event, tuple(checks))


def _check_hash(event: Event, actual: str, subject: str) -> CheckResult:
    if actual != event.content_sha256:
        return fail(
            "event.hash",
            "mismatch",
            f"content hashes to {actual}, event says {event.content_sha256}",
            subject,
        )
    if event.event_id != event_id_for(actual):
        return fail(
            "event.hash",
            "id_mismatch",
            f"event_id {event.event_id!r} is not sha256:<content_sha256>",
            subject,
        )
    return ok("event.hash", f"{event.event_type} content hash and id match", subject)


def _check_subject(event: Event, number: PithNumber, record_hash: str, subject: str) -> CheckResult:
    if event.subject != number.full:
        return fail(
            "event.subject",
            "mismatch",
            f"event is about {event.subject}, not {number.full}",
            subject,
        )
    if event.event_type == RECORD_CREATED:
        payload_record = event.payload.get("canonical_record")
        declared = event.payload.get("canonical_sha256")
        if (
            declared != record_hash
            or not isinstance(payload_record, dict)
            or record_sha256(payload_record) != record_hash
        ):
            return fail(
                "event.subject",
                "record_mismatch",
                "record_created carries a different canonical record",
                subject,
            )
    return ok("event.subject", f"event names {number.short_form}", subject)


def _check_signature(
    event: Event, content_sha256: str, lookup: KeyLookup, subject: str
) -> list[CheckResult]:
    sig = event.signature
    if sig.fingerprint != event.signer.fingerprint or sig.key_id != event.signer.key_id:
        return [
            fail(
                "event.signature",
                "signer_mismatch",
                "signature block and signer name different keys",
                subject,
            )
        ]
    claim = SignatureClaim(sig.fingerprint, sig.key_id, sig.value, event.created_at)
    return signature_checks(
        "event.signature", lookup(sig.fingerprint), claim, bytes.fromhex(content_sha256), subject
    )


def _order_key(event: Event) -> tuple[int, Any, str]:
    return (
        0 if event.event_type == RECORD_CREATED else 1,
        parse_time(event.created_at),
        event.event_id,
    )


def _entry(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "target": event.target,
        "created_at": event.created_at,
        "signer": event.raw["signer"],
        "payload": event.payload,
    }


def _equivocations(events: list[Event]) -> tuple[list[dict[str, Any]], set[str]]:
    """Conflicting events from one signer; returns the report and the ids not to apply."""
    groups: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
    for event in events:
        if event.event_type == RECORD_CREATED:
            groups[("record_created", event.signer.fingerprint, "")].append(event)
        elif event.prev_event is not None:
            groups[("prev_event", event.signer.fingerprint, event.prev_event)].append(event)
    report: list[dict[str, Any]] = []
    losers: set[str] = set()
    for (kind, signer, prev), members in sorted(groups.items()):
        if len(members) < 2:
            continue
        members.sort(key=_order_key)
        losers.update(e.event_id for e in members[1:])
        entry: dict[str, Any] = {
            "kind": "duplicate_record_created" if kind == "record_created" else "forked_prev_event",
            "signer_fingerprint": signer,
            "event_ids": sorted(e.event_id for e in members),
            "kept_event_id": members[0].event_id,
        }
        if prev:
            entry["prev_event"] = prev
        report.append(entry)
    return report, losers


def _apply_order(events: list[Event]) -> tuple[list[Event], list[Event]]:
    """Topological order over prev_event/supersedes; returns (ordered, unplaceable)."""
    by_id = {e.event_id: e for e in events}
    waiting: dict[str, int] = {}
    children: dict[str, list[str]] = defaultdict(list)
    missing_prev = []
    for event in events:
        deps = {d for d in event.supersedes if d in by_id}
        if event.prev_event is not None:
            if event.prev_event not in by_id:
                missing_prev.append(event)
                continue
            deps.add(event.prev_event)
        waiting[event.event_id] = len(deps)
        for dep in deps:
            children[dep].append(event.event_id)
    heap = [(_order_key(by_id[i]), i) for i, n in waiting.items() if n == 0]
    heapq.heapify(heap)
    ordered: list[Event] = []
    while heap:
        _, event_id = heapq.heappop(heap)
        ordered.append(by_id[event_id])
        for child in children[event_id]:
            if child in waiting:
                waiting[child] -= 1
                if waiting[child] == 0:
                    heapq.heappush(heap, (_order_key(by_id[child]), child))
    placed = {e.event_id for e in ordered}
    stuck = [e for e in events if e.event_id not in placed]
    return ordered, stuck


def merge(
    number: PithNumber, record_hash: str, events: Sequence[Event], lookup: KeyLookup
) -> MergeResult:
    """Merge ``events`` about the record hashing to ``record_hash`` into a state.

    ``number`` is the record's Pith Number, ``lookup`` finds a signing key by
    fingerprint (``None`` for an unknown signer).
    """
    validations = [
        validate_event(event, index, number, record_hash, lookup)
        for index, event in enumerate(events)
    ]
    valid, invalid = _partition(validations)
    equivocations, losers = _equivocations(valid)
    ordered, stuck = _apply_order([e for e in valid if e.event_id not in losers])
    event_count = len(valid) + len(invalid)
    invalid.extend({"event_id": e.event_id, "reason": "event.prev_event.missing"} for e in stuck)
    invalid.sort(key=lambda item: (item["event_id"], item["reason"]))
    state = build_state(number, ordered, invalid, equivocations, event_count=event_count)
    return MergeResult(state, validations, ordered)


def _partition(validations: list[EventValidation]) -> tuple[list[Event], list[dict[str, str]]]:
    """Distinct valid events, and one ``invalid_events`` entry per distinct rejection."""
    valid: dict[str, Event] = {}
    invalid: dict[tuple[str, str], dict[str, str]] = {}
    for validation in validations:
        event = validation.event
        reason = validation.reason
        if (
            reason is None
            and event.event_type not in CURRENT_LISTS
            and event.event_type != RECORD_CREATED
        ):
            reason = "event.type.unknown"
        if reason is None:
            valid.setdefault(event.event_id, event)
        else:
            invalid.setdefault(
                (event.event_id, reason), {"event_id": event.event_id, "reason": reason}
            )
    return list(valid.values()), list(invalid.values())


def _current(number: PithNumber, applied: list[Event]) -> dict[str, Any]:
    superseded = set()
    for event in applied:
        for target in event.supersedes:
            superseded.add((target, event.signer.fingerprint))
    current: dict[str, Any] = {name: [] for name in CURRENT_LISTS.values()}
    current.update(canonical_record=None, record_created=None, source_aliases=[])
    for event in applied:
        if (event.event_id, event.signer.fingerprint) in superseded:
            continue
        if event.event_type == RECORD_CREATED:
            current["record_created"] = _entry(event)
            current["canonical_record"] = event.payload["canonical_record"]
            current["source_aliases"] = derive_source_aliases(
                event.payload["canonical_record"], number, event.created_at
            )
        else:
            current[CURRENT_LISTS[event.event_type]].append(_entry(event))
    return current


def build_state(
    number: PithNumber,
    applied: list[Event],
    invalid: list[dict[str, str]],
    equivocations: list[dict[str, Any]],
    *,
    event_count: int,
) -> dict[str, Any]:
    """The state document for an ordered list of applied events."""
    state: dict[str, Any] = {
        "state_type": STATE_TYPE,
        "state_version": STATE_VERSION,
        "pith_number": number.full,
        "merge_version": MERGE_VERSION,
        "event_count": event_count,
        "valid_event_count": event_count - len(invalid),
        "invalid_event_count": len(invalid),
        "equivocation_count": len(equivocations),
        "current": _current(number, applied),
        "equivocations": equivocations,
        "invalid_events": invalid,
        "applied_event_ids": [e.event_id for e in applied],
    }
    state["state_sha256"] = state_sha256(state)
    return state
