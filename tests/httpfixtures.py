"""Real HTTP servers on 127.0.0.1 for the resolver tests, and bundles to serve.

``FaultServer`` is a threaded ``http.server`` whose routes are small functions
that answer a request any way a test needs: correct, slow, cut short, too
large, mislabelled, redirecting in circles.  ``tls_pair`` makes a throw-away
certificate authority and a server certificate for 127.0.0.1 so that a real
TLS server can run on loopback.  Bundles are made with the project's signing
code and test keys.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from conftest import ROOT, TEST_PAPER, make_test_bundle, test_key

from pithtex.core.model import Fields, PublicKey
from pithtex.trust.keyring import Keyring
from pithtex.trust.signing import (
    BundleBuilder,
    graph_snapshot_event,
    mint_record,
    record_created_event,
)

Handler = BaseHTTPRequestHandler
Route = Callable[[Handler], None]

CREATED_AT = "2026-11-03T12:00:00Z"
LATER = "2026-11-20T08:00:00Z"


# ---------------------------------------------------------------- bundles


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, indent=1).encode("utf-8")


def trusted_test_keyring() -> Keyring:
    """A keyring trusting only ``test_key(1)``."""
    return Keyring((PublicKey.parse(Fields(test_key(1).public_entry(), "$")),))


def newer_bundle() -> dict[str, Any]:
    """The test paper's bundle a week later: the same two events plus a new snapshot."""
    key = test_key(1)
    record = mint_record(TEST_PAPER)
    older = make_test_bundle()
    builder = BundleBuilder(record, key)
    builder.events.extend(older["events"])
    paper = dict(older["events"][1]["payload"]["graph_snapshot"]["paper"])
    paper["authors_text"] = "Ada Lovelace, Alan Turing, Grace Hopper"
    builder.events.append(graph_snapshot_event(record, paper, key, LATER))
    return builder.build(LATER)


def rebuilt_later_with_fewer_events() -> dict[str, Any]:
    """Built later than :func:`newer_bundle` but without its third event (a rollback)."""
    key = test_key(1)
    record = mint_record(TEST_PAPER)
    builder = BundleBuilder(record, key)
    builder.events.append(record_created_event(record, key, CREATED_AT))
    older = make_test_bundle()
    builder.events.append(older["events"][1])
    return builder.build("2026-12-01T00:00:00Z")


# ---------------------------------------------------------------- answers


def send(
    handler: Handler,
    body: bytes,
    *,
    status: int = 200,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> None:
    """A complete answer (``length`` may lie, for truncation tests)."""
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def json_route(body: bytes, **kwargs: Any) -> Route:
    return lambda handler: send(handler, body, **kwargs)


def status_route(status: int, text: bytes = b"error\n") -> Route:
    return lambda handler: send(handler, text, status=status, content_type="text/plain")


def redirect_route(location: str, status: int = 302) -> Route:
    return lambda handler: send(
        handler, b"", status=status, content_type=None, headers={"Location": location}
    )


def gzip_route(body: bytes) -> Route:
    packed = gzip.compress(body)
    return lambda handler: send(handler, packed, headers={"Content-Encoding": "gzip"})


def stalled_route(seconds: float, first: bytes = b"{") -> Route:
    """Sends headers and a first byte, then nothing for ``seconds``."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(first)
        handler.wfile.flush()
        time.sleep(seconds)
        handler.close_connection = True

    return route


def dripping_route(body: bytes, interval: float) -> Route:
    """Sends ``body`` one byte every ``interval`` seconds (never idle long enough to
    trip a read timeout, too slow for any total timeout)."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for index in range(len(body)):
            try:
                handler.wfile.write(body[index : index + 1])
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(interval)

    return route


def trickling_headers_route(interval: float, header_bytes: int = 2000) -> Route:
    """A status line, then one header byte every ``interval`` seconds: a slow-loris
    server that never idles long enough for a read timeout and never finishes."""

    def route(handler: Handler) -> None:
        handler.close_connection = True
        try:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            handler.wfile.flush()
            for _ in range(header_bytes):
                handler.wfile.write(b"X" if _ == 0 else b"a")
                handler.wfile.flush()
                time.sleep(interval)
        except OSError:
            return

    return route


def endless_route(chunk: bytes = b" " * 65536) -> Route:
    """A body without Content-Length that never ends (until the client hangs up)."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        with contextlib.suppress(OSError):
            while True:
                handler.wfile.write(chunk)

    return route


def truncated_route(body: bytes) -> Route:
    """Declares the full length, sends half, closes the connection."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    return route


def sequence_route(*routes: Route) -> Route:
    """The first request gets ``routes[0]``, the next ``routes[1]``...; the last repeats."""
    count = {"n": 0}
    lock = threading.Lock()

    def route(handler: Handler) -> None:
        with lock:
            index = min(count["n"], len(routes) - 1)
            count["n"] += 1
        routes[index](handler)

    return route


# ---------------------------------------------------------------- servers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self.server.log.append(
            {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
        )
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            send(self, b"not found\n", status=404, content_type="text/plain")
            return
        route(self)

    def do_HEAD(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    log: list[dict[str, Any]]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up on purpose (timeouts, size caps) are expected here


class FaultServer:
    """A threaded HTTP(S) server on 127.0.0.1 answering from a route table."""

    def __init__(self, routes: dict[str, Route] | None = None, tls: ssl.SSLContext | None = None):
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.routes = dict(routes or {})
        self.server.log = []
        self.scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_port}"

    @property
    def routes(self) -> dict[str, Route]:
        return self.server.routes

    @property
    def log(self) -> list[dict[str, Any]]:
        return self.server.log

    def requests_to(self, path: str) -> int:
        return sum(1 for entry in self.log if entry["path"] == path)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def tls_pair(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA certificate file (for the client) and a server context for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pithtex test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file = directory / "server.pem"
    cert_file.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file)
    return ca_file, context


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextlib.contextmanager
def pithtex_serve(directory: Path, *extra: str) -> Iterator[str]:
    """``pithtex serve DIR --port 0`` as a subprocess; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pithtex", "serve", str(directory), "--port", "0", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving "), (line, process.stderr.read() if process.stderr else "")
        yield line.split(" at ", 1)[1].strip().rstrip("/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


@contextlib.contextmanager
def stock_http_server(directory: Path) -> Iterator[str]:
    """``python -m http.server`` serving ``directory``; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
