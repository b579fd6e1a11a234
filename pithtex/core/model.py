"""The Pith data model and its strict parser.

Records, events, keys, bundles and states as frozen dataclasses.  Each keeps
the JSON object it was parsed from (``raw``) because hashes and signatures are
computed over exactly that, unknown fields included; the typed attributes are
what the rest of the code reads.  Parsing checks types, required fields and
the encodings of hex, base64, base32 and timestamps, and names the JSON path of
the first problem in a :class:`~pithtex.core.errors.SchemaError`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pithtex.core.canonical import DEFAULT_LIMITS, ParseLimits, loads, path_join
from pithtex.core.errors import InputError, SchemaError

__all__ = [
    "ALGORITHM",
    "BUNDLE_MESSAGE",
    "BUNDLE_SIGNATURE_FIELDS",
    "BUNDLE_TYPE",
    "EVENT_MESSAGE",
    "RECEIPT_KIND",
    "RECEIPT_MESSAGE",
    "SIGNATURE_FIELDS",
    "STATE_TYPE",
    "Bundle",
    "Event",
    "Fields",
    "PublicKey",
    "Receipt",
    "Record",
    "Signature",
    "Signer",
    "is_timestamp",
    "load_bundle",
    "parse_bundle",
    "parse_record",
    "parse_time",
    "read_limited",
    "snapshot_paper",
]

BUNDLE_TYPE = "pith_open_graph_bundle"
STATE_TYPE = "pith_open_graph_state"
RECEIPT_KIND = "pith_receipt"
ALGORITHM = "ed25519"
RECEIPT_MESSAGE = "canonical_sha256_bytes"
EVENT_MESSAGE = "open_graph_event_sha256_bytes"
BUNDLE_MESSAGE = "bundle_sha256_bytes"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_B32_26 = re.compile(r"[A-Z2-7]{26}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})")
_PITH_FULL = re.compile(r"pith:\d{4}:[A-Z2-7]{26}")

T = TypeVar("T")


class Fields:
    """Typed, path-aware access to one JSON object while parsing."""

    __slots__ = ("obj", "path")

    def __init__(self, obj: Any, path: str) -> None:
        if not isinstance(obj, dict):
            raise SchemaError(f"expected an object, found {_kind(obj)}", path=path)
        self.obj: dict[str, Any] = obj
        self.path = path

    def at(self, key: str) -> str:
        return path_join(self.path, key)

    def _get(self, key: str, optional: bool) -> Any:
        if key not in self.obj:
            if optional:
                return None
            raise SchemaError(
                f"required field {key!r} is missing", path=self.path, code="schema.missing"
            )
        return self.obj[key]

    def _typed(self, key: str, kind: type | tuple[type, ...], label: str, optional: bool) -> Any:
        value = self._get(key, optional)
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise SchemaError(
                f"expected {label}, found {_kind(value)}", path=self.at(key), code="schema.type"
            )
        return value

    # The accessors below first try the common case, a value of exactly the
    # expected type, with one dict lookup; anything else (missing, null, another
    # type, a subclass) goes through _typed, which accepts or explains it.

    def text(self, key: str) -> str:
        value = self.obj.get(key)
        if type(value) is str:
            return value
        checked: str = self._typed(key, str, "a string", False)
        return checked

    def opt_text(self, key: str) -> str | None:
        value = self.obj.get(key)
        if value is None or type(value) is str:
            return value
        checked: str | None = self._typed(key, str, "a string", True)
        return checked

    def integer(self, key: str) -> int:
        value = self.obj.get(key)
        if type(value) is int:
            return value
        checked: int = self._typed(key, int, "an integer", False)
        return checked

    def opt_integer(self, key: str) -> int | None:
        value = self.obj.get(key)
        if value is None or type(value) is int:
            return value
        checked: int | None = self._typed(key, int, "an integer", True)
        return checked

    def child(self, key: str) -> Fields:
        value = self.obj.get(key)
        if type(value) is not dict:
            value = self._typed(key, dict, "an object", False)
        return Fields(value, self.at(key))

    def opt_child(self, key: str) -> Fields | None:
        value = self.obj.get(key)
        if value is not None and type(value) is not dict:
            value = self._typed(key, dict, "an object", True)
        return None if value is None else Fields(value, self.at(key))

    def array(self, key: str, *, optional: bool = False) -> list[Any]:
        value = self.obj.get(key)
        if type(value) is not list:
            value = self._typed(key, list, "a list", optional)
        return [] if value is None else list(value)

    def texts(self, key: str, *, optional: bool = False) -> tuple[str, ...]:
        items = self.array(key, optional=optional)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise SchemaError(
                    f"expected a string, found {_kind(item)}",
                    path=f"{self.at(key)}[{index}]",
                    code="schema.type",
                )
        return tuple(items)

    def objects(
        self, key: str, parse: Callable[[Fields], T], *, optional: bool = False
    ) -> tuple[T, ...]:
        items = self.array(key, optional=optional)
        return tuple(parse(Fields(item, f"{self.at(key)}[{i}]")) for i, item in enumerate(items))

    def only(self, allowed: frozenset[str]) -> None:
        """Refuse any key outside ``allowed`` (for objects no hash covers)."""
        unknown = sorted(set(self.obj) - allowed)
        if unknown:
            raise SchemaError(
                f"unknown field {_clip(unknown[0])!r}: this object is covered by no hash, so "
                "it may hold only the fields the format defines",
                path=self.at(unknown[0]),
                code="schema.unknown_key",
            )

    def matching(
        self, key: str, pattern: re.Pattern[str], what: str, *, optional: bool = False
    ) -> str | None:
        value = self.obj.get(key)
        if type(value) is str and pattern.fullmatch(value):
            return value
        value = self.opt_text(key) if optional else self.text(key)
        if value is not None and not pattern.fullmatch(value):
            raise SchemaError(
                f"{_clip(value)!r} is not {what}", path=self.at(key), code="schema.format"
            )
        return value

    def hex64(self, key: str) -> str:
        return self.matching(key, _HEX64, "64 lower-case hex digits") or ""

    def hex32(self, key: str) -> str:
        return self.matching(key, _HEX32, "32 lower-case hex digits") or ""

    def timestamp(self, key: str) -> str:
        return self.matching(key, _TIMESTAMP, "an RFC 3339 timestamp") or ""

    def opt_timestamp(self, key: str) -> str | None:
        return self.matching(key, _TIMESTAMP, "an RFC 3339 timestamp", optional=True)

    def b64(self, key: str, length: int) -> bytes:
        text = self.text(key)
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SchemaError(
                f"{_clip(text)!r} is not valid base64", path=self.at(key), code="schema.base64"
            ) from exc
        if base64.b64encode(data).decode("ascii") != text:
            raise SchemaError(
                "base64 is not in its canonical padded form",
                path=self.at(key),
                code="schema.base64",
            )
        if len(data) != length:
            raise SchemaError(
                f"decodes to {len(data)} bytes, expected {length}",
                path=self.at(key),
                code="schema.length",
            )
        return data

    def const(self, key: str, expected: str) -> str:
        value = self.text(key)
        if value != expected:
            raise SchemaError(
                f"expected {expected!r}, found {_clip(value)!r}",
                path=self.at(key),
                code="schema.value",
            )
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "an integer"}.get(
        type(value), type(value).__name__
    )


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def is_timestamp(text: str) -> bool:
    """Whether ``text`` is an RFC 3339 timestamp as the formats write them."""
    return bool(_TIMESTAMP.fullmatch(text))


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware datetime (for ordering and key validity)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------- keys


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key in the shape of a bundle's ``public_keys`` entry."""

    key_id: str
    raw: bytes
    fingerprint_hex: str
    fingerprint_b32: str | None
    rotates_at: str | None
    declared_hex: str | None
    source: dict[str, Any]

    @classmethod
    def parse(cls, f: Fields) -> PublicKey:
        f.const("algorithm", ALGORITHM)
        fmt = f.opt_text("format")
        if fmt not in (None, "raw"):
            raise SchemaError(
                f"key format {fmt!r} is not supported (only 'raw')",
                path=f.at("format"),
                code="schema.value",
            )
        raw = f.b64("public_key_b64", 32)
        declared_hex = f.matching(
            "public_key_hex", _HEX64, "64 lower-case hex digits", optional=True
        )
        fingerprint = f.matching(
            "fingerprint_sha256_hex", _HEX32, "32 lower-case hex digits", optional=True
        )
        if fingerprint is None:
            fingerprint = f.matching("public_key_fingerprint", _HEX32, "32 lower-case hex digits")
        return cls(
            key_id=f.text("key_id"),
            raw=raw,
            fingerprint_hex=fingerprint or "",
            fingerprint_b32=f.matching(
                "fingerprint_sha256_b32_first128bits",
                _B32_26,
                "26 base32 characters",
                optional=True,
            ),
            rotates_at=f.opt_timestamp("rotates_at"),
            declared_hex=declared_hex,
            source=f.obj,
        )


