"""Every way a resolver can fail, against real HTTP(S) servers on 127.0.0.1.

Each fault must give its own clear error code and message, and must leave
nothing in the cache (or leave the cache exactly as it was).
"""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_TEXT, make_test_bundle, run_cli
from conftest import test_key as signing_key
from httpfixtures import (
    FaultServer,
    bundle_bytes,
    dripping_route,
    endless_route,
    gzip_route,
    json_route,
    newer_bundle,
    rebuilt_later_with_fewer_events,
    redirect_route,
    send,
    sequence_route,
    stalled_route,
    status_route,
    tls_pair,
    trickling_headers_route,
    truncated_route,
    trusted_test_keyring,
)

from pithtex.core.layout import bundle_path, well_known_bundle_path
from pithtex.registry.cache import BundleCache
from pithtex.registry.config import ResolverSettings
from pithtex.registry.http import FetchError, next_redirect
from pithtex.registry.resolver import ResolveError, Resolver

pytestmark = pytest.mark.network

BUNDLE = make_test_bundle()
BODY = BUNDLE["pith_number"].rsplit(":", 1)[1]
PATH = "/" + bundle_path(BODY)
WELL_KNOWN = "/" + well_known_bundle_path(BODY)
GOOD = bundle_bytes(BUNDLE)


def resolver(tmp_path: Path, *bases: str, **overrides: Any) -> Resolver:
    settings: dict[str, Any] = {
        "urls": tuple(bases),
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 5.0,
        "retries": 2,
        "backoff": 0.01,
        "max_backoff": 0.05,
        **overrides,
    }
    return Resolver(
        trusted_test_keyring(), ResolverSettings(**settings), BundleCache(tmp_path / "cache")
    )


def cache_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "cache"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def fails(tmp_path: Path, client: Resolver, code: str, *words: str) -> ResolveError:
    with pytest.raises(ResolveError) as caught:
        client.resolve(BUNDLE["pith_number"])
    error = caught.value
    assert error.code == code, error.message
    assert error.exit_code == 4
    for word in words:
        assert word in error.message, error.message
    assert cache_files(tmp_path) == [], "a failed resolution must cache nothing"
    return error


def test_404_on_both_layouts(tmp_path: Path) -> None:
    with FaultServer() as server:
        error = fails(
            tmp_path, resolver(tmp_path, server.base), "resolver.not_found", "404", PATH, WELL_KNOWN
        )
    assert [a.code for a in error.attempts] == ["resolver.not_found"] * 2
    assert server.requests_to(PATH) == 1, "404 is not retried"


def test_500_then_success_on_retry(tmp_path: Path) -> None:
    route = sequence_route(status_route(500), status_route(503), json_route(GOOD))
    with FaultServer({PATH: route}) as server:
        resolved = resolver(tmp_path, server.base).resolve(BUNDLE["pith_number"])
    assert resolved.verification.verified
    assert server.requests_to(PATH) == 3
    assert resolved.cache_path is not None and resolved.cache_path.read_bytes() == GOOD


def test_500_every_time(tmp_path: Path) -> None:
    with FaultServer({PATH: status_route(500)}) as server:
        fails(
            tmp_path,
            resolver(tmp_path, server.base),
            "resolver.server_error",
            "HTTP 500",
            "after 3 tries",
        )
    assert server.requests_to(PATH) == 3


def test_retry_after_is_honoured_within_the_cap(tmp_path: Path) -> None:
    def busy(handler: Any) -> None:
        send(handler, b"busy", status=503, content_type="text/plain", headers={"Retry-After": "30"})

    with FaultServer({PATH: sequence_route(busy, json_route(GOOD))}) as server:
        start = time.monotonic()
        client = resolver(tmp_path, server.base, max_backoff=0.3)
        assert client.resolve(BUNDLE["pith_number"]).verification.verified
    assert 0.25 <= time.monotonic() - start < 10, "waited, but capped by max_backoff, not 30 s"


