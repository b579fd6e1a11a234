"""Checking one uploaded PDF in a bounded worker: the verdict, the record card, page 1.

:func:`check_upload` is what the worker does: :func:`pithtex.pdf.check.check_pdf`
(reading, the bundle, every check), the record card of the bundle when it
verified (:attr:`pithtex.pdf.check.CheckReport.record`, the card ``pithtex check``
prints), and page 1 rendered as a
PNG with the title block (when the report locates it) and the badge mapped
onto it.  Everything it returns is plain data (:class:`Checked`), so the
HTTP server process never opens the PDF itself.

:func:`check_bounded` runs it in one worker process of its own, with the
time and memory bounds of ``pithtex check``; a worker that overruns or dies
gives an ``unusable`` report (``check.pdf.timeout``, ``check.pdf.crashed``),
never a failed request; a bug met in the worker gives ``check.pdf.error`` with
exit code 70, as in ``pithtex check``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pithtex.core.results import fail
from pithtex.jobs.executor import Bounds, TaskFailure, run_bounded
from pithtex.pdf.check import CheckOptions, CheckReport, Verdict, check_pdf, unusable_report
from pithtex.pdf.evidence import preload as preload_pdf_libraries
from pithtex.pdf.render import Mark, PageImage, RenderError, render_page_png
from pithtex.pipelines.batch import InternalErrorReport
from pithtex.trust.record import RecordCard
from pithtex.web.upload import Upload

__all__ = ["Checked", "card_of", "check_bounded", "check_upload", "preload", "title_marks"]

TITLE_BLOCK_KEYS = ("title_block",)
"""Report keys that may carry the title block the checker found on page 1."""
_RECT_KEYS = ("rect", "box", "bbox")


@dataclass(frozen=True, slots=True)
class Checked:
    """What checking one upload gave: plain data, from the worker to the page."""

    name: str
    """The file name the client gave (a label)."""
    report: dict[str, Any]
    """The check report as JSON (:meth:`CheckReport.to_json`), ``file`` being ``name``."""
    card: RecordCard | None = None
    """The record of the bundle, when the bundle verified."""
    page: PageImage | None = None
    page_problem: str | None = None
    """Why there is no rendering of page 1, when there is none."""

    @property
    def verdict(self) -> str:
        return str(self.report.get("verdict", ""))


def preload() -> None:
    """Import the PDF libraries now, so that every forked worker has them already.

    Only imports: no PDF is opened in the calling process.
    """
    preload_pdf_libraries()


def check_upload(options: CheckOptions, max_pixels: int, upload: Upload) -> Checked:
    """Check one uploaded PDF and render its page 1 (run in a worker)."""
    report = check_pdf(str(upload.path), options)
    card = card_of(report)
    data = _relabel(report.to_json(), str(upload.path), upload.name)
    if report.evidence is None:
        return Checked(upload.name, data, card, None, "the file could not be read as a PDF")
    try:
        page = render_page_png(upload.path, 0, max_pixels=max_pixels, marks=title_marks(data))
    except RenderError as exc:
        return Checked(upload.name, data, card, None, exc.message)
    except Exception as exc:  # the picture helps a reader; it never takes the verdict away
        return Checked(upload.name, data, card, None, f"page 1 could not be rendered ({exc})")
    return Checked(upload.name, data, card, page)


def card_of(report: CheckReport) -> RecordCard | None:
    """The record card of the report's bundle, when that bundle verified: the same card
    ``pithtex check`` prints (:attr:`~pithtex.pdf.check.CheckReport.record`)."""
    return report.record


def check_bounded(
    options: CheckOptions, upload: Upload, bounds: Bounds, max_pixels: int
) -> Checked:
    """:func:`check_upload` in a worker process of its own, within ``bounds``."""
    outcome = _run_one(partial(check_upload, options, max_pixels), upload, bounds)
    if isinstance(outcome, Checked):
        return outcome
    return Checked(
        upload.name,
        _failure_report(upload.name, outcome).to_json(),
        None,
        None,
        ("the check did not finish"),
    )


def _run_one(
    fn: Callable[[Upload], Checked], upload: Upload, bounds: Bounds
) -> Checked | TaskFailure:
    """The one use of the job layer: one item, one worker, the given bounds."""
    with run_bounded(fn, [upload], jobs=1, bounds=bounds) as run:
        ((_, outcome),) = list(run)
    return outcome


def _failure_report(name: str, failure: TaskFailure) -> CheckReport:
    """The report of a worker that gave no result: unusable, or a bug (exit code 70)."""
    if not failure.internal:
        return unusable_report(name, failure.code, failure.message)
    reason = f"internal error (a bug in pithtex): {failure.message}"
    return InternalErrorReport(name, Verdict.UNUSABLE, (fail("check.pdf", "error", reason, name),))


def title_marks(report: dict[str, Any]) -> list[Mark]:
    """The title block lines a report locates on page 1, as marks for the rendering.

    Reads ``title_block`` (a mapping with ``lines``, or a list of lines), each
    line a mapping with ``text`` and a ``rect`` (``box``, ``bbox``) of four
    numbers ``(left, bottom, right, top)`` in page 1's user space.  Anything
    else is ignored: the rendering shows what it can, and decides nothing.
    """
    marks = []
    for key in TITLE_BLOCK_KEYS:
        block = report.get(key)
        lines = block.get("lines") if isinstance(block, dict) else block
        if not isinstance(lines, list):
            continue
        for index, line in enumerate(lines[:40]):
            rect = _rect(line)
            if rect is not None:
                text = line.get("text") if isinstance(line, dict) else None
                label = f"title line {index + 1}" + (f": {text}" if isinstance(text, str) else "")
                marks.append(Mark("title", label[:200], rect))
    return marks


def _rect(line: object) -> tuple[float, float, float, float] | None:
    if not isinstance(line, dict):
        return None
    value = next((line[k] for k in _RECT_KEYS if k in line), None)
    if isinstance(value, dict):
        value = [value.get(k) for k in ("left", "bottom", "right", "top")]
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    left, bottom, right, top = (float(v) for v in value)
    return (min(left, right), min(bottom, top), max(left, right), max(bottom, top))


def _relabel(value: Any, path: str, name: str) -> Any:
    """``value`` with the worker's temporary path written as the client's file name."""
    if isinstance(value, str):
        return value.replace(path, name) if path in value else value
    if isinstance(value, dict):
        return {key: _relabel(item, path, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_relabel(item, path, name) for item in value]
    return value