@dataclass(frozen=True, slots=True)
class Signer:
    signer_id: str
    signer_type: str
    key_id: str
    fingerprint: str

    @classmethod
    def parse(cls, f: Fields) -> Signer:
        return cls(
            f.text("signer_id"),
            f.text("signer_type"),
            f.text("key_id"),
            f.hex32("public_key_fingerprint"),
        )


SIGNATURE_FIELDS = frozenset(
    {
        "algorithm",
        "key_id",
        "public_key_fingerprint",
        "signature_b64",
        "signed_message",
        "signed_at",
        "signature_status",
    }
)
"""The fields of a signature block.  No hash covers the block (it holds the
signature itself), so nothing else may be in it: a byte changed anywhere in a
bundle either breaks a hash or signature, or makes it unparseable, except the
values of ``signed_at`` and ``signature_status``, on which nothing depends."""
BUNDLE_SIGNATURE_FIELDS = SIGNATURE_FIELDS | {"bundle_sha256"}


@dataclass(frozen=True, slots=True)
class Signature:
    """A detached signature block (``signature`` of events, ``bundle_signature``)."""

    key_id: str
    fingerprint: str
    value: bytes
    signed_message: str
    signed_at: str | None

    @classmethod
    def parse(cls, f: Fields, message: str) -> Signature:
        f.only(BUNDLE_SIGNATURE_FIELDS if message == BUNDLE_MESSAGE else SIGNATURE_FIELDS)
        f.const("algorithm", ALGORITHM)
        return cls(
            key_id=f.text("key_id"),
            fingerprint=f.hex32("public_key_fingerprint"),
            value=f.b64("signature_b64", 64),
            signed_message=f.const("signed_message", message),
            signed_at=f.opt_timestamp("signed_at"),
        )


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Record:
    """A canonical record: ``source``, ``metadata`` and ``schema_version``."""

    raw: dict[str, Any]
    source_kind: str
    source_id: str
    source_version: int | None
    submitted_at: str
    title_canon_sha256: str

    @classmethod
    def parse(cls, f: Fields) -> Record:
        source = f.child("source")
        metadata = f.child("metadata")
        f.text("schema_version")
        return cls(
            raw=f.obj,
            source_kind=source.text("kind"),
            source_id=source.text("id"),
            source_version=source.opt_integer("version"),
            submitted_at=metadata.timestamp("submitted_at"),
            title_canon_sha256=metadata.hex64("title_canon_sha256"),
        )

    @property
    def year(self) -> int:
        return int(self.submitted_at[:4])


