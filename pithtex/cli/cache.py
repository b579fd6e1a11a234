"""``pithtex cache path|list|clear``: look after the local bundle cache."""

from __future__ import annotations

import argparse
from typing import Any

from pithtex.cli.common import add_json_option, print_json
from pithtex.core.wording import counted


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "cache",
        help="show or clear the local cache of verified bundles",
        description="The cache holds bundles 'pithtex fetch' (and verbs resolving numbers) "
        "downloaded and verified. Its directory is --cache-dir, $PITHTEX_CACHE_DIR, "
        "cache_dir in the config file, or the per-user cache directory.",
    )
    verbs = parser.add_subparsers(dest="cache_verb", metavar="ACTION", required=True)
    for name, help_text, run in (
        ("path", "print the cache directory", run_path),
        ("list", "list the cached numbers", run_list),
        ("clear", "remove cached bundles (all, or the numbers given)", run_clear),
    ):
        verb = verbs.add_parser(
            name, help=help_text, description=help_text[0].upper() + help_text[1:] + "."
        )
        verb.add_argument("--cache-dir", metavar="DIR", help="cache directory")
        if name == "clear":
            verb.add_argument("numbers", metavar="NUMBER", nargs="*", help="numbers to remove")
        add_json_option(verb)
        verb.set_defaults(run=run)


def _cache(args: argparse.Namespace) -> Any:
    from pithtex.core.paths import default_cache_dir
    from pithtex.registry.cache import BundleCache
    from pithtex.registry.config import load_settings

    if args.cache_dir:
        return BundleCache(args.cache_dir)
    return BundleCache(default_cache_dir(load_settings().cache_dir))


def run_path(args: argparse.Namespace) -> int:
    root = _cache(args).root
    if args.json:
        print_json({"schema": "pithtex.cache-path/1", "path": str(root)})
    else:
        print(root)
    return 0


def run_list(args: argparse.Namespace) -> int:
    import time

    entries = list(_cache(args).entries())
    if args.json:
        print_json(
            [
                {
                    "path": str(e.path),
                    **{k: v for k, v in e.meta.to_json().items() if k != "schema"},
                }
                for e in entries
            ]
        )
        return 0
    for entry in entries:
        meta = entry.meta
        checked = time.strftime("%Y-%m-%d %H:%M", time.gmtime(meta.checked_at))
        print(
            f"{meta.pith_number}  built {meta.built_at}  {meta.event_count} events  "
            f"checked {checked} UTC  from {meta.source_url}"
        )
    return 0


def run_clear(args: argparse.Namespace) -> int:
    from pithtex.core.errors import InputError
    from pithtex.core.numbers import parse_number

    cache = _cache(args)
    if not args.numbers:
        removed = cache.clear()
    else:
        entries = []
        for text in args.numbers:
            entry = cache.find(parse_number(text))
            if entry is None:
                raise InputError(f"{text}: not in the cache ({cache.root})", code="cache.missing")
            entries.append(entry)
        removed = sum(cache.remove(entry.body) for entry in entries)
    if args.json:
        print_json({"schema": "pithtex.cache-clear/1", "path": str(cache.root), "removed": removed})
    else:
        print(f"removed {counted(removed, 'cached bundle')} from {cache.root}")
    return 0
