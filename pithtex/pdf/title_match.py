"""Whether page 1's title block is the record's title, and what else page 1 corroborates.

Pure comparisons on what :func:`pithtex.pdf.title_block.find_title_lines` found
(the checker and the stamper both ask :func:`match_title`):

* :func:`match_title`: a whole run of consecutive candidate title lines of one
  size, with no other visible candidate line in that size (a word set above or
  below the record's title, near or apart, makes another title), whose text, in
  the registry's canonical form (NFKC, case folded, white space collapsed),
  hashes to the record's ``title_canon_sha256``, line-end hyphens tried both
  ways.  Lines must be whole: a line that also carries other words does not
  match.  A compatibility superscript or subscript character (``⁶``) the
  record's title text does not have is a difference, though NFKC folds it;
* :func:`match_whole_block`: the comparison of one whole block, for a run of text
  lines and for a title block read by OCR (:mod:`pithtex.pdf.ocr`) alike;
* :func:`corroborate`: whether page 1's text shows the record's authors'
  family names (diacritics folded) and agrees with the record's abstract
  excerpt.  Neither decides a verdict; both are reported.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass
from typing import Any

from pithtex.core.digests import text_canon_sha256
from pithtex.pdf.title_block import SIZE_TOLERANCE, TitleFinding, TitleLine, title_texts

__all__ = [
    "ABSTRACT_AGREEMENT",
    "Corroboration",
    "TitleMatch",
    "corroborate",
    "family_names",
    "fold",
    "match_title",
    "match_whole_block",
    "title_runs",
]

ABSTRACT_AGREEMENT = 0.5
"""The share of the excerpt's four-word phrases page 1 must show for it to agree."""
MAX_RUN = 8
"""A title block has at most this many lines."""


@dataclass(frozen=True)
class TitleMatch:
    """A run of title lines whose text is the record's title."""

    lines: tuple[TitleLine, ...]
    text: str
    visible: bool
    """Every line of the run is visible and whole."""


def _usable(line: TitleLine, *, visible_only: bool) -> bool:
    return not line.other_text and (line.visible or not visible_only)


def title_runs(finding: TitleFinding, *, visible_only: bool = True) -> Iterator[list[TitleLine]]:
    """Maximal runs of consecutive candidate lines of one size (visible, whole ones only
    unless ``visible_only`` is false), top to bottom."""
    run: list[TitleLine] = []
    for line in finding.lines:
        usable = _usable(line, visible_only=visible_only)
        if run and (not usable or not _follows(run[-1], line)):
            yield run
            run = []
        if usable:
            run.append(line)
    if run:
        yield run


def _follows(above: TitleLine, line: TitleLine) -> bool:
    same = abs(above.size - line.size) <= SIZE_TOLERANCE * max(above.size, line.size)
    return same and 0 < above.rect[3] - line.rect[3] <= 2.5 * line.size


def _compatibility_marks(text: str) -> set[str]:
    return {c for c in text if unicodedata.decomposition(c).startswith(("<super>", "<sub>"))}


def match_title(
    finding: TitleFinding, wanted: str, record_title: str | None, *, visible_only: bool = True
) -> TitleMatch | None:
    """The run of title lines that is the record's title (``wanted`` is its
    ``title_canon_sha256``), if any; with ``visible_only`` false, hidden lines count too.

    The run is a whole one (:func:`title_runs`): a line of the title's size set just
    above or below it ("Revisiting" over the record's title) makes it another title.
    """
    for run in title_runs(finding, visible_only=visible_only):
        text = match_whole_block(run, wanted, record_title)
        if text is not None and not _rivals(finding, run):
            lines = tuple(run)
            return TitleMatch(lines, text, all(line.visible for line in lines))
    return None


def _rivals(finding: TitleFinding, run: Sequence[TitleLine]) -> list[TitleLine]:
    """Visible lines in the run's type that are not the run: a word set apart above or
    below the record's title ("Revisiting", a gap, the title) makes the block another."""
    size = run[0].size
    return [
        line
        for line in finding.lines
        if line.visible
        and all(line is not own for own in run)
        and abs(line.size - size) <= SIZE_TOLERANCE * max(line.size, size)
    ]


def match_whole_block(
    lines: Sequence[TitleLine], wanted: str, record_title: str | None
) -> str | None:
    """The text of ``lines`` (all of them, top to bottom) that is the record's title (its
    canonical hash is ``wanted``), line-end hyphens kept and dropped; ``None`` if none is.

    A compatibility superscript or subscript character the record's title lacks is a
    difference, though NFKC folds it."""
    if not lines or len(lines) > MAX_RUN:
        return None
    for text in title_texts(lines):
        if text_canon_sha256(text) != wanted:
            continue
        if record_title is not None and (
            _compatibility_marks(text) - _compatibility_marks(record_title)
        ):
            continue
        return text
    return None


def shown_block(finding: TitleFinding) -> list[TitleLine]:
    """The title block a reader sees: the visible run in the largest type, topmost."""
    runs = list(title_runs(finding))
    if not runs:
        return []
    return max(runs, key=lambda run: (run[0].size, -finding.lines.index(run[0])))


