"""What to stamp and how: :class:`StampSpec` (from a verified bundle) and :class:`StampOptions`.

:func:`prepare` verifies a bundle against the keyring and distils it into a
:class:`StampSpec`, the plain data every file is stamped with (picklable, so
it crosses into worker processes).  :class:`StampOptions` and
:class:`BadgeOptions` are what the user chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pithtex.core.digests import bundle_sha256, text_canon_sha256
from pithtex.core.errors import InputError
from pithtex.core.layout import resolver_url
from pithtex.core.model import parse_bundle, read_limited
from pithtex.core.names import (
    DEFAULT_BADGE_CORNER,
    EMBEDDED_BUNDLE_MIME,
    EMBEDDED_BUNDLE_NAME,
    EMBEDDED_BUNDLE_RELATIONSHIP,
    RESOLVER_PATH,
)
from pithtex.core.version import __version__
from pithtex.pdf._access.editing import AttachmentSpec
from pithtex.pdf._access.limits import DEFAULT_READ_LIMITS, ReadLimits
from pithtex.pdf.xmp.write import xmp_date
from pithtex.trust.verify import require_verified

if TYPE_CHECKING:
    from pithtex.core.model import Bundle
    from pithtex.trust.keyring import Keyring
    from pithtex.trust.verify import VerifiedBundle

__all__ = [
    "TOOL",
    "BadgeOptions",
    "StampOptions",
    "StampSpec",
    "prepare",
    "spec_from_verified",
]

TOOL = f"pithtex {__version__}"


@dataclass(frozen=True, slots=True)
class StampSpec:
    """Everything a verified bundle contributes to a stamp (plain data, picklable)."""

    number: str
    body: str
    canonical_sha256: str
    resolver: str
    bundle_sha256: str
    key_fingerprint: str
    title_canon_sha256: str
    title: str | None
    """The record's title, when the bundle gives one that hashes to ``title_canon_sha256``."""
    bundle_bytes: bytes
    built_at: str

    @property
    def short_form(self) -> str:
        return f"pith:{self.body[:8]}"

    def xmp_values(self, stamped_at: datetime | None) -> dict[str, str]:
        values = {
            "number": self.number,
            "canonicalSHA256": self.canonical_sha256,
            "resolver": self.resolver,
            "bundleSHA256": self.bundle_sha256,
            "keyFingerprint": self.key_fingerprint,
            "tool": TOOL,
        }
        if stamped_at is not None:
            values["stampedAt"] = xmp_date(stamped_at)
        return values

    def attachment(self) -> AttachmentSpec:
        """The bundle as ``pith-bundle.json``, an associated file dated by its ``built_at``."""
        return AttachmentSpec(
            file_name=EMBEDDED_BUNDLE_NAME,
            data=self.bundle_bytes,
            mime_type=EMBEDDED_BUNDLE_MIME,
            description=f"Pith bundle of {self.number} (signed record, events and state)",
            moment=datetime.fromisoformat(self.built_at.replace("Z", "+00:00")),
            relationship=EMBEDDED_BUNDLE_RELATIONSHIP,
        )


@dataclass(frozen=True, slots=True)
class BadgeOptions:
    corner: str = DEFAULT_BADGE_CORNER
    qr: bool = False
    margin: float = 18.0
    """Distance from the page edges, in points."""


@dataclass(frozen=True, slots=True)
class StampOptions:
    embed_bundle: bool = False
    badge: BadgeOptions | None = None
    force: bool = False
    """Stamp even when the PDF's title does not match the record (or is missing)."""
    repair_xmp: bool = False
    """Replace a malformed XMP packet (rebuilt from the Info dictionary)."""
    password: str | None = None
    deterministic: bool = False
    """Content-derived document ID, no wall-clock time (unless ``stamp_time`` is given)."""
    stamp_time: datetime | None = None
    incremental: bool = False
    """Append an incremental update even for unsigned PDFs."""
    dry_run: bool = False
    limits: ReadLimits = DEFAULT_READ_LIMITS
    """The caps on reading each PDF (the checker's)."""

    def effective_time(self) -> datetime | None:
        if self.stamp_time is not None:
            return self.stamp_time
        return None if self.deterministic else datetime.now(UTC)


def prepare(
    bundle_path: str | Path, keyring: Keyring, *, resolver_base: str | None = None
) -> StampSpec:
    """Load and verify a bundle; refuse (exit 1) unless it is verified against ``keyring``."""
    data = read_limited(bundle_path)
    try:
        bundle = parse_bundle(data)
    except InputError as exc:
        raise exc.prefixed(str(bundle_path)) from None
    verified = require_verified(bundle, keyring, refusal="nothing was stamped")
    return spec_from_verified(verified, data, resolver_base=resolver_base)


def spec_from_verified(
    verified: VerifiedBundle, data: bytes, *, resolver_base: str | None = None
) -> StampSpec:
    """The stamp of a verified bundle whose bytes are ``data``.

    ``resolver_base`` (checked: ``http(s)://`` and no TeX or PDF specials) replaces
    the resolver the bundle names.
    """
    bundle = verified.bundle
    body = verified.number.body
    title = bundle.title
    if title is not None and text_canon_sha256(title) != bundle.record.title_canon_sha256:
        title = None
    return StampSpec(
        number=verified.number.full,
        body=body,
        canonical_sha256=bundle.canonical_sha256,
        resolver=resolver_url(body, resolver_base) if resolver_base else _bundle_resolver(bundle),
        bundle_sha256=bundle_sha256(bundle.raw),
        key_fingerprint=bundle.signature.fingerprint,
        title_canon_sha256=bundle.record.title_canon_sha256,
        title=title,
        bundle_bytes=data,
        built_at=bundle.built_at,
    )


def _bundle_resolver(bundle: Bundle) -> str:
    """The resolver link the (signed) bundle names, if it has the standard shape."""
    links = bundle.raw.get("links")
    link = links.get("resolver") if isinstance(links, dict) else None
    if (
        isinstance(link, str)
        and link.startswith("https://")
        and link.endswith(RESOLVER_PATH + bundle.body)
    ):
        return link
    return resolver_url(bundle.body)
