"""``pithtex ui``: the verify page on 127.0.0.1, for people who would rather not use a terminal."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pithtex.cli.common import add_keyring_options, keyring_from_args, serve_until_stopped
from pithtex.cli.resolving import add_resolver_options

if TYPE_CHECKING:
    from pithtex.pdf.check import CheckOptions
    from pithtex.web.limits import PageLimits

DEFAULT_PORT = 8765


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ui",
        help="the verify page: drop PDFs in a browser, see each verdict, check and record",
        description="Serve the verify page on this computer (127.0.0.1): drop or choose PDFs "
        "and see, for each, the verdict, every check, the record and page 1 with the badge "
        "outlined, with its JSON report to download. Each file is checked as 'pithtex check' "
        "checks it, in a bounded worker process, and deleted after the answer; the page "
        "loads nothing from other sites. Works without JavaScript. Prints the URL; ^C stops.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to listen on (default 127.0.0.1; never a public one)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--open", action="store_true", help="open the page in the web browser once it listens"
    )
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    add_page_options(
        parser.add_argument_group("verify page bounds"), default_upload=64, default_workers=None
    )
    add_resolver_options(parser)
    add_keyring_options(parser)
    parser.set_defaults(run=run)


def add_page_options(
    group: argparse._ArgumentGroup, *, default_upload: int, default_workers: int | None
) -> None:
    """Options of the verify page's bounds (``ui`` and ``serve --check-page``)."""
    group.add_argument(
        "--max-upload",
        type=float,
        metavar="MIB",
        help=f"largest PDF accepted, in MiB (default {default_upload})",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="files checked at the same time, one worker process each (default "
        + ("one per core)" if default_workers is None else f"{default_workers})"),
    )
    group.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="seconds to check and render one file (default: as pithtex check, 60)",
    )
    group.add_argument(
        "--memory",
        type=int,
        metavar="MIB",
        help="memory of the worker checking one file, in MiB (default: as pithtex check, 1024)",
    )
    group.add_argument(
        "--ocr",
        action="store_true",
        help="read the title block of a page 1 without title text (a scan) by OCR, as "
        "'pithtex check --ocr' does (needs tesseract-ocr and tesseract-ocr-eng; exit 5 "
        "without them)",
    )


def page_limits(args: argparse.Namespace, base: PageLimits) -> PageLimits:
    """``base`` with the bounds the command line gives; refuses nonsense with exit 2."""
    import dataclasses

    from pithtex.core.errors import InputError
    from pithtex.jobs.executor import MIB, Bounds

    if args.max_upload is not None and not 0 < args.max_upload <= 4096:
        raise InputError("--max-upload must be between 0 and 4096 MiB", code="usage.invalid")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be at least 1", code="usage.invalid")
    rate = getattr(args, "rate", None)
    if rate is not None and rate < 0:
        raise InputError("--rate must not be negative", code="usage.invalid")
    timeout = base.bounds.timeout if args.timeout is None else args.timeout
    memory = base.bounds.memory_bytes if args.memory is None else args.memory * MIB
    if timeout <= 0 or (memory is not None and memory < 64 * MIB):
        raise InputError(
            "--timeout must be positive and --memory at least 64", code="usage.invalid"
        )
    return dataclasses.replace(
        base,
        max_file_bytes=base.max_file_bytes
        if args.max_upload is None
        else int(args.max_upload * MIB),
        workers=base.workers if args.workers is None else args.workers,
        rate_per_minute=base.rate_per_minute if rate is None else (rate or None),
        bounds=Bounds(timeout=timeout, memory_bytes=memory),
    )


def check_options(args: argparse.Namespace) -> CheckOptions:
    """How the page checks: the keyring, cache and resolvers, and OCR, as ``pithtex
    check`` does; with ``--ocr`` and no Tesseract, exit 5 before serving."""
    from functools import partial

    from pithtex.cli.check import registry_from_args
    from pithtex.pdf.check import CheckOptions
    from pithtex.pdf.tesseract import require_tesseract
    from pithtex.pipelines.batch import link_bases

    if args.ocr:
        require_tesseract()
    keyring = keyring_from_args(args)
    return CheckOptions(
        keyring=keyring,
        resolvers=partial(link_bases, tuple(args.resolver)),
        registry=registry_from_args(args, keyring),
        offline=args.offline,
        refresh=args.refresh,
        ocr=args.ocr,
    )


def require_web() -> None:
    """Fail with exit 5 and the install command when the page's parts are missing."""
    from pithtex.core.errors import MissingToolError

    try:
        import python_multipart  # noqa: F401 - only whether it is there
    except ImportError:
        raise MissingToolError(
            "the verify page needs python-multipart, which this installation lacks: "
            "reinstall pithtex (pip install --force-reinstall pithtex)",
            code="tool.python_multipart",
        ) from None


def run(args: argparse.Namespace) -> int:
    from pithtex.core.errors import InputError
    from pithtex.jobs.executor import default_jobs

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: must be between 0 and 65535")
    require_web()
    from pithtex.web.limits import LOCAL_LIMITS
    from pithtex.web.local import serve_local

    limits = page_limits(args, LOCAL_LIMITS)
    if args.workers is None:
        limits = _with_workers(limits, default_jobs())
    server = serve_local(
        check_options(args), args.host, args.port, limits=limits, access_log=args.access_log
    )
    print(f"verify page at {server.url} (^C stops)", flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(server.url)
    return serve_until_stopped(server)


def _with_workers(limits: PageLimits, workers: int) -> PageLimits:
    import dataclasses

    return dataclasses.replace(limits, workers=workers)
