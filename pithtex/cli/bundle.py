"""``pithtex bundle verify|show|create``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from pithtex.cli.common import (
    Style,
    add_json_option,
    add_keyring_options,
    format_check,
    keyring_from_args,
    print_json,
)
from pithtex.core.errors import ExitCode, InputError, UnverifiedBundleError
from pithtex.core.wording import counted

if TYPE_CHECKING:
    from pithtex.core.model import Bundle


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "bundle",
        help="verify, show or create a signed Pith bundle",
        description="Work with Pith bundles (a record, its signed events and merged state).",
    )
    verbs = parser.add_subparsers(dest="bundle_verb", metavar="ACTION", required=True)

    verify = verbs.add_parser(
        "verify",
        help="verify every hash and signature of a bundle against the keyring",
        description="Verify a bundle offline. Exit 0 verified (valid and signed by trusted "
        "keys), 1 verification failed or untrusted, 2 unusable input.",
    )
    verify.add_argument(
        "file", metavar="FILE", help="bundle JSON, a PDF carrying one, or - for stdin"
    )
    add_keyring_options(verify)
    add_json_option(verify)
    verify.add_argument("-q", "--quiet", action="store_true", help="print only the verdict")
    verify.set_defaults(run=run_verify)

    show = verbs.add_parser(
        "show",
        help="show the record of a bundle (or of the bundle a PDF carries)",
        description="Verify the bundle against the keyring and print its record as the "
        "registry page shows it: title, authors, source, categories, DOI, license, who "
        "signed it, and its status (attestations, timestamp anchors, storage, citations, "
        "replications, corrections first). FILE may be a bundle, a PDF carrying one "
        "(pithtex stamp --embed-bundle), or - for standard input. A bundle that does not "
        "verify is shown only by its bare facts, marked as unverified. Exit 0 verified, "
        "1 not verified, 2 unusable input.",
    )
    show.add_argument("file", metavar="FILE", help="bundle JSON, a PDF, or - for stdin")
    add_keyring_options(show)
    add_json_option(show)
    show.set_defaults(run=run_show)

    create = verbs.add_parser(
        "create",
        help="mint and sign a bundle for a paper (for self-hosted registries)",
        description="Mint a canonical record from paper metadata and sign a bundle with a "
        "signing key made by 'pithtex keys generate'.",
    )
    create.add_argument("--key", required=True, metavar="KEYFILE", help="signing key file")
    create.add_argument(
        "--metadata",
        required=True,
        metavar="JSON",
        help="paper metadata: a JSON object with source_id, title, abstract, "
        "submitted_at, primary_cat and optionally cross_cats, license, "
        "source_kind, version, authors",
    )
    create.add_argument("--created-at", help="timestamp of the record (default: now)")
    create.add_argument(
        "--base-url",
        default="https://pith.science",
        help="resolver base URL written into the bundle's links",
    )
    create.add_argument(
        "-o", "--output", required=True, help="where to write the bundle (- for stdout)"
    )
    add_json_option(create)
    create.set_defaults(run=run_create)


def run_verify(args: argparse.Namespace) -> int:
    from pithtex.cli.inputs import load_bundle_input
    from pithtex.trust.verify import verify_bundle

    keyring = keyring_from_args(args)
    result = verify_bundle(load_bundle_input(args.file), keyring)
    if args.json:
        print_json({"schema": "pithtex.bundle-verify/1", "file": args.file, **result.to_json()})
    else:
        style = Style(sys.stdout)
        if not args.quiet:
            for check in result.checks:
                print(format_check(check, style))
        verdict = result.verdict.value.upper()
        painted = style.green(verdict) if result.verified else style.red(verdict)
        print(f"{style.bold('verdict:')} {painted}  {result.number.full}")
    return int(ExitCode.OK if result.verified else ExitCode.FAILED)


def _facts(bundle: Bundle) -> dict[str, Any]:
    """What the bundle itself says, verified or not."""
    return {
        "pith_number": bundle.pith_number,
        "short_pith_number": bundle.short_pith_number,
        "canonical_sha256": bundle.canonical_sha256,
        "source": bundle.record.raw["source"],
        "submitted_at": bundle.record.submitted_at,
        "title_canon_sha256": bundle.record.title_canon_sha256,
        "built_at": bundle.built_at,
        "events": [
            {
                "event_type": e.event_type,
                "event_id": e.event_id,
                "created_at": e.created_at,
                "signer": e.signer.key_id,
            }
            for e in bundle.events
        ],
        "public_keys": [
            {"key_id": k.key_id, "fingerprint": k.fingerprint_hex} for k in bundle.public_keys
        ],
        "signed_by": bundle.signature.key_id,
    }


def run_show(args: argparse.Namespace) -> int:
    from pithtex.cli.cards import format_card
    from pithtex.cli.inputs import read_bundle_input
    from pithtex.core.model import parse_bundle
    from pithtex.trust.record import record_card
    from pithtex.trust.verify import require_verified, verify_bundle

    data, where = read_bundle_input(args.file)
    try:
        bundle = parse_bundle(data)
    except InputError as exc:
        raise exc.prefixed(where) from None
    keyring = keyring_from_args(args)
    try:
        verified = require_verified(bundle, keyring)
    except UnverifiedBundleError:
        verification = verify_bundle(bundle, keyring)
        card = None
    else:
        verification, card = verified.verification, record_card(verified)
    first = verification.failures[0] if verification.failures else None
    if args.json:
        print_json(
            {
                "schema": "pithtex.bundle-show/1",
                "file": args.file,
                "from": where,
                "verdict": verification.verdict.value,
                "reason": None if first is None else f"{first.check}: {first.reason}",
                "record": None if card is None else card.to_json(),
                "bundle": _facts(bundle),
            }
        )
        return int(ExitCode.OK if card is not None else ExitCode.FAILED)
    style = Style(sys.stdout)
    verdict = verification.verdict.value.upper()
    painted = style.green(verdict) if card is not None else style.red(verdict)
    print(f"{'verdict':<12}{painted}  {bundle.pith_number}  ({where})")
    if card is not None:
        print("\n".join(format_card(card, style)))
        print()
    else:
        assert first is not None
        print(f"{'':<12}{first.check}: {first.reason}")
        print(style.yellow(f"{'':<12}not verified: below is what the bundle claims, unchecked"))
        print()
    _print_facts(_facts(bundle))
    return int(ExitCode.OK if card is not None else ExitCode.FAILED)


def _print_facts(facts: dict[str, Any]) -> None:
    source = facts["source"]
    version = f" v{source['version']}" if source.get("version") is not None else ""
    events = len(facts["events"])
    print(f"{'number':<12}{facts['pith_number']}  ({facts['short_pith_number']})")
    print(f"{'record':<12}{facts['canonical_sha256']}")
    print(f"{'source':<12}{source.get('kind')}:{source.get('id')}{version}")
    print(f"{'built':<12}{facts['built_at']}  signed by {facts['signed_by']}")
    print(f"{'events':<12}{counted(events, 'event')}")
    for event in facts["events"]:
        print(
            f"  {event['created_at']}  {event['event_type']:<20} {event['event_id'][:23]}…  "
            f"{event['signer']}"
        )
    for key in facts["public_keys"]:
        print(f"{'key':<12}{key['key_id']}  {key['fingerprint']}")


def run_create(args: argparse.Namespace) -> int:
    import json

    from pithtex.cli.outputs import write_output
    from pithtex.core.canonical import loads
    from pithtex.core.model import Fields, is_timestamp, read_limited
    from pithtex.trust.signing import PaperMetadata, SigningKey, build_paper_bundle, utc_now

    if args.created_at is not None and not is_timestamp(args.created_at):
        raise InputError(f"--created-at {args.created_at!r} is not an RFC 3339 timestamp")
    key = SigningKey.load(args.key)
    f = Fields(loads(read_limited(args.metadata)), "$")
    paper = PaperMetadata(
        source_id=f.text("source_id"),
        title=f.text("title"),
        abstract=f.text("abstract"),
        submitted_at=f.timestamp("submitted_at"),
        primary_cat=f.text("primary_cat"),
        cross_cats=f.texts("cross_cats", optional=True),
        license=f.opt_text("license") or PaperMetadata.license,
        source_kind=f.opt_text("source_kind") or "arxiv",
        version=f.opt_integer("version"),
    )
    bundle = build_paper_bundle(
        paper,
        key,
        created_at=args.created_at or utc_now(),
        authors=f.opt_text("authors") or "",
        base_url=args.base_url,
    )
    write_output(args.output, (json.dumps(bundle, ensure_ascii=False, indent=1) + "\n").encode())
    if args.output == "-":
        return 0
    if args.json:
        print_json(
            {
                "schema": "pithtex.bundle-create/1",
                "file": args.output,
                "number": bundle["pith_number"],
            }
        )
    else:
        print(f"{bundle['pith_number']}  written to {args.output}")
    return 0
