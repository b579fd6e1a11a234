"""Resolver options shared by the verbs that fetch bundles by number.

``add_resolver_options`` adds ``--resolver`` (repeatable), ``--offline``,
``--refresh`` and ``--cache-dir``; ``resolver_from_args`` builds the
:class:`~pithtex.registry.resolver.Resolver` they describe.  ``pithtex fetch`` uses
both; ``pithtex check`` and ``pithtex tex`` use them when given a number
instead of a bundle file.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pithtex.registry.resolver import ResolvedBundle, Resolver
    from pithtex.trust.keyring import Keyring


def add_resolver_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("resolvers and cache")
    group.add_argument(
        "--resolver",
        metavar="URL",
        action="append",
        default=[],
        help="resolver or mirror base URL to try, in order; may be repeated and replaces "
        "the list from $PITHTEX_RESOLVERS and the config file (default https://pith.science)",
    )
    group.add_argument(
        "--offline",
        action="store_true",
        help="use the local cache only; never touch the network",
    )
    group.add_argument(
        "--refresh",
        action="store_true",
        help="ask the resolver even when the cached copy is still fresh",
    )
    group.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="bundle cache directory (default: $PITHTEX_CACHE_DIR or the per-user cache)",
    )


def resolver_from_args(args: argparse.Namespace, keyring: Keyring) -> Resolver:
    from pithtex.registry.resolver import make_resolver

    return make_resolver(keyring, resolvers=args.resolver or None, cache=args.cache_dir)


def warn_attempts(resolved: ResolvedBundle) -> None:
    """One stderr line per mirror that failed before one succeeded."""
    for attempt in resolved.attempts:
        if attempt.code != "resolver.not_found" or resolved.stale:
            print(f"pithtex: warning: {attempt}", file=sys.stderr)
    if resolved.stale:
        print("pithtex: warning: no resolver answered; using the cached bundle", file=sys.stderr)
