"""``pithtex man``: the manual page pithtex(1), generated from the command's own parser."""

from __future__ import annotations

import argparse
import sys

from pithtex.core.errors import ExitCode

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "man",
        help="print the manual page (roff), e.g. pithtex man | man -l -",
        description="Print pithtex(1), generated from the command's own options, as roff. "
        "Read it with 'pithtex man | man -l -', or install it with "
        "'pithtex man > ~/.local/share/man/man1/pithtex.1'.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from argparse_manpage.manpage import Manpage

    from pithtex.cli import build_parser
    from pithtex.core.version import __version__

    parser = build_parser()
    page = Manpage(
        parser,
        _data={
            "project_name": "pithtex",
            "version": __version__,
            "description": parser.description,
            "url": "https://pith.science",
            "authors": ["The pithtex developers"],
            "manual_title": "pithtex manual",
            "manual_section": "1",
        },
    )
    sys.stdout.write(str(page))
    return int(ExitCode.OK)
