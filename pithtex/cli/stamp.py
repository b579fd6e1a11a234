"""``pithtex stamp``: put the Pith metadata (and optionally a badge) into finished PDFs."""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pithtex.cli.common import (
    Style,
    add_json_option,
    add_keyring_options,
    keyring_from_args,
    print_json,
)
from pithtex.core.errors import ExitCode, InputError
from pithtex.core.names import BADGE_CORNERS, DEFAULT_BADGE_CORNER

if TYPE_CHECKING:
    from datetime import datetime

    from pithtex.pdf.stamp import StampOptions, StampResult, StampSpec


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "stamp",
        help="write the Pith Number metadata (and optionally a badge) into finished PDFs",
        description="Verify BUNDLE against the keyring, then stamp each PDF: XMP properties in "
        "the pith namespace, dc:identifier and Info keys; optionally the bundle as an "
        "associated file and a visible badge on page 1. Signed PDFs get an incremental update "
        "that keeps their signatures. A PDF is refused, and left untouched, when its title "
        "does not match the record, it is encrypted and no password is given, or its XMP is "
        "malformed. Exit 0 all stamped, 1 bundle not verified or title mismatch, 2 unusable "
        "input (in a batch: the worst code of any file).",
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="PDF", help="PDF files, directories (their *.pdf) or globs"
    )
    parser.add_argument("--bundle", required=True, metavar="FILE", help="the paper's bundle JSON")
    where = parser.add_argument_group("output (choose one)")
    where.add_argument("-o", "--output", metavar="OUT.pdf", help="write the stamped PDF here")
    where.add_argument("--in-place", action="store_true", help="replace each input atomically")
    where.add_argument("--out-dir", metavar="DIR", help="write stamped PDFs into DIR (batch)")
    what = parser.add_argument_group("what to stamp")
    what.add_argument(
        "--embed-bundle",
        action="store_true",
        help="attach the bundle as pith-bundle.json (associated file, Supplement) for offline "
        "checks; refused for PDF/A-1, -2 and -4 (non-f) files",
    )
    what.add_argument("--badge", action="store_true", help="draw a visible badge on page 1")
    what.add_argument(
        "--badge-corner",
        choices=BADGE_CORNERS,
        default=DEFAULT_BADGE_CORNER,
        help="preferred badge corner",
    )
    what.add_argument("--badge-qr", action="store_true", help="add a QR code of the resolver link")
    what.add_argument(
        "--resolver-base",
        metavar="URL",
        help="resolver base URL (default: the link the bundle names, else https://pith.science)",
    )
    safety = parser.add_argument_group("safety")
    safety.add_argument(
        "--force", action="store_true", help="stamp even if the PDF's title does not match"
    )
    safety.add_argument(
        "--repair-xmp",
        action="store_true",
        help="replace a malformed XMP packet (rebuilt from the Info dictionary)",
    )
    safety.add_argument("--password", help="password of an encrypted PDF (encryption is kept)")
    safety.add_argument(
        "--password-file", metavar="FILE", help="read the password from the first line of FILE"
    )
    safety.add_argument(
        "--dry-run", action="store_true", help="check and plan everything, write nothing"
    )
    repro = parser.add_argument_group("reproducibility")
    repro.add_argument(
        "--deterministic",
        action="store_true",
        help="byte-reproducible output: document ID from content, no wall-clock time "
        "(stampedAt and ModifyDate come from $SOURCE_DATE_EPOCH when set, else are not written)",
    )
    repro.add_argument(
        "--incremental",
        action="store_true",
        help="append an incremental update even to unsigned PDFs (keeps the original bytes)",
    )
    batch = parser.add_argument_group("batch")
    batch.add_argument(
        "-j", "--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)"
    )
    batch.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal and there are "
        "several files)",
    )
    add_keyring_options(parser)
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.pdf.stamp import prepare

    jobs = _targets(args)
    options = _options(args)
    spec = prepare(args.bundle, keyring_from_args(args), resolver_base=args.resolver_base)
    batch = len(jobs) > 1 or args.out_dir is not None
    results = _run_all(jobs, spec, options, args, batch)
    return max((r.exit_code for r in results), default=int(ExitCode.OK))


# ---------------------------------------------------------------- arguments


