"""``pithtex tex``: write the per-paper data file that \\pithnumber reads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pithtex.cli.common import add_json_option, add_keyring_options, keyring_from_args, print_json
from pithtex.errors import ExitCode, InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "tex",
        help="write pith-<NUMBER>.tex, the data \\pithnumber reads, from a bundle or a number",
        description="Write the data file of one paper (pith-<BODY>.tex: number, year, "
        "canonical hash, title, resolver URL, QR code) into DIR, beside the paper. pith.sty "
        "finds it by the argument of \\pithnumber. A bundle file is verified against the "
        "keyring first; an unverified bundle is refused (exit 1) unless --force. A full "
        "number alone gives a data file without canonical hash and title.",
    )
    parser.add_argument(
        "source",
        metavar="BUNDLE_OR_NUMBER",
        help="a bundle JSON file, or a full Pith Number (pith:YEAR:BODY or the 26-character "
        "body)",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        default=".",
        help="directory of the paper, where the data file goes (default: current directory)",
    )
    parser.add_argument(
        "--resolver",
        metavar="URL",
        default="https://pith.science",
        help="resolver base URL the badge links to and the QR code holds "
        "(default: https://pith.science)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write the data file even when the bundle does not verify",
    )
    add_keyring_options(parser)
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex import latex

    directory = Path(args.output_dir)
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory", code="file.missing")
    notes: list[str] = []
    source = Path(args.source)
    if source.is_file():
        data, result = latex.paper_data_from_file(
            source, keyring_from_args(args), resolver_base=args.resolver, force=args.force
        )
        if not result.verified:
            notes.append(f"the bundle is {result.verdict.value}; written because of --force")
    elif _looks_like_path(args.source):
        raise InputError(f"{args.source}: no such bundle file", code="file.missing")
    else:
        data = latex.paper_data_from_number(args.source, resolver_base=args.resolver)
        bundle = latex.fetch_bundle(data.number)
        if bundle is None:
            notes.append(
                "number only: no resolver client to fetch the bundle, so the data file has "
                "no canonical hash and no title; run 'pithtex tex BUNDLE' with the bundle "
                "file for the full data"
            )
    path = latex.write_data(data, directory)
    if args.json:
        print_json(_summary(data, path, notes))
    else:
        print(f"{path}  {data.number.full}  {data.url}")
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    return int(ExitCode.OK)


def _looks_like_path(text: str) -> bool:
    return text.endswith(".json") or (("/" in text or "\\" in text) and "/pith/" not in text)


def _summary(data: Any, path: Path, notes: list[str]) -> dict[str, Any]:
    return {
        "schema": "pithtex.tex/1",
        "file": str(path),
        "number": data.number.full,
        "source": data.source,
        "canonical_sha256": data.canonical_sha256,
        "title": data.title,
        "resolver": data.url,
        "notes": notes,
    }
