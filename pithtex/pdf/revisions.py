"""Edits after the fact: incremental updates that change what page 1 shows.

A PDF can be changed after it was stamped (or made) by appending an
incremental update, leaving every earlier byte in place.  The revision that
counts is the one that carries the pith metadata: for a stamped PDF the
stamp's (the first revision whose XMP or Info carries pith properties), for
an unstamped one the producer's (the original).  Reading
(:func:`read_edit_facts`, in the bounded reader) compares that revision's
page 1 with the final one (:mod:`pithtex.pdf._access.history`); deciding
(:func:`check_edits`, ``check.edit``) fails ``check.edit.page1_changed`` when a
later update changed page 1's content or resources, or an annotation over the
title (the lines the title finder found, or the top of the page when it found
none) or the badge.  Updates that change only metadata,
outlines, annotations elsewhere or other pages pass; so does a full rewrite
such as arXiv's watermark, which leaves one revision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pithtex.core.results import CheckResult, fail, ok, skip
from pithtex.pdf._access.history import PageState, page1_history
from pithtex.pdf._access.values import Rect

if TYPE_CHECKING:
    from pithtex.pdf._access.document import Document
    from pithtex.pdf.evidence import PdfEvidence

__all__ = ["TITLE_BAND", "EditFacts", "check_edits", "read_edit_facts"]

TITLE_BAND = 0.45
"""Fraction of page 1's height, from the top, whose annotations count as over the title."""


@dataclass(frozen=True, slots=True)
class EditFacts:
    """What the incremental updates after the pith-carrying revision changed on page 1."""

    revisions: int
    """Revisions the file holds (1: never updated incrementally)."""
    base: int
    """The pith-carrying revision, from 1 (the original)."""
    base_is_stamp: bool
    """Whether the base is the revision that added the pith metadata to another's."""
    changed: tuple[str, ...]
    """What later updates changed on page 1, in words; empty when nothing."""


def read_edit_facts(
    document: Document, protected: Iterable[Rect], title: Sequence[Rect] = ()
) -> EditFacts:
    """Compare page 1 of the pith-carrying revision with the final one.

    ``protected`` are the regions (user space) of the badge; ``title`` the boxes (user
    space) of the title lines the title finder found, or when it found none, the top
    :data:`TITLE_BAND` of the crop box stands for the title.
    """
    history = page1_history(document.path, document.limits)
    if len(history) < 2:
        return EditFacts(max(1, len(history)), 1, False, ())
    base_index = next((i for i, state in enumerate(history) if state.pith), 0)
    if title:
        regions = (*title, *protected)
    else:
        crop = document.page1_geometry().crop_box
        band = (crop[0], crop[3] - (crop[3] - crop[1]) * TITLE_BAND, crop[2], crop[3])
        regions = (band, *protected)
    changed = _changes(history[base_index], history[-1], regions)
    return EditFacts(len(history), base_index + 1, base_index > 0, tuple(changed))


def _changes(base: PageState, final: PageState, regions: tuple[Rect, ...]) -> list[str]:
    changed = []
    if base.drawing != final.drawing:
        changed.append("page 1's content or resources (what it draws)")
    before = _over(base.annotations, regions)
    after = _over(final.annotations, regions)
    if before != after:
        changed.append(
            f"the annotations over the title or badge ({len(before)} before, {len(after)} after)"
        )
    return changed


def _over(annotations: tuple[tuple[str, Rect | None], ...], regions: tuple[Rect, ...]) -> list[str]:
    """Digests of the annotations over any of ``regions`` (or without a usable /Rect)."""
    return sorted(
        digest
        for digest, rect in annotations
        if rect is None or any(_overlap(rect, region) for region in regions)
    )


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_edits(ev: PdfEvidence) -> CheckResult:
    """``check.edit``: no update after the pith-carrying revision changed page 1."""
    facts = ev.edits
    if facts is None:
        return skip("check.edit", "unread", "not checked: the PDF's revisions could not be read")
    if facts.revisions == 1:
        return ok("check.edit", "one revision: no incremental update after it was made")
    base = f"revision {facts.base} ({'the stamp' if facts.base_is_stamp else 'the producer'}'s)"
    if facts.changed:
        return fail(
            "check.edit",
            "page1_changed",
            f"an incremental update after {base} changed {'; '.join(facts.changed)}",
            "page 1",
        )
    later = facts.revisions - facts.base
    if later == 0:
        return ok("check.edit", f"{facts.revisions} revisions; the last, {base}, is the pith one")
    return ok(
        "check.edit",
        f"{facts.revisions} revisions; the {later} after {base} leave page 1 as it was",
    )
