"""``pithtex demo``: the whole toolchain on the sample paper, step by step."""

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

if TYPE_CHECKING:
    from pithtex.jobs.progress import ProgressBar
    from pithtex.jobs.steps import Step
    from pithtex.pipelines.demo import DemoResult


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="run the whole toolchain on the sample paper: render, compile, stamp, check",
        description="Copy the sample paper and its signed bundle into DIR (default: a new "
        "folder pithtex-demo), write pith.sty and the paper's data file, compile with "
        "latexmk (pdfLaTeX, no shell escape), stamp the PDF (XMP and the embedded bundle), "
        "check it as a reader would, and write page 1 as a PNG to look at the badge. "
        "Exit 0 verified, 1 the check failed, 2 DIR is not empty (use --force), "
        "5 TeX, latexmk or pdftoppm is missing (see: pithtex help install).",
    )
    parser.add_argument(
        "directory",
        nargs="?",
        default="pithtex-demo",
        metavar="DIR",
        help="folder to work in (default: ./pithtex-demo); created if missing",
    )
    parser.add_argument(
        "--force", action="store_true", help="write into DIR even when it is not empty"
    )
    add_keyring_options(parser)
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.jobs.progress import open_progress
    from pithtex.pipelines.demo import run_demo

    keyring = keyring_from_args(args)
    style = Style(sys.stdout)
    if not args.json:
        print(style.bold(f"pithtex demo in {args.directory}/"))
    with open_progress(None, total=None, unit="step") as progress:
        on_step = None if args.json else _step_printer(style, progress)
        result = run_demo(
            Path(args.directory), keyring, force=args.force, on_step=on_step, progress=progress
        )
    if args.json:
        print_json(result.to_json())
    else:
        _print_result(result, style)
    return int(result.report.exit_code) if result.report is not None else 1


def _step_printer(style: Style, progress: ProgressBar) -> Callable[[Step], None]:
    def show(step: Step) -> None:
        progress.write(f"  {step.name:<8} {style.dim(f'{step.seconds:5.2f} s')}  {step.detail}")
        sys.stdout.flush()

    return show


def _print_result(result: DemoResult, style: Style) -> None:
    report = result.report
    assert report is not None
    print(style.bold("check (what a reader runs: pithtex check paper.pdf):"))
    for check in report.checks:
        print("  " + format_check(check, style))
    word = style.green("VERIFIED") if result.verified else style.red(report.verdict.value.upper())
    detail = report.number if result.verified else report.reason
    print(f"{style.bold('verdict:')} {word}  {detail}")
    total = sum(step.seconds for step in result.steps)
    print(f"total {total:.2f} s")
    print(f"the stamped paper: {result.pdf}")
    if result.png is not None:
        print(f"page 1 with the badge after the title: {result.png}")
    print(f"next: python3 -m pithtex check {result.pdf}")
