"""``pithtex arxiv``: from a source folder to an arXiv upload with a verified badge."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

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
    from pithtex.core.model import Bundle
    from pithtex.jobs.progress import ProgressBar
    from pithtex.jobs.steps import Step
    from pithtex.pipelines.arxiv import UploadResult
    from pithtex.trust.keyring import Keyring


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "arxiv",
        help="compile a paper's source with its badge, check it, write the arXiv upload",
        description="Make the arXiv upload of the paper in SRC_DIR: find the main .tex file, "
        "add pith.sty and the paper's data file, check the \\usepackage{pith} and "
        "\\pithnumber lines (or add them with --insert), compile the way arXiv does "
        "(pdfLaTeX unless the source asks for another engine with '%% !TEX program', no "
        "shell escape, repeated runs until references settle, BibTeX when there are .bib "
        "files), check the PDF against the bundle, and write a reproducible .tar.gz with "
        "exactly the files the compile read (with the .bbl). SRC_DIR is never modified. "
        "Exit 0 written, 1 the compile or the check failed (no archive), 2 unusable "
        "input, 4 the bundle could not be fetched, 5 TeX is missing. As for 'pithtex tex', the "
        "first --resolver is also the base URL the badge links to.",
    )
    parser.add_argument("source", metavar="SRC_DIR", help="the folder of the paper's source")
    which = parser.add_argument_group("the paper's bundle (one of)").add_mutually_exclusive_group(
        required=True
    )
    which.add_argument("--bundle", metavar="FILE", help="the paper's bundle (- for stdin)")
    which.add_argument(
        "--number",
        metavar="N",
        help="the paper's Pith Number: its bundle is fetched from the resolvers (or the cache)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the archive to write (default: <SRC_DIR name>-arxiv.tar.gz in the current directory)",
    )
    parser.add_argument(
        "--insert",
        action="store_true",
        help="add missing \\usepackage{pith}, \\pithnumber and \\pdfoutput=1 lines to the "
        "uploaded copy of the main file (the source folder is not changed)",
    )
    parser.add_argument("--main", metavar="FILE", help="the main .tex file, relative to SRC_DIR")
    parser.add_argument("--pdf", metavar="FILE", help="also keep the compiled PDF here")
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="S",
        help="seconds the compile may take (default 600)",
    )
    add_resolver_options(parser)
    add_keyring_options(parser)
    add_json_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the result line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.cli.outputs import output_parent
    from pithtex.jobs.progress import open_progress
    from pithtex.pipelines.arxiv import UploadOptions, make_upload

    source = Path(args.source)
    if not source.is_dir():
        raise InputError(f"{source}: no such directory", code="source.missing")
    if args.timeout <= 0:
        raise InputError("--timeout must be positive", code="usage.invalid")
    output = Path(args.output) if args.output else Path(f"{source.resolve().name}-arxiv.tar.gz")
    for target in (output, Path(args.pdf) if args.pdf else None):
        if target is not None:
            output_parent(target)
    keyring = keyring_from_args(args)
    bundle = _bundle(args, keyring)
    options = UploadOptions(
        output=output,
        main=Path(args.main) if args.main else None,
        insert=args.insert,
        pdf_copy=Path(args.pdf) if args.pdf else None,
        timeout=args.timeout,
        resolver_base=args.resolver[0] if args.resolver else None,
    )
    style = Style(sys.stderr)
    show_steps = not (args.json or args.quiet)
    with open_progress(None if show_steps else False, total=None, unit="step") as progress:
        on_step = _step_printer(style, progress) if show_steps else None
        result = make_upload(source, bundle, keyring, options, on_step=on_step, progress=progress)
    if args.json:
        print_json(result.to_json())
    else:
        _print_result(result, args.quiet)
    return int(ExitCode.OK if result.ok else ExitCode.FAILED)


def _bundle(args: argparse.Namespace, keyring: Keyring) -> Bundle:
    if args.bundle:
        from pithtex.cli.inputs import load_bundle_input

        return load_bundle_input(args.bundle)
    from pithtex.cli.resolving import resolver_from_args, warn_attempts

    resolver = resolver_from_args(args, keyring)
    try:
        resolved = resolver.resolve(args.number, offline=args.offline, refresh=args.refresh)
    finally:
        resolver.http.close()
    warn_attempts(resolved)
    return resolved.bundle


def _step_printer(style: Style, progress: ProgressBar) -> Callable[[Step], None]:
    def show(step: Step) -> None:
        detail = f"  {step.detail}" if step.detail else ""
        line = f"{style.dim(f'{step.seconds:6.2f} s')}  {step.name:<8}{detail}"
        progress.write(line, stream=sys.stderr)

    return show


def _print_result(result: UploadResult, quiet: bool) -> None:
    style = Style(sys.stdout)
    if not result.ok:
        for check in result.report.checks:
            if check.failed or not quiet:
                print(format_check(check, style))
        print(
            f"{style.red('FAILED')}  {result.main}: the compiled PDF does not verify "
            f"({result.report.code}): {result.report.reason}; no archive was written"
        )
        return
    if not quiet:
        for insertion in result.inserted:
            print(f"inserted at {result.main}:{insertion.line}: {insertion.text}")
        for note in result.notes:
            print(f"note: {note}")
        for name in result.files:
            print(f"  {name}")
    size = f"{(result.archive_size or 0) / 1024:.1f} KiB"
    print(
        f"{style.green('OK')}  {result.archive}  {len(result.files)} files, {size}, "
        f"{result.number} verified, {result.engine}, {result.seconds:.1f} s"
    )
