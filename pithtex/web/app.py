"""The verify page's routes and rules, whatever HTTP server carries them.

:class:`CheckPage` answers every request under its URL ``prefix``:

* ``GET prefix``: the form; ``GET prefix/static/NAME``: the style sheet and script;
* ``POST prefix/check``: the uploaded PDFs checked, one bounded worker each
  (:func:`pithtex.web.work.check_bounded`), answered as the report page, as
  the results alone (``?fragment=1``, what the script asks for), or as JSON
  (``Accept: application/json``, or ``?format=json``).

Its rules, in the order they apply to an upload:

1. the request comes from the page itself: a cross-site ``Origin`` or
   ``Sec-Fetch-Site`` is refused (403), and on 127.0.0.1 the ``Host`` must be
   the page's own (no DNS rebinding);
2. the client has tokens left in its rate limit (429 and ``Retry-After``);
3. the body is ``multipart/form-data`` no longer than the caps (411, 413, 415);
4. the files go into a private temporary folder (mode 0700, never under a
   mirror's site) that is deleted, whatever happens, before the answer is sent;
5. at most ``workers`` files are checked at once (503 when none is free in time).

Every answer carries a ``Content-Security-Policy`` that allows the page's own
origin only (and ``data:`` images: page 1 travels inside the answer), no
inline script, no framing; answers about uploads are never cached.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from pithtex.core.errors import InputError
from pithtex.pdf.check import CheckOptions
from pithtex.web import pages
from pithtex.web.limits import PageLimits
from pithtex.web.ratelimit import RateLimiter
from pithtex.web.upload import Readable, Upload, UploadError, receive_uploads, request_length
from pithtex.web.view import result_view
from pithtex.web.work import Checked, check_bounded
from pithtex.web.work import preload as preload_libraries

__all__ = [
    "CSP",
    "JSON_SCHEMA",
    "CheckPage",
    "Headers",
    "Request",
    "Response",
    "answer_http",
]

JSON_SCHEMA = "pithtex.verify-page/1"
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
_DRAIN_SECONDS = 10.0
_DRAIN_CHUNK = 64 * 1024
_HTML = "text/html; charset=utf-8"
_JSON = "application/json; charset=utf-8"


class Headers(Protocol):
    """Request headers, looked up by name without regard to case."""

    def get(self, name: str, default: None = None) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    """The request target: path and query."""
    headers: Headers
    body: Readable
    client: str
    """The client's address (the key of its rate limit)."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False
    """Close the connection after the answer (a request body was left unread)."""


@dataclass(frozen=True, slots=True)
class _Query:
    fragment: bool
    json: bool


class _CountingReader:
    """A request body that counts what was read of it."""

    def __init__(self, body: Readable) -> None:
        self.body = body
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.body.read(size)
        self.count += len(data)
        return data


