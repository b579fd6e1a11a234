"""A check report as a reader is shown it: the verdict in words, the checks, the picture.

Everything here reads the report's JSON (schema ``pithtex.check/1``) rather
than its Python objects, and reads it generically: any verdict value gets a
word, an icon and a sentence (the known ones, including ``indeterminate``,
get their own; an unknown one its name), any check any status, any list of
warnings its lines.  So fields the checker adds later are shown without
changes here, at worst in plain form under "Everything the report says".

A verdict is never told by colour alone: each has a word and an icon of its
own shape, and the colour (``tone``) only repeats them.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from pithtex.pdf.render import PageImage
from pithtex.trust.record import STATUS_LISTS, RecordCard
from pithtex.web.work import Checked

__all__ = [
    "CHECK_LABELS",
    "CheckRow",
    "Download",
    "FigureView",
    "RegionView",
    "ResultView",
    "VerdictView",
    "check_rows",
    "result_view",
    "status_words",
    "verdict_view",
]


@dataclass(frozen=True, slots=True)
class _Words:
    word: str
    icon: str
    tone: str
    headline: str


_VERDICTS = {
    "verified": _Words(
        "Verified",
        "✔",
        "good",
        "This PDF carries {number}, and every check against the registry's signed record passed.",
    ),
    "failed": _Words("Failed", "✖", "bad", "A check failed: {check}."),
    "indeterminate": _Words(
        "Indeterminate",
        "?",
        "unknown",
        "This could not be decided. That is not a finding against the paper.",
    ),
    "no-claim": _Words(
        "No claim", "∅", "neutral", "This PDF carries no Pith Number: there is nothing to verify."
    ),
    "unusable": _Words("Unusable", "⚠", "bad", "This file could not be checked."),
}
_STATUSES = {
    "pass": ("Pass", "✔", "good"),
    "fail": ("Fail", "✖", "bad"),
    "skip": ("Skipped", "\u2013", "neutral"),  # an en dash
    "indeterminate": ("Undecided", "?", "unknown"),
}

CHECK_LABELS = {
    "check.pdf": "The file is a readable PDF",
    "check.xmp": "The XMP metadata is well-formed",
    "check.embedded": "The embedded bundle",
    "check.claims": "The PDF names a Pith Number",
    "check.number": "Every place in the PDF names the same number",
    "check.text": "The badge text on page 1",
    "check.bundle": "The registry's signed record was found",
    "check.record": "The record is the claimed number's",
    "check.signature": "The record's signatures verify with trusted keys",
    "check.hash": "The record hash in the PDF",
    "check.stamp": "The stamp names this record",
    "check.title": "Page 1 shows the record's title",
}
"""A reader's name for each check; a check not listed is shown by its own name."""

_REGION_KINDS = {
    "title": "title block",
    "badge": "badge",
    "link": "badge link",
}


@dataclass(frozen=True, slots=True)
class VerdictView:
    value: str
    word: str
    icon: str
    tone: str
    headline: str
    reason: str
    code: str
    number: str | None


@dataclass(frozen=True, slots=True)
class CheckRow:
    check: str
    label: str
    status: str
    word: str
    icon: str
    tone: str
    code: str
    reason: str
    subject: str | None
    decisive: bool
    """The check that decided a verdict other than verified."""


@dataclass(frozen=True, slots=True)
class RegionView:
    kind: str
    """``title``, ``badge``, ``link`` or another kind (a CSS class: letters and dashes)."""
    kind_name: str
    label: str
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class FigureView:
    src: str
    """The PNG as a ``data:`` URL: nothing is stored on the server to fetch later."""
    width: int
    height: int
    regions: tuple[RegionView, ...]

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(r.kind_name for r in self.regions))


@dataclass(frozen=True, slots=True)
class Download:
    href: str
    filename: str


@dataclass(frozen=True, slots=True)
class ResultView:
    """One checked file, as the page shows it."""

    name: str
    verdict: VerdictView
    checks: tuple[CheckRow, ...]
    warnings: tuple[str, ...]
    problems: tuple[str, ...]
    card: RecordCard | None
    figure: FigureView | None
    page_problem: str | None
    download: Download
    report: dict[str, Any]


