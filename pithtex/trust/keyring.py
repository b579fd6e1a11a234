"""Signatures and trust: key fingerprints, key checks and the keyring.

Trust comes from one place only, a :class:`Keyring` of registry keys the user
chose to trust: the key shipped with pithtex (``pith-v1-2026-05`` of
pith.science) and any ``--keyring`` files.  The ``public_keys`` a bundle
carries can help *validate* signatures but never make them *trusted*.
"""

from __future__ import annotations

import base64
import hashlib
import pkgutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pithtex.core.canonical import loads
from pithtex.core.errors import InputError, KeyringError
from pithtex.core.model import Fields, PublicKey, parse_time, read_limited
from pithtex.core.numbers import b32_prefix
from pithtex.core.results import CheckResult, fail, ok
from pithtex.trust import ed25519

__all__ = [
    "KEYRING_MAX_BYTES",
    "Keyring",
    "SignatureClaim",
    "fingerprint_b32",
    "fingerprint_hex",
    "key_entry",
    "key_problems",
    "parse_keyring",
    "signature_checks",
    "signed_within_validity",
]

KEYRING_MAX_BYTES = 1024 * 1024


def fingerprint_hex(raw: bytes) -> str:
    """First 32 hex digits of SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(raw).hexdigest()[:32]


def fingerprint_b32(raw: bytes) -> str:
    """First 26 base32 characters of SHA-256 of the raw public key."""
    return b32_prefix(hashlib.sha256(raw).digest())


def key_entry(
    key_id: str, raw: bytes, *, rotates_at: str | None = None, url: str | None = None
) -> dict[str, object]:
    """A key object in the shape of a bundle's ``public_keys`` entry."""
    entry: dict[str, object] = {
        "key_id": key_id,
        "algorithm": "ed25519",
        "format": "raw",
        "public_key_b64": base64.b64encode(raw).decode("ascii"),
        "public_key_hex": raw.hex(),
        "fingerprint_sha256_b32_first128bits": fingerprint_b32(raw),
        "fingerprint_sha256_hex": fingerprint_hex(raw),
        "rotates_at": rotates_at,
    }
    if url is not None:
        entry["url"] = url
    return entry


def key_problems(key: PublicKey) -> list[str]:
    """Everything wrong with a key object: fingerprints that do not match, weak points."""
    problems = []
    if key.fingerprint_hex != fingerprint_hex(key.raw):
        problems.append(
            f"fingerprint {key.fingerprint_hex} does not match the key bytes "
            f"(expected {fingerprint_hex(key.raw)})"
        )
    if key.fingerprint_b32 is not None and key.fingerprint_b32 != fingerprint_b32(key.raw):
        problems.append("base32 fingerprint does not match the key bytes")
    if key.declared_hex is not None and bytes.fromhex(key.declared_hex) != key.raw:
        problems.append("public_key_hex and public_key_b64 name different keys")
    status = ed25519.check_public_key(key.raw)
    if not status.ok:
        problems.append(status.explanation)
    return problems


def signed_within_validity(key: PublicKey, signed_at: str) -> bool:
    """Whether a signature made at ``signed_at`` predates the key's ``rotates_at``."""
    if key.rotates_at is None:
        return True
    return parse_time(signed_at) < parse_time(key.rotates_at)


def signature_checks(
    check: str,
    key: PublicKey | None,
    signature: SignatureClaim,
    message: bytes,
    subject: str,
) -> list[CheckResult]:
    """Check one signature strictly: the key is known and named right, the signature
    verifies over ``message``, and it was made before the key rotated.

    Used alike for receipts, events and bundle signatures.
    """
    if key is None:
        return [
            fail(
                check,
                "unknown_key",
                f"no known key has fingerprint {signature.fingerprint}",
                subject,
            )
        ]
    if key.key_id != signature.key_id:
        return [
            fail(
                check,
                "signer_mismatch",
                f"signature names key {signature.key_id!r}, but {signature.fingerprint} "
                f"is {key.key_id!r}",
                subject,
            )
        ]
    status = ed25519.verify(key.raw, signature.value, message)
    if not status.ok:
        return [fail(check, status.value, status.explanation, subject)]
    results = [ok(check, f"signed by {key.key_id}", subject)]
    if not signed_within_validity(key, signature.signed_at):
        results.append(
            fail(
                "key.validity",
                "rotated",
                f"{key.key_id} rotated at {key.rotates_at}, before {signature.signed_at}",
                subject,
                code="key.rotated",
            )
        )
    return results


