"""``pithtex check``: verify the Pith badge of received PDFs, one or a batch."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from pithtex.cli.common import (
    Style,
    add_batch_options,
    add_json_option,
    add_keyring_options,
    batch_from_args,
    flush_now,
    format_check,
    keyring_from_args,
    print_json,
)
from pithtex.cli.corpus import Corpus, add_corpus_options, corpus_from_args
from pithtex.cli.resolving import add_resolver_options
from pithtex.core.errors import InputError, batch_exit_code

if TYPE_CHECKING:
    from pithtex.jobs.executor import Bounds
    from pithtex.jobs.progress import ProgressBar
    from pithtex.pdf.check import CheckOptions, CheckReport
    from pithtex.pipelines.batch import SharedRegistry
    from pithtex.trust.keyring import Keyring

SUMMARY_SCHEMA = "pithtex.check-summary/1"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        help="verify the Pith badge of received PDFs against the signed bundle",
        description="Read every trace of a Pith badge out of PDFs (XMP, Info keys, resolver "
        "links, the badge text on page 1, an embedded bundle), check that they agree, verify "
        "the bundle with the keyring and check that the paper is the record's. One file "
        "gives a report; several files, directories or globs give one line per file and a "
        "summary. Exit codes: 0 verified, 1 a check failed, 2 unusable input, 3 no Pith "
        "claim, 4 indeterminate (no bundle could be had: offline and not cached, no resolver "
        "answered; or page 1 shows no readable title; never a finding against the paper), 5 "
        "--ocr without Tesseract, 70 an internal error, 130 "
        "interrupted (for a batch: the first of 70, 130, 1, 2, 4, 5, 3 that any file got, "
        "else 0; each number is looked up once per run, a miss included).",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PDF|DIR|GLOB|TAR",
        help="PDF files, folders (searched recursively for *.pdf and tar archives), quoted glob "
        "patterns or tar archives (plain or gzip: their PDF members are checked); - reads one "
        "PDF from standard input",
    )
    parser.add_argument(
        "--bundle",
        metavar="FILE",
        help="verify against this bundle (preferred over any other; - for stdin)",
    )
    parser.add_argument(
        "--ignore-embedded",
        action="store_true",
        help="do not use a bundle embedded in the PDF (it is still read and compared)",
    )
    parser.add_argument(
        "--ocr",
        action="store_true",
        help="when page 1 shows no title text (a scan, text drawn as outlines), read its title "
        "block from the rendered page with Tesseract OCR: an exact reading of the record's "
        "title passes, anything else stays indeterminate (needs tesseract-ocr and "
        "tesseract-ocr-eng; exit 5 without them)",
    )
    add_resolver_options(parser)
    add_keyring_options(parser)
    add_json_option(parser)
    add_batch_options(parser)
    add_corpus_options(parser)
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="only the verdict (one file) or failures"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.cli.inputs import STDIN

    jobs, bounds = batch_from_args(args)
    if args.ocr:  # before any file is read: one line and exit 5 without Tesseract
        from pithtex.pdf.tesseract import require_tesseract

        require_tesseract()
    if STDIN in args.paths:
        return _run_stdin(args, jobs, bounds)
    corpus = corpus_from_args(args, args.paths)
    if corpus.single:
        return _run_single(args, jobs, bounds)
    return _run_corpus(args, corpus, jobs, bounds)


def _run_stdin(args: argparse.Namespace, jobs: int | None, bounds: Bounds) -> int:
    """``pithtex check -``: the PDF on standard input, reported as ``-``."""
    from pithtex.cli.inputs import STDIN, stdin_pdf

    if args.paths != [STDIN]:
        raise InputError("- (standard input) must be the only PDF given", code="usage.stdin")
    if args.bundle == STDIN:
        raise InputError(
            "standard input cannot carry both the PDF and the bundle", code="usage.stdin"
        )
    with stdin_pdf() as path:
        args.paths = [str(path)]
        return _run_single(args, jobs, bounds, label=STDIN)


def _run_single(
    args: argparse.Namespace, jobs: int | None, bounds: Bounds, *, label: str | None = None
) -> int:
    from dataclasses import replace

    from pithtex.pipelines.batch import check_read, read_many

    # the PDF reader runs in a bounded worker; it starts before the checks are set up
    with read_many(args.paths, jobs=jobs, bounds=bounds, ocr=args.ocr) as readings:
        keyring = keyring_from_args(args)
        registry = registry_from_args(args, keyring)
        try:
            options = _options(args, keyring, registry)
            report = next(check_read(readings, options))
            return _print_single(report if label is None else replace(report, file=label), args)
        finally:
            registry.close()


def _run_corpus(args: argparse.Namespace, corpus: Corpus, jobs: int | None, bounds: Bounds) -> int:
    from pithtex.jobs.progress import open_progress, progress_wanted
    from pithtex.pipelines.batch import check_corpus

    keyring = keyring_from_args(args)
    registry = registry_from_args(args, keyring)
    options = _options(args, keyring, registry)
    store = corpus.open_store("check")
    try:
        total = corpus.total(store) if progress_wanted(args.progress, total=None) else None
        with open_progress(args.progress, total=total, unit="file") as progress:
            reports = check_corpus(
                corpus.chunks(store),
                options,
                executor=corpus.executor(jobs, bounds),
                store=store,
                progress=progress,
            )
            batch = _print_batch(reports, args, progress)
    finally:
        registry.close()
    if store is not None:  # the summary of the whole run, resumed parts included
        batch.tally, batch.reasons = store.tally.outcomes, store.tally.reasons
        batch.codes = store.tally.codes
    if not batch.tally and (store is None or not store.resumed_items):
        raise InputError("no .pdf files found in the given folders", code="usage.no_files")
    return _print_summary(batch, args)


def registry_from_args(args: argparse.Namespace, keyring: Keyring) -> SharedRegistry:
    """The cache and resolvers of ``--resolver`` and ``--cache-dir``, set up (HTTP modules
    imported) only when a PDF needs them; each number looked up once per process."""
    from pithtex.pipelines.batch import SharedRegistry

    return SharedRegistry(keyring, tuple(args.resolver), args.cache_dir)


def _options(args: argparse.Namespace, keyring: Keyring, registry: SharedRegistry) -> CheckOptions:
    from pithtex.cli.inputs import load_bundle_input
    from pithtex.pdf.check import CheckOptions
    from pithtex.pipelines.batch import link_bases

    bundle = load_bundle_input(args.bundle) if args.bundle else None
    return CheckOptions(
        keyring=keyring,
        bundle=bundle,
        bundle_label=args.bundle,
        use_embedded=not args.ignore_embedded,
        resolvers=partial(link_bases, tuple(args.resolver)),
        registry=registry,
        offline=args.offline,
        refresh=args.refresh,
        ocr=args.ocr,
    )


def _verdict_word(report: CheckReport, style: Style) -> str:
    word = report.verdict.value.upper()
    if report.verdict.value == "verified":
        return style.green(word)
    if report.verdict.value in ("no-claim", "indeterminate"):
        return style.yellow(word)
    return style.red(word)


def _print_single(report: CheckReport, args: argparse.Namespace) -> int:
    from pithtex.cli.cards import correction_lines, format_card

    if args.json:
        print_json(report.to_json())
        return int(report.exit_code)
    style = Style(sys.stdout)
    record = report.record
    if record is not None and not args.quiet:
        for line in correction_lines(record):
            print(style.red(line))
        heading = "record:" if report.verdict.value == "verified" else "the record it claims:"
        print(style.bold(heading))
        print("\n".join(format_card(record, style, corrections=False)))
        print()
    if not args.quiet:
        for check in report.checks:
            print(format_check(check, style))
    detail = _verified(report) if report.verdict.value == "verified" else report.code
    verdict = f"{style.bold('verdict:')} {_verdict_word(report, style)}{_notice(report, style)}"
    print(f"{verdict}  {detail}  {report.file}")
    if report.verdict.value != "verified":
        print(f"{style.dim('reason:')}  {report.reason}")
    if report.verdict.value == "indeterminate":
        print(f"{style.dim('undecided:')} {_undecided(report, ocr=args.ocr)}")
    return int(report.exit_code)


_UNDECIDED = (
    "this is no finding against the paper; check again online, with --resolver URL, "
    "or with --bundle FILE (the bundle from the registry page)"
)


def _undecided(report: CheckReport, *, ocr: bool) -> str:
    """What to do about an indeterminate verdict: about the bundle, or about the title."""
    if not report.code.startswith("check.title."):
        return _UNDECIDED
    again = "" if ocr else ", or check again with --ocr if page 1 is a scan"
    return (
        "this is no finding against the paper; compare page 1's title with the record's "
        f"yourself{again}"
    )


def _verified(report: CheckReport) -> str:
    """The number a verified report names, and how its title was read when OCR read it."""
    review = report.title_review
    by_ocr = review is not None and review.method == "ocr"
    return f"{report.number or ''}{' (title read by OCR)' if by_ocr else ''}"


def _notice(report: CheckReport, style: Style) -> str:
    """`` RETRACTED`` or `` CORRECTED`` beside the verdict, when the record says so."""
    notice = report.notice
    return "" if notice is None else " " + style.red(notice.upper())


class _Batch:
    """What a batch's lines added up to, for its summary."""

    def __init__(self) -> None:
        self.tally: Counter[str] = Counter()
        self.reasons: Counter[tuple[str, str]] = Counter()
        self.codes: set[int] = set()


