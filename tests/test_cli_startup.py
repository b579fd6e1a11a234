"""Start-up builds only the verb a command line names, and nothing shows it."""

from __future__ import annotations

import argparse

import pytest

from pithtex.cli import COMMAND_MODULES, build_parser

VERBS = [name.rsplit(".", 1)[1] for name in COMMAND_MODULES]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_each_module_registers_the_verb_named_like_it() -> None:
    for module, verb in zip(COMMAND_MODULES, VERBS, strict=True):
        parser = build_parser([verb])
        built = _subparsers(parser)[verb]
        assert built.format_help() == _subparsers(build_parser())[verb].format_help(), module


@pytest.mark.parametrize("verb", VERBS)
def test_a_named_verb_parses_as_with_the_full_parser(verb: str) -> None:
    full, lean = build_parser(), build_parser([verb, "--help"])
    assert sorted(_subparsers(lean)) == sorted(_subparsers(full)) == sorted(VERBS)
    assert _subparsers(lean)[verb].format_usage() == _subparsers(full)[verb].format_usage()


def test_no_verb_builds_every_verb_in_full() -> None:
    for argv in ([], ["--help"], ["--version"], ["nosuch"]):
        help_text = build_parser(argv).format_help()
        assert help_text == build_parser().format_help()
        assert all(verb in help_text for verb in VERBS)