@dataclass(frozen=True, slots=True)
class SignatureClaim:
    """What a signature says about itself: which key, the bytes, and when it was made.

    ``signed_at`` must be a time covered by a signature (an event's ``created_at``,
    a receipt's ``signed_at``, a bundle's ``built_at``), so that it cannot be
    moved to dodge a key's rotation.
    """

    fingerprint: str
    key_id: str
    value: bytes
    signed_at: str


@dataclass(frozen=True)
class Keyring:
    """An immutable set of trusted registry keys, looked up by fingerprint."""

    keys: tuple[PublicKey, ...]

    def __post_init__(self) -> None:
        for key in self.keys:
            problems = key_problems(key)
            if problems:
                raise KeyringError(
                    f"key {key.key_id!r} cannot be trusted: {problems[0]}", code="keyring.bad_key"
                )

    def __iter__(self) -> Iterator[PublicKey]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, fingerprint: str) -> PublicKey | None:
        for key in self.keys:
            if key.fingerprint_hex == fingerprint:
                return key
        return None

    def __contains__(self, fingerprint: object) -> bool:
        return isinstance(fingerprint, str) and self.get(fingerprint) is not None

    def extended(self, more: Iterable[PublicKey]) -> Keyring:
        """This keyring plus ``more`` (keys already present are not repeated)."""
        known = {key.fingerprint_hex for key in self.keys}
        added = tuple(k for k in more if k.fingerprint_hex not in known)
        return Keyring(self.keys + added)

    @classmethod
    def empty(cls) -> Keyring:
        return cls(())

    @classmethod
    def default(cls) -> Keyring:
        """The keys shipped with pithtex."""
        # pkgutil reads package data through the package's loader, as
        # importlib.resources does, without that package's import cost (~3 ms).
        data = pkgutil.get_data("pithtex", "data/keyring.json")
        if data is None:  # pragma: no cover - only a loader that cannot read data says None
            raise KeyringError("the default keyring cannot be read", code="keyring.invalid")
        return cls(parse_keyring(data, "default keyring"))

    @classmethod
    def from_file(cls, path: str | Path) -> Keyring:
        data = read_limited(path, KEYRING_MAX_BYTES)
        return cls(parse_keyring(data, str(path)))

    @classmethod
    def build(cls, files: Iterable[str | Path] = (), *, include_default: bool = True) -> Keyring:
        """The keyring a command uses: the default keys (unless replaced) plus ``files``."""
        ring = cls.default() if include_default else cls.empty()
        for file in files:
            ring = ring.extended(cls.from_file(file).keys)
        return ring


def parse_keyring(data: bytes, name: str) -> tuple[PublicKey, ...]:
    """Keys from a keyring document: a bare JSON list of key objects or ``{"keys": [...]}``."""
    try:
        doc = loads(data)
        if isinstance(doc, dict):
            items = Fields(doc, "$").array("keys")
            path = "$.keys"
        elif isinstance(doc, list):
            items, path = doc, "$"
        else:
            raise KeyringError(
                "expected a list of keys or an object with 'keys'", code="keyring.invalid"
            )
        keys = tuple(PublicKey.parse(Fields(item, f"{path}[{i}]")) for i, item in enumerate(items))
    except InputError as exc:
        raise KeyringError(f"{name}: {exc.message}", code=exc.code) from None
    return keys
