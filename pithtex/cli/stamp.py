"""``pithtex stamp``: put the Pith metadata (and optionally a badge) into finished PDFs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pithtex.cli.common import (
    Style,
    add_batch_options,
    add_json_option,
    add_keyring_options,
    batch_from_args,
    keyring_from_args,
    print_json,
)
from pithtex.cli.corpus import Corpus, add_corpus_options, corpus_from_args
from pithtex.core.errors import InputError, batch_exit_code
from pithtex.core.names import BADGE_CORNERS, DEFAULT_BADGE_CORNER
from pithtex.jobs.progress import NULL_PROGRESS

if TYPE_CHECKING:
    from datetime import datetime

    from pithtex.jobs.executor import Bounds
    from pithtex.jobs.progress import ProgressBar
    from pithtex.pdf.stamp import StampOptions, StampResult


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "stamp",
        help="write the Pith Number metadata (and optionally a badge) into finished PDFs",
        description="Verify BUNDLE against the keyring, then stamp each PDF: XMP properties in "
        "the pith namespace, dc:identifier and Info keys; optionally the bundle as an "
        "associated file and a visible badge on page 1. Signed PDFs get an incremental update "
        "that keeps their signatures. A PDF is refused, and left untouched, when its title "
        "does not match the record, it is encrypted and no password is given, or its XMP is "
        "malformed. Each file is stamped in a worker process bounded in time and memory. "
        "Exit 0 all stamped, 1 bundle not verified or title mismatch, 2 unusable input, "
        "70 an internal error, 130 interrupted (a batch: the first of 70, 130, 1, 2 that any "
        "file got, else 0).",
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="PDF|DIR|GLOB|TAR",
        help="PDF files, folders (searched recursively for *.pdf and tar archives), quoted glob "
        "patterns or tar archives (their PDF members are stamped into a folder named after "
        "the archive under --out-dir); - reads one PDF from standard input (with -o)",
    )
    parser.add_argument("--bundle", required=True, metavar="FILE", help="the paper's bundle JSON")
    where = parser.add_argument_group("output (choose one)")
    where.add_argument(
        "-o",
        "--output",
        metavar="OUT.pdf",
        help="write the stamped PDF here (- for standard output; the report then goes to "
        "standard error)",
    )
    where.add_argument("--in-place", action="store_true", help="replace each input atomically")
    where.add_argument(
        "--out-dir",
        metavar="DIR",
        help="write stamped PDFs into DIR, keeping their paths below the folders named (batch)",
    )
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
    add_batch_options(parser)
    add_corpus_options(parser)
    add_keyring_options(parser)
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.cli.inputs import STDIN

    jobs, bounds = batch_from_args(args)
    if STDIN in args.inputs or args.output == STDIN:
        return _run_streams(args, jobs, bounds)
    corpus = corpus_from_args(args, args.inputs)
    _check_output_choice(args, corpus)
    if args.output or (args.in_place and corpus.single):
        return _run_single(args, jobs, bounds)
    return _run_corpus(args, corpus, jobs, bounds)


def _run_single(args: argparse.Namespace, jobs: int | None, bounds: Bounds) -> int:
    from pithtex.jobs.discovery import select_files

    sources = select_files(args.inputs).paths
    if len(sources) != 1:
        raise InputError(
            f"-o takes one input, got {len(sources)}: use --out-dir", code="stamp.options"
        )
    result = _stamp_one(
        args, sources[0], Path(args.output) if args.output else sources[0], jobs, bounds
    )
    _report(result, args, False, Style(sys.stdout), NULL_PROGRESS)
    return result.exit_code


def _stamp_one(
    args: argparse.Namespace, source: Path, output: Path, jobs: int | None, bounds: Bounds
) -> StampResult:
    from pithtex.pdf.stamp import prepare
    from pithtex.pipelines.batch import stamp_many

    options = _options(args)
    spec = prepare(args.bundle, keyring_from_args(args), resolver_base=args.resolver_base)
    (result,) = stamp_many([(source, output)], spec, options, jobs=jobs, bounds=bounds)
    return result


def _run_streams(args: argparse.Namespace, jobs: int | None, bounds: Bounds) -> int:
    """``stamp - -o OUT``, ``stamp IN -o -``, ``stamp - -o -``: standard input and output.

    When the PDF goes to standard output the report goes to standard error (JSON too).
    """
    import tempfile
    from contextlib import ExitStack

    from pithtex.cli.inputs import STDIN, stdin_pdf, write_stdout_file

    if args.in_place or args.out_dir is not None or not args.output:
        raise InputError(
            "standard input or output takes -o: stamp - -o OUT.pdf, or stamp IN.pdf -o -",
            code="stamp.options",
        )
    if len(args.inputs) != 1:
        raise InputError("-o takes one input PDF (- for standard input)", code="stamp.options")
    if args.bundle == STDIN and STDIN in args.inputs:
        raise InputError(
            "standard input cannot carry both the PDF and the bundle", code="usage.stdin"
        )
    with ExitStack() as stack:
        source = (
            stack.enter_context(stdin_pdf()) if args.inputs == [STDIN] else Path(args.inputs[0])
        )
        to_stdout = args.output == STDIN
        if to_stdout:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pithtex-out-")))
            output = folder / "stamped.pdf"
        else:
            output = Path(args.output)
        result = _stamp_one(args, source, output, jobs, bounds)
        if to_stdout and result.error is None and not args.dry_run:
            write_stdout_file(output if output.exists() else source)
        _report_stream(result, args, to_stdout)
        return result.exit_code


def _report_stream(result: StampResult, args: argparse.Namespace, to_stdout: bool) -> None:
    """The report of a stamp through standard input or output, with ``-`` for those names."""
    from dataclasses import replace

    from pithtex.cli.inputs import STDIN

    shown = replace(
        result,
        source=STDIN if args.inputs == [STDIN] else result.source,
        output=STDIN if to_stdout else result.output,
    )
    out = sys.stderr if to_stdout else sys.stdout  # the PDF owns stdout
    _report(shown, args, False, Style(out), NULL_PROGRESS, out)


def _run_corpus(args: argparse.Namespace, corpus: Corpus, jobs: int | None, bounds: Bounds) -> int:
    from pithtex.jobs.progress import open_progress, progress_wanted
    from pithtex.pdf.stamp import prepare
    from pithtex.pipelines.batch import stamp_corpus

    prune = (Path(args.out_dir),) if args.out_dir is not None else ()
    if args.out_dir is not None:
        _refuse_collisions(corpus, prune)
    options = _options(args)
    spec = prepare(args.bundle, keyring_from_args(args), resolver_base=args.resolver_base)
    store = corpus.open_store("stamp")
    style = Style(sys.stdout)
    counts: Counter[str] = Counter()
    codes: set[int] = set()
    total = corpus.total(store, prune) if progress_wanted(args.progress, total=None) else None
    with open_progress(args.progress, total=total, unit="pdf", desc="stamping") as progress:
        for result in stamp_corpus(
            corpus.chunks(store, prune),
            spec,
            options,
            out_dir=args.out_dir,
            executor=corpus.executor(jobs, bounds),
            store=store,
            progress=progress,
        ):
            counts[result.status.value] += 1
            codes.add(result.exit_code)
            _report(result, args, True, style, progress)
    if store is not None:  # the summary of the whole run, resumed parts included
        counts, codes = store.tally.outcomes, store.tally.codes
    if not counts:
        raise InputError("no .pdf files found in the given folders", code="usage.no_files")
    _summary(counts, args)
    return int(batch_exit_code(codes))


# ---------------------------------------------------------------- arguments


def _check_output_choice(args: argparse.Namespace, corpus: Corpus) -> None:
    chosen = [bool(args.output), args.in_place, args.out_dir is not None]
    if sum(chosen) != 1:
        raise InputError(
            "say where to write: -o OUT.pdf (one file), --in-place, or --out-dir DIR",
            code="stamp.options",
        )
    if args.output and not corpus.single:
        raise InputError("-o takes one PDF file: use --out-dir", code="stamp.options")


def _refuse_collisions(corpus: Corpus, prune: tuple[Path, ...]) -> None:
    """Refuse, before anything is written, two inputs that would share an output."""
    from pithtex.jobs.corpus import KeySet

    taken = KeySet()
    for chunk in corpus.chunks(None, prune):
        outputs = [chunk.relative] if chunk.archive else [item.relative for item in chunk.files]
        for output in outputs:
            if output is not None and not taken.add(output):
                raise InputError(
                    f"two inputs would both be written to {output} under the output folder: "
                    "their outputs collide (stamp them in separate runs or name their folders)",
                    code="batch.collision",
                )


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


PASSWORD_FILE_MAX = 4096
"""The most bytes a ``--password-file`` may hold: a password, not a device or a dump."""


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file is None:
        return args.password  # type: ignore[no-any-return]
    return read_password_file(args.password_file)


def read_password_file(name: str) -> str:
    """The first line of the password file ``name`` (UTF-8, at most 4 KiB; exit 2 otherwise).

    At most 4 KiB + 1 bytes are read, so ``/dev/zero`` or a huge file is refused at once.
    """
    try:
        with Path(name).open("rb") as handle:
            data = handle.read(PASSWORD_FILE_MAX + 1)
    except OSError as exc:
        raise InputError(
            f"{name}: cannot read the password file ({exc.strerror})", code="password.unreadable"
        ) from None
    if len(data) > PASSWORD_FILE_MAX:
        raise InputError(
            f"{name}: longer than {PASSWORD_FILE_MAX} bytes: not a password file",
            code="password.too_large",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: the password file is not UTF-8 text (byte {exc.start})",
            code="password.not_text",
        ) from None
    if "\x00" in text:
        raise InputError(f"{name}: the password file holds a NUL byte", code="password.not_text")
    lines = text.removeprefix("\ufeff").splitlines()
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


# ---------------------------------------------------------------- printing


def _report(
    result: StampResult,
    args: argparse.Namespace,
    batch: bool,
    style: Style,
    progress: ProgressBar,
    out: TextIO | None = None,
) -> None:
    """Print one file's result: on ``out`` (default stdout), a refusal's line on stderr."""
    if args.json:
        from pithtex.pipelines.batch import STAMP_SCHEMA

        record = {"schema": STAMP_SCHEMA, **result.to_json()}
        if batch:
            progress.write(json.dumps(record, ensure_ascii=False), stream=out)
        else:
            print_json(record, out)
        return
    stream = out or sys.stdout
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
    progress.write(line, stream=stream)


def _summary(counts: Counter[str], args: argparse.Namespace) -> None:
    files = sum(counts.values())
    if args.json:
        summary = {"schema": "pithtex.stamp-summary/1", "files": files, **counts}
        print(json.dumps(summary), flush=True)
        return
    parts = [
        f"{counts[s]} {s}" for s in ("stamped", "unchanged", "planned", "refused") if counts[s]
    ]
    print(f"{files} files: " + ", ".join(parts), file=sys.stderr)
