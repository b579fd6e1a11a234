"""A SKIP line says what was not checked and why, never what looks like a pass.

Real reports of PDFs that lack one channel or another (no hashes, no XMP, no bundle,
stamped with another bundle) and real bundle verifications are scanned: every skip
reason starts with ``not checked`` (or, for the corroborating checks that decide
nothing, ``not corroborated``) and none of them reads like a finding that passed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_test_bundle
from httpfixtures import bundle_bytes, newer_bundle, trusted_test_keyring
from pdfsamples import bundle_claims, claimed_pdf, make_pdf

from pithtex.core.model import parse_bundle
from pithtex.core.results import CheckResult, Status
from pithtex.pdf.check import CheckOptions, check_pdf
from pithtex.trust.verify import verify_bundle

PASS_LIKE = ("derives to", "verified", "matches", " agree", " ok", "valid")


def _skips(checks: tuple[CheckResult, ...]) -> list[CheckResult]:
    return [c for c in checks if c.status is Status.SKIP]


def _assert_worded(skips: list[CheckResult]) -> None:
    assert skips, "the sample was meant to skip something"
    for result in skips:
        assert result.reason.startswith(("not checked", "not corroborated")), (
            result.code,
            result.reason,
        )
        said = result.reason.split(":", 1)[-1].lower()
        assert not any(word in said for word in PASS_LIKE), (result.code, result.reason)


def _reports(tmp_path: Path) -> dict[str, tuple[CheckResult, ...]]:
    bundle = make_test_bundle()
    claims = bundle_claims(bundle)
    keyring = trusted_test_keyring()
    no_lookup = CheckOptions(keyring=keyring, registry=None)
    given_newer = CheckOptions(keyring=keyring, bundle=parse_bundle(bundle_bytes(newer_bundle())))
    samples = {
        # hashes, but no bundle anywhere: record, signature, hash, stamp, title not checked
        "no bundle": (claimed_pdf(tmp_path / "a.pdf", bundle, bundle=None), no_lookup),
        # only the badge text on page 1, no XMP, no hashes, no bundle
        "badge only": (
            make_pdf(tmp_path / "b.pdf", title="A Paper", badge=claims["badge"]),
            no_lookup,
        ),
        # stamped with one bundle, checked with a newer one of the same number
        "other bundle": (claimed_pdf(tmp_path / "c.pdf", bundle, bundle=None), given_newer),
    }
    return {name: check_pdf(str(pdf), options).checks for name, (pdf, options) in samples.items()}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[CheckResult, ...]]:
    return _reports(tmp_path_factory.mktemp("skips"))


@pytest.mark.parametrize("sample", ["no bundle", "badge only", "other bundle"])
def test_check_skips_say_what_was_not_checked(
    reports: dict[str, tuple[CheckResult, ...]], sample: str
) -> None:
    _assert_worded(_skips(reports[sample]))


def test_the_skips_scanned_cover_every_skip_code_of_the_checker(
    reports: dict[str, tuple[CheckResult, ...]],
) -> None:
    codes = {c.code for checks in reports.values() for c in _skips(checks)}
    assert {
        "check.xmp.absent",
        "check.embedded.absent",
        "check.number.absent",
        "check.hash.absent",
        "check.hash.no_bundle",
        "check.stamp.other_bundle",
        "check.record.no_bundle",
        "check.title.no_bundle",
    } <= codes


def test_a_hash_without_a_bundle_is_not_worded_as_a_pass(
    reports: dict[str, tuple[CheckResult, ...]],
) -> None:
    (hashed,) = [c for c in reports["no bundle"] if c.check == "check.hash"]
    assert hashed.status is Status.SKIP and hashed.code == "check.hash.no_bundle"
    assert "no bundle" in hashed.reason


def test_bundle_verification_skips_say_what_was_not_checked() -> None:
    bundle = make_test_bundle()
    bundle.pop("state", None)
    verification = verify_bundle(parse_bundle(bundle_bytes(bundle)), trusted_test_keyring())
    _assert_worded(_skips(verification.checks))
