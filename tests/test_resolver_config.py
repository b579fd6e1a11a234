"""Resolver settings: option > environment > config file > default, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pithtex.core.numbers import parse_number
from pithtex.core.paths import default_cache_dir
from pithtex.registry.cache import BundleCache, CacheMeta
from pithtex.registry.config import ConfigError, ResolverSettings, load_settings, normalise_base_url
from pithtex.registry.http import cache_max_age, media_type_accepted, proxy_for, retry_after


def settings(
    tmp_path: Path, text: str | None, env: dict[str, str], *options: str
) -> ResolverSettings:
    path = tmp_path / "config.toml"
    if text is not None:
        path.write_text(text)
    return load_settings(list(options) or None, config_path=path, environ=env)


def test_default_is_pith_science(tmp_path: Path) -> None:
    result = settings(tmp_path, None, {})
    assert result.urls == ("https://pith.science",) and result.origin == "default"


def test_precedence(tmp_path: Path) -> None:
    text = '[resolver]\nurls = ["https://config.example/pith/", "https://pith.science"]\n'
    from_file = settings(tmp_path, text, {})
    assert from_file.urls == ("https://config.example/pith", "https://pith.science")
    assert from_file.origin.endswith("config.toml")
    env = {"PITHTEX_RESOLVERS": "http://127.0.0.1:9000, https://env.example"}
    from_env = settings(tmp_path, text, env)
    assert from_env.urls == ("http://127.0.0.1:9000", "https://env.example")
    from_option = settings(tmp_path, text, env, "https://opt.example", "https://opt.example/")
    assert from_option.urls == ("https://opt.example",) and from_option.origin == "--resolver"


def test_limits_from_the_file(tmp_path: Path) -> None:
    text = (
        "[resolver]\nconnect_timeout = 1.5\nread_timeout = 2\nretries = 0\n"
        'max_bytes = 65536\ncache_ttl = 0\nca_file = "~/ca.pem"\n'
    )
    result = settings(tmp_path, text, {})
    assert result.connect_timeout == 1.5 and result.read_timeout == 2.0
    assert result.retries == 0 and result.max_bytes == 65536 and result.cache_ttl == 0
    assert result.ca_file == str(Path("~/ca.pem").expanduser())
    assert result.urls == ("https://pith.science",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[resolver\n", "not valid TOML"),
        ("[resolver]\nurl = 'https://x'\n", "unknown key resolver.url"),
        ("[resolver]\nurls = [1]\n", "list of URL strings"),
        ("[resolver]\nurls = []\n", "resolver list is empty"),
        ("[resolver]\nurls = ['ftp://x']\n", "not an http:// or https:// URL"),
        ("[resolver]\nretries = 1.5\n", "whole number"),
        ("[resolver]\nretries = 99\n", "between 0 and 20"),
        ("[resolver]\nread_timeout = 'slow'\n", "must be a number"),
        ("[resolver]\nca_file = ''\n", "non-empty string"),
        ("resolver = 3\n", "must be a table"),
    ],
)
def test_bad_config_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, text, {})
    assert message in caught.value.message
    assert "config.toml" in caught.value.message
    assert caught.value.exit_code == 2


def test_config_file_named_by_the_environment_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PITHTEX_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "missing.toml: no such configuration file" in caught.value.message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("pith.science", "not an http"),
        ("https://", "names no host"),
        ("https://x.example/?q=1", "no query or fragment"),
        ("https://user:pw@x.example", "credentials"),
        ("https://x.example:99999", "invalid port"),
    ],
)
def test_bad_resolver_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        normalise_base_url(url, "--resolver")
    assert message in caught.value.message


def test_url_normalisation() -> None:
    assert normalise_base_url(" HTTPS://Mirror.example/a/b/ ") == "https://Mirror.example/a/b"


def test_cache_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PITHTEX_CACHE_DIR", raising=False)
    assert default_cache_dir().name == "pithtex" or "pithtex" in str(default_cache_dir())
    assert default_cache_dir(str(tmp_path / "configured")) == tmp_path / "configured"
    monkeypatch.setenv("PITHTEX_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_dir(str(tmp_path / "configured")) == tmp_path / "env"
    assert BundleCache().root == tmp_path / "env"


def test_cache_short_lookup_and_ambiguity(tmp_path: Path) -> None:
    from conftest import make_test_bundle
    from httpfixtures import bundle_bytes

    from pithtex.core.model import parse_bundle

    cache = BundleCache(tmp_path)
    data = bundle_bytes(make_test_bundle())
    bundle = parse_bundle(data)
    meta = CacheMeta(bundle.pith_number, "http://x", "", "", bundle.built_at, 2, 0.0, 0.0)
    entry = cache.put(data, bundle, meta)
    assert entry.meta.file_sha256 != "" and entry.path.read_bytes() == data
    assert cache.find(parse_number(bundle.body[:8])) is not None
    assert cache.find(parse_number(f"pith:1999:{bundle.body}")) is None, "year must match"
    twin = tmp_path / "bundles" / (bundle.body[:8] + "A" * 18)
    twin.mkdir()
    for name in ("bundle.json", "meta.json"):
        (twin / name).write_bytes((entry.directory / name).read_bytes())
    from pithtex.core.errors import NetworkError

    with pytest.raises(NetworkError) as caught:
        cache.find(parse_number(bundle.body[:8]))
    assert caught.value.code == "resolver.ambiguous"
    assert cache.find(parse_number(bundle.body)) is not None
    assert cache.clear() == 2 and list(cache.entries()) == []


def test_http_helpers() -> None:
    assert media_type_accepted("application/json", ["application/json"])
    assert media_type_accepted("application/ld+json", ["application/*+json"])
    assert not media_type_accepted("text/html", ["application/json", "application/*+json"])
    assert not media_type_accepted(None, ["*/*"])
    assert cache_max_age("public, max-age=300") == 300.0
    assert cache_max_age("no-cache") == 0.0 and cache_max_age(None) is None
    assert retry_after("7") == 7.0 and retry_after("soon") == 0.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0, "a date in the past"


def test_loopback_is_never_proxied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert proxy_for("http://127.0.0.1:8080/pith/X") is None
    assert proxy_for("http://localhost/pith/X") is None
    assert proxy_for("https://pith.science/pith/X") == "http://proxy.example:3128"
    monkeypatch.setenv("no_proxy", "pith.science")
    assert proxy_for("https://pith.science/pith/X") is None
