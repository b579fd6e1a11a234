"""``pithtex fetch NUMBER``: download, verify and cache a bundle (or its state, or JSON-LD)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pithtex.cli.common import add_json_option, add_keyring_options, keyring_from_args, print_json
from pithtex.cli.resolving import add_resolver_options, resolver_from_args, warn_attempts

if TYPE_CHECKING:
    from pithtex.registry.resolver import ResolvedBundle


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "fetch",
        help="download, verify and cache the bundle of a Pith Number",
        description="Resolve a Pith Number (full, short, or a resolver URL) through the "
        "configured resolvers, verify the bundle against the keyring and cache it. "
        "Exit 0 verified, 2 bad number or arguments, 4 no resolver gave a verified "
        "bundle (not found, network failure, tampered or older bundle).",
    )
    parser.add_argument("number", metavar="NUMBER", help="Pith Number in any accepted form")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the verified bundle (or the state / JSON-LD) to FILE; '-' for stdout",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--state",
        action="store_true",
        help="get state.json and check it against the state merged from the verified bundle",
    )
    what.add_argument(
        "--jsonld",
        action="store_true",
        help="get the JSON-LD record page (Accept: application/ld+json on /pith/N)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="accept a bundle older than the cached one (rollback protection off)",
    )
    add_resolver_options(parser)
    add_keyring_options(parser)
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.core.numbers import parse_number

    ref = parse_number(args.number)
    resolver = resolver_from_args(args, keyring_from_args(args))
    try:
        if args.state:
            document = resolver.state(ref, offline=args.offline, refresh=args.refresh)
            _emit_document(args, document.data, document.source_url, "state")
            return 0
        if args.jsonld:
            if args.offline:
                from pithtex.core.errors import InputError

                raise InputError("--jsonld needs the network; it cannot be used with --offline")
            page = resolver.jsonld(ref)
            _emit_document(args, page.data, page.source_url, "JSON-LD")
            return 0
        resolved = resolver.resolve(
            ref, offline=args.offline, refresh=args.refresh, force=args.force
        )
    finally:
        resolver.http.close()
    warn_attempts(resolved)
    if args.output:
        _write(args.output, resolved.data)
    if args.json:
        print_json({"schema": "pithtex.fetch/1", **resolved.to_json(), "output": args.output})
    elif args.output != "-":
        print(_summary(resolved, args.output))
    return 0


def _summary(resolved: ResolvedBundle, output: str | None) -> str:
    how = "downloaded"
    if resolved.revalidated:
        how = "confirmed unchanged"
    elif resolved.stale:
        how = "stale copy from cache"
    elif resolved.from_cache:
        how = "from cache"
    lines = [
        f"{resolved.number.full}  verified  ({how}: {resolved.source_url})",
        f"built {resolved.bundle.built_at}, {len(resolved.bundle.events)} events",
    ]
    if resolved.cache_path is not None:
        lines.append(f"cached at {resolved.cache_path}")
    if output:
        lines.append(f"written to {output}")
    return "\n".join(lines)


def _emit_document(args: argparse.Namespace, data: bytes, source: str, what: str) -> None:
    if args.output and args.output != "-":
        _write(args.output, data)
        report: dict[str, Any] = {"source_url": source, "output": args.output, "kind": what}
        if args.json:
            print_json({"schema": "pithtex.fetch/1", **report})
        else:
            print(f"{what} from {source} written to {args.output}")
        return
    _write("-", data)


def _write(output: str, data: bytes) -> None:
    from pithtex.cli.outputs import write_output

    write_output(output, data)
