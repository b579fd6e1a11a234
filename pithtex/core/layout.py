"""The resolver URL layout: the paths every Pith resolver and mirror serves.

For a number with 26-character body ``N`` (or a short alias of 8, 12 or 16
characters, where the resolver supports it), relative to a base URL::

    /pith/N                          the record page; JSON-LD with Accept: application/ld+json
    /pith/N/bundle.json              the signed bundle
    /.well-known/pith/N/bundle.json  the same bundle at the well-known location
    /pith/N/state.json               the merged state

A static mirror stores the two representations of ``/pith/N`` as
``pith/N/index.html`` and ``pith/N/index.jsonld`` (see ``docs/resolver.md``).

:func:`resolver_url` is the link a paper shows (the badge, its QR code, the XMP
``pith:resolver``); its base URL is checked by :func:`check_resolver_base`.
"""

from __future__ import annotations

import re

from pithtex.core.errors import InputError
from pithtex.core.names import DEFAULT_RESOLVER, RESOLVER_PATH

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
    "RESOLVER_CHARACTERS",
    "RESOLVER_PREFIX",
    "STATE_FILE",
    "WELL_KNOWN_PREFIX",
    "bundle_path",
    "bundle_urls",
    "check_resolver_base",
    "document_path",
    "join",
    "resolver_url",
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


_RESOLVER_BASE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~+@-]+)*")
RESOLVER_CHARACTERS = "A-Z a-z 0-9 : / . _ ~ + @ -"
"""What a resolver base URL may contain, here and in ``pith.sty`` (no TeX or PDF specials)."""


def check_resolver_base(base: str) -> str:
    """A resolver base URL without its trailing slash; raises :class:`InputError` otherwise."""
    value = base.strip().rstrip("/")
    if not _RESOLVER_BASE.fullmatch(value):
        raise InputError(
            f"{base!r} is not a usable resolver base URL: it must start with http:// or "
            f"https:// and contain only {RESOLVER_CHARACTERS}",
            code="resolver.invalid",
        )
    return value


def resolver_url(body: str, base: str = DEFAULT_RESOLVER) -> str:
    """``<base>/pith/<body>``: where the badge links and what the QR code holds."""
    return f"{check_resolver_base(base)}{RESOLVER_PATH}{body}"
