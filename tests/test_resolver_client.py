"""The resolver client's normal behaviour: cache, revalidation, short numbers, mirrors,
state and JSON-LD, the functional API and ``pithtex fetch``, against servers on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_BODY, SEED_NUMBER, SEED_TEXT, make_test_bundle, run_cli
from httpfixtures import (
    FaultServer,
    bundle_bytes,
    free_port,
    gzip_route,
    json_route,
    newer_bundle,
    send,
    status_route,
    trusted_test_keyring,
)

from pithtex.core.errors import InputError
from pithtex.core.layout import bundle_path, document_path, state_path, well_known_bundle_path
from pithtex.core.model import parse_bundle
from pithtex.registry.cache import BundleCache
from pithtex.registry.config import ResolverSettings
from pithtex.registry.jsonld import jsonld_bytes, jsonld_document
from pithtex.registry.resolver import ResolveError, Resolver, cached_bundle, resolve_bundle
from pithtex.trust.keyring import Keyring

pytestmark = pytest.mark.network

BUNDLE = make_test_bundle()
NUMBER = BUNDLE["pith_number"]
BODY = NUMBER.rsplit(":", 1)[1]
PATH = "/" + bundle_path(BODY)
GOOD = bundle_bytes(BUNDLE)


def resolver(tmp_path: Path, *bases: str, keyring: Keyring | None = None, **extra: Any) -> Resolver:
    settings = ResolverSettings(
        urls=tuple(bases), retries=1, backoff=0.01, read_timeout=3.0, **extra
    )
    return Resolver(keyring or trusted_test_keyring(), settings, BundleCache(tmp_path / "cache"))


def etag_route(body: bytes, etag: str = '"v1"') -> Any:
    """Answers 304 to a matching If-None-Match, else the body with its ETag."""

    def route(handler: Any) -> None:
        if handler.headers.get("If-None-Match") == etag:
            send(handler, b"", status=304, content_type=None, headers={"ETag": etag})
        else:
            send(handler, body, headers={"ETag": etag, "Cache-Control": "max-age=60"})

    return route


def test_download_verifies_and_caches_exact_bytes(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server:
        resolved = resolver(tmp_path, server.base).resolve(NUMBER)
    assert resolved.verification.verified
    assert not resolved.from_cache
    assert resolved.number.full == NUMBER
    assert resolved.source_url == server.base + PATH
    assert resolved.cache_path == tmp_path / "cache" / "bundles" / BODY / "bundle.json"
    assert resolved.cache_path.read_bytes() == GOOD
    meta = json.loads((resolved.cache_path.parent / "meta.json").read_text())
    assert meta["source_url"] == server.base + PATH
    assert meta["event_count"] == 2
    request = server.log[0]["headers"]
    assert request["accept"].startswith("application/json")
    assert request["user-agent"].startswith("pithtex/")


def test_fresh_cache_needs_no_request(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server:
        client = resolver(tmp_path, server.base)
        client.resolve(NUMBER)
        again = client.resolve(NUMBER)
        by_short = client.resolve("pith:" + BODY[:8])
    assert again.from_cache and by_short.from_cache
    assert by_short.number.full == NUMBER
    assert server.requests_to(PATH) == 1


def test_stale_cache_is_revalidated_with_the_etag(tmp_path: Path) -> None:
    with FaultServer({PATH: etag_route(GOOD)}) as server:
        client = resolver(tmp_path, server.base, cache_ttl=0.0)
        first = client.resolve(NUMBER)
        second = client.resolve(NUMBER)
    assert not first.from_cache
    assert second.from_cache and second.revalidated
    assert [e["headers"].get("if-none-match") for e in server.log] == [None, '"v1"']
    meta = json.loads((tmp_path / "cache/bundles" / BODY / "meta.json").read_text())
    assert meta["etag"] == '"v1"' and meta["max_age"] == 60.0


def test_server_max_age_shortens_the_freshness(tmp_path: Path) -> None:
    route = json_route(GOOD, headers={"Cache-Control": "no-cache"})
    with FaultServer({PATH: route}) as server:
        client = resolver(tmp_path, server.base, cache_ttl=3600.0)
        client.resolve(NUMBER)
        client.resolve(NUMBER)
    assert server.requests_to(PATH) == 2


def test_refresh_downloads_a_newer_bundle(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server:
        client = resolver(tmp_path, server.base)
        client.resolve(NUMBER)
        server.routes[PATH] = json_route(bundle_bytes(newer_bundle()))
        assert len(client.resolve(NUMBER).bundle.events) == 2, "fresh cache: no request"
        refreshed = client.resolve(NUMBER, refresh=True)
    assert len(refreshed.bundle.events) == 3 and not refreshed.from_cache
    assert client.cached(NUMBER) is not None
    assert len(client.cached(NUMBER).bundle.events) == 3  # type: ignore[union-attr]


def test_offline_uses_the_cache_alone(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there: any request would fail
    client = resolver(tmp_path, f"http://127.0.0.1:{port}")
    with pytest.raises(ResolveError) as caught:
        client.resolve(NUMBER, offline=True)
    assert caught.value.code == "resolver.offline_miss"
    assert str(tmp_path / "cache") in caught.value.message
    with FaultServer({PATH: json_route(GOOD)}) as server:
        resolver(tmp_path, server.base).resolve(NUMBER)
    resolved = client.resolve(NUMBER, offline=True)
    assert resolved.from_cache and resolved.verification.verified
    assert client.resolve("pith:" + BODY[:12], offline=True).number.full == NUMBER


def test_short_number_resolves_where_the_resolver_supports_it(tmp_path: Path) -> None:
    short_path = "/" + bundle_path(BODY[:8])
    with FaultServer({short_path: json_route(GOOD)}) as server:
        resolved = resolver(tmp_path, server.base).resolve(f"pith:{BODY[:8].lower()}")
    assert resolved.number.full == NUMBER
    assert resolved.source_url == server.base + short_path


def test_short_number_is_not_supported_everywhere(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server, pytest.raises(ResolveError) as caught:
        resolver(tmp_path, server.base).resolve(f"pith:{BODY[:8]}")
    assert caught.value.code == "resolver.not_found"


def test_well_known_layout_is_the_fallback(tmp_path: Path) -> None:
    well_known = "/" + well_known_bundle_path(BODY)
    with FaultServer({well_known: json_route(GOOD)}) as server:
        resolved = resolver(tmp_path, server.base).resolve(NUMBER)
    assert resolved.source_url == server.base + well_known
    assert [a.code for a in resolved.attempts] == ["resolver.not_found"]


def test_mirrors_are_tried_in_order(tmp_path: Path) -> None:
    with (
        FaultServer({PATH: status_route(500)}) as broken,
        FaultServer({PATH: json_route(GOOD)}) as good,
    ):
        resolved = resolver(tmp_path, broken.base, good.base).resolve(NUMBER)
    assert resolved.source_url == good.base + PATH
    assert [a.code for a in resolved.attempts] == ["resolver.server_error"]
    assert broken.requests_to("/" + well_known_bundle_path(BODY)) == 0


def test_mirror_with_a_path_prefix(tmp_path: Path) -> None:
    with FaultServer({"/mirrors/pith-a" + PATH: json_route(GOOD)}) as server:
        resolved = resolver(tmp_path, server.base + "/mirrors/pith-a/").resolve(NUMBER)
    assert resolved.verification.verified


def test_gzip_answers_are_decoded(tmp_path: Path) -> None:
    with FaultServer({PATH: gzip_route(GOOD)}) as server:
        resolved = resolver(tmp_path, server.base).resolve(NUMBER)
    assert resolved.data == GOOD
    assert server.log[0]["headers"]["accept-encoding"] == "gzip"


def test_stale_copy_when_every_resolver_fails(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server:
        client = resolver(tmp_path, server.base, cache_ttl=0.0)
        client.resolve(NUMBER)
        server.routes[PATH] = status_route(503)
        with pytest.raises(ResolveError):
            client.resolve(NUMBER)
        stale = client.resolve(NUMBER, allow_stale=True)
    assert stale.stale and stale.from_cache
    assert stale.attempts[0].code == "resolver.server_error"


def test_tampering_is_never_hidden_by_a_stale_copy(tmp_path: Path) -> None:
    tampered = make_test_bundle()
    tampered["built_at"] = "2031-01-01T00:00:00Z"
    with FaultServer({PATH: json_route(GOOD)}) as server:
        client = resolver(tmp_path, server.base, cache_ttl=0.0)
        client.resolve(NUMBER)
        server.routes[PATH] = json_route(bundle_bytes(tampered))
        with pytest.raises(ResolveError) as caught:
            client.resolve(NUMBER, allow_stale=True)
    assert caught.value.code == "resolver.invalid"


def test_cache_trust_comes_from_the_current_keyring(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server:
        resolver(tmp_path, server.base).resolve(NUMBER)
    cache = BundleCache(tmp_path / "cache")
    assert cached_bundle(NUMBER, keyring=trusted_test_keyring(), cache=cache) is not None
    assert cached_bundle(NUMBER, keyring=Keyring.default(), cache=cache) is None
    assert cached_bundle(NUMBER, cache=cache) is None, "default keyring: pith.science only"


def test_damaged_cache_entry_is_ignored(tmp_path: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server:
        client = resolver(tmp_path, server.base)
        resolved = client.resolve(NUMBER)
        assert resolved.cache_path is not None
        resolved.cache_path.write_bytes(GOOD.replace(b"Ada", b"Eve"))
        assert client.cached(NUMBER) is None
        again = client.resolve(NUMBER)
    assert not again.from_cache and server.requests_to(PATH) == 2
    assert again.cache_path is not None and again.cache_path.read_bytes() == GOOD


def test_seed_bundle_resolves_with_the_default_keyring(tmp_path: Path) -> None:
    with FaultServer({"/" + bundle_path(SEED_BODY): json_route(SEED_TEXT)}) as server:
        resolved = resolve_bundle(
            SEED_NUMBER,
            keyring=Keyring.default(),
            resolvers=[server.base],
            cache=tmp_path / "cache",
        )
    assert resolved.number.full == SEED_NUMBER and resolved.data == SEED_TEXT
    found = cached_bundle("pith:J655K2KR", cache=tmp_path / "cache")
    assert found is not None and found.bundle.title is not None


def test_state_is_checked_against_the_verified_bundle(tmp_path: Path) -> None:
    merged = parse_bundle(GOOD).state
    assert merged is not None
    state_route = json_route(json.dumps(merged).encode())
    with FaultServer({PATH: json_route(GOOD), "/" + state_path(BODY): state_route}) as server:
        client = resolver(tmp_path, server.base)
        state = client.state(NUMBER)
        assert state.document["state_sha256"] == merged["state_sha256"]
        other = parse_bundle(bundle_bytes(newer_bundle())).state
        server.routes["/" + state_path(BODY)] = json_route(json.dumps(other).encode())
        with pytest.raises(ResolveError) as caught:
            client.state(NUMBER)
    assert caught.value.code == "resolver.state_mismatch"
    assert "--refresh" in caught.value.message
    offline = client.state(NUMBER, offline=True)
    assert offline.document["state_sha256"] == merged["state_sha256"]


def test_jsonld_by_content_negotiation(tmp_path: Path) -> None:
    document = jsonld_bytes(jsonld_document(parse_bundle(GOOD)))

    def negotiated(handler: Any) -> None:
        if "application/ld+json" in handler.headers.get("Accept", ""):
            send(handler, document, content_type="application/ld+json")
        else:
            send(handler, b"<html></html>", content_type="text/html")

    with FaultServer({"/" + document_path(BODY): negotiated}) as server:
        page = resolver(tmp_path, server.base).jsonld(NUMBER)
        assert page.document["canonical_record"]["source"]["id"] == "2611.01234"
        assert page.number.full == NUMBER
        assert server.log[0]["headers"]["accept"] == "application/ld+json"
        server.routes["/" + document_path(BODY)] = json_route(
            jsonld_bytes(jsonld_document(parse_bundle(SEED_TEXT))),
            content_type="application/ld+json",
        )
        with pytest.raises(ResolveError) as caught:
            resolver(tmp_path, server.base).jsonld(NUMBER)
    assert caught.value.code == "resolver.wrong_number"


def test_jsonld_not_offered(tmp_path: Path) -> None:
    route = json_route(b"<html></html>", content_type="text/html")
    server = FaultServer({"/" + document_path(BODY): route})
    with server, pytest.raises(ResolveError) as caught:
        resolver(tmp_path, server.base).jsonld(NUMBER)
    assert caught.value.code == "resolver.content_type"
    assert "application/ld+json" in caught.value.message


# ---------------------------------------------------------------- the command


def fetch(tmp_path: Path, *args: str | Path, keyring: Path) -> Any:
    config = tmp_path / "empty-config.toml"
    config.touch()
    return run_cli(
        "fetch",
        *args,
        "--keyring",
        keyring,
        "--no-default-keyring",
        env={"PITHTEX_CACHE_DIR": str(tmp_path / "cli-cache"), "PITHTEX_CONFIG": str(config)},
        timeout=60,
    )


def test_cli_fetch_writes_and_reports(tmp_path: Path, test_keyring: Path) -> None:
    out = tmp_path / "out" / "bundle.json"
    out.parent.mkdir()
    with FaultServer({PATH: json_route(GOOD)}) as server:
        done = fetch(tmp_path, NUMBER, "--resolver", server.base, "-o", out, keyring=test_keyring)
        assert done.returncode == 0, done.stderr
        assert out.read_bytes() == GOOD
        assert f"{NUMBER}  verified  (downloaded: {server.base}{PATH})" in done.stdout
        again = fetch(tmp_path, BODY[:8], "--resolver", server.base, "--json", keyring=test_keyring)
    report = json.loads(again.stdout)
    assert report["from_cache"] is True and report["pith_number"] == NUMBER


def test_cli_fetch_errors_are_one_line_with_exit_code_4(tmp_path: Path, test_keyring: Path) -> None:
    with FaultServer() as server:
        done = fetch(tmp_path, NUMBER, "--resolver", server.base, keyring=test_keyring)
    assert done.returncode == 4
    assert done.stderr.count("\n") == 1 and "404" in done.stderr
    assert "Traceback" not in done.stderr
    offline = fetch(tmp_path, NUMBER, "--offline", keyring=test_keyring)
    assert offline.returncode == 4 and "not in the cache" in offline.stderr
    assert not (tmp_path / "cli-cache" / "bundles").exists()


def test_cli_fetch_bad_input_exits_2(tmp_path: Path, test_keyring: Path) -> None:
    bad_number = fetch(tmp_path, "pith:ABCD", keyring=test_keyring)
    assert bad_number.returncode == 2 and "characters" in bad_number.stderr
    bad_url = fetch(tmp_path, NUMBER, "--resolver", "ftp://x", keyring=test_keyring)
    assert bad_url.returncode == 2 and "not an http:// or https:// URL" in bad_url.stderr


def test_cli_fetch_uses_the_environment_and_config_file(tmp_path: Path, test_keyring: Path) -> None:
    config = tmp_path / "config.toml"
    with FaultServer({PATH: json_route(GOOD)}) as server:
        config.write_text(f'[resolver]\nurls = ["{server.base}"]\nretries = 0\n')
        env = {"PITHTEX_CACHE_DIR": str(tmp_path / "c1"), "PITHTEX_CONFIG": str(config)}
        common = ("--keyring", test_keyring, "--no-default-keyring", "--json")
        by_config = run_cli("fetch", NUMBER, *common, env=env)
        assert json.loads(by_config.stdout)["source_url"] == server.base + PATH
        env2 = {**env, "PITHTEX_CACHE_DIR": str(tmp_path / "c2")}
        env2["PITHTEX_RESOLVERS"] = f"http://127.0.0.1:{free_port()} {server.base}"
        by_env = run_cli("fetch", NUMBER, *common, env=env2)
    assert by_env.returncode == 0, by_env.stderr
    assert json.loads(by_env.stdout)["attempts"][0]["code"] == "resolver.unreachable"
    assert "warning:" in by_env.stderr


def test_cli_fetch_state_and_jsonld_to_stdout(tmp_path: Path, test_keyring: Path) -> None:
    bundle = parse_bundle(GOOD)
    routes = {
        PATH: json_route(GOOD),
        "/" + state_path(BODY): json_route(json.dumps(bundle.state).encode()),
        "/" + document_path(BODY): json_route(
            jsonld_bytes(jsonld_document(bundle)), content_type="application/ld+json"
        ),
    }
    with FaultServer(routes) as server:
        state = fetch(tmp_path, NUMBER, "--resolver", server.base, "--state", keyring=test_keyring)
        page = fetch(tmp_path, NUMBER, "--resolver", server.base, "--jsonld", keyring=test_keyring)
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout)["state_sha256"] == bundle.state["state_sha256"]  # type: ignore[index]
    assert json.loads(page.stdout)["pith_number"] == NUMBER


def test_unwritable_cache_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the cache directory should be")
    with FaultServer({PATH: json_route(GOOD)}) as server, pytest.raises(InputError) as caught:
        resolver(tmp_path, server.base).resolve(NUMBER)
    assert caught.value.code == "cache.unwritable"
    assert "--cache-dir" in caught.value.message


def test_cli_cache_list_and_clear(tmp_path: Path, test_keyring: Path) -> None:
    with FaultServer({PATH: json_route(GOOD)}) as server:
        assert (
            fetch(tmp_path, NUMBER, "--resolver", server.base, keyring=test_keyring).returncode == 0
        )
    cache_dir = str(tmp_path / "cli-cache")
    listed = run_cli("cache", "list", "--cache-dir", cache_dir, "--json", check=True)
    assert [e["pith_number"] for e in json.loads(listed.stdout)] == [NUMBER]
    assert (
        run_cli("cache", "path", "--cache-dir", cache_dir, check=True).stdout.strip() == cache_dir
    )
    missing = run_cli("cache", "clear", SEED_NUMBER, "--cache-dir", cache_dir)
    assert missing.returncode == 2 and "not in the cache" in missing.stderr
    cleared = run_cli("cache", "clear", BODY[:8], "--cache-dir", cache_dir, check=True)
    assert "removed 1 cached bundle from" in cleared.stdout
    assert run_cli("cache", "list", "--cache-dir", cache_dir, check=True).stdout == ""


def test_new_verbs_have_help() -> None:
    top = run_cli("--help", check=True).stdout
    for verb in ("fetch", "mirror", "serve", "cache"):
        assert verb in top
        assert run_cli(verb, "--help", check=True).stdout.startswith("usage:")


def test_cli_fetch_to_an_unwritable_place(tmp_path: Path, test_keyring: Path) -> None:
    (tmp_path / "a-file").write_text("in the way\n")
    with FaultServer({PATH: json_route(GOOD)}) as server:
        made = fetch(
            tmp_path, NUMBER, "--resolver", server.base, "-o", tmp_path / "new/dir/b.json",
            keyring=test_keyring,
        )  # fmt: skip
        done = fetch(
            tmp_path, NUMBER, "--resolver", server.base, "-o", tmp_path / "a-file/b.json",
            keyring=test_keyring,
        )  # fmt: skip
    assert made.returncode == 0 and (tmp_path / "new/dir/b.json").is_file(), made.stderr
    assert done.returncode == 2 and "exists and is not a folder" in done.stderr
