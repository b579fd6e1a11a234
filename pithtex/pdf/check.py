"""The PDF checker: from one received PDF to a verdict, check by check.

Data flows one way::

    read_pdf (claims of every channel) -> choose a bundle -> verify_bundle
        -> compare the PDF with the verified record -> verdict

Each step adds :class:`~pithtex.core.results.CheckResult` items with stable
``check.*`` status codes (listed in ``docs/check.md``).  The verdict is one of
``verified`` (exit 0), ``failed`` (1), ``unusable`` (2), ``no-claim`` (3) or
``indeterminate`` (4: it could not be decided, e.g. no bundle could be had; never a
finding against the paper).
Nothing here prints or exits; the CLI formats a :class:`CheckReport`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from pithtex.core.digests import bundle_sha256, text_canon_sha256
from pithtex.core.errors import BundleLookupError, ExitCode, InputError
from pithtex.core.model import Bundle, parse_bundle
from pithtex.core.names import DEFAULT_RESOLVER, EMBEDDED_BUNDLE_NAME, RESOLVER_PATH
from pithtex.core.numbers import PithNumber, PithRef, parse_full_number
from pithtex.core.results import CheckResult, fail, indeterminate, ok, skip
from pithtex.pdf.badge_check import check_badge, check_links
from pithtex.pdf.evidence import (
    DEFAULT_READ_LIMITS,
    Claim,
    PdfError,
    PdfEvidence,
    ReadLimits,
    normalise_for_search,
    read_pdf,
)
from pithtex.pdf.ocr import OcrReading
from pithtex.pdf.revisions import check_edits
from pithtex.pdf.tesseract import require_tesseract
from pithtex.pdf.title_block import TitleFinding, TitleLine
from pithtex.pdf.title_match import (
    Corroboration,
    TitleMatch,
    TitleReview,
    corroborate,
    match_title,
    match_whole_block,
    shown_block,
)
from pithtex.trust.keyring import Keyring
from pithtex.trust.record import RecordCard, card_of_verification
from pithtex.trust.verify import BundleVerdict, BundleVerification, verify_bundle

__all__ = [
    "CHANNEL_ORDER",
    "SCHEMA",
    "BundleSource",
    "CheckOptions",
    "CheckReport",
    "ChosenBundle",
    "FoundBundle",
    "Registry",
    "Verdict",
    "check_evidence",
    "check_pdf",
    "choose_bundle",
    "claimed_number",
    "registry_bundle",
    "unusable_report",
    "verdict_of",
]

SCHEMA = "pithtex.check/1"

CHANNEL_ORDER = (
    "xmp.number",
    "xmp.identifier",
    "info.number",
    "link",
    "xmp.resolver",
    "info.resolver",
    "badge",
    "embedded",
    "text",
)
"""Channels by precedence: the first full number among them is *the* claimed number."""


class Verdict(StrEnum):
    VERIFIED = "verified"
    FAILED = "failed"
    UNUSABLE = "unusable"
    NO_CLAIM = "no-claim"
    INDETERMINATE = "indeterminate"
    """Could not be decided (ETSI EN 319 102-1's term): no bundle could be had, or page 1
    has no verifiable title block.  Never a finding against the paper."""

    @property
    def exit_code(self) -> ExitCode:
        return {
            Verdict.VERIFIED: ExitCode.OK,
            Verdict.FAILED: ExitCode.FAILED,
            Verdict.UNUSABLE: ExitCode.UNUSABLE,
            Verdict.NO_CLAIM: ExitCode.NO_CLAIM,
            Verdict.INDETERMINATE: ExitCode.INDETERMINATE,
        }[self]


def verdict_of(checks: Iterable[CheckResult]) -> Verdict:
    """``failed`` if any check failed, else ``indeterminate`` if any could not be decided,
    else ``verified``."""
    listed = tuple(checks)
    if any(c.failed for c in listed):
        return Verdict.FAILED
    if any(c.indeterminate for c in listed):
        return Verdict.INDETERMINATE
    return Verdict.VERIFIED


class FoundBundle(Protocol):
    """A bundle a :class:`Registry` found, verified against the checker's keyring."""

    @property
    def bundle(self) -> Bundle: ...
    @property
    def verification(self) -> BundleVerification: ...
    @property
    def source_url(self) -> str: ...
    @property
    def from_cache(self) -> bool: ...
    @property
    def revalidated(self) -> bool: ...
    @property
    def stale(self) -> bool: ...
    @property
    def cache_path(self) -> Path | None: ...


class Registry(Protocol):
    """Where bundles are looked up by number: :class:`pithtex.registry.resolver.Resolver`.

    A lookup that gives no usable bundle raises
    :class:`~pithtex.core.errors.BundleLookupError`.
    """

    def resolve(
        self, ref: PithRef, *, offline: bool, refresh: bool, allow_stale: bool
    ) -> FoundBundle: ...


class BundleSource(StrEnum):
    ARGUMENT = "argument"
    EMBEDDED = "embedded"
    CACHE = "cache"
    RESOLVER = "resolver"


@dataclass(frozen=True)
class CheckOptions:
    """How to check: whom to trust, which bundle to prefer, which resolvers are ours."""

    keyring: Keyring
    bundle: Bundle | None = None
    """A bundle the user gave (``--bundle``): preferred over every other source."""
    bundle_label: str | None = None
    use_embedded: bool = True
    resolvers: tuple[str, ...] | Callable[[], tuple[str, ...]] = (DEFAULT_RESOLVER,)
    """Resolver base URLs whose ``/pith/<number>`` links count as claims (links to
    ``https://pith.science`` always do); a function is called once, when first needed."""
    limits: ReadLimits = DEFAULT_READ_LIMITS
    registry: Registry | None = None
    """Where to look up a bundle the PDF does not carry (cache, then resolvers); ``None``
    means no lookup at all."""
    offline: bool = False
    """Look only in the cache, never on the network."""
    refresh: bool = False
    """Ask the resolvers even when the cached copy is fresh."""
    ocr: bool = False
    """When page 1 shows no visible title text (a scan, outlines), read its title block by
    OCR from the rendered page (:mod:`pithtex.pdf.ocr`; needs Tesseract: the check entry
    points raise :class:`~pithtex.core.errors.MissingToolError` without it)."""

    @cached_property
    def link_prefixes(self) -> tuple[str, ...]:
        bases = self.resolvers() if callable(self.resolvers) else self.resolvers
        return tuple(base.rstrip("/") + RESOLVER_PATH for base in bases)

    def is_resolver_link(self, uri: str) -> bool:
        """Whether a link points at a resolver this check trusts to name numbers."""
        default = DEFAULT_RESOLVER + RESOLVER_PATH
        return uri.startswith(default) or uri.startswith(self.link_prefixes)

    @cached_property
    def given_verification(self) -> BundleVerification | None:
        """The verification of the ``--bundle`` bundle, done once for a whole batch."""
        return None if self.bundle is None else verify_bundle(self.bundle, self.keyring)

    def verification_of(self, chosen: ChosenBundle) -> BundleVerification:
        assert chosen.bundle is not None
        if chosen.verification is not None:
            return chosen.verification
        if chosen.source is BundleSource.ARGUMENT and self.given_verification is not None:
            return self.given_verification
        return verify_bundle(chosen.bundle, self.keyring)


@dataclass(frozen=True)
class ChosenBundle:
    bundle: Bundle | None
    source: BundleSource | None
    result: CheckResult
    verification: BundleVerification | None = None
    """Set when the source already verified the bundle against the same keyring."""


@dataclass(frozen=True)
class CheckReport:
    """Everything one check of one PDF found; :meth:`to_json` is the documented schema."""

    file: str
    verdict: Verdict
    checks: tuple[CheckResult, ...]
    evidence: PdfEvidence | None = None
    claims: tuple[Claim, ...] = ()
    """Every number claim, the embedded bundle's included, by channel precedence."""
    number: str | None = None
    bundle_source: BundleSource | None = None
    verification: BundleVerification | None = None
    record_title: str | None = None
    title_review: TitleReview | None = None
    """Page 1's title block, corroboration and metadata-title warnings (with a bundle)."""
    record: RecordCard | None = field(default=None, init=False, compare=False)
    """The record as the registry page shows it, when the bundle verified (whatever the
    verdict: a badge on the wrong paper still names a record); made from
    :attr:`verification`, never from an unverified bundle."""

    def __post_init__(self) -> None:
        if self.verification is not None:
            object.__setattr__(self, "record", card_of_verification(self.verification))

    @property
    def exit_code(self) -> ExitCode:
        return self.verdict.exit_code

    @property
    def notice(self) -> str | None:
        """``retracted`` or ``corrected`` when the verified record says so: shown beside
        the verdict, whatever the verdict."""
        return None if self.record is None else self.record.notice

    @property
    def decisive(self) -> CheckResult | None:
        """The check that decided a non-verified verdict: the first failure, else the first
        check that could not be decided."""
        failed = next((c for c in self.checks if c.failed), None)
        return failed or next((c for c in self.checks if c.indeterminate), None)

    @property
    def code(self) -> str:
        """The status code of the verdict: ``check.verified``, or the deciding check's code."""
        if self.verdict is Verdict.VERIFIED:
            return "check.verified"
        if self.verdict is Verdict.NO_CLAIM:
            return "check.claims.none"
        decisive = self.decisive
        return decisive.code if decisive else "check.failed"

    @property
    def reason(self) -> str:
        if self.verdict is Verdict.VERIFIED:
            by_ocr = self.title_review is not None and self.title_review.method == "ocr"
            ocr = "; page 1's title was read by OCR" if by_ocr else ""
            return f"{self.number} verified against the bundle ({self.bundle_source}){ocr}"
        if self.verdict is Verdict.NO_CLAIM:
            return "no Pith Number in XMP, Info, links, page 1 text or an embedded bundle"
        decisive = self.decisive
        return decisive.reason if decisive else "a check failed"

    def to_json(self) -> dict[str, Any]:
        ev = self.evidence
        verification = self.verification
        review = self.title_review
        return {
            "schema": SCHEMA,
            "file": self.file,
            "verdict": self.verdict.value,
            "exit_code": int(self.exit_code),
            "code": self.code,
            "reason": self.reason,
            "number": self.number,
            "sha256": ev.sha256 if ev else None,
            "size": ev.size if ev else None,
            "claims": [c.to_json() for c in self.claims],
            "hashes": [c.to_json() for c in ev.hashes] if ev else [],
            "titles": [{"source": s, "text": t} for s, t in ev.titles] if ev else [],
            "record_title": self.record_title,
            "bundle": None
            if verification is None
            else {"source": self.bundle_source, **verification.to_json()},
            "checks": [c.to_json() for c in self.checks],
            "problems": [p.to_json() for p in ev.problems] if ev else [],
            "warnings": [
                *(
                    {"code": "pdf.parser_warning", "message": w}
                    for w in (ev.warnings if ev else ())
                ),
                *(review.warnings if review else ()),
            ],
            "title_block": review.title_block_json() if review else None,
            "corroboration": review.corroboration.to_json()
            if review and review.corroboration
            else None,
            "notice": self.notice,
            "record": None if self.record is None else self.record.to_json(),
        }


def unusable_report(file: str, code: str, message: str) -> CheckReport:
    """The report of a file that could not be read, timed out or crashed its reader.

    ``code`` is a :class:`~pithtex.pdf.evidence.PdfError` code (``pdf.encrypted``) or a
    worker failure (``worker.timeout``); either becomes ``check.pdf.<outcome>``.
    """
    outcome = code.split(".", 1)[-1] if code.startswith(("pdf.", "worker.")) else code
    return CheckReport(
        file, Verdict.UNUSABLE, (fail("check.pdf", outcome.replace(".", "_"), message, file),)
    )


# ------------------------------------------------------------------ the pipeline


def check_pdf(path: str, options: CheckOptions) -> CheckReport:
    """Check one PDF: read its claims, choose and verify a bundle, compare, decide.

    Raises :class:`~pithtex.core.errors.MissingToolError` when ``options.ocr`` asks for
    OCR and Tesseract cannot run.
    """
    if options.ocr:
        require_tesseract()
    try:
        evidence = read_pdf(path, limits=options.limits, ocr=options.ocr)
    except PdfError as exc:
        return unusable_report(path, exc.code, exc.message)
    return check_evidence(evidence, options)


def check_evidence(evidence: PdfEvidence, options: CheckOptions) -> CheckReport:
    """The checks and verdict for what :func:`~pithtex.pdf.evidence.read_pdf` found in one PDF."""
    path = evidence.path
    checks = [_check_read(evidence), _check_xmp(evidence)]
    embedded, embedded_result = _parse_embedded(evidence)
    checks.append(embedded_result)
    claims = _claims(evidence, embedded, options)
    checks.append(_check_claims(claims))
    if not claims and _nothing_hidden(evidence):
        return CheckReport(path, Verdict.NO_CLAIM, tuple(checks), evidence, tuple(claims))
    claimed = claimed_number(claims)
    checks.append(_check_numbers(claims, claimed))
    checks.append(_check_text(claims, claimed))
    checks.append(check_edits(evidence))
    checks.append(check_badge(evidence))
    checks.append(check_links(evidence, claimed, options.is_resolver_link))
    chosen = choose_bundle(options, embedded, claimed)
    checks.append(chosen.result)
    verification = None
    record_title = None
    title_review = None
    if chosen.bundle is None:
        checks.extend(_skipped_without_bundle(evidence, claimed))
    else:
        verification = options.verification_of(chosen)
        record_title = _record_title(chosen.bundle)
        checks.append(_check_record(chosen.bundle, claimed))
        checks.append(_check_verification(verification))
        checks.append(_check_hashes(evidence.hashes, chosen.bundle.canonical_sha256, claimed))
        checks.append(_check_stamp(evidence.stamp, chosen, verification))
        title_review = _check_paper_title(evidence, chosen.bundle, record_title)
        checks.extend(title_review.checks)
    verdict = verdict_of(checks)
    return CheckReport(
        path,
        verdict,
        tuple(checks),
        evidence,
        tuple(claims),
        number=str(claimed) if claimed else None,
        bundle_source=chosen.source,
        verification=verification,
        record_title=record_title,
        title_review=title_review,
    )


# ------------------------------------------------------------------ reading


def _check_read(ev: PdfEvidence) -> CheckResult:
    pages = f"{ev.page_count} pages" if ev.page_count is not None else "page count unknown"
    facts = f"PDF {ev.pdf_version}, {pages}{', encrypted' if ev.encrypted else ''}"
    if ev.problems:
        listed = "; ".join(f"{p.channel}: {p.message}" for p in ev.problems[:3])
        return fail("check.pdf", "partial", f"{facts}; could not read {listed}")
    warned = f"; {len(ev.warnings)} parser warnings" if ev.warnings else ""
    return ok("check.pdf", f"{facts}, read without repair{warned}")


def _nothing_hidden(ev: PdfEvidence) -> bool:
    """Whether "no claim" is certain: every channel was read, no packet mentions pith."""
    return not (ev.problems or ev.xmp_mentions_pith or ev.embedded is not None)


def _check_xmp(ev: PdfEvidence) -> CheckResult:
    if ev.xmp_error is not None:
        outcome = ev.xmp_error.code.split(".", 1)[-1]
        return fail("check.xmp", outcome, ev.xmp_error.message)
    if not ev.xmp_present:
        return skip("check.xmp", "absent", "not checked: the PDF has no XMP metadata")
    if ev.xmp is None:  # the stream itself could not be read: reported by check.pdf
        return fail("check.xmp", "unreadable", "the XMP metadata stream could not be read")
    found = sorted(ev.xmp.pith)
    if not found:
        return ok("check.xmp", "well-formed XMP packet without pith properties")
    return ok("check.xmp", f"well-formed XMP packet with pith:{', pith:'.join(found)}")


def _parse_embedded(ev: PdfEvidence) -> tuple[Bundle | None, CheckResult]:
    if ev.embedded is None:
        return None, skip(
            "check.embedded", "absent", f"not checked: the PDF embeds no {EMBEDDED_BUNDLE_NAME}"
        )
    where = ev.embedded.where
    try:
        bundle = parse_bundle(ev.embedded.data)
    except InputError as exc:
        return None, fail(
            "check.embedded", "malformed", f"embedded {EMBEDDED_BUNDLE_NAME}: {exc.message}", where
        )
    relationship = ev.embedded.relationship or "none"
    return bundle, ok(
        "check.embedded",
        f"embedded bundle for {bundle.pith_number} ({len(ev.embedded.data)} bytes, "
        f"AFRelationship {relationship})",
        where,
    )


def _claims(ev: PdfEvidence, embedded: Bundle | None, options: CheckOptions) -> list[Claim]:
    """Every number claim: links only to known resolvers, plus the embedded bundle's."""
    claims = [c for c in ev.numbers if c.channel != "link" or options.is_resolver_link(c.value)]
    if embedded is not None and ev.embedded is not None:
        ref = parse_full_number(embedded.pith_number)
        claims.append(
            Claim("embedded", embedded.pith_number, ev.embedded.where, PithRef(ref.body, ref.year))
        )
    order = {channel: index for index, channel in enumerate(CHANNEL_ORDER)}
    return sorted(claims, key=lambda c: order.get(c.channel, len(order)))


def _check_claims(claims: list[Claim]) -> CheckResult:
    if not claims:
        return fail("check.claims", "none", "no Pith Number in XMP, Info, links, text or bundle")
    malformed = [c for c in claims if c.ref is None]
    if malformed:
        first = malformed[0]
        return fail("check.claims", "malformed", f"{first.where}: {first.problem}", first.channel)
    channels = sorted({c.channel for c in claims}, key=CHANNEL_ORDER.index)
    return ok("check.claims", f"{len(claims)} claims in {', '.join(channels)}")


def claimed_number(claims: Iterable[Claim]) -> PithRef | None:
    """The number the PDF claims: the first full number by channel precedence.

    Its year is the first year any full claim gives.  Without a full number,
    the longest prefix claimed.
    """
    refs = [c.ref for c in claims if c.ref is not None]
    full = [r for r in refs if r.is_full]
    if full:
        year = next((r.year for r in full if r.year is not None), None)
        return PithRef(full[0].body, year)
    return max(refs, key=lambda r: len(r.body), default=None)


def _check_numbers(claims: list[Claim], claimed: PithRef | None) -> CheckResult:
    numbers = [c for c in claims if c.ref is not None and c.channel != "text"]
    if claimed is None or not numbers:
        return skip(
            "check.number",
            "absent",
            "not checked: no channel but the page text names a number, so none to compare",
        )
    disagreeing = [c for c in numbers if c.ref is not None and not c.ref.agrees_with(claimed)]
    if disagreeing:
        first = disagreeing[0]
        return fail(
            "check.number",
            "mismatch",
            f"{first.where} names {first.ref}, but {numbers[0].where} names {claimed}",
            first.channel,
        )
    channels = ", ".join(dict.fromkeys(c.channel for c in numbers))
    return ok("check.number", f"{channels} all name {claimed}")


def _check_text(claims: list[Claim], claimed: PithRef | None) -> CheckResult:
    texts = [c for c in claims if c.channel == "text" and c.ref is not None]
    if not texts:
        return skip("check.text", "absent", "not checked: page 1 shows no pith: badge text")
    assert claimed is not None
    wrong = [c for c in texts if c.ref is not None and not c.ref.agrees_with(claimed)]
    if wrong:
        return fail(
            "check.text",
            "mismatch",
            f"page 1 shows {wrong[0].value}, which is not a form of {claimed}",
            "page 1",
        )
    shown = ", ".join(c.value for c in texts)
    return ok("check.text", f"page 1 shows {shown}, a form of {claimed}", "page 1")


# ------------------------------------------------------------------ the bundle


def choose_bundle(
    options: CheckOptions, embedded: Bundle | None, claimed: PithRef | None
) -> ChosenBundle:
    """The bundle to verify, by preference: ``--bundle``, embedded, cache, resolver."""
    if options.bundle is not None:
        label = options.bundle_label or "--bundle"
        return ChosenBundle(
            options.bundle,
            BundleSource.ARGUMENT,
            ok("check.bundle", f"using the bundle given with --bundle ({label})", label),
        )
    if embedded is not None and options.use_embedded:
        return ChosenBundle(
            embedded,
            BundleSource.EMBEDDED,
            ok("check.bundle", "using the bundle embedded in the PDF", "embedded"),
        )
    return registry_bundle(claimed, options)


def registry_bundle(claimed: PithRef | None, options: CheckOptions) -> ChosenBundle:
    """The bundle from the local cache, else the resolvers (``options.registry``).

    The registry verifies what it returns against the same keyring; a failure
    becomes ``check.bundle.unavailable`` (no bundle is known), ``unreachable``
    (no resolver answered) or ``rejected`` (a resolver served a bundle that
    failed: wrong number, invalid, untrusted, a rollback).
    """
    if claimed is None or options.registry is None:
        why = "no number to look up" if claimed is None else "no cache or resolver to ask"
        return ChosenBundle(None, None, _no_bundle("unavailable", why, options=options))
    try:
        resolved = options.registry.resolve(
            claimed, offline=options.offline, refresh=options.refresh, allow_stale=True
        )
    except BundleLookupError as exc:
        return ChosenBundle(
            None, None, _no_bundle(exc.outcome, exc.message, exc.code, options=options)
        )
    if resolved.from_cache and not resolved.revalidated:
        source, where = BundleSource.CACHE, f"the local cache ({resolved.cache_path})"
    else:
        source, where = BundleSource.RESOLVER, resolved.source_url
    stale = "; no resolver answered, so the cached copy may be old" if resolved.stale else ""
    result = ok("check.bundle", f"using the bundle from {where}{stale}", source.value)
    return ChosenBundle(resolved.bundle, source, result, resolved.verification)


def _no_bundle(
    outcome: str, why: str, subject: str | None = None, *, options: CheckOptions
) -> CheckResult:
    embedded = (
        "none is embedded"
        if options.use_embedded
        else "an embedded one is not used (--ignore-embedded)"
    )
    return indeterminate(
        "check.bundle",
        outcome,
        f"no bundle could be had: none was given with --bundle, {embedded}, and {why}",
        subject,
    )


def _skipped_without_bundle(ev: PdfEvidence, claimed: PithRef | None) -> list[CheckResult]:
    reason = "not checked: there is no bundle to compare with"
    return [
        skip("check.record", "no_bundle", reason),
        skip("check.signature", "no_bundle", reason),
        _check_hashes(ev.hashes, None, claimed),
        skip("check.stamp", "no_bundle", reason),
        skip("check.title", "no_bundle", reason),
    ]


def _check_record(bundle: Bundle, claimed: PithRef | None) -> CheckResult:
    number = parse_full_number(bundle.pith_number)
    if claimed is None:
        return fail("check.record", "mismatch", "the PDF names no number to compare")
    if not PithRef(number.body, number.year).agrees_with(claimed):
        return fail(
            "check.record",
            "mismatch",
            f"the bundle is for {bundle.pith_number}, but the PDF claims {claimed}",
        )
    return ok("check.record", f"the bundle is the record of {bundle.pith_number}")


def _check_verification(result: BundleVerification) -> CheckResult:
    if result.verdict is BundleVerdict.VERIFIED:
        signer = result.bundle.signature.key_id
        return ok(
            "check.signature", f"bundle verified: every signature by a trusted key ({signer})"
        )
    first = result.failures[0]
    outcome = "untrusted" if result.verdict is BundleVerdict.UNTRUSTED else "invalid"
    return fail(
        "check.signature", outcome, f"bundle {result.verdict.value}: {first.reason}", first.code
    )


def _check_hashes(
    hashes: tuple[Claim, ...], canonical: str | None, claimed: PithRef | None
) -> CheckResult:
    """Record hashes in the PDF: equal to the bundle's, else to each other and the number."""
    if not hashes:
        return skip("check.hash", "absent", "not checked: the PDF carries no record hash")
    expected = canonical if canonical is not None else hashes[0].value.strip().lower()
    against = "the bundle's canonical_sha256" if canonical is not None else hashes[0].where
    for claim in hashes:
        if claim.value.strip().lower() != expected:
            return fail(
                "check.hash",
                "mismatch",
                f"{claim.where} is {claim.value.strip()[:64]}, not {against} {expected}",
                claim.channel,
            )
    if canonical is not None:
        where = ", ".join(c.where for c in hashes)
        return ok("check.hash", f"{where} = canonical_sha256 {expected}")
    derived = _number_of_hash(expected)
    if derived is None or (claimed is not None and not derived.agrees_with(claimed)):
        return fail(
            "check.hash",
            "mismatch",
            f"{hashes[0].where} {expected[:64]} is not the hash of the record of {claimed}",
            hashes[0].channel,
        )
    return skip(
        "check.hash",
        "no_bundle",
        f"not checked: there is no bundle to compare {hashes[0].where} {expected[:16]}… with",
    )


def _number_of_hash(value: str) -> PithRef | None:
    """The number a record hash derives to (``None`` if it is not 64 hex digits)."""
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        return None
    return PithRef(PithNumber.from_hex(value).body)


def _check_stamp(
    stamp: dict[str, str], chosen: ChosenBundle, verification: BundleVerification
) -> CheckResult:
    bundle = chosen.bundle
    assert bundle is not None
    stamped = stamp.get("bundleSHA256")
    if stamped is None:
        return skip("check.stamp", "absent", "not checked: the PDF records no stamped bundle")
    # a valid bundle's declared hash was checked against its content by verify_bundle
    declared = bundle.declared_bundle_sha256 if verification.valid else None
    actual = declared or bundle_sha256(bundle.raw)
    key = stamp.get("keyFingerprint")
    if stamped.strip().lower() == actual:
        if key is not None and key.strip().lower() != bundle.signature.fingerprint:
            return fail(
                "check.stamp",
                "mismatch",
                f"pith:keyFingerprint {key} is not the bundle signer "
                f"{bundle.signature.fingerprint}",
            )
        return ok("check.stamp", f"stamped with this bundle ({actual[:16]}…)")
    if chosen.source is BundleSource.EMBEDDED:
        return fail(
            "check.stamp",
            "mismatch",
            f"pith:bundleSHA256 {stamped[:16]}… is not the embedded bundle ({actual[:16]}…)",
        )
    return skip(
        "check.stamp",
        "other_bundle",
        f"not checked: the PDF was stamped with bundle {stamped[:16]}…, not with the one "
        f"used here ({actual[:16]}…, e.g. a newer one)",
    )


# ------------------------------------------------------------------ the paper


def _record_title(bundle: Bundle) -> str | None:
    """The title text of the bundle, if it hashes to the record's title hash."""
    title = bundle.title
    if title is None or text_canon_sha256(title) != bundle.record.title_canon_sha256:
        return None
    return title


def _check_paper_title(ev: PdfEvidence, bundle: Bundle, record_title: str | None) -> TitleReview:
    """``check.title``: page 1's visible title block is the record's title; metadata titles
    never decide, one that differs is a warning.  With it, ``check.authors`` and
    ``check.abstract``, which show what page 1 corroborates and decide nothing."""
    wanted = bundle.record.title_canon_sha256
    warnings = tuple(
        {
            "code": "title.metadata_differs",
            "message": f"the {_SOURCE[source]} {title.strip()[:120]!r} is not the record's "
            "title (a short title, or another paper's?)",
        }
        for source, title in ev.titles
        if source != "page1" and text_canon_sha256(title) != wanted
    )
    finding = ev.title_finding
    corroboration = corroborate(ev.page_text, bundle.paper)
    match = None if finding is None else match_title(finding, wanted, record_title)
    shown = () if finding is None else tuple(shown_block(finding))
    ocr = ev.ocr if finding is not None and not shown else None
    ocr_text = None
    if ocr is not None and ocr.flaw is None:
        ocr_text = match_whole_block(ocr.title_lines, wanted, record_title)
    result = _title_result(ev, finding, match, shown, wanted, record_title)
    if ocr is not None:
        result = _ocr_title_result(ocr, ocr_text, result, record_title)
    if warnings and not result.failed:
        notes = "; ".join(w["message"] for w in warnings)
        reason = f"{result.reason}; warning: {notes}"
        result = CheckResult(result.check, result.status, result.code, reason, result.subject)
    checks = (result, *_corroboration_checks(corroboration))
    return TitleReview(checks, finding, match, shown, corroboration, warnings, ocr, ocr_text)


def _title_result(
    ev: PdfEvidence,
    finding: TitleFinding | None,
    match: TitleMatch | None,
    shown: tuple[TitleLine, ...],
    wanted: str,
    record_title: str | None,
) -> CheckResult:
    expected = f" {record_title!r}" if record_title else ""
    if finding is None:
        unread = "page 1's text could not be read: the title cannot be compared with the record's"
        return indeterminate("check.title", "undecidable", f"{unread}; metadata never decides")
    if match is not None:
        lines = f"{len(match.lines)} line{'s' if len(match.lines) > 1 else ''}"
        return ok(
            "check.title", f"page 1's title block ({lines}) shows the record's title", "page1"
        )
    hidden = match_title(finding, wanted, record_title, visible_only=False)
    why = next((line.hidden for line in hidden.lines if line.hidden), "") if hidden else ""
    if not shown:
        extra = (
            f"; the record's title is there only as text a reader cannot see ({why})"
            if hidden is not None
            else ""
        )
        return indeterminate(
            "check.title",
            "undecidable",
            "page 1 has no visible, readable title block (a scan, or text drawn as "
            f"outlines?): whether this PDF is the paper{expected} cannot be decided from "
            f"it, and the metadata alone never decides{extra}",
            "page1",
        )
    shown_text = " ".join(line.text for line in shown)
    if hidden is not None:
        return fail(
            "check.title",
            "hidden",
            f"page 1 shows the title {shown_text[:160]!r}; the record's title{expected} is "
            f"there only as text a reader cannot see ({why})",
            "page1",
        )
    elsewhere = ""
    needle = normalise_for_search(record_title or "")
    if needle and needle in normalise_for_search(ev.page_text):
        elsewhere = "; the record's title occurs in page 1's text, but not as its title block"
    return fail(
        "check.title",
        "mismatch",
        f"page 1's title block {shown_text[:160]!r} is not the record's title{expected}{elsewhere}",
        "page1",
    )


def _ocr_title_result(
    ocr: OcrReading, matched: str | None, undecided: CheckResult, record_title: str | None
) -> CheckResult:
    """``check.title`` from what OCR read of page 1's title region (page 1 has no visible
    title text): the whole block, exactly the record's title, passes; anything else is
    indeterminate (OCR misreads: never a finding against the paper)."""
    if matched is not None:
        lines = f"{len(ocr.block)} line{'s' if len(ocr.block) > 1 else ''}"
        return ok(
            "check.title",
            f"page 1 has no title text; its title block ({lines}), read by OCR from the "
            "rendered page, is the record's title",
            "ocr",
        )
    if not ocr.block:
        return indeterminate(
            "check.title",
            "undecidable",
            f"{undecided.reason}; OCR read no title block there either ({ocr.note})",
            "ocr",
        )
    expected = f" {record_title!r}" if record_title else ""
    read = ocr.text[:160]
    if ocr.flaw is not None:
        why = f"OCR read {read!r} as page 1's title block, but {ocr.flaw}"
    else:
        why = f"OCR read {read!r} as page 1's title block, not the record's title{expected}"
    return indeterminate(
        "check.title",
        "ocr_mismatch",
        f"page 1 has no title text; {why}; OCR misreads, so this is no finding against the paper",
        "ocr",
    )


def _corroboration_checks(found: Corroboration) -> tuple[CheckResult, ...]:
    authors = found.authors_agree
    if authors is None:
        by = skip("check.authors", "absent", "not checked: the record names no authors")
    elif authors:
        by = ok("check.authors", f"page 1 shows the record's authors ({', '.join(found.authors)})")
    else:
        missing = [name for name in found.authors if name not in found.authors_shown]
        by = skip(
            "check.authors",
            "not_shown",
            f"not corroborated (this decides nothing): page 1 does not show "
            f"{', '.join(missing)} of the record's authors (an anonymous draft?)",
        )
    share = found.abstract_share
    if share is None:
        abstract = skip(
            "check.abstract", "absent", "not checked: the record has no abstract excerpt"
        )
    elif found.abstract_agrees:
        abstract = ok(
            "check.abstract",
            f"page 1's text agrees with the record's abstract excerpt ({share:.0%} of its phrases)",
        )
    else:
        abstract = skip(
            "check.abstract",
            "differs",
            f"not corroborated (this decides nothing): page 1's text shows {share:.0%} of "
            "the phrases of the record's abstract excerpt",
        )
    return by, abstract


_SOURCE = {"xmp": "XMP dc:title", "info": "Info /Title", "page1": "title on page 1"}
