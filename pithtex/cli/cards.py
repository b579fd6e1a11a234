"""Printing a record card as text: the record as the registry page shows it.

Used by ``pithtex bundle show`` and ``pithtex check``.  A correction or a
retraction is printed first, so that it is read before anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pithtex.cli.common import Style

if TYPE_CHECKING:
    from pithtex.trust.record import RecordCard

__all__ = ["correction_lines", "format_card"]

_LABEL_WIDTH = 12
_STATUS_ORDER = (
    ("author attestation", "author attestations", "not attested"),
    ("timestamp anchor", "timestamp anchors", "not anchored"),
    ("storage attestation", "storage attestations", "not stored"),
    ("citation", "citations", "no signed citations"),
    ("replication", "replications", "no replications"),
)


def format_card(card: RecordCard, style: Style, *, corrections: bool = True) -> list[str]:
    """The card as lines of text (no trailing newlines); ``corrections=False`` leaves out
    the correction lines (printed elsewhere: at the top of ``check``'s report)."""
    lines = [style.red(line) for line in correction_lines(card)] if corrections else []
    title = card.title if card.title is not None else "(title not in the bundle)"
    lines.append(_row("title", style.bold(title)))
    if card.authors:
        lines.append(_row("authors", card.authors))
    lines.append(_row("source", f"{card.source_label} · submitted {card.submitted_at[:10]}"))
    if card.categories:
        lines.append(_row("categories", " · ".join(card.categories)))
    if card.doi:
        lines.append(_row("doi", card.doi))
    others = [f"{k}: {v}" for k, v in card.aliases if k != "doi"]
    if others:
        lines.append(_row("aliases", " · ".join(others)))
    if card.license:
        lines.append(_row("license", card.license))
    signed = f"{card.signer_id or 'unknown signer'} ({card.signer_key_id})"
    when = card.first_computed_at or card.built_at
    lines.append(_row("signed by", f"{signed}, first computed {when}"))
    lines.append(_row("status", " · ".join(_status_words(card))))
    for item in card.status:
        if item.kind != "correction":
            summary = f": {item.summary}" if item.summary else ""
            lines.append(_row("", f"{item.kind} {item.created_at} by {item.signer_id}{summary}"))
    return lines


def correction_lines(card: RecordCard) -> list[str]:
    """One line per signed correction: ``RETRACTED`` or ``CORRECTED``, when, by whom, what."""
    lines = []
    for item in card.corrections:
        word = "RETRACTED" if item.retraction else "CORRECTED"
        summary = f": {item.summary}" if item.summary else ""
        lines.append(f"{word} {item.created_at} by {item.signer_id}{summary}")
    return lines


def _status_words(card: RecordCard) -> list[str]:
    words = []
    for kind, plural, none in _STATUS_ORDER:
        count = card.count(kind)
        words.append(none if count == 0 else f"{count} {kind if count == 1 else plural}")
    return words


def _row(label: str, text: str) -> str:
    return f"{label:<{_LABEL_WIDTH}}{text}"
