"""``pithtex ctan``: write the CTAN upload archive of the LaTeX package pith."""

from __future__ import annotations

import argparse
import sys

from pithtex.cli.common import add_json_option, print_json
from pithtex.core.errors import ExitCode


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ctan",
        help="write the CTAN upload archive of pith.sty",
        description="Build the LaTeX package's manual pith.pdf with pdfLaTeX and write the "
        "archive to upload to CTAN: a top-level pith/ folder with pith.sty, pith.pdf, its "
        "source pith.tex, README.md and CHANGELOG.md, and beside it pith.tds.zip (the same "
        "files in the TeX Directory Structure, to unpack into a TEXMF tree). Needs pdflatex "
        "(exit 5 without it); exit 1 when the manual does not compile.",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="pith.zip",
        help="the archive to write, or - for standard output (default: pith.zip)",
    )
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.cli.outputs import STDOUT, write_output
    from pithtex.tex.ctan import CTAN_LICENSE, build_ctan_archive

    archive = build_ctan_archive()
    write_output(args.output, archive.data)
    if args.json and args.output != STDOUT:
        print_json(
            {
                "schema": "pithtex.ctan/1",
                "file": str(args.output),
                "version": archive.version,
                "license": CTAN_LICENSE,
                "files": list(archive.names),
                "bytes": len(archive.data),
            }
        )
    elif args.output != STDOUT:
        print(args.output)
    else:
        sys.stdout.flush()
    return int(ExitCode.OK)
