"""Options and output helpers shared by the verbs."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from pithtex.core.errors import InputError
from pithtex.jobs.limits import DEFAULT_MEMORY_MIB, DEFAULT_TIMEOUT, MIB, MIN_MEMORY_MIB

if TYPE_CHECKING:
    from pithtex.core.results import CheckResult
    from pithtex.jobs.executor import Bounds
    from pithtex.trust.keyring import Keyring

KEYRING_ENV = "PITHTEX_KEYRING"


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print machine-readable JSON instead of text"
    )


def add_keyring_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("trust")
    group.add_argument(
        "--keyring",
        metavar="FILE",
        action="append",
        default=[],
        help="add the trusted registry keys in FILE (a JSON list of key objects or "
        '{"keys": [...]}); may be repeated; also read from $PITHTEX_KEYRING '
        "(os.pathsep-separated)",
    )
    group.add_argument(
        "--no-default-keyring",
        action="store_true",
        help="do not trust the pith.science key shipped with pithtex; trust only --keyring files",
    )


def add_batch_options(parser: argparse.ArgumentParser, *, noun: str = "file") -> None:
    """``-j``, ``--timeout``, ``--memory`` and ``--progress``: the same for every batch verb."""
    batch = parser.add_argument_group("batch and bounds")
    batch.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes (default: one per usable core)",
    )
    batch.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds per {noun} (default {DEFAULT_TIMEOUT:g})",
    )
    batch.add_argument(
        "--memory",
        type=int,
        default=DEFAULT_MEMORY_MIB,
        metavar="MIB",
        help=f"memory a worker may use per {noun}, in MiB (default {DEFAULT_MEMORY_MIB})",
    )
    batch.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"progress bar on stderr (default: when stderr is a terminal and there are "
        f"several {noun}s)",
    )


def batch_from_args(args: argparse.Namespace) -> tuple[int | None, Bounds]:
    """The ``--jobs`` (``None``: one per usable core) and the bounds of a batch verb."""
    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs must be at least 1", code="usage.invalid")
    if args.timeout <= 0 or args.memory < MIN_MEMORY_MIB:
        raise InputError(
            f"--timeout must be positive and --memory at least {MIN_MEMORY_MIB}",
            code="usage.invalid",
        )
    from pithtex.jobs.executor import Bounds

    return args.jobs, Bounds(timeout=args.timeout, memory_bytes=args.memory * MIB)


def keyring_from_args(args: argparse.Namespace) -> Keyring:
    from pithtex.trust.keyring import Keyring

    files = [f for f in os.environ.get(KEYRING_ENV, "").split(os.pathsep) if f]
    files.extend(args.keyring)
    return Keyring.build(files, include_default=not args.no_default_keyring)


def flush_now(last: float, every: float = 0.25) -> float:
    """Flush stdout now and then: a batch's lines stream without a system call per line.

    Give it the time of the last flush (``time.monotonic()``); it returns the new one.
    """
    now = time.monotonic()
    if now - last < every:
        return last
    sys.stdout.flush()
    return now


def print_json(value: Any, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    json.dump(value, out, indent=2, ensure_ascii=False)
    out.write("\n")


class Style:
    """ANSI colours when writing to a terminal (honours NO_COLOR and FORCE_COLOR)."""

    def __init__(self, stream: TextIO) -> None:
        forced = bool(os.environ.get("FORCE_COLOR"))
        self.enabled = forced or (
            stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        )

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)


def format_check(result: CheckResult, style: Style, width: int = 22) -> str:
    """One report line: ``PASS  record.hash  canonical record hashes to …``."""
    label = {
        "pass": style.green("PASS"),
        "fail": style.red("FAIL"),
        "skip": style.yellow("SKIP"),
        "indeterminate": style.yellow("INDET"),
    }[result.status.value]
    subject = f" [{result.subject}]" if result.subject else ""
    return f"{label}  {result.check:<{width}} {result.reason}{style.dim(subject)}"


class _Serving(Protocol):
    """What :func:`serve_until_stopped` needs of a server."""

    def serve_forever(self, poll_interval: float = 0.5) -> None: ...
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...


def serve_until_stopped(server: _Serving) -> int:
    """Serve until ^C or SIGTERM; then close the server and say so on stderr."""

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("stopped", file=sys.stderr)
    return 0
