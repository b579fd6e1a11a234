"""``pithtex number``: derive a Pith Number from a bundle or record, or normalise one."""

from __future__ import annotations

import argparse
from pathlib import Path

from pithtex.cli.common import add_json_option, print_json
from pithtex.core.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "number",
        help="derive the Pith Number of a bundle or record, or normalise a number",
        description="Print the Pith Number derived from a bundle or canonical record file "
        "(computed from the record hash, not copied from the file), or normalise a number "
        "as typed (pith:2019:J655..., pith:J655K2KR, lower case).",
    )
    parser.add_argument(
        "source",
        metavar="FILE_OR_NUMBER",
        help="a bundle or canonical record JSON file (- for stdin), or a Pith Number",
    )
    parser.add_argument("--short", action="store_true", help="print the short form pith:XXXXXXXX")
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.cli.inputs import STDIN, read_bundle_input
    from pithtex.core.canonical import loads
    from pithtex.core.digests import record_number, record_sha256
    from pithtex.core.model import Bundle, Fields, Record
    from pithtex.core.numbers import parse_number

    source = args.source
    if source.lstrip().startswith(("{", "[")):
        raise InputError(
            "give a bundle or record as a file, or as - on standard input, not on the command line",
            code="usage.invalid",
        )
    if source != STDIN and not Path(source).exists():
        ref = parse_number(source)
        result: dict[str, object] = {
            "pith_number": str(ref),
            "body": ref.body,
            "year": ref.year,
            "is_full": ref.is_full,
        }
        text = f"pith:{ref.body[:8]}" if args.short else str(ref)
    else:
        doc = loads(read_bundle_input(source)[0])
        fields = Fields(doc, "$")
        if isinstance(doc, dict) and "canonical_record" in doc:
            record = Bundle.parse(fields).record
        else:
            record = Record.parse(fields)
        number = record_number(record.raw)
        result = {
            "pith_number": number.full,
            "short_pith_number": number.short_form,
            "body": number.body,
            "year": number.year,
            "canonical_sha256": record_sha256(record.raw),
            "aliases": {f"pith_short_{n}": number.short(n) for n in (8, 12, 16)},
        }
        text = number.short_form if args.short else number.full
    if args.json:
        print_json(result)
    else:
        print(text)
    return 0
