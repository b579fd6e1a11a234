"""Under ``--json`` every outcome is one JSON document on stdout, errors included.

Report files written with ``pithtex VERB --json > report.json`` must never end up
empty: an error is the document ``pithtex.error/1`` with its code and exit code,
and the same one-line message still goes to stderr for people.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, SEED_BUNDLE, run_cli


def _cases(tmp: Path) -> list[tuple[list[str], int, str]]:
    return [
        (["bundle", "verify", str(tmp / "none.json")], 2, "file.missing"),
        (["bundle", "show", str(tmp / "none.json")], 2, "file.missing"),
        (["number", "pith:J655K2K1"], 2, "number"),
        (["tex", str(tmp / "none.json"), "-o", str(tmp)], 2, "file.missing"),
        (["stamp", str(tmp / "x.pdf"), "--bundle", str(SEED_BUNDLE), "--no-default-keyring",
          "-o", str(tmp / "o.pdf")], 1, "bundle.unverified"),
        (["fetch", "pith:J655K2KR", "--offline", "--cache-dir", str(tmp / "c")], 4, "resolver"),
        (["keys", "show", str(tmp / "none.json")], 2, "file.missing"),
        (["cache", "clear", "pith:J655K2KR", "--cache-dir", str(tmp / "c")], 2, "cache.missing"),
        (["sty", "--no-such-option"], 2, "usage.invalid"),
        (["check"], 2, "usage."),
    ]  # fmt: skip


def test_every_error_is_a_json_document_on_stdout(tmp_path: Path) -> None:
    shutil.copy(ROOT / "samples" / "producers" / "reportlab.pdf", tmp_path / "x.pdf")
    for args, exit_code, code in _cases(tmp_path):
        result = run_cli(*args, "--json")
        assert result.returncode == exit_code, (args, result.stdout, result.stderr)
        document = json.loads(result.stdout)
        assert document["schema"] == "pithtex.error/1", args
        assert document["exit_code"] == exit_code, args
        assert document["error"]["code"].startswith(code), (args, document)
        assert document["error"]["message"] and "Traceback" not in result.stderr
        assert result.stderr.startswith("pithtex: error: "), (args, result.stderr)


@pytest.mark.parametrize("verb", [["bundle", "verify"], ["tex"]])
def test_without_json_stdout_stays_empty_on_error(tmp_path: Path, verb: list[str]) -> None:
    result = run_cli(*verb, tmp_path / "none.json")
    assert result.returncode == 2 and result.stdout == ""


def test_dash_reads_a_bundle_from_stdin_in_every_verb(tmp_path: Path) -> None:
    text = SEED_BUNDLE.read_text()
    verified = run_cli("bundle", "verify", "-", "-q", input=text)
    assert verified.returncode == 0 and "VERIFIED" in verified.stdout, verified.stderr
    number = run_cli("number", "-", input=text)
    assert number.stdout.strip() == "pith:2019:J655K2KRI7DJHF4SOFYZCQRRE5", number.stderr
    tex = run_cli("tex", "-", "-o", tmp_path, input=text)
    assert tex.returncode == 0 and list(tmp_path.glob("pith-*.tex")), tex.stderr
    empty = run_cli("bundle", "verify", "-", "--json", input="")
    assert empty.returncode == 2 and json.loads(empty.stdout)["error"]["code"].startswith("json")
