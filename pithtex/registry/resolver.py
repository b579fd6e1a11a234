"""The resolver client: a Pith Number in, a verified bundle out.

Public API (what ``pithtex fetch``, ``pithtex check`` and ``pithtex tex`` call)::

    resolve_bundle(ref, *, keyring, resolvers=None, offline=False, force=False,
                   refresh=False, cache=None, settings=None) -> ResolvedBundle
    cached_bundle(ref, *, keyring=None, cache=None) -> ResolvedBundle | None
    Resolver(keyring, settings, cache).resolve(...) / .state(...) / .jsonld(...)

``ref`` is a :class:`~pithtex.core.numbers.PithRef` or any text
:func:`~pithtex.core.numbers.parse_number` accepts (full or short numbers,
resolver URLs).  A :class:`ResolvedBundle` holds the parsed ``bundle``, its
``verification`` (always *verified* against the keyring given), the exact
bytes, ``source_url``, ``from_cache`` and the failed ``attempts`` at other
mirrors, if any.

How a number is resolved:

1. The cache (:mod:`pithtex.registry.cache`) is consulted.  A cached bundle is verified
   again with the current keyring; one that no longer verifies is ignored.
   ``offline=True`` stops here: a cache miss is ``resolver.offline_miss``.
2. A cached bundle younger than its freshness limit (``cache_ttl``, shortened by
   the resolver's ``Cache-Control: max-age``) is returned without any request
   unless ``refresh`` or ``force``.
3. Otherwise each resolver base URL is tried in order (``--resolver`` options,
   ``$PITHTEX_RESOLVERS``, the config file, ``https://pith.science``), each at
   ``/pith/<N>/bundle.json`` then ``/.well-known/pith/<N>/bundle.json``, with
   ``If-None-Match`` / ``If-Modified-Since`` when the cached copy came from that
   URL.  A 304 confirms the cached copy.  Transfers are bounded as described in
   :mod:`pithtex.registry.http`.
4. A downloaded bundle must parse, be the number asked for (a short number must
   be a prefix of it), and verify against the keyring; it must not be older
   than the cached verified bundle of the same number (``built_at`` earlier,
   fewer events, or events missing: ``resolver.rollback``) unless ``force``.
   Only then is it cached and returned.  A bundle failing any of this is never
   cached; the next mirror is tried.
5. When every resolver fails, :class:`ResolveError` (a
   :class:`~pithtex.core.errors.NetworkError`, exit code 4) names each URL tried and
   why, with the most telling failure as its ``code``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pithtex.core.canonical import loads
from pithtex.core.digests import bundle_sha256, state_sha256
from pithtex.core.errors import SECURITY_CODES, BundleLookupError, InputError
from pithtex.core.layout import (
    JSON_TYPES,
    JSONLD_TYPE,
    bundle_urls,
    document_path,
    join,
    state_path,
)
from pithtex.core.model import Bundle, parse_bundle, parse_time
from pithtex.core.numbers import PithNumber, PithRef, parse_number
from pithtex.core.paths import default_cache_dir
from pithtex.core.wording import counted
from pithtex.registry.cache import BundleCache, CacheEntry, CacheMeta
from pithtex.registry.config import ResolverSettings, load_settings
from pithtex.registry.http import FetchError, FetchPolicy, HttpClient, Response
from pithtex.registry.jsonld import check_jsonld
from pithtex.trust.keyring import Keyring
from pithtex.trust.verify import BundleVerdict, BundleVerification, verify_bundle

__all__ = [
    "Attempt",
    "ResolveError",
    "ResolvedBundle",
    "ResolvedDocument",
    "Resolver",
    "as_ref",
    "cached_bundle",
    "failure",
    "make_resolver",
    "resolve_bundle",
    "rollback_reason",
]

_TRY_OTHER_LAYOUT = frozenset({"resolver.not_found", "resolver.content_type"})


@dataclass(frozen=True)
class Attempt:
    """One URL that did not give a usable answer, and why."""

    url: str
    code: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "code": self.code, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


class ResolveError(BundleLookupError):
    """No resolver gave a verified bundle; ``attempts`` says what each URL did."""

    def __init__(self, message: str, *, code: str, attempts: Sequence[Attempt] = ()) -> None:
        super().__init__(message, code=code)
        self.attempts = tuple(attempts)


@dataclass(frozen=True)
class ResolvedBundle:
    """A bundle that verified against the caller's keyring, and where it came from."""

    bundle: Bundle
    verification: BundleVerification
    data: bytes
    source_url: str
    from_cache: bool
    revalidated: bool = False
    """The resolver confirmed the cached copy (HTTP 304)."""
    stale: bool = False
    """A cached copy returned because every resolver failed (``allow_stale``)."""
    cache_path: Path | None = None
    attempts: tuple[Attempt, ...] = ()

    @property
    def number(self) -> PithNumber:
        return self.verification.number

    def to_json(self) -> dict[str, Any]:
        return {
            "pith_number": self.number.full,
            "short_pith_number": self.number.short_form,
            "verdict": self.verification.verdict.value,
            "source_url": self.source_url,
            "from_cache": self.from_cache,
            "revalidated": self.revalidated,
            "stale": self.stale,
            "cache_path": str(self.cache_path) if self.cache_path else None,
            "built_at": self.bundle.built_at,
            "event_count": len(self.bundle.events),
            "bundle_sha256": bundle_sha256(self.bundle.raw),
            "attempts": [a.to_json() for a in self.attempts],
        }