@dataclass(frozen=True, slots=True)
class Receipt:
    """The registry's signature over a record hash."""

    raw: dict[str, Any]
    key_id: str
    fingerprint: str
    canonical_sha256: str
    value: bytes
    signed_at: str

    @classmethod
    def parse(cls, f: Fields) -> Receipt:
        f.const("kind", RECEIPT_KIND)
        f.const("algorithm", ALGORITHM)
        f.const("signed_message", RECEIPT_MESSAGE)
        return cls(
            raw=f.obj,
            key_id=f.text("key_id"),
            fingerprint=f.hex32("public_key_fingerprint"),
            canonical_sha256=f.hex64("canonical_sha256"),
            value=f.b64("signature_b64", 64),
            signed_at=f.timestamp("signed_at"),
        )


@dataclass(frozen=True, slots=True)
class Event:
    """A signed event about one record."""

    raw: dict[str, Any]
    event_type: str
    subject: str
    target: str
    payload: dict[str, Any]
    signer: Signer
    created_at: str
    supersedes: tuple[str, ...]
    prev_event: str | None
    signature: Signature
    content_sha256: str
    event_id: str

    @classmethod
    def parse(cls, f: Fields) -> Event:
        return cls(
            raw=f.obj,
            event_type=f.text("event_type"),
            subject=f.text("subject_pith_number"),
            target=f.text("target"),
            payload=f.child("payload").obj,
            signer=Signer.parse(f.child("signer")),
            created_at=f.timestamp("created_at"),
            supersedes=f.texts("supersedes", optional=True),
            prev_event=f.opt_text("prev_event"),
            signature=Signature.parse(f.child("signature"), EVENT_MESSAGE),
            content_sha256=f.hex64("content_sha256"),
            event_id=f.text("event_id"),
        )

    def receipt(self, path: str = "$.payload") -> Receipt:
        """For ``record_created``: the receipt alone (the record checked by other means)."""
        return Receipt.parse(Fields(self.payload, path).child("receipt"))


# ---------------------------------------------------------------- bundles