class CheckPage:
    """The verify page under ``prefix``, checking with ``options`` within ``limits``."""

    def __init__(
        self,
        options: CheckOptions,
        limits: PageLimits,
        *,
        prefix: str = "/",
        where: str = "this computer",
        allowed_hosts: frozenset[str] | None = None,
        forbidden_root: Path | None = None,
    ) -> None:
        if not prefix.startswith("/") or not prefix.endswith("/"):
            raise ValueError("the page's prefix starts and ends with /")
        self.options = options
        self.limits = limits
        self.prefix = prefix
        self.context = pages.PageContext.of(prefix, where, limits)
        self.allowed_hosts = allowed_hosts
        self.temp_root = _temp_root(forbidden_root)
        self.static = pages.static_files()
        self.limiter = (
            RateLimiter(limits.rate_per_minute, limits.burst)
            if limits.rate_per_minute is not None
            else None
        )
        self.slots = threading.BoundedSemaphore(max(1, limits.workers))
        # set up once, before any worker forks: the resolver settings, the libraries
        _ = options.link_prefixes
        pages.preload()
        preload_libraries()

    # ------------------------------------------------------------ routing

    def owns(self, path: str) -> bool:
        """Whether a request for ``path`` is the page's to answer."""
        return path.startswith(self.prefix) or path == self.prefix.rstrip("/")

    def answer(self, request: Request) -> Response:
        split = urlsplit(request.target)
        path = split.path
        foreign = self._foreign(request)
        if foreign is not None:
            return self._unread(request, self._plain(HTTPStatus.FORBIDDEN, foreign))
        if path == self.prefix.rstrip("/") and path:
            return Response(HTTPStatus.MOVED_PERMANENTLY, b"", {"Location": self.prefix})
        relative = path[len(self.prefix) :]
        if request.method in ("GET", "HEAD"):
            return self._get(relative)
        if request.method == "POST" and relative == "check":
            return self._post(request, _query(split.query, request.headers))
        if relative in ("", "check") or relative.startswith("static/"):
            allow = "GET, HEAD, POST" if relative == "check" else "GET, HEAD"
            refused = self._plain(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed", Allow=allow)
            return self._unread(request, refused)
        return self._unread(request, self._plain(HTTPStatus.NOT_FOUND, "not found"))

    @staticmethod
    def _unread(request: Request, response: Response) -> Response:
        """``response``, closing the connection when the request's body was left unread."""
        if request.method in ("GET", "HEAD") and request.headers.get("Content-Length") in (
            None,
            "0",
        ):
            return response
        return dataclasses.replace(response, close=True)

    def _get(self, relative: str) -> Response:
        if relative == "":
            return self._html(HTTPStatus.OK, pages.index_page(self.context))
        if relative == "check":
            return Response(HTTPStatus.SEE_OTHER, b"", {"Location": self.prefix})
        if relative.startswith("static/") and relative[7:] in self.static:
            data, media_type = self.static[relative[7:]]
            headers = {"Content-Type": media_type, "Cache-Control": "public, max-age=300"}
            return Response(HTTPStatus.OK, data, headers)
        return self._plain(HTTPStatus.NOT_FOUND, "not found")

    def _foreign(self, request: Request) -> str | None:
        """Why a request does not come from the page itself, or ``None``."""
        host = (request.headers.get("Host") or "").strip().lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            return "this page answers only on the address it was started on"
        if request.method != "POST":
            return None
        site = (request.headers.get("Sec-Fetch-Site") or "").strip().lower()
        if site in ("cross-site", "same-site"):
            return "uploads from other sites are refused"
        origin = (request.headers.get("Origin") or "").strip()
        if site in ("same-origin", "none") or not origin:
            return None  # a browser says so (pages cannot set it), or a client that is no page
        if urlsplit(origin).netloc.lower() != host:  # also "null": an opaque origin
            return "uploads from other sites are refused"
        return None

    # ------------------------------------------------------------ uploads

    def _post(self, request: Request, query: _Query) -> Response:
        body = _CountingReader(request.body)
        length: int | None = None
        try:
            length = request_length(request.headers.get("Content-Length"), self.limits)
            self._take(request.client, 1)
            checked = self._receive_and_check(request, body, length)
        except UploadError as exc:
            unread = None if length is None else length - body.count
            return self._refusal(exc, query, self._drain(body, unread))
        return self._results(checked, query)

    def _receive_and_check(
        self, request: Request, body: _CountingReader, length: int
    ) -> list[Checked]:
        folder = Path(tempfile.mkdtemp(prefix="pithtex-web-", dir=self.temp_root))
        try:
            content_type = request.headers.get("Content-Type")
            uploads = receive_uploads(body, content_type, length, folder, self.limits)
            if not uploads:
                raise UploadError("choose at least one PDF file", code="upload.empty")
            if len(uploads) > 1:
                self._take(request.client, len(uploads) - 1)
            return [self._check_one(upload) for upload in uploads]
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _check_one(self, upload: Upload) -> Checked:
        if not self.slots.acquire(timeout=self.limits.queue_seconds):
            raise UploadError(
                "the server is busy checking other files; try again in a minute",
                code="upload.busy",
                status=HTTPStatus.SERVICE_UNAVAILABLE,
            )
        try:
            return check_bounded(self.options, upload, self.limits.bounds, self.limits.max_pixels)
        finally:
            self.slots.release()

    def _take(self, client: str, count: int) -> None:
        if self.limiter is None:
            return
        wait = self.limiter.take(client, count)
        if wait > 0:
            seconds = RateLimiter.retry_after(wait)
            raise UploadError(
                f"too many files from your address; try again in {seconds} s",
                code="upload.rate_limited",
                status=HTTPStatus.TOO_MANY_REQUESTS,
                retry_after=seconds,
            )

    def _drain(self, body: _CountingReader, unread: int | None) -> bool:
        """Read and drop a refused body (so the client sees the answer); whether to close."""
        if unread is None:
            return True
        if unread <= 0:
            return False
        end = body.count + unread
        budget = min(unread, self.limits.max_drain_bytes)
        deadline = time.monotonic() + _DRAIN_SECONDS
        try:
            while budget > 0 and time.monotonic() < deadline:
                chunk = body.read(min(_DRAIN_CHUNK, budget))
                if not chunk:
                    break
                budget -= len(chunk)
        except OSError:
            return True
        return body.count < end

    # ------------------------------------------------------------ answers

    def _results(self, checked: list[Checked], query: _Query) -> Response:
        if query.json:
            document = {"schema": JSON_SCHEMA, "results": [c.report for c in checked]}
            data = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
            return Response(HTTPStatus.OK, data, _private(_JSON))
        views = [result_view(c) for c in checked]
        if query.fragment:
            return self._html(HTTPStatus.OK, pages.results_fragment(self.context, views))
        return self._html(HTTPStatus.OK, pages.report_page(self.context, views))

    def _refusal(self, exc: UploadError, query: _Query, close: bool) -> Response:
        status = HTTPStatus(exc.status)
        headers = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = exc.retry_after
        elif status is HTTPStatus.SERVICE_UNAVAILABLE:
            headers["Retry-After"] = "60"
        if query.json:
            refused = {"status": int(status), "code": exc.code, "message": exc.message}
            data = json.dumps({"schema": JSON_SCHEMA, "refused": refused}).encode("utf-8")
            return Response(status, data, {**_private(_JSON), **headers}, close)
        render = pages.refusal_fragment if query.fragment else pages.refusal_page
        text = render(self.context, int(status), exc.code, exc.message)
        return Response(status, text.encode("utf-8"), {**_private(_HTML), **headers}, close)

    def _html(self, status: int, text: str) -> Response:
        return Response(status, text.encode("utf-8"), _private(_HTML))

    def _plain(self, status: int, text: str, **extra: str) -> Response:
        headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
        return Response(status, (text + "\n").encode("utf-8"), {**headers, **extra})


def _private(media_type: str) -> dict[str, str]:
    return {"Content-Type": media_type, "Cache-Control": "no-store"}


def _query(query: str, headers: Headers) -> _Query:
    values = parse_qs(query, max_num_fields=10)
    accept = (headers.get("Accept") or "").lower()
    wants_json = values.get("format") == ["json"] or (
        "application/json" in accept and "text/html" not in accept
    )
    return _Query(fragment=values.get("fragment") == ["1"], json=wants_json)


def _temp_root(forbidden: Path | None) -> str | None:
    """The folder uploads go to: the system's temporary folder, never inside ``forbidden``."""
    root = Path(tempfile.gettempdir()).resolve()
    if forbidden is not None and root.is_relative_to(forbidden.resolve()):
        raise InputError(
            f"the temporary folder {root} is inside the site {forbidden}: set TMPDIR elsewhere",
            code="serve.temp_in_site",
        )
    return str(root)


# ---------------------------------------------------------------- http.server glue


def answer_http(handler: BaseHTTPRequestHandler, page: CheckPage) -> None:
    """Answer the request ``handler`` holds with ``page`` (``GET``, ``HEAD`` or ``POST``)."""
    client = handler.client_address[0] if handler.client_address else ""
    request = Request(handler.command, handler.path, handler.headers, handler.rfile, str(client))
    response = page.answer(request)
    handler.send_response(response.status)
    for name, value in {**SECURITY_HEADERS, **response.headers}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(response.body)))
    if response.close:
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    if handler.command != "HEAD" and response.body:
        handler.wfile.write(response.body)