@dataclass(frozen=True)
class ResolvedDocument:
    """A state or JSON-LD document checked against a verified number."""

    document: dict[str, Any]
    data: bytes
    source_url: str
    number: PithNumber


@dataclass
class Resolver:
    """Resolves numbers through a list of resolvers, a cache and a keyring."""

    keyring: Keyring
    settings: ResolverSettings = field(default_factory=ResolverSettings)
    cache: BundleCache | None = None
    client: HttpClient | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = HttpClient(FetchPolicy.from_settings(self.settings))

    @property
    def http(self) -> HttpClient:
        assert self.client is not None
        return self.client

    # ------------------------------------------------------------ bundles

    def cached(self, ref: PithRef | str) -> ResolvedBundle | None:
        """The cached bundle for ``ref`` if it verifies with the keyring; no network."""
        entry = self._lookup(as_ref(ref))
        return None if entry is None else self._from_entry(entry)

    def resolve(
        self,
        ref: PithRef | str,
        *,
        offline: bool = False,
        force: bool = False,
        refresh: bool = False,
        allow_stale: bool = False,
    ) -> ResolvedBundle:
        """The verified bundle for ``ref``; see the module documentation for the steps."""
        wanted = as_ref(ref)
        entry = self._lookup(wanted)
        cached = None if entry is None else self._from_entry(entry)
        if offline:
            if cached is None:
                where = self.cache.root if self.cache else "no cache"
                raise ResolveError(
                    f"{wanted} is not in the cache ({where}) and the network is not to be used",
                    code="resolver.offline_miss",
                )
            return cached
        if (
            cached is not None
            and entry is not None
            and not (refresh or force)
            and entry.fresh(self.settings.cache_ttl, self.clock())
        ):
            return cached
        attempts: list[Attempt] = []
        for base in self.settings.urls:
            result = self._try_resolver(base, wanted, entry, cached, force, attempts)
            if result is not None:
                return _with_attempts(result, attempts)
        if allow_stale and cached is not None and not _has_security_failure(attempts):
            return _with_attempts(cached, attempts, stale=True)
        raise failure(f"cannot resolve {wanted}", attempts)

    def _try_resolver(
        self,
        base: str,
        wanted: PithRef,
        entry: CacheEntry | None,
        cached: ResolvedBundle | None,
        force: bool,
        attempts: list[Attempt],
    ) -> ResolvedBundle | None:
        for url in bundle_urls(base, wanted.body):
            headers = _conditional_headers(entry, url) if cached is not None else {}
            try:
                response = self.http.get(url, accept=JSON_TYPES, headers=headers)
                if response.not_modified:
                    return self._confirmed(entry, cached, response)
                return self._accept(wanted, response, force)
            except FetchError as exc:
                attempts.append(Attempt(exc.url, exc.code, exc.reason))
                if exc.code not in _TRY_OTHER_LAYOUT:
                    return None
        return None

    def _confirmed(
        self, entry: CacheEntry | None, cached: ResolvedBundle | None, response: Response
    ) -> ResolvedBundle:
        if entry is None or cached is None:
            raise FetchError(
                "answered 304 Not Modified to a request that was not conditional",
                code="resolver.http_status",
                url=response.url,
                status=304,
            )
        assert self.cache is not None
        now = self.clock()
        updated = self.cache.touch(
            entry,
            checked_at=now,
            etag=response.etag or entry.meta.etag,
            last_modified=response.last_modified or entry.meta.last_modified,
            max_age=response.max_age if response.max_age is not None else entry.meta.max_age,
        )
        return ResolvedBundle(
            cached.bundle,
            cached.verification,
            cached.data,
            response.url,
            from_cache=True,
            revalidated=True,
            cache_path=updated.path,
        )

    def _accept(self, wanted: PithRef, response: Response, force: bool) -> ResolvedBundle:
        """Parse, match, verify and rollback-check a downloaded bundle; cache it if it passes."""
        url = response.url
        try:
            bundle = parse_bundle(response.body)
        except InputError as exc:
            raise FetchError(
                f"not a usable bundle ({exc.message})", code="resolver.malformed", url=url
            ) from None
        verification = verify_bundle(bundle, self.keyring)
        number = verification.number
        if not (number.body.startswith(wanted.body) and number.matches(wanted)):
            raise FetchError(
                f"served the bundle of {number.full}, not {wanted}",
                code="resolver.wrong_number",
                url=url,
            )
        if not verification.verified:
            raise FetchError(
                _unverified_reason(verification), code=_verdict_code(verification), url=url
            )
        previous = self._previous(number.body)
        if previous is not None and not force:
            reason = rollback_reason(previous.bundle, bundle)
            if reason is not None:
                raise FetchError(
                    f"refused an older bundle of {number.full}: {reason} "
                    "(use --force to accept it)",
                    code="resolver.rollback",
                    url=url,
                )
        return self._store(response, bundle, verification)

    def _previous(self, body: str) -> ResolvedBundle | None:
        if self.cache is None:
            return None
        entry = self.cache.get(body)
        return None if entry is None else self._from_entry(entry)

    def _store(
        self, response: Response, bundle: Bundle, verification: BundleVerification
    ) -> ResolvedBundle:
        path = None
        if self.cache is not None:
            now = self.clock()
            meta = CacheMeta(
                pith_number=verification.number.full,
                source_url=response.url,
                file_sha256=hashlib.sha256(response.body).hexdigest(),
                bundle_sha256=bundle_sha256(bundle.raw),
                built_at=bundle.built_at,
                event_count=len(bundle.events),
                fetched_at=now,
                checked_at=now,
                etag=response.etag,
                last_modified=response.last_modified,
                max_age=response.max_age,
            )
            path = self.cache.put(response.body, bundle, meta).path
        return ResolvedBundle(
            bundle, verification, response.body, response.url, from_cache=False, cache_path=path
        )

    def _lookup(self, ref: PithRef) -> CacheEntry | None:
        return None if self.cache is None else self.cache.find(ref)

    def _from_entry(self, entry: CacheEntry) -> ResolvedBundle | None:
        try:
            bundle = parse_bundle(entry.data)
        except InputError:
            return None
        verification = verify_bundle(bundle, self.keyring)
        if not verification.verified or verification.number.body != entry.body:
            return None
        return ResolvedBundle(
            bundle,
            verification,
            entry.data,
            entry.meta.source_url,
            from_cache=True,
            cache_path=entry.path,
        )

    # ------------------------------------------------------------ other documents

    def state(
        self, ref: PithRef | str, *, offline: bool = False, refresh: bool = False
    ) -> ResolvedDocument:
        """``state.json`` for ``ref``, checked against the state merged from the verified bundle.

        Offline (or with no resolver answering it), the verified bundle's own
        merged state is the answer; a fetched ``state.json`` must hash to what it
        declares and equal that state, else ``resolver.state_mismatch``.
        """
        resolved = self.resolve(ref, offline=offline, refresh=refresh)
        merged = resolved.verification.state
        if offline:
            return _local_state(resolved, merged)
        attempts: list[Attempt] = []
        for base in self.settings.urls:
            url = join(base, state_path(resolved.number.body))
            try:
                response = self.http.get(url, accept=JSON_TYPES)
                document = _checked_state(response, merged)
            except FetchError as exc:
                attempts.append(Attempt(exc.url, exc.code, exc.reason))
                continue
            return ResolvedDocument(document, response.body, response.url, resolved.number)
        raise failure(f"cannot fetch the state of {resolved.number.full}", attempts)

    def jsonld(self, ref: PithRef | str) -> ResolvedDocument:
        """The JSON-LD record page for ``ref``, by content negotiation on ``/pith/<N>``.

        Its ``canonical_record`` must derive to the number asked for; the rest of
        the document is descriptive and unsigned.
        """
        wanted = as_ref(ref)
        attempts: list[Attempt] = []
        for base in self.settings.urls:
            url = join(base, document_path(wanted.body))
            try:
                response = self.http.get(url, accept=(JSONLD_TYPE,))
                document, number = check_jsonld(response.body, wanted)
            except FetchError as exc:
                attempts.append(Attempt(exc.url, exc.code, exc.reason))
                continue
            except InputError as exc:
                code = (
                    "resolver.wrong_number"
                    if exc.code == "schema.wrong_number"
                    else ("resolver.malformed")
                )
                attempts.append(Attempt(url, code, f"JSON-LD unusable: {exc.message}"))
                continue
            return ResolvedDocument(document, response.body, response.url, number)
        raise failure(f"cannot fetch JSON-LD for {wanted}", attempts)


