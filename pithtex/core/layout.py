"""The resolver URL layout: the paths every Pith resolver and mirror serves.

For a number with 26-character body ``N`` (or a short alias of 8, 12 or 16
characters, where the resolver supports it), relative to a base URL::

    /pith/N                          the record page; JSON-LD with Accept: application/ld+json
    /pith/N/bundle.json              the signed bundle
    /.well-known/pith/N/bundle.json  the same bundle at the well-known location
    /pith/N/state.json               the merged state

A static mirror stores the two representations of ``/pith/N`` as
``pith/N/index.html`` and ``pith/N/index.jsonld`` (see ``docs/resolver.md``).
"""

from __future__ import annotations

__all__ = [
    "BUNDLE_FILE",
    "HTML_FILE",
    "HTML_TYPE",
    "INDEX_HTML",
    "INDEX_JSON",
    "JSONLD_FILE",
    "JSONLD_TYPE",
    "JSON_TYPE",
    "JSON_TYPES",
    "RESOLVER_PREFIX",
    "STATE_FILE",
    "WELL_KNOWN_PREFIX",
    "bundle_path",
    "bundle_urls",
    "document_path",
    "join",
    "state_path",
    "well_known_bundle_path",
]

RESOLVER_PREFIX = "pith"
WELL_KNOWN_PREFIX = ".well-known/pith"
BUNDLE_FILE = "bundle.json"
STATE_FILE = "state.json"
JSONLD_FILE = "index.jsonld"
HTML_FILE = "index.html"
INDEX_JSON = "index.json"
INDEX_HTML = "index.html"

JSON_TYPE = "application/json"
JSONLD_TYPE = "application/ld+json"
HTML_TYPE = "text/html"
JSON_TYPES = (JSON_TYPE, "application/*+json")
"""Media types a bundle or state may be served with (``+json`` types included)."""


def document_path(body: str) -> str:
    return f"{RESOLVER_PREFIX}/{body}"


def bundle_path(body: str) -> str:
    return f"{RESOLVER_PREFIX}/{body}/{BUNDLE_FILE}"


def well_known_bundle_path(body: str) -> str:
    return f"{WELL_KNOWN_PREFIX}/{body}/{BUNDLE_FILE}"


def state_path(body: str) -> str:
    return f"{RESOLVER_PREFIX}/{body}/{STATE_FILE}"


def join(base: str, path: str) -> str:
    """``base`` (no trailing slash, may carry a path) joined with a layout path."""
    return f"{base.rstrip('/')}/{path}"


def bundle_urls(base: str, body: str) -> tuple[str, str]:
    """The two places a resolver may serve a bundle, in the order clients try them."""
    return join(base, bundle_path(body)), join(base, well_known_bundle_path(body))
