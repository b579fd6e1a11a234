"""The ``pith`` XMP namespace and PDF Info keys: the contract between writers and readers.

The LaTeX package, the stamper and the checker all use these names; they are
documented in ``docs/pdf-metadata.md``.  Change them only together with that
document and a new namespace version.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BADGE_XOBJECT",
    "DEFAULT_RESOLVER",
    "EMBEDDED_BUNDLE_MIME",
    "EMBEDDED_BUNDLE_NAME",
    "INFO_KEYS",
    "NAMESPACE_URI",
    "PREFIX",
    "PROPERTIES",
    "PROPERTY_NAMES",
    "RESOLVER_PATH",
    "SCHEMA_NAME",
    "Property",
]

NAMESPACE_URI = "https://pith.science/ns/xmp/1.0/"
PREFIX = "pith"
SCHEMA_NAME = "Pith Number"


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    value_type: str
    description: str
    info_key: str | None = None
    """The PDF Info dictionary key mirroring this property, if any."""


PROPERTIES: tuple[Property, ...] = (
    Property("number", "Text", "Full Pith Number, pith:YEAR:BODY", "PithNumber"),
    Property(
        "canonicalSHA256", "Text", "SHA-256 of the canonical record (hex)", "PithCanonicalSHA256"
    ),
    Property("resolver", "URI", "Resolver URL of the record", "PithResolver"),
    Property("bundleSHA256", "Text", "bundle_sha256 of the bundle the stamp was verified with"),
    Property("keyFingerprint", "Text", "Fingerprint of the registry key that signed the bundle"),
    Property("stampedAt", "Date", "When pithtex stamp wrote this metadata"),
    Property("tool", "Text", "Software that wrote this metadata, with version"),
)

PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)
INFO_KEYS = {p.name: p.info_key for p in PROPERTIES if p.info_key}

EMBEDDED_BUNDLE_NAME = "pith-bundle.json"
"""File name of the bundle embedded as an associated file (``/AF``, ``Supplement``)."""
EMBEDDED_BUNDLE_MIME = "application/json"

DEFAULT_RESOLVER = "https://pith.science"
RESOLVER_PATH = "/pith/"
"""A resolver link is ``<base URL>/pith/<number>``."""

BADGE_XOBJECT = "/PithBadge"
"""Name of the badge form XObject in page 1's ``/Resources /XObject``; its ``/PithNumber``
key holds the full number (written by ``pithtex stamp --badge``)."""