@dataclass(frozen=True, slots=True)
class Bundle:
    """A portable graph bundle: record, events, keys, merged state, signature."""

    raw: dict[str, Any]
    bundle_version: str
    pith_number: str
    short_pith_number: str | None
    record: Record
    canonical_sha256: str
    events: tuple[Event, ...]
    public_keys: tuple[PublicKey, ...]
    merge_version: str
    built_at: str
    state: dict[str, Any] | None
    signature: Signature
    declared_bundle_sha256: str | None

    @classmethod
    def parse(cls, f: Fields) -> Bundle:
        f.const("bundle_type", BUNDLE_TYPE)
        signature = f.child("bundle_signature")
        state = f.opt_child("state")
        if state is not None:
            _check_state_shape(state)
        for key in ("source_aliases", "mirror_hints", "timestamp_proofs"):
            f.array(key, optional=True)
        f.opt_child("links")
        return cls(
            raw=f.obj,
            bundle_version=f.text("bundle_version"),
            pith_number=f.matching("pith_number", _PITH_FULL, "a full pith:YEAR:BODY number") or "",
            short_pith_number=f.opt_text("short_pith_number"),
            record=Record.parse(f.child("canonical_record")),
            canonical_sha256=f.hex64("canonical_sha256"),
            events=f.objects("events", Event.parse),
            public_keys=f.objects("public_keys", PublicKey.parse, optional=True),
            merge_version=f.text("merge_version"),
            built_at=f.timestamp("built_at"),
            state=None if state is None else state.obj,
            signature=Signature.parse(signature, BUNDLE_MESSAGE),
            declared_bundle_sha256=signature.matching(
                "bundle_sha256", _HEX64, "64 lower-case hex digits", optional=True
            ),
        )

    @property
    def body(self) -> str:
        return self.pith_number.rsplit(":", 1)[-1]

    @property
    def paper(self) -> dict[str, Any]:
        """Descriptive metadata (title, authors_text, ...) of the latest graph snapshot.

        Only the title's hash is in the signed record; the text itself comes from
        the registry's signed ``graph_snapshot`` events.  Empty when there is none.
        """
        snapshots = [e for e in self.events if e.event_type == "graph_snapshot"]
        for event in sorted(snapshots, key=lambda e: (e.created_at, e.event_id), reverse=True):
            paper = snapshot_paper(event.payload)
            if paper:
                return paper
        return {}

    @property
    def title(self) -> str | None:
        title = self.paper.get("title")
        return title if isinstance(title, str) else None


def snapshot_paper(payload: object) -> dict[str, Any]:
    """The ``paper`` object of a ``graph_snapshot`` payload; ``{}`` when any level is not one.

    Payloads are free-form JSON: a junk event may put a string, a list or a
    number where an object belongs, and must not break a reader.
    """
    snapshot = payload.get("graph_snapshot") if isinstance(payload, dict) else None
    paper = snapshot.get("paper") if isinstance(snapshot, dict) else None
    return paper if isinstance(paper, dict) else {}


def _check_state_shape(f: Fields) -> None:
    f.const("state_type", STATE_TYPE)
    f.text("pith_number")
    f.text("merge_version")
    f.child("current")
    f.array("applied_event_ids")
    f.array("invalid_events")
    f.array("equivocations")
    f.hex64("state_sha256")
    for key in ("event_count", "valid_event_count", "invalid_event_count", "equivocation_count"):
        f.integer(key)


def parse_bundle(data: bytes | str, *, limits: ParseLimits = DEFAULT_LIMITS) -> Bundle:
    """Parse bundle JSON strictly; raises :class:`~pithtex.core.errors.InputError` subclasses."""
    return Bundle.parse(Fields(loads(data, limits=limits), "$"))


def parse_record(data: bytes | str, *, limits: ParseLimits = DEFAULT_LIMITS) -> Record:
    """Parse a bare canonical record."""
    return Record.parse(Fields(loads(data, limits=limits), "$"))


def read_limited(path: str | Path, limit: int = DEFAULT_LIMITS.max_bytes) -> bytes:
    """Read a file, refusing (without reading it all) one larger than ``limit`` bytes."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise InputError(f"{file}: no such file", code="file.missing") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{file}: is a directory, not a file", code="file.unreadable") from exc
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror})", code="file.unreadable") from exc
    if len(data) > limit:
        raise InputError(f"{file}: larger than the {limit}-byte cap", code="json.too_large")
    return data


def load_bundle(path: str | Path, *, limits: ParseLimits = DEFAULT_LIMITS) -> Bundle:
    """Read and parse a bundle file; errors name the file and the JSON path."""
    data = read_limited(path, limits.max_bytes)
    try:
        return parse_bundle(data, limits=limits)
    except InputError as exc:
        raise exc.prefixed(str(path)) from None
