"""Pith Numbers: derivation from a record hash, and parsing what people type.

A Pith Number body is the first 26 characters (130 bits) of the RFC 4648
base32 encoding of a record's 32-byte canonical SHA-256.  Its full form is
``pith:<year>:<body>`` (the year the paper was submitted); the short forms
``pith:<first 8>`` (and the 12- and 16-character aliases) are prefixes.

:func:`parse_number` accepts every form users write: ``pith:2019:J655…``,
``pith:J655K2KR``, a bare body or prefix, lower case, surrounding spaces, and
resolver URLs ending in ``/pith/<number>``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from pithtex.core.errors import NumberFormatError

__all__ = [
    "BASE32_ALPHABET",
    "BODY_LENGTH",
    "DISPLAY_SHORT_LENGTH",
    "SHORT_LENGTHS",
    "PithNumber",
    "PithRef",
    "b32_prefix",
    "body_from_digest",
    "parse_full_number",
    "parse_number",
]

BODY_LENGTH = 26
"""Characters in a full Pith Number body (130 bits of the record hash)."""

SHORT_LENGTHS = (8, 12, 16)
"""Lengths of the short aliases ``pith_short_8`` / ``_12`` / ``_16``."""

DISPLAY_SHORT_LENGTH = 8
BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

_BODY_RE = re.compile(r"[A-Z2-7]+")
_YEAR_RE = re.compile(r"[0-9]{4}")
_URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]+(?:/[^?#]*)?/pith/([^/?#]+)", re.IGNORECASE)


def body_from_digest(digest: bytes) -> str:
    """The 26-character body for a 32-byte record hash."""
    if len(digest) != 32:
        raise ValueError("a record hash is 32 bytes")
    return b32_prefix(digest)


def b32_prefix(digest: bytes, length: int = BODY_LENGTH) -> str:
    """First ``length`` base32 characters of ``digest`` (used for fingerprints too)."""
    # Base32 turns each 5 bytes into 8 characters independently of the rest, so
    # only the first ceil(length / 8) groups are encoded (20 of 32 bytes for a body).
    groups = -(-length // 8)
    return base64.b32encode(digest[: groups * 5]).decode("ascii")[:length]


@dataclass(frozen=True, slots=True)
class PithNumber:
    """A complete Pith Number: the 26-character body and, when known, the year."""

    body: str
    year: int | None = None

    def __post_init__(self) -> None:
        if len(self.body) != BODY_LENGTH or not _BODY_RE.fullmatch(self.body):
            raise NumberFormatError(f"{self.body!r} is not a 26-character base32 Pith body")

    @classmethod
    def from_digest(cls, digest: bytes, year: int | None = None) -> PithNumber:
        return cls(body_from_digest(digest), year)

    @classmethod
    def from_hex(cls, sha256_hex: str, year: int | None = None) -> PithNumber:
        return cls.from_digest(bytes.fromhex(sha256_hex), year)

    @property
    def full(self) -> str:
        """``pith:YEAR:BODY`` (``pith:BODY`` when the year is unknown)."""
        if self.year is None:
            return f"pith:{self.body}"
        return f"pith:{self.year:04d}:{self.body}"

    def short(self, length: int = DISPLAY_SHORT_LENGTH) -> str:
        """A short alias value, e.g. ``J655K2KR`` for ``length=8``."""
        return self.body[:length]

    @property
    def short_form(self) -> str:
        """``pith:`` and the first 8 characters: the text on a badge."""
        return f"pith:{self.short()}"

    def matches(self, ref: PithRef) -> bool:
        """Whether ``ref`` (full or short, with or without year) names this number."""
        if ref.year is not None and self.year is not None and ref.year != self.year:
            return False
        return self.body.startswith(ref.body)

    def __str__(self) -> str:
        return self.full


@dataclass(frozen=True, slots=True)
class PithRef:
    """What a user typed, normalised: a full body or a prefix, and maybe a year."""

    body: str
    year: int | None = None

    @property
    def is_full(self) -> bool:
        return len(self.body) == BODY_LENGTH

    def to_number(self) -> PithNumber:
        """The full number; raises when only a prefix is known."""
        if not self.is_full:
            raise NumberFormatError(
                f"pith:{self.body} is a short form; the full 26-character number is needed here"
            )
        return PithNumber(self.body, self.year)

    def agrees_with(self, other: PithRef) -> bool:
        """Whether both may name one number: the same year when both say one, and the
        same body, or one body a prefix of the other when either is a short form."""
        if self.year is not None and other.year is not None and self.year != other.year:
            return False
        if self.is_full and other.is_full:
            return self.body == other.body
        shorter, longer = sorted((self.body, other.body), key=len)
        return longer.startswith(shorter)

    def __str__(self) -> str:
        if self.year is not None:
            return f"pith:{self.year:04d}:{self.body}"
        return f"pith:{self.body}"


def parse_number(text: str, *, allow_short: bool = True) -> PithRef:
    """Normalise a Pith Number as people write it.

    Accepts ``pith:2019:J655K2KRI7DJHF4SOFYZCQRRE5``, ``pith:J655K2KR``, a bare
    body or prefix (8, 12, 16 or 26 characters), any letter case, surrounding
    white space, and resolver URLs (``https://pith.science/pith/J655…``).
    Raises :class:`NumberFormatError` with a sentence naming the problem.
    """
    if not isinstance(text, str):
        raise NumberFormatError("a Pith Number must be text")
    raw = text.strip()
    if not raw:
        raise NumberFormatError("empty Pith Number")
    if len(raw) > 200:
        raise NumberFormatError("text is far too long to be a Pith Number")
    url = _URL_RE.match(raw)
    if url:
        raw = url.group(1)
    parts = raw.split(":")
    year: int | None = None
    if len(parts) >= 2 and parts[0].lower() == "pith":
        parts = parts[1:]
    if len(parts) == 2:
        if not _YEAR_RE.fullmatch(parts[0]):
            raise NumberFormatError(f"{text.strip()!r}: the year must be four digits")
        year = int(parts[0])
        parts = parts[1:]
    if len(parts) != 1:
        raise NumberFormatError(f"{text.strip()!r} is not of the form pith:YEAR:BODY")
    body = parts[0].upper()
    _check_body(body, text.strip(), allow_short=allow_short)
    return PithRef(body, year)


def _check_body(body: str, shown: str, *, allow_short: bool) -> None:
    bad = sorted({c for c in body if c not in BASE32_ALPHABET})
    if bad:
        listed = " ".join(repr(c) for c in bad[:5])
        raise NumberFormatError(
            f"{shown!r}: {listed} cannot appear in a Pith Number (base32 uses A-Z and 2-7)"
        )
    if not allow_short and len(body) in SHORT_LENGTHS:
        raise NumberFormatError(
            f"{shown!r} is a short form; the full 26-character number is needed here"
        )
    allowed = (*SHORT_LENGTHS, BODY_LENGTH) if allow_short else (BODY_LENGTH,)
    if len(body) not in allowed:
        wanted = " or ".join(str(n) for n in allowed)
        raise NumberFormatError(
            f"{shown!r}: body has {len(body)} characters; a Pith Number body has {wanted}"
        )


def parse_full_number(text: str) -> PithNumber:
    """Like :func:`parse_number` but requires the full 26-character body."""
    return parse_number(text, allow_short=False).to_number()