def result_view(checked: Checked) -> ResultView:
    report = checked.report
    return ResultView(
        name=checked.name,
        verdict=verdict_view(report),
        checks=check_rows(report),
        warnings=tuple(_lines(report.get("warnings"))),
        problems=tuple(_lines(report.get("problems"))),
        card=checked.card,
        figure=None if checked.page is None else figure_view(checked.page),
        page_problem=checked.page_problem,
        download=download(report, checked.name),
        report=report,
    )


def verdict_view(report: dict[str, Any]) -> VerdictView:
    value = _text(report.get("verdict")) or "unknown"
    code = _text(report.get("code")) or ""
    decisive = _decisive(report)
    check = "the report names none"
    if decisive is not None:
        name = _text(decisive.get("check")) or code
        check = CHECK_LABELS.get(name, name)
    number = _text(report.get("number"))
    words = _VERDICTS.get(value) or _Words(value.replace("-", " ").capitalize(), "•", "unknown", "")
    return VerdictView(
        value=value,
        word=words.word,
        icon=words.icon,
        tone=words.tone,
        headline=words.headline.format(number=number or "a Pith Number", check=check),
        reason=_text(report.get("reason")) or "",
        code=code,
        number=number,
    )


def check_rows(report: dict[str, Any]) -> tuple[CheckRow, ...]:
    checks = [c for c in report.get("checks") or [] if isinstance(c, dict)]
    decisive = _decisive(report)
    rows = []
    for check in checks:
        name = _text(check.get("check")) or "?"
        status = _text(check.get("status")) or "?"
        word, icon, tone = _STATUSES.get(status, (status.capitalize(), "•", "unknown"))
        rows.append(
            CheckRow(
                check=name,
                label=CHECK_LABELS.get(name, name),
                status=status,
                word=word,
                icon=icon,
                tone=tone,
                code=_text(check.get("code")) or "",
                reason=_text(check.get("reason")) or "",
                subject=_text(check.get("subject")),
                decisive=check is decisive,
            )
        )
    return tuple(rows)


def _decisive(report: dict[str, Any]) -> dict[str, Any] | None:
    """The check whose code is the verdict's, for any verdict but verified."""
    if report.get("verdict") == "verified":
        return None
    code = report.get("code")
    checks = [c for c in report.get("checks") or [] if isinstance(c, dict)]
    return next((c for c in checks if c.get("code") == code), None)


def figure_view(page: PageImage) -> FigureView:
    regions = tuple(
        RegionView(
            kind=_css_name(r.kind),
            kind_name=_REGION_KINDS.get(r.kind, r.kind),
            label=r.label,
            x=r.box[0],
            y=r.box[1],
            width=r.width,
            height=r.height,
        )
        for r in page.regions
    )
    src = "data:image/png;base64," + base64.b64encode(page.png).decode("ascii")
    return FigureView(src, page.width, page.height, regions)


def download(report: dict[str, Any], name: str) -> Download:
    data = json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")
    href = "data:application/json;base64," + base64.b64encode(data).decode("ascii")
    stem = re.sub(r"\.pdf$", "", name, flags=re.IGNORECASE)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "report"
    return Download(href, f"{safe[:80]}.check.json")


def status_words(card: RecordCard) -> list[str]:
    """The record's status as a reader reads it: ``2 timestamp anchors``, ``no citations``."""
    words = []
    for kind in STATUS_LISTS.values():
        count = card.count(kind)
        words.append(f"{count} {kind if count == 1 else kind + 's'}" if count else f"no {kind}s")
    return words


def _lines(value: object) -> list[str]:
    """A list of warnings or problems as lines of text, whatever the items' shape."""
    if not isinstance(value, list):
        return []
    lines = []
    for item in value[:100]:
        if isinstance(item, str):
            lines.append(item)
        elif isinstance(item, dict):
            message = next(
                (item[k] for k in ("message", "reason", "text") if isinstance(item.get(k), str)),
                None,
            )
            where = next(
                (item[k] for k in ("channel", "code", "check") if isinstance(item.get(k), str)),
                None,
            )
            text = message or json.dumps(item, ensure_ascii=False)
            lines.append(f"{where}: {text}" if where and message else text)
        else:
            lines.append(json.dumps(item, ensure_ascii=False))
    return lines


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _css_name(kind: str) -> str:
    return re.sub(r"[^a-z-]", "", kind.lower()) or "other"
