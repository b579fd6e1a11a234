"""Bundle verification with an explicit, itemised result.

:func:`verify_bundle` runs one named check per fact of the format (record hash,
number derivation, receipt, each event, the merged state, the bundle
signature, keys) and returns a :class:`BundleVerification`.  Its verdict keeps
two questions apart:

* **valid**: every hash and signature checks out (with the keyring's keys or
  the keys the bundle carries);
* **trusted**: valid, and every signature was made by a key in the keyring.

Only a *verified* bundle (valid and trusted) should be believed.  The checks
and their status codes are listed in ``docs/checks.md``.

Verification cannot be ignored by accident: the functions that act on a bundle
(stamping, writing the LaTeX data file, building an arXiv upload or a mirror)
accept only a :class:`VerifiedBundle`, and :func:`require_verified` is the one
way to make one: it verifies, and raises instead of returning when the bundle
is not verified.  The itemised :class:`BundleVerification` stays available for
diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, Final, final

from pithtex.core.canonical import canonical_bytes
from pithtex.core.digests import (
    bundle_sha256,
    derive_source_aliases,
    record_sha256,
    state_sha256,
    text_canon_sha256,
)
from pithtex.core.errors import InputError, UnverifiedBundleError
from pithtex.core.model import Bundle, PublicKey, Receipt, snapshot_paper
from pithtex.core.numbers import PithNumber
from pithtex.core.results import CheckResult, fail, ok, skip
from pithtex.trust.keyring import Keyring, SignatureClaim, key_problems, signature_checks
from pithtex.trust.merge import MERGE_VERSION, RECORD_CREATED, MergeResult, merge

SUPPORTED_BUNDLE_VERSIONS = ("1.0",)


class BundleVerdict(StrEnum):
    VERIFIED = "verified"
    """Valid, and signed only by keys in the keyring."""
    UNTRUSTED = "untrusted"
    """Cryptographically valid, but a signer is not in the keyring."""
    INVALID = "invalid"
    """A hash, signature or derivation does not check out."""


TRUST_CHECKS = frozenset({"key.trust"})


@dataclass(frozen=True)
class BundleVerification:
    """Everything :func:`verify_bundle` found, check by check."""

    bundle: Bundle
    number: PithNumber
    checks: tuple[CheckResult, ...]
    state: dict[str, Any]

    @cached_property
    def valid(self) -> bool:
        return not any(c.failed for c in self.checks if c.check not in TRUST_CHECKS)

    @cached_property
    def trusted(self) -> bool:
        return self.valid and not any(c.failed for c in self.checks if c.check in TRUST_CHECKS)

    @property
    def verdict(self) -> BundleVerdict:
        if not self.valid:
            return BundleVerdict.INVALID
        return BundleVerdict.VERIFIED if self.trusted else BundleVerdict.UNTRUSTED

    @property
    def verified(self) -> bool:
        return self.verdict is BundleVerdict.VERIFIED

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if c.failed]

    def unverified_error(
        self, refusal: str, *, context: str | None = None, code: str | None = None
    ) -> UnverifiedBundleError:
        """The error a command raises for a bundle it will not use: names the verdict and
        the first failed check, then ``refusal`` (what was not done)."""
        first = self.failures[0] if self.failures else None
        why = f" ({first.check}: {first.reason})" if first else ""
        where = f"{context}: " if context else ""
        return UnverifiedBundleError(
            f"{where}the bundle is {self.verdict.value} against the keyring{why}; {refusal}",
            code=code,
            verdict=self.verdict.value,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "pith_number": self.number.full,
            "canonical_sha256": self.bundle.canonical_sha256,
            "verdict": self.verdict.value,
            "valid": self.valid,
            "trusted": self.trusted,
            "checks": [c.to_json() for c in self.checks],
        }


_MINT: Final = object()
"""Held only by :func:`require_verified`: without it no :class:`VerifiedBundle` is made."""


@final
class VerifiedBundle:
    """A bundle that verified against a keyring: made only by :func:`require_verified`.

    Holding one proves that every hash and signature checked out and that every
    signer is in the keyring the caller chose.  It is immutable.
    """

    __slots__ = ("_verification",)
    _verification: BundleVerification

    def __init__(self, verification: BundleVerification, *, _mint: object = None) -> None:
        if _mint is not _MINT or not verification.verified:
            raise TypeError("a VerifiedBundle is made only by require_verified()")
        object.__setattr__(self, "_verification", verification)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a VerifiedBundle is immutable")

    @property
    def verification(self) -> BundleVerification:
        """The itemised verification that made this bundle verified."""
        return self._verification

    @property
    def bundle(self) -> Bundle:
        return self._verification.bundle

    @property
    def number(self) -> PithNumber:
        return self._verification.number

    @property
    def state(self) -> dict[str, Any]:
        """The merged state, as recomputed from the signed events."""
        return self._verification.state

    @property
    def signer(self) -> str:
        """The key id of the registry key that signed the bundle."""
        return self.bundle.signature.key_id

    def __repr__(self) -> str:
        return f"VerifiedBundle({self.number.full}, signer={self.signer!r})"


def require_verified(
    bundle: Bundle,
    keyring: Keyring,
    *,
    refusal: str = "refusing to use it",
    context: str | None = None,
    code: str | None = None,
) -> VerifiedBundle:
    """Verify ``bundle`` against ``keyring``; the :class:`VerifiedBundle`, or an error.

    Raises :class:`~pithtex.core.errors.UnverifiedBundleError` (exit code 1)
    naming the verdict, the first failed check and ``refusal`` (what was not
    done), with ``context`` (a file name, say) in front.
    """
    verification = verify_bundle(bundle, keyring)
    if not verification.verified:
        raise verification.unverified_error(refusal, context=context, code=code)
    return VerifiedBundle(verification, _mint=_MINT)


class _Keys:
    """Key lookup for one verification: keyring first, then well-formed bundle keys."""

    def __init__(self, keyring: Keyring, bundle: Bundle) -> None:
        self.keyring = keyring
        self.problems = [key_problems(key) for key in bundle.public_keys]
        """What is wrong with each key the bundle carries (reported by ``key.fingerprint``)."""
        self.carried = {
            key.fingerprint_hex: key
            for key, problems in zip(bundle.public_keys, self.problems, strict=True)
            if not problems
        }
        self.used: dict[str, list[str]] = {}

    def get(self, fingerprint: str) -> PublicKey | None:
        return self.keyring.get(fingerprint) or self.carried.get(fingerprint)

    def note_use(self, fingerprint: str, what: str) -> None:
        self.used.setdefault(fingerprint, []).append(what)


def verify_bundle(bundle: Bundle, keyring: Keyring) -> BundleVerification:
    """Verify every hash, signature and derivation of ``bundle`` against ``keyring``."""
    keys = _Keys(keyring, bundle)
    record_hash = record_sha256(bundle.record.raw)
    number = PithNumber.from_hex(record_hash, bundle.record.year)
    checks: list[CheckResult] = [_check_format(bundle)]
    checks.extend(_check_carried_keys(bundle, keys))
    checks.append(_check_record_hash(bundle, record_hash))
    checks.append(_check_number(bundle, number))
    checks.append(_check_aliases(bundle, number))
    merged = merge(number, record_hash, bundle.events, keys.get)
    for validation in merged.validations:
        checks.extend(validation.checks)
        keys.note_use(validation.event.signer.fingerprint, f"events[{validation.index}]")
    checks.append(_check_unique_events(bundle))
    checks.extend(_check_record_created(merged, record_hash, keys))
    checks.append(_check_record_title_hash(bundle, merged))
    checks.extend(_check_state(bundle, merged))
    checks.extend(_check_bundle_signature(bundle, keys))
    checks.extend(_check_trust(keys))
    return BundleVerification(bundle, number, tuple(checks), merged.state)


def _check_format(bundle: Bundle) -> CheckResult:
    if bundle.bundle_version not in SUPPORTED_BUNDLE_VERSIONS:
        return fail(
            "bundle.format",
            "unsupported",
            f"bundle_version {bundle.bundle_version!r} is not supported",
        )
    if bundle.merge_version != MERGE_VERSION:
        return fail(
            "bundle.format",
            "unsupported",
            f"merge_version {bundle.merge_version!r} is not supported",
        )
    return ok("bundle.format", f"bundle {bundle.bundle_version}, merge {bundle.merge_version}")


def _check_carried_keys(bundle: Bundle, keys: _Keys) -> list[CheckResult]:
    results = []
    for index, (key, problems) in enumerate(zip(bundle.public_keys, keys.problems, strict=True)):
        subject = f"public_keys[{index}]"
        if problems:
            results.append(fail("key.fingerprint", "mismatch", "; ".join(problems), subject))
        else:
            results.append(ok("key.fingerprint", f"{key.key_id} is {key.fingerprint_hex}", subject))
    return results


def _check_record_hash(bundle: Bundle, record_hash: str) -> CheckResult:
    if record_hash != bundle.canonical_sha256:
        return fail(
            "record.hash",
            "mismatch",
            f"canonical record hashes to {record_hash}, bundle says {bundle.canonical_sha256}",
            "canonical_record",
        )
    return ok("record.hash", f"canonical record hashes to {record_hash}", "canonical_record")


def _check_number(bundle: Bundle, number: PithNumber) -> CheckResult:
    if bundle.pith_number != number.full:
        return fail(
            "number.derivation",
            "mismatch",
            f"record derives to {number.full}, bundle names {bundle.pith_number}",
            "pith_number",
        )
    if bundle.short_pith_number is not None and bundle.short_pith_number != number.short_form:
        return fail(
            "number.derivation",
            "short_mismatch",
            f"short form should be {number.short_form}, bundle says {bundle.short_pith_number}",
            "short_pith_number",
        )
    return ok("number.derivation", f"record derives to {number.full}", "pith_number")


def _check_aliases(bundle: Bundle, number: PithNumber) -> CheckResult:
    raw = bundle.raw
    if raw.get("source") is not None and raw.get("source") != bundle.record.raw["source"]:
        return fail(
            "bundle.aliases",
            "source_mismatch",
            "bundle source differs from the record's source",
            "source",
        )
    aliases = raw.get("source_aliases")
    if aliases is None:
        return skip("bundle.aliases", "absent", "not checked: the bundle lists no source aliases")
    created_at = next((e.created_at for e in bundle.events if e.event_type == RECORD_CREATED), None)
    if created_at is None or aliases != derive_source_aliases(
        bundle.record.raw, number, created_at
    ):
        return fail(
            "bundle.aliases",
            "mismatch",
            "source_aliases are not the ones derived from the record",
            "source_aliases",
        )
    return ok(
        "bundle.aliases", f"{len(aliases)} source aliases derive from the record", "source_aliases"
    )


def _check_unique_events(bundle: Bundle) -> CheckResult:
    seen: set[str] = set()
    for index, event in enumerate(bundle.events):
        if event.event_id in seen:
            return fail(
                "events.unique",
                "duplicate",
                f"event {event.event_id} appears more than once",
                f"events[{index}]",
            )
        seen.add(event.event_id)
    return ok("events.unique", f"{len(bundle.events)} distinct events", "events")


def _check_record_created(merged: MergeResult, record_hash: str, keys: _Keys) -> list[CheckResult]:
    created = [e for e in merged.applied if e.event_type == RECORD_CREATED]
    if not created:
        return [
            fail(
                "record.created",
                "missing",
                "no valid record_created event carries this record",
                "events",
            )
        ]
    event = created[0]
    try:
        # The merge applied this event only if its record and declared hash are
        # those of the bundle's record (event.subject), which parsed: only the
        # receipt remains to be read.
        receipt = event.receipt()
    except InputError as exc:  # the payload lacks a well-formed record or receipt
        return [fail("receipt.signature", "malformed", exc.message, "receipt")]
    results = [ok("record.created", f"record created at {event.created_at}", "events")]
    results.extend(_check_receipt(receipt, record_hash, keys))
    return results


def _check_receipt(receipt: Receipt, record_hash: str, keys: _Keys) -> list[CheckResult]:
    subject = "receipt"
    if receipt.canonical_sha256 != record_hash:
        return [
            fail(
                "receipt.signature",
                "hash_mismatch",
                "receipt signs a different record hash",
                subject,
            )
        ]
    claim = SignatureClaim(receipt.fingerprint, receipt.key_id, receipt.value, receipt.signed_at)
    return _signature_checks("receipt.signature", keys, claim, bytes.fromhex(record_hash), subject)


def _signature_checks(
    check: str, keys: _Keys, claim: SignatureClaim, message: bytes, subject: str
) -> list[CheckResult]:
    keys.note_use(claim.fingerprint, subject)
    return signature_checks(check, keys.get(claim.fingerprint), claim, message, subject)


def _check_record_title_hash(bundle: Bundle, merged: MergeResult) -> CheckResult:
    snapshots = merged.state["current"]["graph_snapshots"]
    paper = snapshot_paper(snapshots[-1]["payload"]) if snapshots else {}
    title = paper.get("title")
    if not isinstance(title, str):
        return skip("record.title", "no_title", "not checked: no graph snapshot gives the title")
    if text_canon_sha256(title) != bundle.record.title_canon_sha256:
        return fail(
            "record.title",
            "mismatch",
            "title_canon_sha256 does not match the title in the graph snapshot",
            "canonical_record.metadata.title_canon_sha256",
        )
    return ok(
        "record.title",
        "title hash matches the graph snapshot's title",
        "canonical_record.metadata.title_canon_sha256",
    )


def _check_state(bundle: Bundle, merged: MergeResult) -> list[CheckResult]:
    state = bundle.state
    if state is None:
        return [skip("state.hash", "absent", "not checked: the bundle carries no state", "state")]
    results = []
    actual = state_sha256(state)
    if actual != state.get("state_sha256"):
        results.append(
            fail(
                "state.hash",
                "mismatch",
                f"state hashes to {actual}, state says {state.get('state_sha256')}",
                "state",
            )
        )
    else:
        results.append(ok("state.hash", f"state hashes to {actual}", "state"))
    if merged.state["state_sha256"] != actual:
        results.append(
            fail("state.recompute", "mismatch", _state_difference(state, merged.state), "state")
        )
    else:
        results.append(
            ok("state.recompute", "merging the events reproduces the state exactly", "state")
        )
    return results


def _state_difference(claimed: dict[str, Any], computed: dict[str, Any]) -> str:
    for key in sorted(set(claimed) | set(computed)):
        if key == "state_sha256":
            continue
        if canonical_bytes(claimed.get(key)) != canonical_bytes(computed.get(key)):
            return f"recomputed state differs in {key!r}"
    return "recomputed state differs"


def _check_bundle_signature(bundle: Bundle, keys: _Keys) -> list[CheckResult]:
    digest = bundle_sha256(bundle.raw)
    subject = "bundle_signature"
    sig = bundle.signature
    if bundle.declared_bundle_sha256 not in (None, digest):
        hashed = fail(
            "bundle.hash",
            "mismatch",
            f"bundle hashes to {digest}, signature block says {bundle.declared_bundle_sha256}",
            subject,
        )
    else:
        hashed = ok("bundle.hash", f"bundle hashes to {digest}", subject)
    return [
        hashed,
        *_signature_checks(
            "bundle.signature",
            keys,
            SignatureClaim(sig.fingerprint, sig.key_id, sig.value, bundle.built_at),
            bytes.fromhex(digest),
            subject,
        ),
    ]


def _check_trust(keys: _Keys) -> list[CheckResult]:
    results = []
    for fingerprint, uses in sorted(keys.used.items()):
        where = ", ".join(uses[:3]) + (" ..." if len(uses) > 3 else "")
        trusted = keys.keyring.get(fingerprint)
        if trusted is not None:
            results.append(
                ok(
                    "key.trust",
                    f"{trusted.key_id} is in the keyring ({where})",
                    fingerprint,
                    code="key.trusted",
                )
            )
        else:
            results.append(
                fail(
                    "key.trust",
                    "untrusted",
                    f"key {fingerprint} is not in the keyring ({where})",
                    fingerprint,
                    code="key.untrusted",
                )
            )
    return results


__all__ = [
    "BundleVerdict",
    "BundleVerification",
    "VerifiedBundle",
    "require_verified",
    "verify_bundle",
]
