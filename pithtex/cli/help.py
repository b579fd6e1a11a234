"""``pithtex help [TOPIC]``: the documentation that ships with pithtex, offline.

Every page of ``docs/`` is installed with pithtex; ``pithtex help`` lists the
topics (a page's file name without ``.md``) and ``pithtex help TOPIC`` prints
one.  Messages elsewhere point at ``pithtex help TOPIC`` rather than at files
a user of the installed package does not have.
"""

from __future__ import annotations

import argparse
import sys

from pithtex.core.errors import ExitCode, InputError
from pithtex.core.resources import shipped_dir

__all__ = ["register", "run"]

_INDEX = "architecture.md"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "help",
        help="show the documentation that ships with pithtex",
        description="Without TOPIC, list the documentation topics with their titles. "
        "With TOPIC (for instance latex, check, install), print that page.",
    )
    parser.add_argument("topic", nargs="?", metavar="TOPIC", help="a topic from the list")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    docs = shipped_dir("docs", marker=_INDEX)
    pages = {path.stem: path for path in sorted(docs.glob("*.md"))}
    if args.topic is None:
        width = max(map(len, pages))
        for topic, path in pages.items():
            print(f"{topic:<{width}}  {_title(path.read_text(encoding='utf-8'))}")
        print("\nRun 'pithtex help TOPIC' to read one, 'pithtex VERB --help' for a verb.")
        return int(ExitCode.OK)
    topic = args.topic.removesuffix(".md").lower()
    if topic not in pages:
        raise InputError(
            f"no help topic {args.topic!r}; topics: {', '.join(pages)}", code="help.unknown"
        )
    sys.stdout.write(pages[topic].read_text(encoding="utf-8"))
    return int(ExitCode.OK)


def _title(text: str) -> str:
    first = next((line for line in text.splitlines() if line.startswith("# ")), "")
    return first.removeprefix("# ").strip()