def test_rate_limited(tmp_path: Path) -> None:
    with FaultServer({PATH: status_route(429)}) as server:
        fails(tmp_path, resolver(tmp_path, server.base), "resolver.rate_limited", "429")


def test_server_that_stalls_past_the_read_timeout(tmp_path: Path) -> None:
    with FaultServer({PATH: stalled_route(10.0)}) as server:
        start = time.monotonic()
        fails(
            tmp_path,
            resolver(tmp_path, server.base, read_timeout=0.4, retries=0),
            "resolver.timeout",
            "stalled for 0.4 s",
        )
        assert time.monotonic() - start < 6, "the read timeout, not the server, ended the wait"


def test_server_too_slow_for_the_total_timeout(tmp_path: Path) -> None:
    # one byte every 20 ms never trips the read timeout, but 14 kB would take minutes
    with FaultServer({PATH: dripping_route(GOOD, 0.02)}) as server:
        start = time.monotonic()
        fails(
            tmp_path,
            resolver(tmp_path, server.base, read_timeout=1.0, total_timeout=0.6, retries=0),
            "resolver.timeout",
            "longer than 0.6 s",
        )
        assert time.monotonic() - start < 6, "the total timeout ended the transfer"


def test_headers_never_arrive(tmp_path: Path) -> None:
    def silent(handler: Any) -> None:
        time.sleep(3)
        handler.close_connection = True

    with FaultServer({PATH: silent}) as server:
        fails(
            tmp_path,
            resolver(tmp_path, server.base, read_timeout=0.3, retries=1),
            "resolver.timeout",
            "no answer within 0.3 s",
            "after 2 tries",
        )


def test_headers_trickling_in_are_cut_at_the_total_timeout(tmp_path: Path) -> None:
    """One header byte every 0.3 s never trips the read timeout; the deadline still holds."""
    with FaultServer({PATH: trickling_headers_route(0.3)}) as server:
        start = time.monotonic()
        fails(
            tmp_path,
            resolver(tmp_path, server.base, read_timeout=2.0, total_timeout=1.0, retries=0),
            "resolver.timeout",
            "within 1 s",
        )
        assert time.monotonic() - start < 4, "the deadline ended the request"


def test_fetch_ends_against_a_slow_loris_resolver(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[resolver]\ntotal_timeout = 1.0\nread_timeout = 2.0\nretries = 0\n")
    env = {"PITHTEX_CONFIG": str(config), "PITHTEX_CACHE_DIR": str(tmp_path / "cache")}
    with FaultServer({PATH: trickling_headers_route(0.3)}) as server:
        start = time.monotonic()
        fetched = run_cli(
            "fetch", BUNDLE["pith_number"], "--resolver", server.base, env=env, timeout=60
        )
        assert fetched.returncode == 4, fetched.stderr
        assert "within 1 s" in fetched.stderr
        assert time.monotonic() - start < 15

    with FaultServer({PATH: truncated_route(GOOD)}) as server:
        fails(tmp_path, resolver(tmp_path, server.base), "resolver.truncated", "cut short")
    assert server.requests_to(PATH) == 3, "a dropped body is retried"


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    packed = gzip.compress(GOOD)[:-40]
    route = json_route(packed, headers={"Content-Encoding": "gzip"})
    with FaultServer({PATH: route}) as server:
        fails(tmp_path, resolver(tmp_path, server.base, retries=0), "resolver.truncated", "gzip")


def test_oversized_body_declared(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server:
        fails(
            tmp_path,
            resolver(tmp_path, server.base, max_bytes=4096),
            "resolver.too_large",
            f"declares {len(GOOD)} bytes",
        )


def test_oversized_body_streamed_without_length(tmp_path: Path) -> None:
    with FaultServer({PATH: endless_route()}) as server:
        fails(
            tmp_path,
            resolver(tmp_path, server.base, max_bytes=1 << 20),
            "resolver.too_large",
            "larger than the 1048576-byte cap",
        )


def test_gzip_bomb_is_capped_after_decoding(tmp_path: Path) -> None:
    bomb = gzip.compress(b" " * (64 << 20))  # 64 MiB of spaces in ~64 kB
    assert len(bomb) < 100_000
    with FaultServer({PATH: json_route(bomb, headers={"Content-Encoding": "gzip"})}) as server:
        fails(
            tmp_path,
            resolver(tmp_path, server.base, max_bytes=1 << 20),
            "resolver.too_large",
            "larger than",
        )


def test_wrong_content_type(tmp_path: Path) -> None:
    route = json_route(b"<html>login page</html>", content_type="text/html")
    with FaultServer({PATH: route, WELL_KNOWN: route}) as server:
        fails(
            tmp_path,
            resolver(tmp_path, server.base),
            "resolver.content_type",
            "content type text/html, expected application/json",
        )


def test_missing_content_type(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD, content_type=None)}) as server:
        fails(tmp_path, resolver(tmp_path, server.base), "resolver.content_type", "none")


