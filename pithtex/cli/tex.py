"""``pithtex tex``: write the per-paper data file that \\pithnumber reads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pithtex.cli.common import add_json_option, add_keyring_options, keyring_from_args, print_json
from pithtex.cli.resolving import add_resolver_options, resolver_from_args, warn_attempts
from pithtex.core.errors import ExitCode, InputError
from pithtex.core.layout import check_resolver_base

if TYPE_CHECKING:
    from pithtex.tex.render import PaperData

DEFAULT_BASE = "https://pith.science"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "tex",
        help="write pith-<NUMBER>.tex, the data \\pithnumber reads, from a bundle or a number",
        description="Write the data file of one paper (pith-<BODY>.tex: number, year, "
        "canonical hash, title, resolver URL, QR code) into DIR, beside the paper; pith.sty "
        "finds it by the argument of \\pithnumber. A bundle file is verified against the "
        "keyring first, and an unverified bundle is refused (exit 1) unless --force. A "
        "number (full or short) is resolved to its verified bundle through the resolvers "
        "and the cache (exit 4 when none gives one); with --number-only a full number is "
        "written alone, without canonical hash and title. The first --resolver is also the "
        "base URL the badge links to and the QR code holds (default https://pith.science).",
    )
    parser.add_argument(
        "source",
        metavar="BUNDLE_OR_NUMBER",
        help="a bundle JSON file (- for stdin), or a Pith Number in any accepted form",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        default=".",
        help="directory of the paper, where the data file goes (default: current directory)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write the data file even when the bundle file does not verify",
    )
    parser.add_argument(
        "--number-only",
        action="store_true",
        help="do not fetch the bundle of a number: write the number and link alone",
    )
    add_resolver_options(parser)
    add_keyring_options(parser)
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.cli.inputs import STDIN, load_bundle_input
    from pithtex.cli.outputs import output_directory
    from pithtex.tex import render as latex

    directory = Path(args.output_dir)
    base = check_resolver_base(args.resolver[0] if args.resolver else DEFAULT_BASE)
    notes: list[str] = []
    source = Path(args.source)
    if args.source == STDIN or source.is_file():
        data, result = latex.paper_data_of(
            load_bundle_input(args.source),
            keyring_from_args(args),
            resolver_base=base,
            force=args.force,
            context=args.source,
        )
        if not result.verified:
            notes.append(f"the bundle is {result.verdict.value}; written because of --force")
    elif _looks_like_path(args.source):
        raise InputError(f"{args.source}: no such bundle file", code="file.missing")
    elif args.number_only:
        data = latex.paper_data_from_number(args.source, resolver_base=base)
        notes.append("number only: the data file has no canonical hash and no title")
    else:
        data = _fetched(args, base)
    path = latex.write_data(data, output_directory(directory))
    if args.json:
        print_json(_summary(data, path, notes))
    else:
        print(f"{path}  {data.number.full}  {data.url}")
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    return int(ExitCode.OK)


def _fetched(args: argparse.Namespace, base: str) -> PaperData:
    """The data of the verified bundle the resolvers (or the cache) give for the number."""
    from pithtex.core.numbers import parse_number
    from pithtex.tex import render as latex
    from pithtex.trust.verify import require_verified

    ref = parse_number(args.source)
    keyring = keyring_from_args(args)
    resolver = resolver_from_args(args, keyring)
    try:
        resolved = resolver.resolve(ref, offline=args.offline, refresh=args.refresh)
    finally:
        resolver.http.close()
    warn_attempts(resolved)
    verified = require_verified(resolved.bundle, keyring, refusal="no data file was written")
    return latex.paper_data_from_bundle(verified, resolver_base=base)


def _looks_like_path(text: str) -> bool:
    return text.endswith(".json") or (("/" in text or "\\" in text) and "/pith/" not in text)


def _summary(data: PaperData, path: Path, notes: list[str]) -> dict[str, Any]:
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
