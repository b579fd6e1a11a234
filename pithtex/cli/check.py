"""``pithtex check``: verify the Pith badge of received PDFs, one or a batch."""

from __future__ import annotations

import argparse
import functools
import glob
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pithtex.cli.common import (
    Style,
    add_json_option,
    add_keyring_options,
    format_check,
    keyring_from_args,
    print_json,
)
from pithtex.cli.resolving import add_resolver_options
from pithtex.core.errors import ExitCode, InputError

if TYPE_CHECKING:
    from pithtex.core.numbers import PithRef
    from pithtex.pdf.check import CheckOptions, CheckReport
    from pithtex.registry.resolver import ResolvedBundle, Resolver
    from pithtex.trust.keyring import Keyring

GLOB_CHARS = frozenset("*?[")
SUMMARY_SCHEMA = "pithtex.check-summary/1"
BATCH_EXIT_PRECEDENCE = (ExitCode.FAILED, ExitCode.UNUSABLE, ExitCode.NO_CLAIM, ExitCode.OK)
"""A batch exits with the first of these codes that any of its files got."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        help="verify the Pith badge of received PDFs against the signed bundle",
        description="Read every trace of a Pith badge out of PDFs (XMP, Info keys, resolver "
        "links, the badge text on page 1, an embedded bundle), check that they agree, verify "
        "the bundle with the keyring and check that the paper is the record's. One file "
        "gives a report; several files, directories or globs give one line per file and a "
        "summary. Exit codes: 0 verified, 1 a check failed, 2 unusable input, 3 no Pith "
        "claim (for a batch: the first of 1, 2, 3 that any file got, else 0).",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PDF|DIR|GLOB",
        help="PDF files, directories (searched recursively for *.pdf) or quoted glob patterns",
    )
    parser.add_argument(
        "--bundle", metavar="FILE", help="verify against this bundle (preferred over any other)"
    )
    parser.add_argument(
        "--ignore-embedded",
        action="store_true",
        help="do not use a bundle embedded in the PDF (it is still read and compared)",
    )
    add_resolver_options(parser)
    add_keyring_options(parser)
    add_json_option(parser)
    batch = parser.add_argument_group("batch and bounds")
    batch.add_argument(
        "-j", "--jobs", type=int, metavar="N", help="worker processes (default: one per core)"
    )
    batch.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="seconds per file (default 60)"
    )
    batch.add_argument(
        "--memory",
        type=int,
        default=1024,
        metavar="MIB",
        help="memory a worker may use per file, in MiB (default 1024)",
    )
    batch.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal and several files)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="only the verdict (one file) or failures"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.jobs.executor import Bounds, default_jobs, run_bounded

    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs must be at least 1", code="usage.invalid")
    if args.timeout <= 0 or args.memory < 64:
        raise InputError(
            "--timeout must be positive and --memory at least 64", code="usage.invalid"
        )
    files, single = expand_paths(args.paths)
    bounds = Bounds(timeout=args.timeout, memory_bytes=args.memory * 1024 * 1024)
    jobs = args.jobs or (1 if single else default_jobs())
    # the PDF readers run in bounded workers; they start before the checks are imported
    results = run_bounded(read_evidence, files, jobs=jobs, bounds=bounds)
    keyring = keyring_from_args(args)
    registry = LazyRegistry(keyring, args)
    options = _options(args, keyring, registry)
    try:
        reports = (_report(path, outcome, options) for path, outcome in results)
        if single:
            return _print_single(next(reports), args)
        return _print_batch(_progress(reports, len(files), args), args)
    finally:
        registry.close()


@functools.cache
def link_bases(resolver_args: tuple[str, ...]) -> tuple[str, ...]:
    """Resolvers whose ``/pith/<number>`` links are claims: pith.science and every
    configured one (``--resolver``, ``$PITHTEX_RESOLVERS``, the config file)."""
    from pithtex.core.names import DEFAULT_RESOLVER
    from pithtex.registry.config import load_settings

    urls = load_settings(resolver_args or None).urls
    return tuple(dict.fromkeys((DEFAULT_RESOLVER, *urls)))


def read_evidence(path: str) -> object:
    """What a worker does: read one PDF (a :class:`PdfError` becomes a failure value)."""
    from pithtex.jobs.executor import TaskFailure
    from pithtex.pdf.evidence import PdfError, read_pdf

    try:
        return read_pdf(path)
    except PdfError as exc:
        return TaskFailure(exc.code, exc.message)


class LazyRegistry:
    """The cache and resolvers, set up (HTTP modules imported) only when a PDF needs them."""

    def __init__(self, keyring: Keyring, args: argparse.Namespace) -> None:
        self.keyring = keyring
        self.args = args
        self.resolver: Resolver | None = None

    def resolve(
        self, ref: PithRef, *, offline: bool, refresh: bool, allow_stale: bool
    ) -> ResolvedBundle:
        if self.resolver is None:
            from pithtex.registry.resolver import make_resolver

            self.resolver = make_resolver(
                self.keyring, resolvers=self.args.resolver or None, cache=self.args.cache_dir
            )
        return self.resolver.resolve(ref, offline=offline, refresh=refresh, allow_stale=allow_stale)

    def close(self) -> None:
        if self.resolver is not None:
            self.resolver.http.close()


def _options(args: argparse.Namespace, keyring: Keyring, registry: LazyRegistry) -> CheckOptions:
    from pithtex.core.model import load_bundle
    from pithtex.pdf.check import CheckOptions

    bundle = load_bundle(args.bundle) if args.bundle else None
    return CheckOptions(
        keyring=keyring,
        bundle=bundle,
        bundle_label=args.bundle,
        use_embedded=not args.ignore_embedded,
        resolvers=partial(link_bases, tuple(args.resolver)),
        registry=registry,
        offline=args.offline,
        refresh=args.refresh,
    )


def _report(path: str, outcome: object, options: CheckOptions) -> CheckReport:
    from pithtex.jobs.executor import TaskFailure
    from pithtex.pdf.check import check_evidence, unusable_report
    from pithtex.pdf.evidence import PdfEvidence

    if isinstance(outcome, PdfEvidence):
        return check_evidence(outcome, options)
    assert isinstance(outcome, TaskFailure)
    return unusable_report(path, outcome.code, outcome.message)


def expand_paths(paths: list[str]) -> tuple[list[str], bool]:
    """Files to check, and whether this is a single-file run (one plain file argument)."""
    files: list[str] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())
            files.extend(sorted(str(p) for p in found))
        elif not path.exists() and GLOB_CHARS & set(arg):
            matched = sorted(glob.glob(arg, recursive=True))  # noqa: PTH207
            files.extend(m for m in matched if not Path(m).is_dir())
            if not matched:
                files.append(arg)  # reported as a missing file
        else:
            files.append(arg)
    single = len(paths) == 1 and len(files) == 1 and files[0] == paths[0]
    if not files:
        raise InputError("no PDF files found in the given directories", code="usage.no_files")
    return files, single


def _progress(
    reports: Iterator[CheckReport], total: int, args: argparse.Namespace
) -> Iterator[CheckReport]:
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    if not show:
        yield from reports
        return
    import tqdm

    tqdm.tqdm.monitor_interval = 0  # no monitor thread: workers are forked
    with tqdm.tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True) as bar:
        for report in reports:
            bar.update(1)
            yield report


def _verdict_word(report: CheckReport, style: Style) -> str:
    word = report.verdict.value.upper()
    if report.verdict.value == "verified":
        return style.green(word)
    if report.verdict.value == "no-claim":
        return style.yellow(word)
    return style.red(word)


def _print_single(report: CheckReport, args: argparse.Namespace) -> int:
    if args.json:
        print_json(report.to_json())
        return int(report.exit_code)
    style = Style(sys.stdout)
    if not args.quiet:
        for check in report.checks:
            print(format_check(check, style))
    detail = (report.number or "") if report.verdict.value == "verified" else report.code
    print(f"{style.bold('verdict:')} {_verdict_word(report, style)}  {detail}  {report.file}")
    if report.verdict.value != "verified":
        print(f"{style.dim('reason:')}  {report.reason}")
    return int(report.exit_code)


def _print_batch(reports: Iterator[CheckReport], args: argparse.Namespace) -> int:
    style = Style(sys.stdout)
    tally: Counter[str] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    codes: set[int] = set()
    flushed = time.monotonic()
    for report in reports:
        tally[report.verdict.value] += 1
        codes.add(int(report.exit_code))
        if report.verdict.value != "verified":
            reasons[(report.verdict.value, report.code)] += 1
        if args.json:
            print(json.dumps(report.to_json(), ensure_ascii=False, separators=(",", ":")))
        elif not (args.quiet and report.verdict.value == "verified"):
            detail = report.number if report.verdict.value == "verified" else report.reason
            print(f"{_verdict_word(report, style):<10} {report.file}  {style.dim(str(detail))}")
        flushed = _flush_now(flushed)
    exit_code = next((int(c) for c in BATCH_EXIT_PRECEDENCE if int(c) in codes), 0)
    summary = _summary(tally, reasons, exit_code)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
    else:
        print(format_summary(summary, style))
    return exit_code


def _flush_now(last: float, every: float = 0.25) -> float:
    """Flush stdout now and then: results stream without a system call per line."""
    now = time.monotonic()
    if now - last < every:
        return last
    sys.stdout.flush()
    return now


def _summary(
    tally: Counter[str], reasons: Counter[tuple[str, str]], exit_code: int
) -> dict[str, Any]:
    by_reason: dict[str, dict[str, int]] = {}
    for (verdict, code), count in sorted(reasons.items()):
        by_reason.setdefault(verdict, {})[code] = count
    return {
        "schema": SUMMARY_SCHEMA,
        "files": sum(tally.values()),
        "verdicts": {v: tally.get(v, 0) for v in ("verified", "failed", "unusable", "no-claim")},
        "reasons": by_reason,
        "exit_code": exit_code,
    }


def format_summary(summary: dict[str, Any], style: Style) -> str:
    """The summary table: files per verdict, and per status code under each other verdict."""
    lines = [style.bold(f"summary: {summary['files']} files")]
    for verdict, count in summary["verdicts"].items():
        lines.append(f"  {verdict:<10} {count:>7}")
        for code, n in summary["reasons"].get(verdict, {}).items():
            lines.append(f"    {code:<34} {n:>5}")
    return "\n".join(lines)
