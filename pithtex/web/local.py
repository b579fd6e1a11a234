"""``pithtex ui``: the verify page alone, on a loopback address of this computer.

:func:`serve_local` binds a threading HTTP server to 127.0.0.1 (or another
loopback address) and mounts a :class:`~pithtex.web.app.CheckPage` at ``/``.
It answers only requests whose ``Host`` is its own address, so a web page
elsewhere cannot reach it through DNS rebinding, and it refuses uploads from
other sites.  Other paths are 404; methods other than GET, HEAD and POST 405.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from pithtex.core.errors import InputError
from pithtex.core.version import __version__
from pithtex.pdf.check import CheckOptions
from pithtex.web.app import CheckPage, answer_http
from pithtex.web.limits import LOCAL_LIMITS, PageLimits

__all__ = ["LocalPageHandler", "LocalPageServer", "is_loopback", "serve_local"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this computer only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LocalPageServer(ThreadingHTTPServer):
    """A threading HTTP server holding one :class:`CheckPage` at ``/``."""

    daemon_threads = True
    allow_reuse_address = True
    page: CheckPage

    def __init__(self, address: tuple[str, int], *, access_log: bool = False) -> None:
        self.access_log = access_log
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, LocalPageHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}/"

    def own_hosts(self) -> frozenset[str]:
        """``Host`` header values that name this server (its address, ``localhost``)."""
        netloc = urlsplit(self.url).netloc.lower()
        port = self.server_address[1]
        return frozenset({netloc, f"localhost:{port}"})

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line on stderr per failed connection, no traceback."""
        failure = sys.exc_info()[1]
        reason = f"{type(failure).__name__}: {failure}" if failure else "unknown failure"
        sys.stderr.write(f"pithtex ui: a connection failed ({reason})\n")


class LocalPageHandler(BaseHTTPRequestHandler):
    server: LocalPageServer
    protocol_version = "HTTP/1.1"
    server_version = f"pithtex/{__version__}"
    timeout = 30

    def version_string(self) -> str:
        return self.server_version

    def _answer(self) -> None:
        if self.server.page.owns(urlsplit(self.path).path):
            answer_http(self, self.server.page)
        else:
            self._plain(HTTPStatus.NOT_FOUND, "not found")

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _refuse_method(self) -> None:
        self._plain(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed", close=True)

    def do_PUT(self) -> None:
        self._refuse_method()

    def do_DELETE(self) -> None:
        self._refuse_method()

    def do_PATCH(self) -> None:
        self._refuse_method()

    def do_OPTIONS(self) -> None:
        self._refuse_method()

    def _plain(self, status: HTTPStatus, text: str, *, close: bool = False) -> None:
        body = (text + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            super().log_message(format, *args)


def serve_local(
    options: CheckOptions,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    limits: PageLimits = LOCAL_LIMITS,
    access_log: bool = False,
) -> LocalPageServer:
    """A bound server with the verify page at ``/`` (call ``serve_forever`` on it)."""
    if not is_loopback(host):
        raise InputError(
            f"--host {host}: the local page listens on this computer only (127.0.0.1, ::1); "
            "a public page is 'pithtex serve SITE --check-page'",
            code="usage.invalid",
        )
    try:
        server = LocalPageServer((host, port), access_log=access_log)
    except OSError as exc:
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc})", code="serve.address"
        ) from None
    try:
        server.page = CheckPage(options, limits, allowed_hosts=server.own_hosts())
    except BaseException:
        server.server_close()
        raise
    return server