# ------------------------------------------------------------------ corroboration


def fold(text: str) -> str:
    """Diacritics removed (NFKD, combining marks dropped), case folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed.casefold()
    marks = [c for c in set(decomposed) if unicodedata.combining(c)]
    if marks:
        decomposed = re.sub(f"[{re.escape(''.join(marks))}]", "", decomposed)
    return decomposed.casefold()


_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.IGNORECASE)
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "et", "al", "al."})
_WORD = re.compile(r"\w+")


def family_names(authors_text: str) -> list[str]:
    """The family names in ``authors_text`` (``"Ada Lovelace, Alan Turing"``), folded."""
    names = []
    for author in _NAME_SPLIT.split(authors_text):
        words = [w for w in author.split() if w.casefold() not in _SUFFIXES]
        if words:
            family = fold(words[-1]).strip(".")
            if len(family) > 1:
                names.append(family)
    return list(dict.fromkeys(names))


def _phrases(
    words: Sequence[str], n: int = 4, *, starting: Set[str] | None = None
) -> set[tuple[str, ...]]:
    """The ``n``-word phrases of ``words`` (only those whose first word is in ``starting``,
    when given)."""
    return {
        tuple(words[i : i + n])
        for i in range(len(words) - n + 1)
        if starting is None or words[i] in starting
    }


@dataclass(frozen=True)
class Corroboration:
    """What page 1 shows of the record besides its title."""

    authors: tuple[str, ...]
    """The record's family names (folded); empty when the record names no authors."""
    authors_shown: tuple[str, ...]
    abstract_phrases: int
    """Four-word phrases of the record's abstract excerpt (0: no excerpt)."""
    abstract_shown: int

    @property
    def authors_agree(self) -> bool | None:
        if not self.authors:
            return None
        return len(self.authors_shown) == len(self.authors)

    @property
    def abstract_share(self) -> float | None:
        if not self.abstract_phrases:
            return None
        return self.abstract_shown / self.abstract_phrases

    @property
    def abstract_agrees(self) -> bool | None:
        share = self.abstract_share
        return None if share is None else share >= ABSTRACT_AGREEMENT

    def to_json(self) -> dict[str, Any]:
        share = self.abstract_share
        return {
            "authors": {
                "names": list(self.authors),
                "shown": list(self.authors_shown),
                "agree": self.authors_agree,
            },
            "abstract": {
                "phrases": self.abstract_phrases,
                "shown": self.abstract_shown,
                "share": None if share is None else round(share, 3),
                "agree": self.abstract_agrees,
            },
        }


def corroborate(page_text: str, paper: dict[str, Any]) -> Corroboration:
    """Compare page 1's text with the snapshot's ``authors_text`` and ``abstract_excerpt``."""
    page_words = _WORD.findall(fold(page_text))
    present = set(page_words)
    authors_text = paper.get("authors_text")
    names = family_names(authors_text) if isinstance(authors_text, str) else []
    shown = [name for name in names if all(w in present for w in _WORD.findall(name))]
    excerpt = paper.get("abstract_excerpt")
    excerpt_words = _WORD.findall(fold(excerpt))[:-1] if isinstance(excerpt, str) else []
    wanted = _phrases(excerpt_words)
    found = wanted & _phrases(page_words, starting={phrase[0] for phrase in wanted})
    return Corroboration(tuple(names), tuple(shown), len(wanted), len(found))


@dataclass(frozen=True)
class TitleReview:
    """What the checker found comparing page 1 with the record: its ``check.title``,
    ``check.authors`` and ``check.abstract`` results, the title block, the warnings."""

    checks: tuple[Any, ...]
    """:class:`~pithtex.core.results.CheckResult` items, ``check.title`` first."""
    finding: TitleFinding | None
    match: TitleMatch | None
    shown: tuple[TitleLine, ...]
    """The visible title block page 1 shows (the match, when there is one)."""
    corroboration: Corroboration | None
    warnings: tuple[dict[str, str], ...] = ()
    ocr: Any = None
    """The :class:`~pithtex.pdf.ocr.OcrReading` that decided ``check.title`` (page 1 has no
    visible title text and OCR was asked for), else ``None``."""
    ocr_text: str | None = None
    """The text OCR read that is the record's title, when it is."""

    @property
    def method(self) -> str:
        """How page 1's title was read for ``check.title``: ``text`` or ``ocr``."""
        return "text" if self.ocr is None else "ocr"

    def title_block_json(self) -> dict[str, Any]:
        lines = self.match.lines if self.match is not None else self.shown
        matched = self.match is not None and self.match.visible
        text = self.match.text if self.match is not None else self.ocr_text
        return {
            "matches_record": matched or self.ocr_text is not None,
            "text": text,
            "method": self.method,
            "lines": [line.to_json() for line in lines],
            "candidates": [] if self.finding is None else self.finding.to_json()["lines"],
            "body_size": None if self.finding is None else self.finding.body_size,
            "ocr": None if self.ocr is None else self.ocr.to_json(),
        }
