"""``pithtex sty``: render the LaTeX package pith.sty."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pithtex.core.errors import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sty",
        help="write the LaTeX package pith.sty",
        description="Render pith.sty (\\usepackage{pith}) from pithtex's templates into "
        "DIR. The output is the same for the same pithtex version. With --check, write "
        "nothing and exit 1 when DIR/pith.sty differs from what this pithtex renders.",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        default=".",
        help="directory to write pith.sty into (default: the current directory)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare DIR/pith.sty with the rendering instead of writing it",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.cli.outputs import output_directory
    from pithtex.tex.render import STY_FILE, render_sty, write_sty

    directory = Path(args.output_dir)
    if args.check:
        target = directory / STY_FILE
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == render_sty():
            print(f"{target}: up to date")
            return int(ExitCode.OK)
        state = "missing" if current is None else "differs from the templates"
        print(f"{target}: {state}; run 'pithtex sty -o {directory}'", file=sys.stderr)
        return int(ExitCode.FAILED)
    print(write_sty(output_directory(directory)))
    return int(ExitCode.OK)