# ---------------------------------------------------------------- policy helpers


def rollback_reason(previous: Bundle, candidate: Bundle) -> str | None:
    """Why ``candidate`` is older than ``previous`` (same number), or ``None`` if it is not.

    Older means: built earlier, with fewer events, or missing an event the
    previous bundle had (events are only ever added).
    """
    if parse_time(candidate.built_at) < parse_time(previous.built_at):
        return f"built at {candidate.built_at}, before the cached {previous.built_at}"
    if len(candidate.events) < len(previous.events):
        return (
            f"{len(candidate.events)} events, fewer than the {len(previous.events)} "
            "of the cached bundle"
        )
    known = {e.event_id for e in candidate.events}
    missing = [e.event_id for e in previous.events if e.event_id not in known]
    if missing:
        lost = counted(len(missing), "event")
        verb = "is" if len(missing) == 1 else "are"
        return f"{lost} of the cached bundle {verb} missing ({missing[0][:23]}…)"
    return None


def failure(what: str, attempts: Sequence[Attempt]) -> ResolveError:
    """One error for a failed resolution: every attempt, the most telling code first."""
    if not attempts:
        return ResolveError(f"{what}: no resolver is configured", code="resolver.error")
    code = _telling_code(attempts)
    if len(attempts) == 1:
        return ResolveError(f"{what}: {attempts[0]}", code=code, attempts=attempts)
    listed = "; ".join(str(a) for a in attempts)
    return ResolveError(f"{what} ({len(attempts)} tries): {listed}", code=code, attempts=attempts)


