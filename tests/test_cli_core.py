"""`pithtex bundle|number|keys`: exit codes, JSON output, and clean errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    SEED_BUNDLE,
    SEED_HASH,
    SEED_NUMBER,
    SEED_TEXT,
    SEED_TITLE,
    make_test_bundle,
    run_cli,
    write_json,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pithtex.core.errors import InputError
from pithtex.core.model import parse_bundle
from pithtex.trust.keyring import Keyring
from pithtex.trust.verify import verify_bundle


def _no_traceback(result: object) -> None:
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]


def test_verify_json_schema() -> None:
    result = run_cli("bundle", "verify", SEED_BUNDLE, "--json")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["schema"] == "pithtex.bundle-verify/1"
    assert (doc["verdict"], doc["valid"], doc["trusted"]) == ("verified", True, True)
    assert doc["pith_number"] == SEED_NUMBER and doc["canonical_sha256"] == SEED_HASH
    assert all(set(c) == {"check", "status", "code", "subject", "reason"} for c in doc["checks"])


def test_verify_text_report_and_tampered_exit_code(tmp_path: Path) -> None:
    seed = json.loads(SEED_TEXT)
    seed["built_at"] = "2030-01-01T00:00:00Z"
    result = run_cli("bundle", "verify", write_json(tmp_path / "b.json", seed))
    assert result.returncode == 1
    assert "FAIL  bundle.hash" in result.stdout
    assert "verdict: INVALID" in result.stdout


def test_untrusted_until_the_key_is_in_the_keyring(tmp_path: Path, test_keyring: Path) -> None:
    path = write_json(tmp_path / "b.json", make_test_bundle())
    untrusted = run_cli("bundle", "verify", path)
    assert untrusted.returncode == 1 and "verdict: UNTRUSTED" in untrusted.stdout
    assert "key.untrusted" not in untrusted.stdout  # the text report shows check names
    assert "is not in the keyring" in untrusted.stdout
    assert run_cli("bundle", "verify", path, "--keyring", test_keyring).returncode == 0
    env = {"PITHTEX_KEYRING": str(test_keyring)}
    assert run_cli("bundle", "verify", path, env=env).returncode == 0
    assert (
        run_cli(
            "bundle", "verify", SEED_BUNDLE, "--no-default-keyring", "--keyring", test_keyring
        ).returncode
        == 1
    )


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"bundle_type": "pith_open_graph_bundle", "bundle_type": "x"}', "duplicate key"),
        ("[1.5]", "floats are not allowed"),
        ('{"bundle_type": "pith_open_graph_bundle"}', "required field"),
        ("not json at all", "not valid JSON"),
        ('"\\ud800"', "lone UTF-16 surrogate"),
    ],
)
def test_malformed_bundles_exit_2_with_a_precise_message(
    tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run_cli("bundle", "verify", path)
    assert result.returncode == 2
    assert fragment in result.stderr and str(path) in result.stderr
    _no_traceback(result)


def test_field_errors_name_the_json_path(tmp_path: Path) -> None:
    seed = json.loads(SEED_TEXT)
    seed["events"][1]["signature"]["signature_b64"] = "not base64!"
    result = run_cli("bundle", "verify", write_json(tmp_path / "b.json", seed))
    assert result.returncode == 2
    assert "$.events[1].signature.signature_b64" in result.stderr
    seed = json.loads(SEED_TEXT)
    seed["public_keys"][0]["public_key_hex"] = "XYZ"
    result = run_cli("bundle", "verify", write_json(tmp_path / "c.json", seed))
    assert "$.public_keys[0].public_key_hex" in result.stderr


def test_unreadable_inputs(tmp_path: Path) -> None:
    for target, fragment in [
        (tmp_path / "missing.json", "no such file"),
        (tmp_path, "is a directory"),
    ]:
        result = run_cli("bundle", "verify", target)
        assert result.returncode == 2 and fragment in result.stderr
        _no_traceback(result)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (17 * 1024 * 1024))
    result = run_cli("bundle", "verify", big)
    assert result.returncode == 2 and "cap" in result.stderr


def test_bad_keyrings_are_refused(tmp_path: Path) -> None:
    weak = tmp_path / "weak.json"
    small_order = bytes(32)  # y = 0: a point of order 4
    import base64

    from pithtex.trust.keyring import key_entry

    weak.write_text(json.dumps([key_entry("weak", small_order)]))
    result = run_cli("bundle", "verify", SEED_BUNDLE, "--keyring", weak)
    assert result.returncode == 2 and "small order" in result.stderr
    lying = tmp_path / "lying.json"
    entry = key_entry("x", base64.b64decode("stVStoiQhXFxp4s2pdzPNoqVNBMojDU/fJ2db5S3CbM="))
    entry["fingerprint_sha256_hex"] = "0" * 32
    lying.write_text(json.dumps({"keys": [entry]}))
    result = run_cli("bundle", "verify", SEED_BUNDLE, "--keyring", lying)
    assert result.returncode == 2 and "fingerprint" in result.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text('"a string"')
    assert run_cli("bundle", "verify", SEED_BUNDLE, "--keyring", garbage).returncode == 2


def test_bundle_show() -> None:
    result = run_cli("bundle", "show", SEED_BUNDLE, "--json", check=True)
    doc = json.loads(result.stdout)
    assert doc["schema"] == "pithtex.bundle-show/1" and doc["verdict"] == "verified"
    assert doc["bundle"]["pith_number"] == SEED_NUMBER
    events = [e["event_type"] for e in doc["bundle"]["events"]]
    assert events == ["record_created", "graph_snapshot"]
    assert doc["record"]["title"] == SEED_TITLE and doc["record"]["doi"]
    text = run_cli("bundle", "show", SEED_BUNDLE, check=True).stdout
    assert "1904.00962" in text and SEED_TITLE in text and "Cho-Jui Hsieh" in text
    assert "not anchored" in text and "cs.LG · cs.AI" in text


def test_bundle_show_reads_stdin() -> None:
    result = run_cli("bundle", "show", "-", "--json", input=SEED_BUNDLE.read_text())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["from"] == "standard input"


def test_bundle_show_of_an_untrusted_bundle_shows_no_record(tmp_path: Path) -> None:
    result = run_cli("bundle", "show", SEED_BUNDLE, "--no-default-keyring", "--json")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["verdict"] == "untrusted" and doc["record"] is None and doc["reason"]
    text = run_cli("bundle", "show", SEED_BUNDLE, "--no-default-keyring").stdout
    assert "UNTRUSTED" in text and "not verified" in text and SEED_TITLE not in text


def test_bundle_show_of_a_file_that_is_not_a_bundle_names_it(tmp_path: Path) -> None:
    text = tmp_path / "paper.tex"
    text.write_text("\\documentclass{article}")
    result = run_cli("bundle", "show", text)
    assert result.returncode == 2 and str(text) in result.stderr and "JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_number_derivation_and_normalisation(tmp_path: Path) -> None:
    assert run_cli("number", SEED_BUNDLE, check=True).stdout.strip() == SEED_NUMBER
    assert run_cli("number", SEED_BUNDLE, "--short", check=True).stdout.strip() == "pith:J655K2KR"
    record = write_json(tmp_path / "record.json", json.loads(SEED_TEXT)["canonical_record"])
    doc = json.loads(run_cli("number", record, "--json", check=True).stdout)
    assert doc["pith_number"] == SEED_NUMBER and doc["canonical_sha256"] == SEED_HASH
    # the number is derived, not copied: a bundle lying about its number still derives right
    lying = json.loads(SEED_TEXT)
    lying["pith_number"] = "pith:2019:AAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert (
        run_cli("number", write_json(tmp_path / "l.json", lying), check=True).stdout.strip()
        == SEED_NUMBER
    )
    assert (
        run_cli("number", " pith:2019:j655k2kri7djhf4sofyzcqrre5 ", check=True).stdout.strip()
        == SEED_NUMBER
    )
    bad = run_cli("number", "pith:J655K2K1")
    assert bad.returncode == 2 and "'1'" in bad.stderr


def test_keys_generate_show_and_create_a_bundle(tmp_path: Path) -> None:
    key = tmp_path / "registry.key"
    unnamed = run_cli("keys", "generate", "--key-id", "registry-2026-11", "-o", key)
    assert unnamed.returncode == 2 and "--signer-id" in unnamed.stderr and not key.exists()
    made = run_cli(
        "keys",
        "generate",
        "--key-id",
        "registry-2026-11",
        "--signer-id",
        "registry.example",
        "-o",
        key,
        "--json",
        check=True,
    )
    assert json.loads(made.stdout)["signer_id"] == "registry.example"
    assert key.stat().st_mode & 0o777 == 0o600
    again = run_cli("keys", "generate", "--key-id", "x", "--signer-id", "me", "-o", key)
    assert again.returncode == 2 and "--force" in again.stderr
    public = json.loads(run_cli("keys", "show", key, "--json", check=True).stdout)
    assert public["keys"][0]["key_id"] == "registry-2026-11"
    assert "private" not in json.dumps(public)
    keyring = write_json(tmp_path / "ring.json", public)
    metadata = write_json(
        tmp_path / "paper.json",
        {
            "source_id": "2611.99999",
            "title": "On Things",
            "abstract": "We study things.",
            "submitted_at": "2026-11-20T09:00:00Z",
            "primary_cat": "cs.DL",
            "version": 1,
            "authors": "A. Author",
        },
    )
    out = tmp_path / "bundle.json"
    run_cli(
        "bundle",
        "create",
        "--key",
        key,
        "--metadata",
        metadata,
        "-o",
        out,
        "--created-at",
        "2026-11-21T00:00:00Z",
        check=True,
    )
    assert run_cli("bundle", "verify", out, "--keyring", keyring).returncode == 0
    assert run_cli("bundle", "verify", out).returncode == 1
    shown = run_cli("keys", "show", check=True).stdout
    assert "pith-v1-2026-05" in shown and "8d4b5ee74e4693bcd1df2446408b0d54" in shown


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(SEED_TEXT) - 1), st.integers(0, 255)), min_size=1, max_size=4
    )
)
def test_byte_flipped_bundles_never_crash(flips: list[tuple[int, int]]) -> None:
    data = bytearray(SEED_TEXT)
    for offset, value in flips:
        data[offset] = value
    try:
        result = verify_bundle(parse_bundle(bytes(data)), Keyring.default())
    except InputError:
        return
    if result.verified:  # only the unsigned signature metadata may have changed
        assert _signed_part(json.loads(data)) == _signed_part(json.loads(SEED_TEXT))


def _signed_part(bundle: dict[str, object]) -> dict[str, object]:
    signature = dict(bundle["bundle_signature"])  # type: ignore[call-overload]
    signature.pop("signed_at", None)
    signature.pop("signature_status", None)
    return {**bundle, "bundle_signature": signature}


def test_refused_file_operations_are_errors_not_crashes(tmp_path: Path) -> None:
    for args in (
        ["keys", "generate", "--key-id", "k", "--signer-id", "me", "-o", "/proc/no/such/k.json"],
        ["mirror", "build", "/proc/no-mirror", str(SEED_BUNDLE)],
    ):
        result = run_cli(*args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("pithtex: error: /proc/no")
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_counted_nouns() -> None:
    from pithtex.core.wording import counted

    assert counted(1, "page") == "1 page" and counted(0, "page") == "0 pages"
    assert counted(2, "short alias", "short aliases") == "2 short aliases"
    assert counted(1, "short alias", "short aliases") == "1 short alias"
