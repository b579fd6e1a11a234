"""``pithtex tex`` and ``pithtex sty`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    ROOT,
    SEED_BODY,
    SEED_BUNDLE,
    SEED_HASH,
    SEED_NUMBER,
    make_test_bundle,
    run_cli,
    write_json,
)
from httpfixtures import FaultServer, bundle_bytes, json_route

from pithtex.core.layout import bundle_path
from pithtex.core.numbers import PithNumber, parse_full_number


def test_tex_from_the_seed_bundle(tmp_path: Path) -> None:
    result = run_cli("tex", SEED_BUNDLE, "-o", tmp_path, "--json", check=True)
    report = json.loads(result.stdout)
    path = tmp_path / f"pith-{SEED_BODY}.tex"
    assert report == {
        "schema": "pithtex.tex/1",
        "file": str(path),
        "number": SEED_NUMBER,
        "source": "bundle",
        "canonical_sha256": SEED_HASH,
        "title": "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
        "resolver": f"https://pith.science/pith/{SEED_BODY}",
        "notes": [],
    }
    assert f"\\PithData{{canonical-sha256}}{{{SEED_HASH}}}" in path.read_text()
    assert not list(tmp_path.glob(".pithtex-*")), "no temporary file left behind"


def test_tex_trusts_only_the_keyring(tmp_path: Path, test_keyring: Path) -> None:
    bundle = write_json(tmp_path / "bundle.json", make_test_bundle())
    body = parse_full_number(json.loads(bundle.read_text())["pith_number"]).body
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"pith-{body}.tex"
    target.write_text("previous\n")

    refused = run_cli("tex", bundle, "-o", out)
    assert refused.returncode == 1
    assert "untrusted" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert target.read_text() == "previous\n", "a refused bundle must not touch the file"

    run_cli("tex", bundle, "-o", out, "--keyring", test_keyring, check=True)
    assert "verified with the keyring (test-key-1)" in target.read_text()

    forced = run_cli("tex", bundle, "-o", out, "--force", check=True)
    assert "did NOT verify" in target.read_text()
    assert "written because of --force" in forced.stderr


def test_tex_refuses_a_tampered_bundle(tmp_path: Path, test_keyring: Path) -> None:
    bundle = make_test_bundle()
    bundle["canonical_record"]["metadata"]["primary_cat"] = "cs.XX"
    path = write_json(tmp_path / "bundle.json", bundle)
    result = run_cli("tex", path, "-o", tmp_path, "--keyring", test_keyring)
    assert result.returncode == 1
    assert "invalid" in result.stderr
    assert not list(tmp_path.glob("pith-*.tex"))


def test_tex_from_a_number_alone(tmp_path: Path) -> None:
    result = run_cli("tex", SEED_NUMBER, "-o", tmp_path, "--number-only", check=True)
    text = (tmp_path / f"pith-{SEED_BODY}.tex").read_text()
    assert f"\\PithData{{number}}{{{SEED_NUMBER}}}" in text
    assert "canonical-sha256" not in text
    assert "no canonical hash and no title" in result.stderr
    url = f"https://pith.science/pith/{SEED_BODY}"
    assert run_cli("tex", url, "-o", tmp_path, "--number-only").returncode == 0
    short = run_cli("tex", "pith:J655K2KR", "-o", tmp_path, "--number-only")
    assert short.returncode == 2 and "short form" in short.stderr


@pytest.mark.network
def test_tex_fetches_the_bundle_of_a_number(tmp_path: Path, test_keyring: Path) -> None:
    bundle = make_test_bundle()
    number = parse_full_number(bundle["pith_number"])
    cache = tmp_path / "cache"
    served = json_route(bundle_bytes(bundle))
    routes = {"/" + bundle_path(number.body): served, "/" + bundle_path(number.short()): served}
    with FaultServer(routes) as server:
        fetched = run_cli(
            "tex", number.short_form, "-o", tmp_path, "--resolver", server.base,
            "--cache-dir", cache, "--keyring", test_keyring, "--json", check=True,
        )  # fmt: skip
    report = json.loads(fetched.stdout)
    assert report["number"] == number.full and report["source"] == "bundle"
    assert report["resolver"] == f"{server.base}/pith/{number.body}"
    text = (tmp_path / f"pith-{number.body}.tex").read_text()
    assert f"\\PithData{{canonical-sha256}}{{{bundle['canonical_sha256']}}}" in text
    # the server is gone; the verified copy in the cache still serves, offline
    again = tmp_path / "again"
    again.mkdir()
    run_cli(
        "tex", number.full, "-o", again, "--offline", "--cache-dir", cache,
        "--keyring", test_keyring, check=True,
    )  # fmt: skip
    assert f"https://pith.science/pith/{number.body}" in (again / data_name(number)).read_text()
    assert "canonical-sha256" in (again / data_name(number)).read_text()


def data_name(number: PithNumber) -> str:
    return f"pith-{number.body}.tex"


@pytest.mark.network
def test_tex_without_a_verified_bundle_writes_nothing(tmp_path: Path) -> None:
    bundle = make_test_bundle()  # signed by a test key the default keyring does not trust
    number = parse_full_number(bundle["pith_number"])
    with FaultServer({"/" + bundle_path(number.body): json_route(bundle_bytes(bundle))}) as server:
        result = run_cli(
            "tex",
            number.full,
            "-o",
            tmp_path,
            "--resolver",
            server.base,
            "--cache-dir",
            tmp_path / "cache",
        )
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("pith-*.tex"))


def test_tex_bad_input(tmp_path: Path) -> None:
    cases = {
        ("pith:J655K2KR", "--number-only"): "short form",
        ("J655K2KRI7DJHF4SOFYZCQRRE0",): "cannot appear",
        ("missing/bundle.json",): "no such bundle file",
        (str(SEED_BUNDLE), "--resolver", "ftp://x"): "not a usable resolver base URL",
        (str(SEED_BUNDLE), "-o", str(tmp_path / "in-the-way" / "x")): "cannot create the folder",
    }
    (tmp_path / "in-the-way").write_text("a file\n")
    for args, message in cases.items():
        result = run_cli("tex", *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"bundle_type": ')
    result = run_cli("tex", broken, "-o", tmp_path)
    assert result.returncode == 2 and "broken.json" in result.stderr


def test_missing_output_folders_are_made_alike(tmp_path: Path) -> None:
    """sty -o, tex -o and fetch -o make the folders they write into, as stamp does."""
    sty = run_cli("sty", "-o", tmp_path / "a" / "shared-tex")
    assert sty.returncode == 0 and (tmp_path / "a" / "shared-tex" / "pith.sty").is_file()
    tex = run_cli("tex", SEED_BUNDLE, "-o", tmp_path / "b" / "paper")
    assert tex.returncode == 0, tex.stderr
    assert list((tmp_path / "b" / "paper").glob("pith-*.tex"))


def test_sty_writes_and_checks(tmp_path: Path) -> None:
    run_cli("sty", "-o", tmp_path, check=True)
    written = (tmp_path / "pith.sty").read_text(encoding="utf-8")
    assert written == (ROOT / "latex" / "pith.sty").read_text(encoding="utf-8")
    assert run_cli("sty", "-o", tmp_path, "--check").returncode == 0
    (tmp_path / "pith.sty").write_text(written.replace("pith", "pit", 1))
    drifted = run_cli("sty", "-o", tmp_path, "--check")
    assert drifted.returncode == 1 and "differs from the templates" in drifted.stderr
    absent = run_cli("sty", "-o", tmp_path / "none", "--check")
    assert absent.returncode == 1 and "missing" in absent.stderr
    assert not (tmp_path / "none").exists(), "--check writes nothing, not even a folder"


def test_verbs_have_help() -> None:
    for verb in ("tex", "sty"):
        result = run_cli(verb, "--help", check=True)
        assert result.stdout.startswith("usage:")
    assert "tex" in run_cli("--help", check=True).stdout
