"""``pithtex serve DIR``: serve a mirror directory over HTTP with content negotiation.

With ``--check-page`` the server also carries the verify page at ``/check/``
(:mod:`pithtex.web.mirror`), with the bounds of a public page.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING

from pithtex.cli.common import add_keyring_options
from pithtex.cli.resolving import add_resolver_options
from pithtex.cli.ui import add_page_options

if TYPE_CHECKING:
    from pithtex.registry.server import MirrorServer


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve a mirror directory over HTTP (small mirrors, tests)",
        description="Serve a directory written by 'pithtex mirror build': bundles, states, "
        "and /pith/N as JSON-LD or HTML by content negotiation, with ETags and gzip. Files "
        "are read into memory at start and again on SIGHUP. Prints the URL it listens on. "
        "For large or public mirrors use a web server (see: pithtex help resolver).",
    )
    parser.add_argument("directory", metavar="DIR", help="mirror directory")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    parser.add_argument(
        "--max-age",
        type=int,
        default=300,
        metavar="SECONDS",
        help="Cache-Control max-age sent with every file (default 300)",
    )
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    page = parser.add_argument_group("verify page (--check-page)")
    page.add_argument(
        "--check-page",
        action="store_true",
        help="also serve the verify page at /check/: anyone may upload PDFs and see their "
        "verdicts (bounded: --max-upload, --rate, --workers, --timeout, --memory); "
        "uploads are never written under DIR",
    )
    add_page_options(page, default_upload=16, default_workers=2)
    page.add_argument(
        "--rate",
        type=float,
        metavar="N",
        help="files one client address may have checked per minute (default 10; 0: no limit)",
    )
    add_resolver_options(parser)
    add_keyring_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pithtex.core.errors import InputError
    from pithtex.registry.server import serve

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: must be between 0 and 65535")
    if args.check_page:
        server = _with_check_page(args)
    elif page_only := _page_options_given(args):
        raise InputError(f"{page_only} applies to the verify page: add --check-page")
    else:
        server = serve(
            args.directory,
            args.host,
            args.port,
            max_age=max(0, args.max_age),
            access_log=args.access_log,
        )

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    def reload(signum: int, frame: object) -> None:
        try:
            count = server.reload()
        except InputError as exc:
            print(f"pithtex: reload failed, still serving the old files: {exc}", file=sys.stderr)
            return
        print(f"reloaded {count} files", file=sys.stderr)

    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)
    print(f"serving {args.directory} ({len(server.resources)} files) at {server.url}/", flush=True)
    if args.check_page:
        print(f"verify page at {server.url}/check/", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("stopped", file=sys.stderr)
    return 0


_PAGE_OPTIONS = {
    "max_upload": "--max-upload",
    "workers": "--workers",
    "timeout": "--timeout",
    "memory": "--memory",
    "rate": "--rate",
    "resolver": "--resolver",
    "offline": "--offline",
    "refresh": "--refresh",
    "cache_dir": "--cache-dir",
    "keyring": "--keyring",
    "no_default_keyring": "--no-default-keyring",
}


def _page_options_given(args: argparse.Namespace) -> str | None:
    """The first option given that only the verify page uses, if any."""
    return next((flag for name, flag in _PAGE_OPTIONS.items() if getattr(args, name)), None)


def _with_check_page(args: argparse.Namespace) -> MirrorServer:
    from pithtex.cli.ui import check_options, page_limits, require_web

    require_web()
    from pithtex.web.limits import MIRROR_LIMITS
    from pithtex.web.mirror import serve_with_check_page

    return serve_with_check_page(
        args.directory,
        check_options(args),
        args.host,
        args.port,
        limits=page_limits(args, MIRROR_LIMITS),
        max_age=max(0, args.max_age),
        access_log=args.access_log,
    )
