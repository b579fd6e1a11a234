"""The published names: the ``pith`` XMP namespace, PDF Info keys, attachment and XObject names.

The LaTeX package, the stamper and the checker all use these names; they are
documented in ``docs/pdf-metadata.md``.  Change them only together with that
document and a new namespace version.  The standard XMP namespaces the
reader and the writer share (RDF, Dublin Core, PDF/A identification and
extension schemas) are defined here too, once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BADGE_CORNERS",
    "BADGE_XOBJECT",
    "DC",
    "DEFAULT_BADGE_CORNER",
    "DEFAULT_RESOLVER",
    "EMBEDDED_BUNDLE_MIME",
    "EMBEDDED_BUNDLE_NAME",
    "EMBEDDED_BUNDLE_RELATIONSHIP",
    "INFO_KEYS",
    "NAMESPACE_URI",
    "PDF",
    "PDFAID",
    "PDFA_EXTENSION",
    "PDFA_PROPERTY",
    "PDFA_SCHEMA",
    "PREFIX",
    "PROPERTIES",
    "PROPERTY_NAMES",
    "RDF",
    "RESOLVER_PATH",
    "SCHEMA_NAME",
    "XML_LANG",
    "XMP",
    "Property",
    "X",
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
EMBEDDED_BUNDLE_RELATIONSHIP = "Supplement"
"""The ``/AFRelationship`` of the embedded bundle: supplementary to the paper."""

DEFAULT_RESOLVER = "https://pith.science"
RESOLVER_PATH = "/pith/"
"""A resolver link is ``<base URL>/pith/<number>``."""

BADGE_XOBJECT = "/PithBadge"
"""Name of the badge form XObject in page 1's ``/Resources /XObject``; its ``/PithNumber``
key holds the full number (written by ``pithtex stamp --badge``)."""

BADGE_CORNERS = ("top-right", "top-left", "bottom-right", "bottom-left")
"""Where ``pithtex stamp --badge-corner`` may put the badge, the default first."""
DEFAULT_BADGE_CORNER = BADGE_CORNERS[0]

# ---------------------------------------------------------------- standard XMP namespaces

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
X = "adobe:ns:meta/"
DC = "http://purl.org/dc/elements/1.1/"
XMP = "http://ns.adobe.com/xap/1.0/"
PDF = "http://ns.adobe.com/pdf/1.3/"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
"""PDF/A identification: ``pdfaid:part`` and ``pdfaid:conformance``."""
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
"""The ``xml:lang`` attribute in lxml's Clark notation."""
