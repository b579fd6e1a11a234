"""``pithtex keys generate|show``: signing keys for self-hosted registries and tests."""

from __future__ import annotations

import argparse
from pathlib import Path

from pithtex.cli.common import add_json_option, print_json
from pithtex.core.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "keys",
        help="generate or show Ed25519 signing keys",
        description="Manage Ed25519 signing keys.",
    )
    verbs = parser.add_subparsers(dest="keys_verb", metavar="ACTION", required=True)

    generate = verbs.add_parser(
        "generate",
        help="generate a signing key (private key file, mode 0600)",
        description="Generate an Ed25519 signing key. The key file holds the private key; "
        "share its public part (pithtex keys show) as a keyring entry.",
    )
    generate.add_argument("--key-id", required=True, help="identifier, e.g. myregistry-2026-11")
    generate.add_argument(
        "--signer-id",
        required=True,
        help="who signs with this key, written into every event it signs (e.g. your "
        "registry's domain); required, so that no self-made key claims to be pith.science",
    )
    generate.add_argument("-o", "--output", required=True, metavar="KEYFILE")
    generate.add_argument("--force", action="store_true", help="overwrite an existing key file")
    add_json_option(generate)
    generate.set_defaults(run=run_generate)

    show = verbs.add_parser(
        "show",
        help="print the public key entry (keyring format) of a key file",
        description="Print the public part of a signing key, or of every key in a keyring "
        "file, in keyring format.",
    )
    show.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="a signing key or keyring file (default: the built-in keyring)",
    )
    add_json_option(show)
    show.set_defaults(run=run_show)


def run_generate(args: argparse.Namespace) -> int:
    from pithtex.trust.signing import SigningKey

    if Path(args.output).exists() and not args.force:
        raise InputError(
            f"{args.output} exists; pass --force to overwrite a key file", code="file.exists"
        )
    if not args.signer_id.strip():
        raise InputError("--signer-id must name who signs", code="key.signer_missing")
    key = SigningKey.generate(args.key_id, signer_id=args.signer_id.strip())
    key.save(args.output)
    if args.json:
        print_json(
            {
                "schema": "pithtex.keys-generate/1",
                "file": args.output,
                "key_id": key.key_id,
                "signer_id": key.signer_id,
                "fingerprint": key.fingerprint,
                "public_key": key.public_entry(),
            }
        )
    else:
        print(f"{key.key_id}  fingerprint {key.fingerprint}  written to {args.output}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from pithtex.core.canonical import loads
    from pithtex.core.model import read_limited
    from pithtex.trust.keyring import Keyring
    from pithtex.trust.signing import SigningKey

    if args.file is None:
        entries = [k.source for k in Keyring.default()]
    else:
        doc = loads(read_limited(args.file))
        if isinstance(doc, dict) and doc.get("kind") == "pith_signing_key":
            entries = [SigningKey.load(args.file).public_entry()]
        else:
            entries = [k.source for k in Keyring.from_file(args.file)]
    if args.json:
        print_json({"keys": entries})
    else:
        for entry in entries:
            print(
                f"{entry['key_id']}  ed25519  {entry['fingerprint_sha256_hex']}  "
                f"{entry['public_key_b64']}  rotates_at={entry.get('rotates_at')}"
            )
    return 0
