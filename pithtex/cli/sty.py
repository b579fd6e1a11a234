"""``pithtex sty``: render the LaTeX package pith.sty."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pithtex.cli.common import add_json_option, print_json
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
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.cli.outputs import output_directory
    from pithtex.tex.render import PACKAGE_VERSION, STY_FILE, render_sty, write_sty

    directory = Path(args.output_dir)
    if args.check:
        target = directory / STY_FILE
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        state = (
            "up to date"
            if current == render_sty()
            else ("missing" if current is None else "differs from the templates")
        )
        code = ExitCode.OK if state == "up to date" else ExitCode.FAILED
        if args.json:
            print_json({"schema": "pithtex.sty-check/1", "file": str(target), "state": state})
        elif code is ExitCode.OK:
            print(f"{target}: up to date")
        else:
            print(f"{target}: {state}; run 'pithtex sty -o {directory}'", file=sys.stderr)
        return int(code)
    written = write_sty(output_directory(directory))
    if args.json:
        print_json({"schema": "pithtex.sty/1", "file": str(written), "version": PACKAGE_VERSION})
    else:
        print(written)
    return int(ExitCode.OK)
