"""The seed bundle verifies through the command line."""

from conftest import SEED_BUNDLE, SEED_NUMBER, run_cli


def test_seed_verifies_via_cli() -> None:
    result = run_cli("bundle", "verify", SEED_BUNDLE, "--json", check=True)
    assert '"verdict": "verified"' in result.stdout
    assert SEED_NUMBER in result.stdout


def test_every_verb_has_help() -> None:
    top = run_cli("--help", check=True).stdout
    for verb in ("bundle", "number", "keys"):
        assert verb in top
        assert run_cli(verb, "--help", check=True).stdout.startswith("usage:")
