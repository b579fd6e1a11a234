"""The ``pithtex`` command: a thin argparse layer over the library.

Each verb lives in its own module under :mod:`pithtex.cli` and exposes
``register(subparsers)``.  Command modules import only argparse at load time;
the library modules a verb needs are imported when it runs, which keeps
``pithtex --help`` fast.  Errors the library raises on purpose
(:class:`~pithtex.core.errors.PithError`) become one line on stderr and their
documented exit code; nothing else ever prints a traceback unless
``PITHTEX_DEBUG`` is set; such a bug exits 70
(:attr:`~pithtex.core.errors.ExitCode.INTERNAL`), never a code the input can cause.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from pithtex.core.errors import ExitCode, PithError
from pithtex.core.version import __version__

COMMAND_MODULES = (
    "pithtex.cli.demo",
    "pithtex.cli.bundle",
    "pithtex.cli.number",
    "pithtex.cli.keys",
    "pithtex.cli.sty",
    "pithtex.cli.ctan",
    "pithtex.cli.tex",
    "pithtex.cli.stamp",
    "pithtex.cli.check",
    "pithtex.cli.ui",
    "pithtex.cli.arxiv",
    "pithtex.cli.fetch",
    "pithtex.cli.mirror",
    "pithtex.cli.serve",
    "pithtex.cli.cache",
    "pithtex.cli.help",
    "pithtex.cli.completion",
    "pithtex.cli.man",
)
"""Modules that register verbs, in the order ``--help`` lists them.

Each module registers one verb named like the module (``pithtex.cli.stamp``
registers ``stamp``)."""

ERROR_SCHEMA = "pithtex.error/1"
"""The JSON document every verb prints on stdout for an error under ``--json``."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``pithtex`` parser.

    Given the command line, only the verb it names is built in full (its
    module imported, its options added): the other verbs are bare entries that
    keep the list of choices whole.  A command line that names no verb, such
    as ``--help``, gets every verb in full.
    """
    selected = _named_verb(argv)
    parser = _Parser(
        prog="pithtex",
        description="Put verifiable Pith Number badges into papers and check them in PDFs.",
        epilog="Exit codes: 0 ok/verified, 1 check failed, 2 unusable input, 3 no Pith claim, "
        "4 network or (check) indeterminate, 5 missing tool, 70 internal error (a bug), "
        "130 interrupted. Run 'pithtex VERB --help' for each verb.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"pithtex {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name in COMMAND_MODULES:
        if selected is None or _verb_of(name) == selected:
            importlib.import_module(name).register(sub)
        else:
            sub.add_parser(_verb_of(name))
    return parser


def _verb_of(module: str) -> str:
    return module.rsplit(".", 1)[1]


def _named_verb(argv: Sequence[str] | None) -> str | None:
    """The verb ``argv`` runs, when its first word is one (start-up builds only that one)."""
    if not argv:
        return None
    verbs = {_verb_of(name) for name in COMMAND_MODULES}
    return argv[0] if argv[0] in verbs else None


class UsageError(PithError):
    """A command line the parser refuses (exit code 2)."""

    default_code = "usage.invalid"


class _Parser(argparse.ArgumentParser):
    """argparse, with a refused command line raised rather than printed and exited on.

    :func:`main` then reports it like every other error: as one line on stderr
    after the usage, or, under ``--json``, as a JSON document too.
    """

    def error(self, message: str) -> NoReturn:
        verb = self.prog.removeprefix("pithtex").strip()
        raise UsageError(f"{verb}: {message}" if verb else message)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions: the whole parser
        from pithtex.cli.completion import complete

        complete(build_parser())
    wants_json = "--json" in argv
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
    except UsageError as exc:
        if not wants_json:
            _usage_of(argv).print_usage(sys.stderr)
        return _fail(exc, wants_json, exc.message)
    code = _run(args, wants_json and getattr(args, "json", False))
    return code


def _run(args: argparse.Namespace, json_errors: bool) -> int:
    """Run the verb; every failure becomes one line on stderr and its exit code."""
    try:
        return int(args.run(args))
    except PithError as exc:
        return _fail(exc, json_errors, exc.message)
    except KeyboardInterrupt:
        print("pithtex: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # the reader went away (e.g. `pithtex ... | head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except OSError as exc:  # the system refused a file operation: not a bug of ours
        where = f"{exc.filename}: " if exc.filename else ""
        error = PithError(f"{where}{exc.strerror or exc}", code="file.refused")
        return _fail(error, json_errors, error.message)
    except Exception as exc:  # a bug: say so plainly, keep the traceback for debugging
        if os.environ.get("PITHTEX_DEBUG"):
            raise
        bug = PithError(f"{type(exc).__name__}: {exc}", code="internal.error")
        bug.exit_code = ExitCode.INTERNAL
        return _fail(bug, json_errors, f"{bug.message} (set PITHTEX_DEBUG=1 for a traceback)")


def _fail(error: PithError, as_json: bool, message: str) -> int:
    """Report ``error``: a line on stderr and, under ``--json``, a document on stdout."""
    internal = error.exit_code is ExitCode.INTERNAL
    print(f"pithtex: {'internal error' if internal else 'error'}: {message}", file=sys.stderr)
    if as_json:
        document = {
            "schema": ERROR_SCHEMA,
            "error": {"code": error.code, "message": error.message},
            "exit_code": int(error.exit_code),
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return int(error.exit_code)


def _usage_of(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser whose usage line fits ``argv``: the verb's, when it names one."""
    parser = build_parser(argv)
    verb = _named_verb(argv)
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if verb is None or sub is None:
        return parser
    chosen = sub.choices.get(verb)
    return chosen if isinstance(chosen, argparse.ArgumentParser) else parser
