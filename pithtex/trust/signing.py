"""The signing side: keys, minting records, signing receipts, events and bundles.

For self-hosted registries, mirrors and tests.  Everything here produces
documents in exactly the shapes :mod:`pithtex.core.model` parses and
:mod:`pithtex.trust.verify` checks; tests build their bundles with it rather than by
editing JSON.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pithtex.core.canonical import loads
from pithtex.core.digests import (
    bundle_sha256,
    derive_source_aliases,
    event_content_sha256,
    event_id_for,
    record_number,
    record_sha256,
    text_canon_sha256,
)
from pithtex.core.errors import InputError, KeyringError
from pithtex.core.fileio import atomic_write_bytes
from pithtex.core.model import (
    BUNDLE_MESSAGE,
    BUNDLE_TYPE,
    EVENT_MESSAGE,
    RECEIPT_KIND,
    RECEIPT_MESSAGE,
    Event,
    Fields,
    PublicKey,
    read_limited,
)
from pithtex.core.names import DEFAULT_RESOLVER
from pithtex.core.numbers import PithNumber
from pithtex.trust.keyring import fingerprint_hex, key_entry
from pithtex.trust.merge import MERGE_VERSION, RECORD_CREATED, merge

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "BUILDER_VERSION",
    "DEFAULT_SIGNER_ID",
    "RECEIPT_VERSION",
    "REGISTRY_SIGNER_TYPE",
    "SIGNATURE_STATUS",
    "BundleBuilder",
    "PaperMetadata",
    "SigningKey",
    "build_paper_bundle",
    "graph_snapshot_event",
    "mint_record",
    "record_created_event",
    "sign_bundle",
    "sign_event",
    "sign_receipt",
    "utc_now",
]

BUILDER_VERSION = "pithtex-0.1"
RECEIPT_VERSION = "0.3"
SIGNATURE_STATUS = "signed_v1"
DEFAULT_SIGNER_ID = "pith.science"
REGISTRY_SIGNER_TYPE = "pith_registry"


def utc_now() -> str:
    """The current time as an RFC 3339 timestamp with seconds precision."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with the identity it signs under."""

    key_id: str
    private: Ed25519PrivateKey
    signer_id: str = DEFAULT_SIGNER_ID
    signer_type: str = REGISTRY_SIGNER_TYPE
    rotates_at: str | None = None

    @classmethod
    def generate(cls, key_id: str, **identity: Any) -> SigningKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(key_id, Ed25519PrivateKey.generate(), **identity)

    @classmethod
    def from_seed(cls, key_id: str, seed: bytes, **identity: Any) -> SigningKey:
        """A deterministic key from 32 seed bytes (for tests and reproducible fixtures)."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if len(seed) != 32:
            seed = hashlib.sha256(seed).digest()
        return cls(key_id, Ed25519PrivateKey.from_private_bytes(seed), **identity)

    @property
    def public_raw(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint_hex(self.public_raw)

    def public_entry(self, url: str | None = None) -> dict[str, object]:
        """This key as a ``public_keys`` / keyring entry."""
        return key_entry(self.key_id, self.public_raw, rotates_at=self.rotates_at, url=url)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def sign_b64(self, message: bytes) -> str:
        return base64.b64encode(self.sign(message)).decode("ascii")

    def signature_block(
        self, digest_hex: str, signed_message: str, signed_at: str
    ) -> dict[str, str]:
        """A detached signature block over the 32 bytes of ``digest_hex``."""
        return {
            "signature_status": SIGNATURE_STATUS,
            "algorithm": "ed25519",
            "key_id": self.key_id,
            "public_key_fingerprint": self.fingerprint,
            "signature_b64": self.sign_b64(bytes.fromhex(digest_hex)),
            "signed_message": signed_message,
            "signed_at": signed_at,
        }

    def signer(self) -> dict[str, str]:
        return {
            "signer_id": self.signer_id,
            "signer_type": self.signer_type,
            "key_id": self.key_id,
            "public_key_fingerprint": self.fingerprint,
        }

    # -- storage ---------------------------------------------------------------

    def to_json(self) -> dict[str, object]:
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        seed = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return {
            "kind": "pith_signing_key",
            "key_id": self.key_id,
            "algorithm": "ed25519",
            "private_key_b64": base64.b64encode(seed).decode("ascii"),
            "signer_id": self.signer_id,
            "signer_type": self.signer_type,
            "rotates_at": self.rotates_at,
            "public_key": self.public_entry(),
        }

    def save(self, path: str | Path) -> None:
        """Write the key file atomically, readable by its owner only."""
        data = (json.dumps(self.to_json(), indent=2) + "\n").encode()
        atomic_write_bytes(path, data, mode=0o600)

    @classmethod
    def load(cls, path: str | Path) -> SigningKey:
        try:
            f = Fields(loads(read_limited(path, 64 * 1024)), "$")
            f.const("kind", "pith_signing_key")
            f.const("algorithm", "ed25519")
            seed = f.b64("private_key_b64", 32)
            key = cls.from_seed(
                f.text("key_id"),
                seed,
                signer_id=f.opt_text("signer_id") or DEFAULT_SIGNER_ID,
                signer_type=f.opt_text("signer_type") or REGISTRY_SIGNER_TYPE,
                rotates_at=f.opt_timestamp("rotates_at"),
            )
        except InputError as exc:
            raise KeyringError(
                f"{path}: not a signing key: {exc.message}", code="key.invalid"
            ) from None
        return key


# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class PaperMetadata:
    """What a registry needs to know about a paper to mint its record."""

    source_id: str
    title: str
    abstract: str
    submitted_at: str
    primary_cat: str
    cross_cats: Sequence[str] = ()
    license: str = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    source_kind: str = "arxiv"
    version: int | None = 1


def mint_record(paper: PaperMetadata) -> dict[str, Any]:
    """The canonical record of a paper."""
    source: dict[str, Any] = {"kind": paper.source_kind, "id": paper.source_id}
    if paper.version is not None:
        source["version"] = paper.version
    return {
        "source": source,
        "metadata": {
            "license": paper.license,
            "primary_cat": paper.primary_cat,
            "submitted_at": paper.submitted_at,
            "cross_cats_sorted": sorted(paper.cross_cats),
            "title_canon_sha256": text_canon_sha256(paper.title),
            "abstract_canon_sha256": text_canon_sha256(paper.abstract),
        },
        "schema_version": "1.0",
    }


def sign_receipt(record: dict[str, Any], key: SigningKey, signed_at: str) -> dict[str, Any]:
    """The registry's signature over the record hash."""
    digest = record_sha256(record)
    return {
        "kind": RECEIPT_KIND,
        "key_id": key.key_id,
        "algorithm": "ed25519",
        "signed_at": signed_at,
        "signature_b64": key.sign_b64(bytes.fromhex(digest)),
        "signed_message": RECEIPT_MESSAGE,
        "builder_version": BUILDER_VERSION,
        "receipt_version": RECEIPT_VERSION,
        "canonical_sha256": digest,
        "last_reissued_at": signed_at,
        "signature_status": SIGNATURE_STATUS,
        "first_computed_at": signed_at,
        "public_key_fingerprint": key.fingerprint,
    }


