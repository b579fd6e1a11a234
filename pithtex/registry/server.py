"""``pithtex serve``: a small, fast HTTP server for a mirror directory.

Every file under the directory is read into memory at start (and again on
``SIGHUP``), with its media type, a strong ``ETag`` (from its SHA-256) and a
gzip variant for larger text files; requests never touch the file system, so
no path can escape the directory.  The server speaks HTTP/1.1 with
keep-alive, one thread per connection, and answers:

* ``GET``/``HEAD`` of any file, with ``If-None-Match`` / ``If-Modified-Since``
  (304), ``Cache-Control: public, max-age=N``, gzip when asked for;
* ``/pith/<N>`` and ``/pith/<N>/`` by content negotiation on ``Accept``: the
  JSON-LD document (``application/ld+json``, also for ``application/json``) or
  the HTML page, ``406`` when neither is acceptable, always ``Vary: Accept``;
* a directory path with its ``index.html``;
* ``404`` for everything else and ``405`` for other methods.

It is meant for small mirrors, development and tests; a large mirror is
better served from the same directory by nginx (``docs/resolver.md``).
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import mimetypes
import os
import re
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pithtex.core.errors import InputError
from pithtex.core.layout import (
    HTML_FILE,
    HTML_TYPE,
    JSON_TYPE,
    JSONLD_FILE,
    JSONLD_TYPE,
    RESOLVER_PREFIX,
)
from pithtex.core.version import __version__

__all__ = [
    "DEFAULT_MAX_AGE",
    "GZIP_MIN_BYTES",
    "MAX_PRELOAD_BYTES",
    "MirrorHandler",
    "MirrorServer",
    "Resource",
    "load_tree",
    "media_type_for",
    "negotiate",
    "parse_accept",
    "serve",
]

GZIP_MIN_BYTES = 1024
DEFAULT_MAX_AGE = 300
MAX_PRELOAD_BYTES = 2 * 1024**3
_TEXT_TYPES = (JSON_TYPE, JSONLD_TYPE, HTML_TYPE, "text/plain", "text/css")
_DOCUMENT_RE = re.compile(rf"^/{RESOLVER_PREFIX}/([A-Z2-7]+)/?$")
_NUMBER_SEGMENT = re.compile(r"^(/(?:\.well-known/)?pith/)([A-Za-z2-7]+)(/.*)?$")
_MEDIA = {".json": JSON_TYPE, ".jsonld": JSONLD_TYPE, ".html": HTML_TYPE, ".htm": HTML_TYPE}


@dataclass(frozen=True, slots=True)
class Resource:
    """One file held in memory, ready to send."""

    data: bytes
    gzipped: bytes | None
    media_type: str
    etag: str
    last_modified: str
    mtime: float

    @classmethod
    def from_file(cls, path: Path) -> Resource:
        data = path.read_bytes()
        media_type = media_type_for(path.name)
        gzipped = None
        if len(data) >= GZIP_MIN_BYTES and media_type in _TEXT_TYPES:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            gzipped = packed if len(packed) < len(data) else None
        mtime = path.stat().st_mtime
        return cls(
            data=data,
            gzipped=gzipped,
            media_type=media_type,
            etag='"' + hashlib.sha256(data).hexdigest()[:32] + '"',
            last_modified=email.utils.formatdate(mtime, usegmt=True),
            mtime=int(mtime),
        )

    @property
    def content_type(self) -> str:
        if self.media_type.startswith("text/") or self.media_type in (JSON_TYPE, JSONLD_TYPE):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type


def media_type_for(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _MEDIA:
        return _MEDIA[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def load_tree(root: Path) -> dict[str, Resource]:
    """Every regular file under ``root`` by URL path (``/pith/N/bundle.json``).

    Symbolic links are followed only when they stay inside ``root``; hidden
    files other than ``.well-known`` and the temporary files of atomic writes
    are left out.
    """
    if not root.is_dir():
        raise InputError(f"{root}: not a directory", code="serve.no_directory")
    base = root.resolve()
    resources: dict[str, Resource] = {}
    total = 0
    for path in _walk(base):
        relative = path.relative_to(base).as_posix()
        resource = Resource.from_file(path)
        total += len(resource.data) + len(resource.gzipped or b"")
        if total > MAX_PRELOAD_BYTES:
            raise InputError(
                f"{root}: more than {MAX_PRELOAD_BYTES >> 20} MiB of files; "
                "serve a mirror this large with a web server such as nginx",
                code="serve.too_large",
            )
        resources["/" + relative] = resource
    return resources


def _walk(base: Path) -> Iterator[Path]:
    for directory, dirnames, filenames in os.walk(base, followlinks=False):
        here = Path(directory)
        dirnames[:] = sorted(d for d in dirnames if _visible(d, here == base))
        for name in sorted(filenames):
            if not _visible(name, False) or name.endswith(".part"):
                continue
            path = here / name
            resolved = path.resolve()
            if resolved.is_file() and resolved.is_relative_to(base):
                yield path


def _visible(name: str, top: bool) -> bool:
    return not name.startswith(".") or (top and name == ".well-known")


# ---------------------------------------------------------------- negotiation


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """``Accept`` as (media range, q) pairs; a missing header accepts everything."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        ranges.append((media, quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """q of the most specific range matching ``media_type`` (RFC 9110, 12.5.1)."""
    kind = media_type.split("/", 1)[0]
    best: tuple[int, float] | None = None
    for media, quality in ranges:
        if media == media_type:
            specificity = 3
        elif media == f"{kind}/*":
            specificity = 2
        elif media == "*/*":
            specificity = 1
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best else 0.0


def negotiate(header: str | None, offers: list[tuple[str, str]]) -> str | None:
    """The file to serve among ``offers`` (media type, file name), in server preference
    order on ties; ``None`` when none is acceptable."""
    ranges = parse_accept(header)
    best: tuple[float, str] | None = None
    for media_type, name in offers:
        quality = _quality(media_type, ranges)
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, name)
    return best[1] if best else None


# ---------------------------------------------------------------- the server


class MirrorServer(ThreadingHTTPServer):
    """A threading HTTP server holding a mirror directory in memory."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        root: str | Path,
        address: tuple[str, int] = ("127.0.0.1", 8080),
        *,
        max_age: int = DEFAULT_MAX_AGE,
        access_log: bool = False,
        handler: type[MirrorHandler] | None = None,
    ) -> None:
        """``handler``: a :class:`MirrorHandler` subclass that answers more paths."""
        self.root = Path(root)
        self.max_age = max_age
        self.access_log = access_log
        self.resources = load_tree(self.root)
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler or MirrorHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line on stderr per failed connection (a reset, a timeout), no traceback."""
        failure = sys.exc_info()[1]
        reason = f"{type(failure).__name__}: {failure}" if failure else "unknown failure"
        host = client_address[0] if isinstance(client_address, tuple) else client_address
        sys.stderr.write(f"pithtex serve: connection from {host} failed ({reason})\n")

    def reload(self) -> int:
        """Read the directory again (``SIGHUP``); returns the number of files."""
        resources = load_tree(self.root)
        self.resources = resources  # one assignment: requests see the old or the new tree
        return len(resources)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}"


class MirrorHandler(BaseHTTPRequestHandler):
    """Answers from :attr:`MirrorServer.resources`; never touches the disk."""

    server: MirrorServer
    protocol_version = "HTTP/1.1"
    server_version = f"pithtex/{__version__}"
    disable_nagle_algorithm = True
    timeout = 30

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _not_allowed(self) -> None:
        self._send_plain(
            HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed\n", {"Allow": "GET, HEAD"}
        )

    def do_POST(self) -> None:
        self._not_allowed()

    def do_PUT(self) -> None:
        self._not_allowed()

    def do_DELETE(self) -> None:
        self._not_allowed()

    def do_PATCH(self) -> None:
        self._not_allowed()

    def do_OPTIONS(self) -> None:
        self._not_allowed()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            super().log_message(format, *args)

    # -------------------------------------------------------- routing

    def _answer(self, *, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        resources = self.server.resources
        vary = None
        resource = resources.get(path)
        if resource is None:
            document = _DOCUMENT_RE.match(path)
            if document:
                vary = "Accept"
                folder = f"/{RESOLVER_PREFIX}/{document.group(1)}/"
                offers = [
                    (mt, folder + name)
                    for mt, name in (
                        (HTML_TYPE, HTML_FILE),
                        (JSONLD_TYPE, JSONLD_FILE),
                        (JSON_TYPE, JSONLD_FILE),
                    )
                    if folder + name in resources
                ]
                if not offers:
                    self._send_plain(HTTPStatus.NOT_FOUND, "not found\n", send_body=send_body)
                    return
                chosen = negotiate(self.headers.get("Accept"), offers)
                if chosen is None:
                    types = ", ".join(mt for mt, _ in offers)
                    self._send_plain(
                        HTTPStatus.NOT_ACCEPTABLE,
                        f"not acceptable; available: {types}\n",
                        {"Vary": "Accept"},
                        send_body=send_body,
                    )
                    return
                resource = resources[chosen]
            else:
                resource = resources.get(path.rstrip("/") + "/" + HTML_FILE)
        if resource is None:
            upper = _number_in_upper_case(path)
            if upper != path and (upper in resources or _DOCUMENT_RE.match(upper)):
                self._send_plain(
                    HTTPStatus.MOVED_PERMANENTLY, f"see {upper}\n", {"Location": upper},
                    send_body=send_body,
                )  # fmt: skip
                return
            self._send_plain(HTTPStatus.NOT_FOUND, "not found\n", send_body=send_body)
            return
        self._send_resource(resource, vary, send_body=send_body)

    # -------------------------------------------------------- responses

    def _send_resource(self, resource: Resource, vary: str | None, *, send_body: bool) -> None:
        headers = {
            "ETag": resource.etag,
            "Last-Modified": resource.last_modified,
            "Cache-Control": f"public, max-age={self.server.max_age}",
            "Access-Control-Allow-Origin": "*",
        }
        vary_on = [v for v in (vary, "Accept-Encoding" if resource.gzipped else None) if v]
        if vary_on:
            headers["Vary"] = ", ".join(vary_on)
        if self._not_modified(resource):
            self._send(HTTPStatus.NOT_MODIFIED, headers, b"", send_body=False)
            return
        body = resource.data
        if resource.gzipped is not None and _accepts_gzip(self.headers.get("Accept-Encoding")):
            body = resource.gzipped
            headers["Content-Encoding"] = "gzip"
        headers["Content-Type"] = resource.content_type
        self._send(HTTPStatus.OK, headers, body, send_body=send_body)

    def _not_modified(self, resource: Resource) -> bool:
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            wanted = {t.strip().removeprefix("W/") for t in tags.split(",")}
            return "*" in wanted or resource.etag in wanted
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                when = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return resource.mtime <= when.timestamp()
        return False

    def _send_plain(
        self,
        status: HTTPStatus,
        text: str,
        extra: dict[str, str] | None = None,
        *,
        send_body: bool = True,
    ) -> None:
        headers = {"Content-Type": "text/plain; charset=utf-8", **(extra or {})}
        self._send(status, headers, text.encode("utf-8"), send_body=send_body)

    def _send(
        self, status: HTTPStatus, headers: dict[str, str], body: bytes, *, send_body: bool
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


def _number_in_upper_case(path: str) -> str:
    """``/pith/j655k2kr/...`` as ``/pith/J655K2KR/...`` (numbers are case-insensitive)."""
    match = _NUMBER_SEGMENT.match(path)
    if match is None:
        return path
    return match.group(1) + match.group(2).upper() + (match.group(3) or "")


def _accepts_gzip(header: str | None) -> bool:
    if not header:
        return False
    return any(media in ("gzip", "*") and q > 0 for media, q in parse_accept(header))


def serve(
    root: str | Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    max_age: int = DEFAULT_MAX_AGE,
    access_log: bool = False,
) -> MirrorServer:
    """A bound :class:`MirrorServer` (call ``serve_forever`` on it)."""
    try:
        return MirrorServer(root, (host, port), max_age=max_age, access_log=access_log)
    except OSError as exc:
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc})", code="serve.address"
        ) from None