def test_unsupported_content_encoding(tmp_path: Path) -> None:
    route = json_route(GOOD, headers={"Content-Encoding": "br"})
    with FaultServer({PATH: route}) as server:
        fails(tmp_path, resolver(tmp_path, server.base), "resolver.encoding", "'br'")


def test_redirect_loop(tmp_path: Path) -> None:
    with FaultServer() as server:
        server.routes[PATH] = redirect_route("/loop/a")
        server.routes["/loop/a"] = redirect_route(f"{server.base}/loop/b", 301)
        server.routes["/loop/b"] = redirect_route("/loop/a", 307)
        fails(tmp_path, resolver(tmp_path, server.base), "resolver.redirect_loop", "/loop/a")


def test_too_many_redirects(tmp_path: Path) -> None:
    with FaultServer() as server:
        server.routes[PATH] = redirect_route("/hop/0")
        for hop in range(10):
            server.routes[f"/hop/{hop}"] = redirect_route(f"/hop/{hop + 1}")
        server.routes["/hop/10"] = json_route(GOOD)
        fails(
            tmp_path,
            resolver(tmp_path, server.base, max_redirects=3),
            "resolver.too_many_redirects",
            "more than 3 redirects",
        )


def test_redirect_within_the_limit_is_followed(tmp_path: Path) -> None:
    with FaultServer() as server:
        server.routes[PATH] = redirect_route("/elsewhere/bundle.json", 308)
        server.routes["/elsewhere/bundle.json"] = json_route(GOOD)
        resolved = resolver(tmp_path, server.base).resolve(BUNDLE["pith_number"])
    assert resolved.source_url == f"{server.base}/elsewhere/bundle.json"


def test_https_to_http_redirect_is_refused(tmp_path: Path) -> None:
    """A real TLS server on loopback (throw-away CA trusted through ca_file)
    redirects to a plain-http server that holds a perfectly good bundle."""
    ca_file, context = tls_pair(tmp_path)
    with FaultServer({"/bundle.json": json_route(GOOD)}) as plain:
        with FaultServer(tls=context) as secure:
            secure.routes[PATH] = redirect_route(f"{plain.base}/bundle.json", 301)
            client = resolver(tmp_path, secure.base, ca_file=str(ca_file))
            fails(
                tmp_path,
                client,
                "resolver.insecure_redirect",
                "from https to plain http",
                f"{plain.base}/bundle.json",
            )
        assert plain.log == [], "the downgraded URL must never be requested"


def test_https_with_trusted_ca_and_https_redirect_work(tmp_path: Path) -> None:
    ca_file, context = tls_pair(tmp_path)
    with FaultServer(tls=context) as secure:
        secure.routes[PATH] = redirect_route("/moved.json", 302)
        secure.routes["/moved.json"] = gzip_route(GOOD)
        client = resolver(tmp_path, secure.base, ca_file=str(ca_file))
        resolved = client.resolve(BUNDLE["pith_number"])
    assert resolved.source_url == f"{secure.base}/moved.json"
    assert resolved.data == GOOD, "gzip is decoded to the exact bytes"