def _targets(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    """(input, output) pairs, checked before anything runs."""
    chosen = [bool(args.output), args.in_place, args.out_dir is not None]
    if sum(chosen) != 1:
        raise InputError(
            "say where to write: -o OUT.pdf (one file), --in-place, or --out-dir DIR",
            code="stamp.options",
        )
    if args.jobs < 1:
        raise InputError("--jobs must be at least 1", code="stamp.options")
    sources = _expand(args.inputs)
    if args.output:
        if len(sources) != 1:
            raise InputError(
                f"-o takes one input, got {len(sources)}: use --out-dir", code="stamp.options"
            )
        return [(sources[0], Path(args.output))]
    if args.in_place:
        return [(s, s) for s in sources]
    out_dir = Path(args.out_dir)
    names = Counter(s.name for s in sources)
    clashes = sorted(n for n, count in names.items() if count > 1)
    if clashes:
        raise InputError(
            f"several inputs are named {clashes[0]!r}: their outputs would collide in {out_dir}",
            code="stamp.options",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    return [(s, out_dir / s.name) for s in sources]


def _expand(patterns: list[str]) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            matches = sorted(p for p in path.iterdir() if p.suffix.lower() == ".pdf")
        elif path.exists():
            matches = [path]
        else:
            matches = sorted(Path(p) for p in glob.glob(pattern))  # noqa: PTH207
        matches = [m for m in matches if not m.name.startswith(".pithtex-")]
        if not matches:
            raise InputError(f"{pattern}: no such file, and no PDF matches", code="file.missing")
        found.extend(m for m in matches if m not in found)
    return found


def _options(args: argparse.Namespace) -> StampOptions:
    from pithtex.pdf.stamp import BadgeOptions, StampOptions

    badge = None
    if args.badge:
        badge = BadgeOptions(corner=args.badge_corner, qr=args.badge_qr)
    return StampOptions(
        embed_bundle=args.embed_bundle,
        badge=badge,
        force=args.force,
        repair_xmp=args.repair_xmp,
        password=_password(args),
        deterministic=args.deterministic,
        stamp_time=_source_date_epoch(),
        incremental=args.incremental,
        dry_run=args.dry_run,
    )


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file is None:
        return args.password  # type: ignore[no-any-return]
    try:
        lines = Path(args.password_file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{args.password_file}: cannot read ({exc.strerror})") from None
    return lines[0] if lines else ""


def _source_date_epoch() -> datetime | None:
    from datetime import UTC, datetime

    text = os.environ.get("SOURCE_DATE_EPOCH")
    if not text:
        return None
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (ValueError, OverflowError):
        raise InputError(
            f"SOURCE_DATE_EPOCH={text!r} is not a Unix timestamp", code="stamp.options"
        ) from None


# ---------------------------------------------------------------- running


_WORKER: tuple[Any, Any] | None = None


def _init_worker(spec: StampSpec, options: StampOptions) -> None:
    global _WORKER  # noqa: PLW0603 - one spec per worker process, set once
    _WORKER = (spec, options)


def _stamp_one(job: tuple[Path, Path]) -> StampResult:
    from pithtex.pdf.stamp import stamp_pdf

    assert _WORKER is not None
    spec, options = _WORKER
    return stamp_pdf(job[0], job[1], spec, options)


def _run_all(
    jobs: list[tuple[Path, Path]],
    spec: StampSpec,
    options: StampOptions,
    args: argparse.Namespace,
    batch: bool,
) -> list[StampResult]:
    show_progress = (
        args.progress
        if args.progress is not None
        else (batch and len(jobs) > 1 and sys.stderr.isatty())
    )
    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="pdf", file=sys.stderr, desc="stamping")
    style = Style(sys.stdout)
    results: list[StampResult] = []
    for result in _results(jobs, spec, options, args.jobs):
        results.append(result)
        if bar is not None:
            bar.update(1)
        _report(result, args, batch, style, bar)
    if bar is not None:
        bar.close()
    if batch:
        _summary(results, args)
    return results


def _results(
    jobs: list[tuple[Path, Path]], spec: StampSpec, options: StampOptions, workers: int
) -> Any:
    if workers == 1 or len(jobs) == 1:
        _init_worker(spec, options)
        return map(_stamp_one, jobs)
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)), initializer=_init_worker, initargs=(spec, options)
    )
    chunk = max(1, len(jobs) // (workers * 8))
    return _closing(pool, pool.map(_stamp_one, jobs, chunksize=chunk))


def _closing(pool: Any, iterator: Any) -> Any:
    with pool:
        yield from iterator


def _report(
    result: StampResult, args: argparse.Namespace, batch: bool, style: Style, bar: Any
) -> None:
    if args.json:
        record = {"schema": "pithtex.stamp/1", **result.to_json()}
        if batch:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print_json(record)
        return
    stream = sys.stdout
    if result.error is not None:
        line = f"{style.red('refused')}  {result.error.message}"
        stream = sys.stderr
    else:
        label = {"stamped": style.green, "unchanged": style.dim, "planned": style.yellow}[
            result.status.value
        ](result.status.value)
        target = "" if result.output == result.source else f" -> {result.output}"
        line = f"{label}  {result.source}{target}  {result.pith_number}  [{result.method.value}]"
        line += "".join(f"\n  note: {note}" for note in result.notes)
    if bar is not None:
        bar.write(line, file=stream)
    else:
        print(line, file=stream)


def _summary(results: list[StampResult], args: argparse.Namespace) -> None:
    counts = Counter(r.status.value for r in results)
    if args.json:
        summary = {"schema": "pithtex.stamp-summary/1", "files": len(results), **counts}
        print(json.dumps(summary), flush=True)
        return
    parts = [
        f"{counts[s]} {s}" for s in ("stamped", "unchanged", "planned", "refused") if counts[s]
    ]
    print(f"{len(results)} files: " + ", ".join(parts), file=sys.stderr)
