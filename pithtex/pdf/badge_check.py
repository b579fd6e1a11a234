"""The badge is what it claims: its text really shown, its links to our resolvers.

Reading (in the bounded reader, :func:`read_badge_facts`) gathers plain facts
about page 1: each occurrence of the badge text ``pith:…`` glyph by glyph
(:mod:`pithtex.pdf._access.visibility`) and every link annotation
(:meth:`~pithtex.pdf._access.document.Document.page1_link_annotations`).  Deciding
happens in the checker's process, on those facts:

* :func:`check_badge` (``check.badge``): every glyph of the badge text is
  filled (not text render mode 3 or 7), inside the crop box, leaves ink that
  stands out from what lies beneath it on a rendering of its region (so it is
  not clipped away, not the colour of its background, not drawn over outlines
  that already supply that ink), no glyph is squashed narrower than
  :data:`~pithtex.pdf._access.glyphs.MIN_ASPECT` of its height's scale, the text is at
  least :data:`MIN_HEIGHT` tall, and nothing is drawn after it over it.
  Fails ``check.badge.hidden`` or ``check.badge.covered``.
* :func:`check_links` (``check.link``): every link annotation over the badge,
  and every link whose address has a ``/pith/`` path, opens a configured
  resolver's ``/pith/`` page of the claimed number.  Fails
  ``check.link.untrusted`` (another host, or no web address) or
  ``check.link.mismatch`` (another or a malformed number).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pithtex.core.errors import NumberFormatError
from pithtex.core.names import BADGE_XOBJECT, RESOLVER_PATH
from pithtex.core.numbers import PithRef, parse_number
from pithtex.core.results import CheckResult, fail, ok, skip
from pithtex.core.wording import counted
from pithtex.pdf._access.document import LinkAnnotation
from pithtex.pdf._access.glyphs import MIN_ASPECT, MIN_INK_CONTRAST
from pithtex.pdf._access.values import Rect
from pithtex.pdf._access.visibility import Glyph, GlyphFacts, Occurrence, glyph_facts

if TYPE_CHECKING:
    from pithtex.pdf._access.document import Document
    from pithtex.pdf.evidence import PdfEvidence

__all__ = [
    "INVISIBLE_MODES",
    "MAX_OCCURRENCES",
    "MIN_HEIGHT",
    "MIN_INK",
    "BadgeFacts",
    "check_badge",
    "check_links",
    "read_badge_facts",
]

MAX_OCCURRENCES = 4
"""Occurrences of each badge token looked at."""
MIN_INK = MIN_INK_CONTRAST
"""The least change in grey (of 255) a glyph of the badge must make where it is drawn
(the title block's threshold too)."""
MIN_HEIGHT = 3.0
"""The least height (points) of the badge text's box: smaller type cannot be read."""
INVISIBLE_MODES = frozenset({3, 7})
"""Text render modes that draw nothing (3: neither fill nor stroke; 7: clip only)."""


@dataclass(frozen=True, slots=True)
class BadgeFacts:
    """What page 1 shows of the badge, and its links."""

    occurrences: tuple[Occurrence, ...]
    links: tuple[LinkAnnotation, ...]
    renders: int = 0
    """How many region renderings deciding the badge's ink took (2: decided at the first
    stage, as a plainly drawn badge is)."""

    @property
    def boxes(self) -> tuple[Rect, ...]:
        """The boxes of the badge text on page 1 (user space)."""
        return tuple(box for o in self.occurrences if (box := o.box) is not None)

    @property
    def regions(self) -> tuple[Rect, ...]:
        """The badge text's boxes and the boxes of links to ``/pith/`` pages."""
        links = tuple(
            link.rect
            for link in self.links
            if link.rect is not None and link.uri is not None and RESOLVER_PATH in link.uri
        )
        return self.boxes + links


def read_badge_facts(document: Document, tokens: list[str]) -> BadgeFacts:
    """The facts of the badge text ``tokens`` (as :func:`badge_tokens` found them) and of
    every link annotation on page 1."""
    found = GlyphFacts((), 0)
    if tokens:
        found = glyph_facts(
            document.page1_view(images=True),  # the title's view: an image may cover the badge
            tokens,
            max_each=MAX_OCCURRENCES,
            max_objects=document.limits.max_drawn_objects,
        )
    links = tuple(document.page1_link_annotations())
    return BadgeFacts(found.occurrences, links, found.renders)


# ------------------------------------------------------------------ the badge text


def check_badge(ev: PdfEvidence) -> CheckResult:
    """``check.badge``: the badge text is real, visible text with nothing drawn over it."""
    facts = ev.badge
    if facts is None:
        return skip("check.badge", "unread", "not checked: the badge on page 1 could not be read")
    if not facts.occurrences:
        if any(c.channel == "badge" for c in ev.numbers):
            return fail(
                "check.badge",
                "hidden",
                f"page 1 has a {BADGE_XOBJECT} form, but shows no pith: text",
                "page 1",
            )
        return skip("check.badge", "absent", "not checked: page 1 shows no pith: badge text")
    for occurrence in facts.occurrences:
        box = occurrence.box
        size = min(box[2] - box[0], box[3] - box[1]) if box is not None else MIN_HEIGHT
        if box is not None and size < MIN_HEIGHT:
            return fail(
                "check.badge",
                "hidden",
                f"{occurrence.text} at {_where(box)} is {size:.1f} pt tall: too small to read "
                f"(at least {MIN_HEIGHT} pt)",
                "page 1",
            )
        for glyph in occurrence.glyphs:
            finding = _glyph_finding(occurrence.text, glyph)
            if finding is not None:
                return finding
    shown = ", ".join(dict.fromkeys(o.text for o in facts.occurrences))
    return ok("check.badge", f"page 1 shows {shown} as visible text, nothing over it", "page 1")


def _glyph_finding(text: str, glyph: Glyph) -> CheckResult | None:
    where = f"{glyph.char!r} of {text} at {_where(glyph.box)}"
    if glyph.render_mode in INVISIBLE_MODES:
        return fail(
            "check.badge",
            "hidden",
            f"{where} is invisible text (render mode {glyph.render_mode})",
            "page 1",
        )
    if not glyph.inside:
        return fail("check.badge", "hidden", f"{where} lies outside the crop box", "page 1")
    if glyph.aspect < MIN_ASPECT:
        return fail(
            "check.badge",
            "hidden",
            f"{where} is squashed out of shape (drawn at {glyph.aspect:.0%} of its width)",
            "page 1",
        )
    if glyph.covered_by is not None:
        return fail(
            "check.badge",
            "covered",
            f"{where} has a {glyph.covered_by} object drawn over it after it",
            "page 1",
        )
    if glyph.ink < MIN_INK:
        return fail(
            "check.badge",
            "hidden",
            f"{where} leaves no ink that stands out from what lies beneath it "
            f"(grey changes by {glyph.ink} of 255; at least {MIN_INK} needed)",
            "page 1",
        )
    return None


def _where(box: Rect) -> str:
    return f"({box[0]:.0f}, {box[1]:.0f})"


# ------------------------------------------------------------------ links


def check_links(
    ev: PdfEvidence, claimed: PithRef | None, is_resolver_link: Callable[[str], bool]
) -> CheckResult:
    """``check.link``: links over the badge or to a ``/pith/`` path open a configured
    resolver's page of the claimed number."""
    facts = ev.badge
    if facts is None:
        return skip("check.link", "unread", "not checked: page 1's links could not be read")
    boxes = facts.boxes
    relevant = [
        link
        for link in facts.links
        if (link.uri is not None and RESOLVER_PATH in link.uri.lower())
        or (link.rect is not None and any(_overlap(link.rect, box) for box in boxes))
    ]
    if not relevant:
        return skip(
            "check.link",
            "absent",
            "not checked: there is no link over the badge or to a /pith/ page",
        )
    for link in relevant:
        finding = _link_finding(link, claimed, is_resolver_link)
        if finding is not None:
            return finding
    return ok(
        "check.link",
        f"{counted(len(relevant), 'link')} over the badge or to /pith/ "
        f"{'opens' if len(relevant) == 1 else 'open'} a configured resolver's "
        f"page of {claimed}",
        "page 1",
    )


def _link_finding(
    link: LinkAnnotation, claimed: PithRef | None, is_resolver_link: Callable[[str], bool]
) -> CheckResult | None:
    where = f"page 1 link annotation {link.position}"
    if link.uri is None:
        return fail(
            "check.link",
            "untrusted",
            f"{where} over the badge opens no web address (its action is {link.action})",
            where,
        )
    if not is_resolver_link(link.uri):
        return fail(
            "check.link",
            "untrusted",
            f"{where} opens {link.uri[:200]!r}, which is not a configured resolver",
            where,
        )
    tail = link.uri.rsplit(RESOLVER_PATH, 1)[-1]
    if not _NUMBER_PATH.fullmatch(tail):
        return fail(
            "check.link",
            "mismatch",
            f"{where} opens {link.uri[:200]!r}: more than a number after {RESOLVER_PATH}",
            where,
        )
    try:
        ref = parse_number(link.uri)
    except NumberFormatError as exc:
        return fail("check.link", "mismatch", f"{where}: {exc.message}", where)
    if claimed is None or not ref.agrees_with(claimed):
        return fail(
            "check.link",
            "mismatch",
            f"{where} opens the page of {ref}, but the PDF claims {claimed}",
            where,
        )
    return None


_NUMBER_PATH = re.compile(r"[A-Za-z0-9:]+/?")
"""What may follow a resolver's ``/pith/``: the number, nothing more (no path, query or
fragment that would lead a browser elsewhere)."""


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