def test_https_with_an_untrusted_certificate(tmp_path: Path) -> None:
    _, context = tls_pair(tmp_path)
    with FaultServer({PATH: json_route(GOOD)}, tls=context) as secure:
        fails(tmp_path, resolver(tmp_path, secure.base), "resolver.tls", "CERTIFICATE_VERIFY")


def test_redirect_policy() -> None:
    visited = ["https://a.example/pith/X/bundle.json"]
    assert (
        next_redirect(visited[0], "/mirror/b.json", visited, 5) == "https://a.example/mirror/b.json"
    )
    assert next_redirect(visited[0], "https://cdn.example/b", visited, 5) == "https://cdn.example/b"
    assert next_redirect("http://a.example/x", "https://a.example/x", ["http://a.example/x"], 5)
    cases = {
        "http://a.example/b": "resolver.insecure_redirect",
        "HTTP://a.example/b": "resolver.insecure_redirect",
        "//evil.example/b": None,  # scheme-relative keeps https: allowed
        "ftp://a.example/b": "resolver.bad_redirect",
        "file:///etc/passwd": "resolver.bad_redirect",
        "": "resolver.bad_redirect",
        visited[0]: "resolver.redirect_loop",
    }
    for location, code in cases.items():
        if code is None:
            assert next_redirect(visited[0], location, visited, 5).startswith("https://")
            continue
        with pytest.raises(FetchError) as caught:
            next_redirect(visited[0], location, visited, 5)
        assert caught.value.code == code, location
    many = [f"https://a.example/{i}" for i in range(6)]
    with pytest.raises(FetchError) as caught:
        next_redirect(many[-1], "/next", many, 5)
    assert caught.value.code == "resolver.too_many_redirects"


def test_tampered_bundle(tmp_path: Path) -> None:
    tampered = make_test_bundle()
    tampered["events"][1]["payload"]["graph_snapshot"]["paper"]["authors_text"] = "Mallory"
    with FaultServer({PATH: json_route(bundle_bytes(tampered))}) as server:
        fails(
            tmp_path,
            resolver(tmp_path, server.base),
            "resolver.invalid",
            "failed verification",
        )


def test_tampered_bundle_field_after_signing(tmp_path: Path) -> None:
    tampered = make_test_bundle()
    tampered["built_at"] = "2030-01-01T00:00:00Z"  # a signed field changed afterwards
    with FaultServer({PATH: json_route(bundle_bytes(tampered))}) as server:
        error = fails(tmp_path, resolver(tmp_path, server.base), "resolver.invalid")
    assert "bundle.hash" in error.message or "bundle.signature" in error.message


def test_bundle_signed_by_an_untrusted_key(tmp_path: Path) -> None:
    foreign = make_test_bundle(key=signing_key(2))
    body = foreign["pith_number"].rsplit(":", 1)[1]
    assert body == BODY, "same record, different signer"
    with FaultServer({PATH: json_route(bundle_bytes(foreign))}) as server:
        fails(tmp_path, resolver(tmp_path, server.base), "resolver.untrusted", "trusted key")


def test_resolver_serving_another_number(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(SEED_TEXT)}) as server:
        fails(
            tmp_path,
            resolver(tmp_path, server.base),
            "resolver.wrong_number",
            "pith:2019:J655K2KRI7DJHF4SOFYZCQRRE5",
        )


def test_body_that_is_not_a_bundle(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(b'{"hello": "world"}')}) as server:
        fails(tmp_path, resolver(tmp_path, server.base), "resolver.malformed", "bundle_type")


def test_nothing_listening(tmp_path: Path) -> None:
    from httpfixtures import free_port

    base = f"http://127.0.0.1:{free_port()}"
    error = fails(tmp_path, resolver(tmp_path, base), "resolver.unreachable", "cannot connect")
    assert "tries" not in error.message, "a refused connection is not retried"