def _telling_code(attempts: Sequence[Attempt]) -> str:
    codes = [a.code for a in attempts]
    for code in SECURITY_CODES:
        if code in codes:
            return code
    others = [c for c in codes if c != "resolver.not_found"]
    return others[0] if others else "resolver.not_found"


def _has_security_failure(attempts: Sequence[Attempt]) -> bool:
    return any(a.code in SECURITY_CODES for a in attempts)


def _verdict_code(verification: BundleVerification) -> str:
    return (
        "resolver.untrusted"
        if verification.verdict is BundleVerdict.UNTRUSTED
        else "resolver.invalid"
    )


def _unverified_reason(verification: BundleVerification) -> str:
    first = verification.failures[0]
    if verification.verdict is BundleVerdict.UNTRUSTED:
        return f"bundle is not signed by a trusted key ({first.reason})"
    return f"bundle failed verification: {first.check}: {first.reason}"


def _conditional_headers(entry: CacheEntry | None, url: str) -> dict[str, str]:
    if entry is None or entry.meta.source_url != url:
        return {}
    headers = {}
    if entry.meta.etag:
        headers["If-None-Match"] = entry.meta.etag
    if entry.meta.last_modified:
        headers["If-Modified-Since"] = entry.meta.last_modified
    return headers


def _with_attempts(
    result: ResolvedBundle, attempts: Sequence[Attempt], *, stale: bool = False
) -> ResolvedBundle:
    if not attempts and not stale:
        return result
    return ResolvedBundle(
        result.bundle,
        result.verification,
        result.data,
        result.source_url,
        result.from_cache,
        result.revalidated,
        stale,
        result.cache_path,
        tuple(attempts),
    )


