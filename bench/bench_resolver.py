"""Resolver: warm-cache resolution in-process, and ``pithtex serve`` throughput (issue 6).

Anchors, measured in the same run: parsing and verifying the seed bundle (the
work a warm-cache resolution cannot avoid, since cached bundles are verified
again with the current keyring), and ``python -m http.server`` serving the
same mirror directory to the same load generator.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import ROOT, SEED_BUNDLE, Row, best_call_seconds, pithtex_argv

from pithtex.core.model import parse_bundle
from pithtex.registry.cache import BundleCache, CacheMeta
from pithtex.registry.config import ResolverSettings
from pithtex.registry.mirror import build_mirror
from pithtex.registry.resolver import Resolver, resolve_bundle
from pithtex.trust.keyring import Keyring
from pithtex.trust.verify import verify_bundle

SEED_NUMBER = "pith:2019:J655K2KRI7DJHF4SOFYZCQRRE5"
SEED_BODY = SEED_NUMBER.rsplit(":", 1)[1]
LOAD_SECONDS = 5


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="pithtex-bench-") as temp:
        work = Path(temp)
        rows = _warm_cache_rows(work)
        rows.extend(_serve_rows(work))
    return rows


def _warm_cache_rows(work: Path) -> list[Row]:
    data = SEED_BUNDLE.read_bytes()
    keyring = Keyring.default()
    cache = BundleCache(work / "cache")
    bundle = parse_bundle(data)
    now = time.time()
    meta = CacheMeta(
        SEED_NUMBER, "https://pith.science", "", "", bundle.built_at, 2, now, now, max_age=1e9
    )
    cache.put(data, bundle, meta)
    unreachable = ResolverSettings(urls=("http://127.0.0.1:9",), retries=0)
    resolver = Resolver(keyring, unreachable, cache)

    def method() -> None:
        assert resolver.resolve(SEED_NUMBER).from_cache

    def function() -> None:
        found = resolve_bundle("pith:J655K2KR", keyring=keyring, cache=cache, settings=unreachable)
        assert found.from_cache

    def verify_only() -> None:
        assert verify_bundle(parse_bundle(data), keyring).verified

    anchor = best_call_seconds(verify_only, number=50) * 1000
    by_method = best_call_seconds(method, number=50) * 1000
    by_function = best_call_seconds(function, number=50) * 1000
    return [
        Row(
            "resolver",
            "warm cache: Resolver.resolve(full number), in-process",
            by_method,
            "ms",
            "< 5 ms",
            by_method < 5,
            anchor="parse + verify seed bundle",
            anchor_value=anchor,
        ),
        Row(
            "resolver",
            "warm cache: resolve_bundle(short number), in-process",
            by_function,
            "ms",
            "< 5 ms",
            by_function < 5,
            anchor="parse + verify seed bundle",
            anchor_value=anchor,
        ),
    ]


def _serve_rows(work: Path) -> list[Row]:
    mirror = work / "mirror"
    build_mirror(mirror, [SEED_BUNDLE], keyring=Keyring.default())
    path = f"/pith/{SEED_BODY}/bundle.json"
    with _process(pithtex_argv("serve", str(mirror), "--port", "0"), None) as base:
        ours = _requests_per_second(base + path)
    port = _free_port()
    stock = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with _process(stock, port, cwd=mirror) as base:
        anchor = _requests_per_second(base + path)
    tool = "wrk -t1 -c8" if shutil.which("wrk") else "Python keep-alive client"
    return [
        Row(
            "resolver",
            f"pithtex serve: bundle GETs on loopback ({tool}, {LOAD_SECONDS} s)",
            ours,
            "req/s",
            ">= 1000/s",
            ours >= 1000,
            anchor="python -m http.server, same load",
            anchor_value=anchor,
        )
    ]


@contextmanager
def _process(argv: list[str], port: int | None, cwd: Path | None = None) -> Iterator[str]:
    """Start a server; yields its base URL (read from its first line when ``port`` is None)."""
    process = subprocess.Popen(
        argv,
        cwd=cwd or ROOT,
        stdout=subprocess.PIPE if port is None else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        if port is None:
            assert process.stdout is not None
            base = process.stdout.readline().split(" at ", 1)[1].strip().rstrip("/")
        else:
            base = f"http://127.0.0.1:{port}"
            _wait(port)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _requests_per_second(url: str) -> float:
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [wrk, "-t1", "-c8", f"-d{LOAD_SECONDS}s", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        match = re.search(r"Requests/sec:\s*([\d.]+)", out)
        errors = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
        assert match and not errors, out
        return float(match.group(1))
    return _python_client(url)


def _python_client(url: str) -> float:
    """A bounded keep-alive client: as many sequential GETs as fit in LOAD_SECONDS."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < LOAD_SECONDS:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        response.read()
        if response.getheader("Connection", "").lower() == "close" or response.version == 10:
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        count += 1
    connection.close()
    return count / (time.perf_counter() - start)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")
