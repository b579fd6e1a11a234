"""Safe HTTP GET for resolver documents, on urllib3.

:class:`HttpClient` fetches one URL and either returns a complete
:class:`Response` or raises one :class:`FetchError` whose ``code`` says
exactly what went wrong:

``resolver.unreachable``      the connection could not be made (refused, no such host)
``resolver.timeout``          connect, read or whole-response timeout
``resolver.tls``              the TLS handshake or certificate check failed
``resolver.not_found``        404 or 410
``resolver.server_error``     5xx (retried first)
``resolver.rate_limited``     429 (retried first, honouring ``Retry-After``)
``resolver.http_status``      any other unexpected status
``resolver.truncated``        the body ended before its declared length
``resolver.too_large``        the body is larger than the size cap
``resolver.content_type``     the media type is not one the caller accepts
``resolver.encoding``         an unsupported or corrupt ``Content-Encoding``
``resolver.redirect_loop``    a redirect leads back to a URL already visited
``resolver.too_many_redirects``
``resolver.insecure_redirect`` a redirect from https to http (a downgrade)
``resolver.bad_redirect``     a redirect without a usable ``Location``

One wall-clock deadline (``total_timeout``) covers each try from the first
byte sent to the last byte read, the status line and headers included: a
watchdog shuts the connection's socket when it passes, so a server that
trickles its headers (or its TLS handshake) one byte at a time cannot hold a
client longer than that.  ``read_timeout`` still bounds each wait for data.

Redirects are followed by hand (urllib3's own following is switched off) so
that each hop is checked by :func:`next_redirect`.  Timeouts, 5xx, 429 and
bodies cut short are retried with exponential backoff; everything else fails
at once, so that a client can move on to the next mirror.  The size cap holds
while streaming, after gzip decoding too.  Proxies from ``$HTTPS_PROXY`` /
``$HTTP_PROXY`` / ``$NO_PROXY`` are honoured, never for loopback addresses.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import functools
import ipaddress
import random
import re
import socket
import ssl
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from pithtex.core.errors import NetworkError
from pithtex.core.version import __version__
from pithtex.registry.config import ConfigError, ResolverSettings

if TYPE_CHECKING:
    import urllib3

__all__ = [
    "CHUNK_SIZE",
    "REDIRECT_STATUSES",
    "RETRYABLE_CODES",
    "USER_AGENT",
    "FetchError",
    "FetchPolicy",
    "HttpClient",
    "Response",
    "cache_max_age",
    "media_type_accepted",
    "next_redirect",
    "proxy_for",
    "retry_after",
]

USER_AGENT = f"pithtex/{__version__} (+https://pith.science)"
CHUNK_SIZE = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRYABLE_CODES = frozenset(
    {"resolver.timeout", "resolver.server_error", "resolver.rate_limited", "resolver.truncated"}
)
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


class FetchError(NetworkError):
    """One failed GET: ``code`` names the failure, ``url`` the URL that failed."""

    def __init__(
        self, message: str, *, code: str, url: str, status: int | None = None, wait: float = 0.0
    ) -> None:
        super().__init__(f"{url}: {message}", code=code)
        self.url = url
        self.status = status
        self.reason = message
        self.wait = wait
        """Seconds the server asked us to wait before trying again (``Retry-After``)."""

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_CODES

    def add_note_to_reason(self, note: str) -> None:
        self.reason = f"{self.reason} ({note})"
        self.message = f"{self.url}: {self.reason}"
        self.args = (self.message,)


_DEFAULTS = ResolverSettings()


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits of one fetch; the defaults are those of :class:`ResolverSettings`."""

    connect_timeout: float = _DEFAULTS.connect_timeout
    read_timeout: float = _DEFAULTS.read_timeout
    total_timeout: float = _DEFAULTS.total_timeout
    max_bytes: int = _DEFAULTS.max_bytes
    retries: int = _DEFAULTS.retries
    backoff: float = _DEFAULTS.backoff
    max_backoff: float = _DEFAULTS.max_backoff
    max_redirects: int = _DEFAULTS.max_redirects
    ca_file: str | None = _DEFAULTS.ca_file

    @classmethod
    def from_settings(cls, settings: ResolverSettings) -> FetchPolicy:
        """The fetch limits of ``settings`` (the fields the two share, by name)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})

    def delay(self, attempt: int, asked: float = 0.0) -> float:
        """Seconds to wait before try ``attempt + 1``: exponential, jittered, capped."""
        base = self.backoff * (2.0**attempt) * random.uniform(0.8, 1.2)
        return min(self.max_backoff, max(base, asked))


@dataclass(frozen=True, slots=True)
class Response:
    """A complete answer: 200 with its body, or 304 (not modified) without one."""

    url: str
    """The final URL, after redirects."""
    status: int
    body: bytes
    media_type: str | None
    etag: str | None
    last_modified: str | None
    max_age: float | None
    """Freshness the server granted (``Cache-Control: max-age``); 0 for ``no-cache``."""
    redirects: tuple[str, ...] = ()
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class HttpClient:
    """GETs with timeouts, a size cap, checked redirects, content-type checks and retries."""

    policy: FetchPolicy = field(default_factory=FetchPolicy)
    sleep: Callable[[float], None] = time.sleep
    _managers: dict[str | None, urllib3.PoolManager] = field(default_factory=dict, repr=False)

    def get(
        self,
        url: str,
        *,
        accept: Sequence[str],
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """GET ``url``, accepting the media types ``accept`` (``application/*+json`` works).

        ``headers`` may add conditional headers (``If-None-Match``...); a 304 answer
        is returned, not raised.  Raises :class:`FetchError`.
        """
        attempt = 0
        while True:
            try:
                response = self._follow(url, accept, headers or {})
            except FetchError as exc:
                if not exc.retryable or attempt >= self.policy.retries:
                    if attempt:
                        exc.add_note_to_reason(f"after {attempt + 1} tries")
                    raise
                self.sleep(self.policy.delay(attempt, exc.wait))
                attempt += 1
                continue
            return _with_attempts(response, attempt + 1)

    def close(self) -> None:
        for manager in self._managers.values():
            manager.clear()
        self._managers.clear()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ one try

    def _follow(self, url: str, accept: Sequence[str], headers: Mapping[str, str]) -> Response:
        deadline = time.monotonic() + self.policy.total_timeout
        visited = [url]
        current = url
        while True:
            raw = self._open(current, accept, headers, deadline)
            complete = False
            try:
                if raw.status in REDIRECT_STATUSES:
                    current = next_redirect(
                        current, raw.headers.get("Location"), visited, self.policy.max_redirects
                    )
                    visited.append(current)
                    continue
                response = self._complete(raw, current, accept, deadline, tuple(visited[1:]))
                complete = True
                return response
            finally:
                if not complete:  # an unread body must not go back into the pool
                    raw.close()
                raw.release_conn()

    def _open(
        self, url: str, accept: Sequence[str], headers: Mapping[str, str], deadline: float
    ) -> urllib3.BaseHTTPResponse:
        """Send the request and read the status line and headers, all before ``deadline``."""
        token = _DEADLINE.set(deadline)
        try:
            raw = self._request(url, accept, headers)
        except FetchError:
            if time.monotonic() >= deadline:
                raise self._late(url) from None
            raise
        finally:
            _DEADLINE.reset(token)
        if time.monotonic() >= deadline:  # the watchdog cut the headers short
            raw.close()
            raw.release_conn()
            raise self._late(url)
        return raw

    def _late(self, url: str) -> FetchError:
        return FetchError(
            f"no complete answer (status line and headers) within {self.policy.total_timeout:g} s",
            code="resolver.timeout",
            url=url,
        )

    def _request(
        self, url: str, accept: Sequence[str], headers: Mapping[str, str]
    ) -> urllib3.BaseHTTPResponse:
        import urllib3

        request_headers = {
            "User-Agent": USER_AGENT,
            "Accept": ", ".join(accept),
            "Accept-Encoding": "gzip",
            **headers,
        }
        timeout = urllib3.Timeout(
            connect=self.policy.connect_timeout,
            read=min(self.policy.read_timeout, self.policy.total_timeout),
        )
        try:
            return self._manager(url).request(
                "GET",
                url,
                headers=request_headers,
                preload_content=False,
                decode_content=False,
                redirect=False,
                retries=False,
                timeout=timeout,
            )
        except urllib3.exceptions.NewConnectionError as exc:
            raise FetchError(
                f"cannot connect ({_root_cause(exc)})", code="resolver.unreachable", url=url
            ) from None
        except urllib3.exceptions.ConnectTimeoutError:
            raise FetchError(
                f"no connection within {self.policy.connect_timeout:g} s",
                code="resolver.timeout",
                url=url,
            ) from None
        except urllib3.exceptions.ReadTimeoutError:
            raise FetchError(
                f"no answer within {self.policy.read_timeout:g} s", code="resolver.timeout", url=url
            ) from None
        except urllib3.exceptions.SSLError as exc:
            raise FetchError(
                f"TLS failed ({_root_cause(exc)})", code="resolver.tls", url=url
            ) from None
        except urllib3.exceptions.ProxyError as exc:
            raise FetchError(
                f"the proxy failed ({_root_cause(exc)})", code="resolver.unreachable", url=url
            ) from None
        except urllib3.exceptions.LocationValueError as exc:
            raise FetchError(
                f"not a usable URL ({exc})", code="resolver.bad_url", url=url
            ) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError) as exc:
            raise FetchError(
                f"the connection broke before an answer ({_root_cause(exc)})",
                code="resolver.truncated",
                url=url,
            ) from None

    def _complete(
        self,
        raw: urllib3.BaseHTTPResponse,
        url: str,
        accept: Sequence[str],
        deadline: float,
        redirects: tuple[str, ...],
    ) -> Response:
        status = raw.status
        _raise_for_status(raw, url)
        media_type = _media_type(raw.headers.get("Content-Type"))
        body = b""
        if status != 304:
            if not media_type_accepted(media_type, accept):
                wanted = " or ".join(accept)
                raise FetchError(
                    f"answered with content type {media_type or 'none'}, expected {wanted}",
                    code="resolver.content_type",
                    url=url,
                )
            body = self._read_body(raw, url, deadline)
        return Response(
            url=url,
            status=status,
            body=body,
            media_type=media_type,
            etag=raw.headers.get("ETag"),
            last_modified=raw.headers.get("Last-Modified"),
            max_age=cache_max_age(raw.headers.get("Cache-Control")),
            redirects=redirects,
        )

    def _read_body(self, raw: urllib3.BaseHTTPResponse, url: str, deadline: float) -> bytes:
        import urllib3

        cap = self.policy.max_bytes
        declared = raw.headers.get("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > cap:
            raise FetchError(
                f"declares {int(declared)} bytes, more than the {cap}-byte cap",
                code="resolver.too_large",
                url=url,
            )
        decoder = _BodyDecoder(raw.headers.get("Content-Encoding"), url)
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"the answer took longer than {self.policy.total_timeout:g} s",
                        code="resolver.timeout",
                        url=url,
                    )
                chunk = raw.read1(CHUNK_SIZE)  # returns what has arrived: deadline checks
                if not chunk:
                    break
                data = decoder.feed(chunk, cap - size + 1)
                size += len(data)
                if size > cap:
                    raise FetchError(
                        f"body is larger than the {cap}-byte cap",
                        code="resolver.too_large",
                        url=url,
                    )
                parts.append(data)
        except urllib3.exceptions.ReadTimeoutError:
            raise FetchError(
                f"the body stalled for {self.policy.read_timeout:g} s",
                code="resolver.timeout",
                url=url,
            ) from None
        except urllib3.exceptions.SSLError as exc:
            raise FetchError(
                f"TLS failed while reading ({_root_cause(exc)})", code="resolver.tls", url=url
            ) from None
        except urllib3.exceptions.HTTPError as exc:  # ProtocolError, IncompleteRead, ...
            raise FetchError(
                f"the body was cut short ({_root_cause(exc)})", code="resolver.truncated", url=url
            ) from None
        tail = decoder.finish()
        if size + len(tail) > cap:
            raise FetchError(
                f"body is larger than the {cap}-byte cap", code="resolver.too_large", url=url
            )
        parts.append(tail)
        return b"".join(parts)

    def _manager(self, url: str) -> urllib3.PoolManager:
        import urllib3

        proxy = proxy_for(url)
        manager = self._managers.get(proxy)
        if manager is None:
            kwargs: dict[str, Any] = {"num_pools": 16, "maxsize": 4, "block": False}
            kwargs["ssl_context"] = _ssl_context(self.policy.ca_file)
            if proxy is None:
                manager = urllib3.PoolManager(**kwargs)
            else:
                manager = urllib3.ProxyManager(proxy, **kwargs)
            manager.pool_classes_by_scheme = _deadline_pools()
            self._managers[proxy] = manager
        return manager


_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "pithtex_http_deadline", default=None
)
"""The wall-clock deadline (``time.monotonic()``) of the request being made, if any."""


@functools.cache
def _deadline_pools() -> dict[str, type[Any]]:
    """urllib3 pools whose connections are cut at :data:`_DEADLINE` while sending and
    while waiting for the status line and headers."""
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class DeadlineHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            self._raw_sock = super()._new_conn()
            return self._raw_sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            with _watchdog(self):
                super().request(*args, **kwargs)

        def getresponse(self) -> Any:
            with _watchdog(self):
                return super().getresponse()

    class DeadlineHTTPSConnection(DeadlineHTTPConnection, HTTPSConnection):
        pass

    class DeadlineHTTPPool(HTTPConnectionPool):
        ConnectionCls = DeadlineHTTPConnection

    class DeadlineHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = DeadlineHTTPSConnection

    return {"http": DeadlineHTTPPool, "https": DeadlineHTTPSPool}


@contextlib.contextmanager
def _watchdog(connection: Any) -> Iterator[None]:
    """Shut ``connection``'s socket if the current request's deadline passes meanwhile."""
    deadline = _DEADLINE.get()
    if deadline is None:
        yield
        return
    timer = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, (connection,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _cut(connection: Any) -> None:
    for sock in (getattr(connection, "_raw_sock", None), getattr(connection, "sock", None)):
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _with_attempts(response: Response, attempts: int) -> Response:
    if attempts == 1:
        return response
    return Response(
        response.url,
        response.status,
        response.body,
        response.media_type,
        response.etag,
        response.last_modified,
        response.max_age,
        response.redirects,
        attempts,
    )


def next_redirect(current: str, location: str | None, visited: Sequence[str], limit: int) -> str:
    """The URL a redirect from ``current`` leads to, or the :class:`FetchError` that forbids it.

    Refuses a missing ``Location``, schemes other than http(s), https to http
    downgrades, loops (a URL already in ``visited``) and more than ``limit`` hops.
    """
    if not location or not location.strip():
        raise FetchError(
            "redirect without a Location header", code="resolver.bad_redirect", url=current
        )
    target = urljoin(current, location.strip())
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(
            f"redirect to {target!r}, which is not an http(s) URL",
            code="resolver.bad_redirect",
            url=current,
        )
    if urlsplit(current).scheme.lower() == "https" and scheme == "http":
        raise FetchError(
            f"redirect from https to plain http ({target}) refused",
            code="resolver.insecure_redirect",
            url=current,
        )
    if target in visited:
        raise FetchError(
            f"redirect loop: {target} was already visited",
            code="resolver.redirect_loop",
            url=current,
        )
    if len(visited) > limit:
        raise FetchError(
            f"more than {limit} redirects (last to {target})",
            code="resolver.too_many_redirects",
            url=current,
        )
    return target


def _raise_for_status(raw: urllib3.BaseHTTPResponse, url: str) -> None:
    status = raw.status
    if status in (200, 203, 304):
        return
    reason = f"HTTP {status} {raw.reason or ''}".rstrip()
    if status in (404, 410):
        raise FetchError(
            f"{reason}: not on this resolver", code="resolver.not_found", url=url, status=status
        )
    if status == 429:
        raise FetchError(
            f"{reason}: rate limited",
            code="resolver.rate_limited",
            url=url,
            status=status,
            wait=retry_after(raw.headers.get("Retry-After")),
        )
    if 500 <= status <= 599:
        raise FetchError(
            f"{reason}: server error",
            code="resolver.server_error",
            url=url,
            status=status,
            wait=retry_after(raw.headers.get("Retry-After")),
        )
    raise FetchError(
        f"{reason}: unexpected answer", code="resolver.http_status", url=url, status=status
    )


def _media_type(header: str | None) -> str | None:
    if not header:
        return None
    return header.split(";", 1)[0].strip().lower() or None


def media_type_accepted(media_type: str | None, accept: Sequence[str]) -> bool:
    """Whether ``media_type`` matches one of ``accept`` (``type/*`` and ``type/*+suffix`` work)."""
    if media_type is None or "/" not in media_type:
        return False
    kind, subtype = media_type.split("/", 1)
    for pattern in accept:
        want_kind, want_sub = pattern.lower().split("/", 1)
        if want_kind not in ("*", kind):
            continue
        if want_sub in ("*", subtype):
            return True
        if want_sub.startswith("*+") and subtype.endswith(want_sub[1:]):
            return True
    return False


def cache_max_age(header: str | None) -> float | None:
    """Seconds of freshness in a ``Cache-Control`` header; 0 for no-cache/no-store."""
    if not header:
        return None
    lowered = header.lower()
    if "no-cache" in lowered or "no-store" in lowered:
        return 0.0
    match = _MAX_AGE.search(lowered)
    return float(match.group(1)) if match else None


def retry_after(header: str | None) -> float:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date); 0 if absent."""
    if not header:
        return 0.0
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - time.time())


class _BodyDecoder:
    """Identity or gzip decoding, with the output of each step bounded (no gzip bombs)."""

    def __init__(self, header: str | None, url: str) -> None:
        self.url = url
        encoding = (header or "identity").strip().lower()
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(wbits=47)
        else:
            raise FetchError(
                f"unsupported Content-Encoding {encoding!r}", code="resolver.encoding", url=url
            )

    def feed(self, chunk: bytes, limit: int) -> bytes:
        """Decoded bytes of ``chunk``; at most ``limit`` of them."""
        if self._z is None:
            return chunk
        try:
            return self._z.decompress(chunk, limit)
        except zlib.error as exc:
            raise FetchError(
                f"corrupt gzip body ({exc})", code="resolver.encoding", url=self.url
            ) from None

    def finish(self) -> bytes:
        if self._z is None:
            return b""
        if not self._z.eof:
            raise FetchError("gzip body ended early", code="resolver.truncated", url=self.url)
        return self._z.flush()


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a urllib3 error, in a few words."""
    reason: BaseException = exc
    seen = 0
    while seen < 5:
        inner = getattr(reason, "reason", None) or reason.__cause__ or reason.__context__
        if not isinstance(inner, BaseException):
            break
        reason = inner
        seen += 1
    text = str(reason)
    text = re.sub(r"<urllib3\.[^>]*>:\s*", "", text)
    return text.strip() or type(reason).__name__


def _ssl_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"ca_file {ca_file}: cannot load certificates ({exc})") from None
    return context


def proxy_for(url: str) -> str | None:
    """The proxy URL the environment names for ``url``; never one for loopback hosts."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _is_loopback(host):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme.lower())
    if not proxy:
        return None
    if urllib.request.proxy_bypass(host):
        return None
    return proxy


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