def sign_event(
    event_type: str,
    number: PithNumber,
    target: str,
    payload: dict[str, Any],
    key: SigningKey,
    created_at: str,
    *,
    supersedes: Iterable[str] = (),
    prev_event: str | None = None,
    signed_at: str | None = None,
) -> dict[str, Any]:
    """A signed event about the record ``number``."""
    event: dict[str, Any] = {
        "event_type": event_type,
        "subject_pith_number": number.full,
        "target": target,
        "payload": payload,
        "signer": key.signer(),
        "created_at": created_at,
        "supersedes": list(supersedes),
        "prev_event": prev_event,
        "schema_version": "1.0",
    }
    content = event_content_sha256(event)
    event["signature"] = key.signature_block(content, EVENT_MESSAGE, signed_at or created_at)
    event["content_sha256"] = content
    event["event_id"] = event_id_for(content)
    return event


def record_created_event(
    record: dict[str, Any], key: SigningKey, created_at: str
) -> dict[str, Any]:
    """The ``record_created`` event, with the record and its signed receipt."""
    source = record["source"]
    payload = {
        "canonical_record": record,
        "canonical_sha256": record_sha256(record),
        "receipt": sign_receipt(record, key, created_at),
        "source_kind": source["kind"],
        "source_id": source["id"],
        "attestation_state": "computed",
    }
    if "version" in source:
        payload["source_version"] = source["version"]
    return sign_event(RECORD_CREATED, record_number(record), "record", payload, key, created_at)


