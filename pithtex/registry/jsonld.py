"""The JSON-LD description of a Pith record, as resolvers serve it.

``GET /pith/<N>`` with ``Accept: application/ld+json`` answers a
schema.org ``ScholarlyArticle`` whose top level also carries the canonical
record, so that anyone can recompute the number from it (the recipe on
pith.science hashes ``.canonical_record``).  :func:`jsonld_document` builds the
document a mirror serves; :func:`check_jsonld` is what a client verifies in a
document it fetched: the canonical record must hash to the number asked for.
The document itself is not signed; the bundle is the signed artefact.
"""

from __future__ import annotations

import json
from typing import Any

from pithtex.core.canonical import loads
from pithtex.core.digests import record_number
from pithtex.core.errors import JSONFormatError, SchemaError
from pithtex.core.layout import bundle_path, document_path, join, state_path, well_known_bundle_path
from pithtex.core.model import Bundle
from pithtex.core.names import DEFAULT_RESOLVER
from pithtex.core.numbers import PithNumber, PithRef

__all__ = [
    "CONTEXT",
    "PITH_VOCAB",
    "check_jsonld",
    "jsonld_bytes",
    "jsonld_document",
]

PITH_VOCAB = "https://pith.science/ns/1.0/"
CONTEXT: dict[str, Any] = {
    "@vocab": "https://schema.org/",
    "pith": PITH_VOCAB,
    "pith_number": {"@id": "pith:number"},
    "short_pith_number": {"@id": "pith:shortNumber"},
    "canonical_sha256": {"@id": "pith:canonicalSHA256"},
    "canonical_record": {"@id": "pith:canonicalRecord", "@type": "@json"},
    "built_at": {"@id": "pith:builtAt", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
    "bundle": {"@id": "pith:bundle", "@type": "@id"},
    "well_known_bundle": {"@id": "pith:wellKnownBundle", "@type": "@id"},
    "state": {"@id": "pith:state", "@type": "@id"},
}


def jsonld_document(bundle: Bundle, base_url: str | None = None) -> dict[str, Any]:
    """The JSON-LD document for ``bundle`` as served under ``base_url``.

    ``@id`` is the record's canonical resolver URL on pith.science (the same on
    every mirror); ``url``, ``bundle`` and ``state`` point into the mirror, as
    absolute URLs when ``base_url`` is known and root-relative paths otherwise.
    """
    body = bundle.body
    base = base_url.rstrip("/") if base_url else ""
    paper = bundle.paper
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "ScholarlyArticle",
        "@id": join(DEFAULT_RESOLVER, document_path(body)),
        "identifier": [
            {"@type": "PropertyValue", "propertyID": "pith", "value": bundle.pith_number},
            *_source_identifiers(bundle),
        ],
        "url": join(base, document_path(body)),
        "pith_number": bundle.pith_number,
        "short_pith_number": PithNumber(body).short_form,
        "canonical_sha256": bundle.canonical_sha256,
        "canonical_record": bundle.record.raw,
        "built_at": bundle.built_at,
        "bundle": join(base, bundle_path(body)),
        "well_known_bundle": join(base, well_known_bundle_path(body)),
        "state": join(base, state_path(body)),
        "dateCreated": bundle.record.submitted_at,
    }
    if isinstance(paper.get("title"), str):
        doc["name"] = paper["title"]
    if isinstance(paper.get("authors_text"), str) and paper["authors_text"]:
        doc["creditText"] = paper["authors_text"]
    if isinstance(paper.get("abstract_excerpt"), str) and paper["abstract_excerpt"]:
        doc["abstract"] = paper["abstract_excerpt"]
    categories = [bundle.record.raw["metadata"].get("primary_cat")]
    categories += list(bundle.record.raw["metadata"].get("cross_cats_sorted") or [])
    doc["keywords"] = [c for c in categories if isinstance(c, str)]
    license_url = bundle.record.raw["metadata"].get("license")
    if isinstance(license_url, str):
        doc["license"] = license_url
    if bundle.record.source_kind == "arxiv":
        version = bundle.record.source_version
        suffix = f"v{version}" if version else ""
        doc["sameAs"] = [f"https://arxiv.org/abs/{bundle.record.source_id}{suffix}"]
    return doc


def _source_identifiers(bundle: Bundle) -> list[dict[str, Any]]:
    record = bundle.record
    return [{"@type": "PropertyValue", "propertyID": record.source_kind, "value": record.source_id}]


def jsonld_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def check_jsonld(data: bytes, ref: PithRef) -> tuple[dict[str, Any], PithNumber]:
    """Parse a fetched JSON-LD document and check that its record is the one asked for.

    Returns the document and the number its ``canonical_record`` derives to;
    raises :class:`~pithtex.core.errors.SchemaError` naming what is wrong.
    """
    try:
        document = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SchemaError(f"not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise SchemaError("a JSON-LD document must be an object")
    record = document.get("canonical_record")
    if not isinstance(record, dict):
        raise SchemaError("the document carries no canonical_record", path="$.canonical_record")
    try:  # the record must be in the strict profile that canonical hashing needs
        loads(json.dumps(record, ensure_ascii=False))
    except JSONFormatError as exc:
        raise SchemaError(exc.detail, path=f"$.canonical_record{exc.path[1:]}") from None
    number = record_number(record)
    if not number.matches(ref) or not number.body.startswith(ref.body):
        raise SchemaError(
            f"canonical_record derives to {number.full}, not {ref}",
            path="$.canonical_record",
            code="schema.wrong_number",
        )
    declared = document.get("pith_number")
    if declared is not None and declared != number.full:
        raise SchemaError(
            f"pith_number says {declared!r} but the record derives to {number.full}",
            path="$.pith_number",
            code="schema.wrong_number",
        )
    return document, number


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
