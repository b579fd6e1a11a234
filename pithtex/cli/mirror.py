"""``pithtex mirror build DIR BUNDLE...``: write the static resolver layout."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

from pithtex.cli.common import add_json_option, add_keyring_options, keyring_from_args, print_json
from pithtex.core.wording import counted

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "mirror",
        help="build a static mirror any web server can host",
        description="Work with static Pith mirrors (the resolver layout as plain files).",
    )
    verbs = parser.add_subparsers(dest="mirror_verb", metavar="ACTION", required=True)
    build = verbs.add_parser(
        "build",
        help="add verified bundles to a mirror directory",
        description="Verify each bundle against the keyring and write /pith/N/bundle.json, "
        "/.well-known/pith/N/bundle.json, /pith/N/state.json, a JSON-LD document, an HTML "
        "page, short-number aliases and the index files into DIR. Existing entries stay; "
        "an older bundle of a number already mirrored is refused unless --force. "
        "Exit 0 built, 1 a bundle did not verify, 2 unusable input or mirror.",
    )
    build.add_argument("directory", metavar="DIR", help="mirror directory (created if needed)")
    build.add_argument(
        "bundles",
        metavar="BUNDLE",
        nargs="*",
        help="bundle files, or directories whose *.json files are bundles",
    )
    build.add_argument(
        "--from-cache",
        action="store_true",
        help="also mirror every bundle in the local cache (see --cache-dir)",
    )
    build.add_argument("--cache-dir", metavar="DIR", help="cache directory for --from-cache")
    build.add_argument(
        "--base-url",
        metavar="URL",
        help="public URL the mirror will be served at, for absolute links in the JSON-LD "
        "and HTML pages (default: root-relative links)",
    )
    build.add_argument(
        "--force", action="store_true", help="replace mirrored bundles even by older ones"
    )
    build.add_argument(
        "--no-short-aliases",
        dest="short_aliases",
        action="store_false",
        help="do not write /pith/<8|12|16 characters>/ aliases",
    )
    build.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal and there are "
        "several numbers to write)",
    )
    add_keyring_options(build)
    add_json_option(build)
    build.set_defaults(run=run_build)


def _bundle_files(args: argparse.Namespace) -> list[Path]:
    from pithtex.core.errors import InputError

    files: list[Path] = []
    for name in args.bundles:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.json") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{name}: no such file or directory", code="file.missing")
    if args.from_cache:
        from pithtex.core.paths import default_cache_dir
        from pithtex.registry.cache import BundleCache

        cache = BundleCache(args.cache_dir or default_cache_dir())
        files.extend(entry.path for entry in cache.entries())
    if not files:
        raise InputError("no bundles given (name files or directories, or use --from-cache)")
    return files


def _with_progress(items: Iterable[T], *, asked: bool | None) -> Iterator[T]:
    """The numbers the mirror writes, shown by the progress bar every verb uses."""
    from pithtex.jobs.progress import open_progress, tracked

    chosen = list(items)
    with open_progress(asked, total=len(chosen), unit="number", desc="writing") as progress:
        yield from tracked(chosen, progress)


def run_build(args: argparse.Namespace) -> int:
    from pithtex.registry.config import normalise_base_url
    from pithtex.registry.mirror import build_mirror

    files = _bundle_files(args)
    base_url = normalise_base_url(args.base_url, "--base-url") if args.base_url else None
    report = build_mirror(
        args.directory,
        files,
        keyring=keyring_from_args(args),
        base_url=base_url,
        force=args.force,
        short_aliases=args.short_aliases,
        progress=partial(_with_progress, asked=args.progress),
    )
    if args.json:
        print_json(report.to_json())
        return 0
    print(
        f"{report.directory}: {counted(report.total, 'number')} "
        f"({len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged), "
        f"{counted(report.aliases, 'short alias', 'short aliases')}"
    )
    for prefix in report.ambiguous:
        print(f"  short alias {prefix} is shared by several numbers: not written")
    return 0