def _checked_state(response: Response, merged: dict[str, Any]) -> dict[str, Any]:
    url = response.url
    try:
        document = loads(response.body)
    except InputError as exc:
        raise FetchError(
            f"not valid JSON ({exc.message})", code="resolver.malformed", url=url
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("state_sha256"), str):
        raise FetchError("not a Pith state document", code="resolver.malformed", url=url)
    actual = state_sha256(document)
    if actual != document["state_sha256"]:
        raise FetchError(
            f"state hashes to {actual}, but declares {document['state_sha256']}",
            code="resolver.state_mismatch",
            url=url,
        )
    if actual != merged["state_sha256"]:
        raise FetchError(
            "state differs from the one merged from the verified bundle "
            "(the resolver may hold newer events: fetch again with --refresh)",
            code="resolver.state_mismatch",
            url=url,
        )
    return dict(document)


def _local_state(resolved: ResolvedBundle, merged: dict[str, Any]) -> ResolvedDocument:
    data = (json.dumps(merged, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return ResolvedDocument(merged, data, resolved.source_url, resolved.number)


def as_ref(ref: PithRef | PithNumber | str) -> PithRef:
    """``ref`` as a :class:`PithRef` (text is parsed with :func:`parse_number`)."""
    if isinstance(ref, PithRef):
        return ref
    if isinstance(ref, PithNumber):
        return PithRef(ref.body, ref.year)
    return parse_number(ref)


# ---------------------------------------------------------------- functional API


def make_resolver(
    keyring: Keyring,
    *,
    resolvers: Sequence[str] | None = None,
    cache: BundleCache | str | Path | None = None,
    settings: ResolverSettings | None = None,
    use_cache: bool = True,
) -> Resolver:
    """A :class:`Resolver` configured the standard way (options > env > config > default)."""
    config = settings or load_settings(resolvers)
    if settings is not None and resolvers:
        config = config.with_urls(resolvers, "--resolver")
    store: BundleCache | None = None
    if use_cache:
        if isinstance(cache, BundleCache):
            store = cache
        else:
            store = BundleCache(cache if cache is not None else default_cache_dir(config.cache_dir))
    return Resolver(keyring, config, store)


def resolve_bundle(
    ref: PithRef | PithNumber | str,
    *,
    keyring: Keyring,
    resolvers: Sequence[str] | None = None,
    offline: bool = False,
    force: bool = False,
    refresh: bool = False,
    allow_stale: bool = False,
    cache: BundleCache | str | Path | None = None,
    settings: ResolverSettings | None = None,
) -> ResolvedBundle:
    """Resolve ``ref`` to a bundle verified against ``keyring`` (see the module docs)."""
    resolver = make_resolver(keyring, resolvers=resolvers, cache=cache, settings=settings)
    try:
        return resolver.resolve(
            as_ref(ref), offline=offline, force=force, refresh=refresh, allow_stale=allow_stale
        )
    finally:
        resolver.http.close()


def cached_bundle(
    ref: PithRef | PithNumber | str,
    *,
    keyring: Keyring | None = None,
    cache: BundleCache | str | Path | None = None,
) -> ResolvedBundle | None:
    """The cached bundle for ``ref`` that verifies against ``keyring`` (default: the
    shipped keyring), or ``None``.  Never touches the network."""
    if isinstance(cache, BundleCache):
        store = cache
    else:
        store = BundleCache(cache if cache is not None else default_cache_dir(_configured_dir()))
    ring = keyring if keyring is not None else Keyring.default()
    return Resolver(ring, ResolverSettings(), store).cached(as_ref(ref))


def _configured_dir() -> str | None:
    try:
        return load_settings().cache_dir
    except InputError:  # a broken config file does not hide the cache
        return None