def _print_batch(
    reports: Iterator[CheckReport], args: argparse.Namespace, progress: ProgressBar
) -> _Batch:
    style = Style(sys.stdout)
    batch = _Batch()
    flushed = time.monotonic()
    for report in reports:
        batch.tally[report.verdict.value] += 1
        batch.codes.add(int(report.exit_code))
        if report.verdict.value != "verified":
            batch.reasons[(report.verdict.value, report.code)] += 1
        if args.json:
            progress.write(json.dumps(report.to_json(), ensure_ascii=False, separators=(",", ":")))
        elif not (args.quiet and report.verdict.value == "verified"):
            detail = _verified(report) if report.verdict.value == "verified" else report.reason
            word = _verdict_word(report, style)
            notice = _notice(report, style)
            progress.write(f"{word:<10}{notice} {report.file}  {style.dim(str(detail))}")
        flushed = flush_now(flushed)
    return batch


def _print_summary(batch: _Batch, args: argparse.Namespace) -> int:
    exit_code = int(batch_exit_code(batch.codes))
    summary = _summary(batch.tally, batch.reasons, exit_code)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
    else:
        print(format_summary(summary, Style(sys.stdout)))
    return exit_code


def _summary(
    tally: Counter[str], reasons: Counter[tuple[str, str]], exit_code: int
) -> dict[str, Any]:
    from pithtex.pdf.check import Verdict

    by_reason: dict[str, dict[str, int]] = {}
    for (verdict, code), count in sorted(reasons.items()):
        by_reason.setdefault(verdict, {})[code] = count
    return {
        "schema": SUMMARY_SCHEMA,
        "files": sum(tally.values()),
        "verdicts": {v.value: tally.get(v.value, 0) for v in Verdict},
        "reasons": by_reason,
        "exit_code": exit_code,
    }


def format_summary(summary: dict[str, Any], style: Style) -> str:
    """The summary table: files per verdict, and per status code under each other verdict."""
    lines = [style.bold(f"summary: {summary['files']} files")]
    for verdict, count in summary["verdicts"].items():
        lines.append(f"  {verdict:<13} {count:>4}")
        for code, n in summary["reasons"].get(verdict, {}).items():
            lines.append(f"    {code:<34} {n:>5}")
    return "\n".join(lines)