def graph_snapshot_event(
    record: dict[str, Any], paper: dict[str, Any], key: SigningKey, created_at: str, **extra: Any
) -> dict[str, Any]:
    """A ``graph_snapshot`` event carrying the paper's descriptive metadata."""
    payload = {
        "graph_snapshot": {"paper": paper, "source": record["source"], **extra},
        "verdict_id": None,
    }
    return sign_event("graph_snapshot", record_number(record), "graph", payload, key, created_at)


def _lookup_from(keys: Iterable[SigningKey]) -> dict[str, Any]:
    table = {}
    for key in keys:
        entry = key.public_entry()
        table[key.fingerprint] = PublicKey.parse(Fields(entry, "$"))
    return table


@dataclass
class BundleBuilder:
    """Assembles and signs a bundle for one record."""

    record: dict[str, Any]
    key: SigningKey
    events: list[dict[str, Any]] = field(default_factory=list)
    other_signers: list[SigningKey] = field(default_factory=list)
    base_url: str = DEFAULT_RESOLVER

    @property
    def number(self) -> PithNumber:
        return record_number(self.record)

    def links(self) -> dict[str, str]:
        body = self.number.body
        base = self.base_url.rstrip("/")
        return {
            "resolver": f"{base}/pith/{body}",
            "bundle": f"{base}/pith/{body}/bundle.json",
            "state": f"{base}/pith/{body}/state.json",
            "well_known_bundle": f"{base}/.well-known/pith/{body}/bundle.json",
        }

    def build(self, built_at: str, *, signed_at: str | None = None) -> dict[str, Any]:
        """The signed bundle, with its merged state."""
        number = self.number
        parsed = [Event.parse(Fields(e, f"$.events[{i}]")) for i, e in enumerate(self.events)]
        keys = _lookup_from([self.key, *self.other_signers])
        state = merge(number, record_sha256(self.record), parsed, keys.get).state
        created = next((e for e in parsed if e.event_type == RECORD_CREATED), None)
        links = self.links()
        bundle: dict[str, Any] = {
            "bundle_type": BUNDLE_TYPE,
            "bundle_version": "1.0",
            "pith_number": number.full,
            "short_pith_number": number.short_form,
            "canonical_record": self.record,
            "canonical_sha256": record_sha256(self.record),
            "source": self.record["source"],
            "source_aliases": derive_source_aliases(
                self.record, number, created.created_at if created else built_at
            ),
            "events": self.events,
            "timestamp_proofs": [],
            "mirror_hints": [
                {
                    "mirror_type": "https",
                    "name": "Pith Resolver",
                    "base_url": self.base_url,
                    "bundle_url": links["bundle"],
                    "state_url": links["state"],
                    "well_known_bundle_url": links["well_known_bundle"],
                    "status": "primary",
                }
            ],
            "public_keys": [k.public_entry() for k in [self.key, *self.other_signers]],
            "merge_version": MERGE_VERSION,
            "built_at": built_at,
            "links": links,
            "state": state,
        }
        return sign_bundle(bundle, self.key, signed_at or built_at)


def sign_bundle(bundle: dict[str, Any], key: SigningKey, signed_at: str) -> dict[str, Any]:
    """``bundle`` with a fresh ``bundle_signature`` by ``key`` (any old one is replaced)."""
    unsigned = {k: v for k, v in bundle.items() if k != "bundle_signature"}
    digest = bundle_sha256(unsigned)
    block = key.signature_block(digest, BUNDLE_MESSAGE, signed_at)
    unsigned["bundle_signature"] = {**block, "bundle_sha256": digest}
    return unsigned


def build_paper_bundle(
    paper: PaperMetadata,
    key: SigningKey,
    *,
    created_at: str,
    built_at: str | None = None,
    authors: str = "",
    base_url: str = DEFAULT_RESOLVER,
) -> dict[str, Any]:
    """Mint, sign and bundle a paper in one go: record_created plus a graph snapshot."""
    record = mint_record(paper)
    snapshot = {
        "title": paper.title,
        "authors_text": authors,
        "license": paper.license,
        "primary_cat": paper.primary_cat,
        "cross_cats": sorted(paper.cross_cats),
        "submitted_at": paper.submitted_at,
        "abstract_excerpt": paper.abstract[:600],
    }
    builder = BundleBuilder(record, key, base_url=base_url)
    builder.events.append(record_created_event(record, key, created_at))
    builder.events.append(graph_snapshot_event(record, snapshot, key, created_at))
    return builder.build(built_at or created_at)
