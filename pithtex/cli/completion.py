"""``pithtex completion SHELL``: shell completion, through argcomplete.

The script argcomplete prints calls ``pithtex`` back with ``_ARGCOMPLETE`` set;
:func:`pithtex.cli.main` then answers from the same parser the command uses, so
completion never drifts from the options (bash, zsh, fish, tcsh).
"""

from __future__ import annotations

import argparse
import sys

from pithtex.core.errors import ExitCode

__all__ = ["SHELLS", "complete", "register", "run_completion"]

SHELLS = ("bash", "zsh", "fish", "tcsh")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh, fish or tcsh",
        description="Print a script that makes SHELL complete pithtex's verbs and options. "
        'bash: eval "$(pithtex completion bash)" in ~/.bashrc; zsh: the same in ~/.zshrc; '
        "fish: pithtex completion fish > ~/.config/fish/completions/pithtex.fish.",
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help=", ".join(SHELLS))
    parser.set_defaults(run=run_completion)


def run_completion(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    sys.stdout.write(shellcode(["pithtex"], shell=args.shell))
    return int(ExitCode.OK)


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request (``_ARGCOMPLETE`` is set) and exit; else do nothing."""
    import argcomplete

    argcomplete.autocomplete(parser)