def test_rollback_to_an_older_bundle_is_refused(tmp_path: Path) -> None:
    newer = bundle_bytes(newer_bundle())
    with FaultServer({PATH: json_route(newer)}) as server:
        client = resolver(tmp_path, server.base)
        first = client.resolve(BUNDLE["pith_number"])
        assert len(first.bundle.events) == 3
        before = {p: p.read_bytes() for p in cache_files(tmp_path)}
        server.routes[PATH] = json_route(GOOD)  # the older, two-event bundle
        with pytest.raises(ResolveError) as caught:
            client.resolve(BUNDLE["pith_number"], refresh=True)
        assert caught.value.code == "resolver.rollback"
        assert "before the cached 2026-11-20T08:00:00Z" in caught.value.message
        assert "--force" in caught.value.message
        assert {p: p.read_bytes() for p in cache_files(tmp_path)} == before
        forced = client.resolve(BUNDLE["pith_number"], force=True)
    assert len(forced.bundle.events) == 2
    assert forced.cache_path is not None and forced.cache_path.read_bytes() == GOOD


def test_rollback_by_dropped_events_despite_a_later_date(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(bundle_bytes(newer_bundle()))}) as server:
        client = resolver(tmp_path, server.base)
        client.resolve(BUNDLE["pith_number"])
        server.routes[PATH] = json_route(bundle_bytes(rebuilt_later_with_fewer_events()))
        with pytest.raises(ResolveError) as caught:
            client.resolve(BUNDLE["pith_number"], refresh=True)
    assert caught.value.code == "resolver.rollback"
    assert "2 events, fewer than the 3" in caught.value.message


def test_a_bad_mirror_does_not_hide_a_good_one(tmp_path: Path) -> None:
    tampered = make_test_bundle()
    tampered["built_at"] = "2030-01-01T00:00:00Z"
    with (
        FaultServer({PATH: json_route(bundle_bytes(tampered))}) as bad,
        FaultServer({PATH: json_route(GOOD)}) as good,
    ):
        resolved = resolver(tmp_path, bad.base, good.base).resolve(BUNDLE["pith_number"])
    assert resolved.source_url == good.base + PATH
    assert [a.code for a in resolved.attempts] == ["resolver.invalid"]


def test_security_failure_outranks_not_found_in_the_report(tmp_path: Path) -> None:
    tampered = make_test_bundle()
    tampered["built_at"] = "2030-01-01T00:00:00Z"
    with FaultServer() as empty, FaultServer({PATH: json_route(bundle_bytes(tampered))}) as bad:
        error = fails(tmp_path, resolver(tmp_path, empty.base, bad.base), "resolver.invalid")
    assert "3 tries" in error.message and "404" in error.message


@pytest.mark.parametrize("plant", ["fifo", "symlink", "directory"])
def test_a_planted_cache_entry_that_is_not_a_regular_file_is_ignored(
    tmp_path: Path, plant: str
) -> None:
    """A FIFO would block ``fetch --offline`` forever; it, a link or a folder is ignored."""
    ring = tmp_path / "ring.json"
    ring.write_text(json.dumps({"keys": [signing_key(1).public_entry()]}))
    env = {
        "PITHTEX_CACHE_DIR": str(tmp_path / "cache"),
        "PITHTEX_CONFIG": str(tmp_path / "c"),
        "PITHTEX_KEYRING": str(ring),
    }
    (tmp_path / "c").write_text("")
    with FaultServer({PATH: json_route(GOOD)}) as server:
        first = run_cli("fetch", BUNDLE["pith_number"], "--resolver", server.base, env=env)
    assert first.returncode == 0, first.stderr
    (entry,) = (tmp_path / "cache" / "bundles").iterdir()
    (entry / "bundle.json").unlink()
    if plant == "fifo":
        os.mkfifo(entry / "bundle.json")
    elif plant == "symlink":
        (entry / "bundle.json").symlink_to("/dev/zero")
    else:
        (entry / "bundle.json").mkdir()
    start = time.monotonic()
    offline = run_cli("fetch", BUNDLE["pith_number"], "--offline", env=env, timeout=30)
    assert offline.returncode == 4, offline.stderr
    assert "resolver.offline_miss" in offline.stderr or "not in the cache" in offline.stderr
    assert time.monotonic() - start < 10
