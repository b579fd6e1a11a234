"""Static mirrors: the layout ``pithtex mirror build`` writes, served by ``pithtex serve``,
by ``python -m http.server`` and by nginx with the configuration in the docs."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ROOT,
    SEED_BODY,
    SEED_BUNDLE,
    SEED_NUMBER,
    SEED_TEXT,
    TEST_PAPER,
    make_test_bundle,
    require_tool,
    run_cli,
    write_json,
)
from httpfixtures import (
    free_port,
    newer_bundle,
    pithtex_serve,
    stock_http_server,
    trusted_test_keyring,
    wait_for_port,
)

from pithtex.core.digests import record_sha256
from pithtex.core.model import parse_bundle
from pithtex.registry.cache import BundleCache
from pithtex.registry.config import ResolverSettings
from pithtex.registry.mirror import (
    MirrorEntry,
    MirrorReport,
    _write_aliases,
    build_mirror,
    read_index,
)
from pithtex.registry.resolver import Resolver
from pithtex.trust.keyring import Keyring

pytestmark = pytest.mark.network

BUNDLE = make_test_bundle()
NUMBER = BUNDLE["pith_number"]
BODY = NUMBER.rsplit(":", 1)[1]
NGINX_EXAMPLE = ROOT / "docs" / "examples" / "nginx-pith-mirror.conf"


def keyring() -> Keyring:
    return Keyring.default().extended(trusted_test_keyring().keys)


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    return write_json(tmp_path / "test-bundle.json", BUNDLE)


@pytest.fixture
def mirror(tmp_path: Path, bundle_file: Path) -> Path:
    directory = tmp_path / "mirror"
    build_mirror(directory, [SEED_BUNDLE, bundle_file], keyring=keyring())
    return directory


def get(url: str, accept: str | None = None, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, headers={**({"Accept": accept} if accept else {}), **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def client(tmp_path: Path, base: str, name: str = "cache", **extra: Any) -> Resolver:
    settings = ResolverSettings(urls=(base,), retries=0, **extra)
    return Resolver(keyring(), settings, BundleCache(tmp_path / name))


# ---------------------------------------------------------------- the layout


def test_layout(mirror: Path, bundle_file: Path) -> None:
    for body, source in ((SEED_BODY, SEED_BUNDLE), (BODY, bundle_file)):
        data = source.read_bytes()
        assert (mirror / "pith" / body / "bundle.json").read_bytes() == data
        assert (mirror / ".well-known/pith" / body / "bundle.json").read_bytes() == data
        state = json.loads((mirror / "pith" / body / "state.json").read_text())
        assert state == parse_bundle(data).state, "the merged state equals the signed one"
        document = json.loads((mirror / "pith" / body / "index.jsonld").read_text())
        assert record_sha256(document["canonical_record"]) == parse_bundle(data).canonical_sha256
        assert document["@id"] == f"https://pith.science/pith/{body}"
        assert document["bundle"] == f"/pith/{body}/bundle.json"
        page = (mirror / "pith" / body / "index.html").read_text()
        assert '<script type="application/ld+json">' in page
        for length in (8, 12, 16):
            alias = mirror / "pith" / body[:length]
            assert (alias / "bundle.json").read_bytes() == data
            assert (mirror / ".well-known/pith" / body[:length] / "bundle.json").exists()
    index = json.loads((mirror / "index.json").read_text())
    assert index["schema"] == "pithtex.mirror-index/1" and index["count"] == 2
    assert [n["pith_number"] for n in index["numbers"]] == [NUMBER, SEED_NUMBER], "body order"
    seed = next(n for n in index["numbers"] if n["pith_number"] == SEED_NUMBER)
    assert seed["aliases"] == ["J655K2KR", "J655K2KRI7DJ", "J655K2KRI7DJHF4S"]
    assert seed["title"].startswith("Large Batch Optimization")
    assert "{Braces}, 100% &amp;" in (mirror / "index.html").read_text(), "titles are escaped"
    assert not list(mirror.rglob("*.part")), "no temporary files are left"


def test_absolute_links_with_base_url(tmp_path: Path, bundle_file: Path) -> None:
    build_mirror(tmp_path / "m", [bundle_file], keyring=keyring(), base_url="https://m.example/p")
    document = json.loads((tmp_path / "m/pith" / BODY / "index.jsonld").read_text())
    assert document["bundle"] == f"https://m.example/p/pith/{BODY}/bundle.json"
    assert document["url"] == f"https://m.example/p/pith/{BODY}"


def test_incremental_update_and_rollback(tmp_path: Path, mirror: Path, bundle_file: Path) -> None:
    newer = write_json(tmp_path / "newer.json", newer_bundle())
    report = build_mirror(mirror, [newer], keyring=keyring())
    assert report.updated == [NUMBER] and report.total == 2
    assert read_index(mirror)[BODY].event_count == 3
    assert (mirror / "pith" / BODY[:8] / "bundle.json").read_bytes() == newer.read_bytes()
    again = build_mirror(mirror, [newer], keyring=keyring())
    assert again.unchanged == [NUMBER]
    before = (mirror / "pith" / BODY / "bundle.json").read_bytes()
    from pithtex.registry.mirror import MirrorError

    with pytest.raises(MirrorError) as caught:
        build_mirror(mirror, [bundle_file], keyring=keyring())
    assert caught.value.code == "mirror.rollback" and "--force" in caught.value.message
    assert (mirror / "pith" / BODY / "bundle.json").read_bytes() == before
    forced = build_mirror(mirror, [bundle_file], keyring=keyring(), force=True)
    assert forced.updated == [NUMBER]
    assert (mirror / "pith" / BODY / "bundle.json").read_bytes() == bundle_file.read_bytes()


def test_only_verified_bundles_are_mirrored(tmp_path: Path, bundle_file: Path) -> None:
    tampered = make_test_bundle()
    tampered["events"][1]["payload"]["graph_snapshot"]["paper"]["title"] = "Another title"
    bad = write_json(tmp_path / "tampered.json", tampered)
    write_json(tmp_path / "keyring.json", {"keys": [e.source for e in trusted_test_keyring()]})
    done = run_cli("mirror", "build", tmp_path / "m", bundle_file, bad,
                   "--keyring", tmp_path / "keyring.json")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "tampered.json: the bundle is invalid" in done.stderr
    assert not (tmp_path / "m").exists(), "nothing is written when an input fails"
    untrusted = run_cli("mirror", "build", tmp_path / "m", bundle_file)
    assert untrusted.returncode == 1 and "untrusted" in untrusted.stderr


def test_ambiguous_short_aliases_are_not_written(tmp_path: Path) -> None:
    def entry(body: str) -> MirrorEntry:
        return MirrorEntry(
            f"pith:2026:{body}", f"pith:{body[:8]}", None, "0" * 64, "0" * 64,
            "2026-01-01T00:00:00Z", 1, "", "", "", "",
        )  # fmt: skip

    one, two = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ABCDEFGHIJKL234567QRSTUVWX"
    stale = tmp_path / "pith" / "ABCDEFGH"
    stale.mkdir(parents=True)
    report = MirrorReport(tmp_path)
    entries = _write_aliases(tmp_path, {one: entry(one), two: entry(two)}, set(), True, report)
    assert report.ambiguous == ["ABCDEFGH", "ABCDEFGHIJKL"]
    assert entries[one].aliases == ("ABCDEFGHIJKLMNOP",)
    assert entries[two].aliases == ("ABCDEFGHIJKL2345",)
    assert not stale.exists(), "an alias that became ambiguous is removed"


def test_cli_mirror_build_from_directory_and_cache(tmp_path: Path, bundle_file: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "seed.json").write_bytes(SEED_TEXT)
    done = run_cli("mirror", "build", tmp_path / "m", inputs, "--json", check=True)
    assert json.loads(done.stdout)["added"] == [SEED_NUMBER]
    cache = BundleCache(tmp_path / "cache")
    from pithtex.registry.cache import CacheMeta

    cache.put(
        bundle_file.read_bytes(),
        parse_bundle(bundle_file.read_bytes()),
        CacheMeta(NUMBER, "http://x", "", "", BUNDLE["built_at"], 2, 0.0, 0.0),
    )
    keyring_file = write_json(tmp_path / "kr.json", [e.source for e in trusted_test_keyring()])
    done = run_cli(
        "mirror", "build", tmp_path / "m", "--from-cache", "--cache-dir", tmp_path / "cache",
        "--keyring", keyring_file, check=True,
    )  # fmt: skip
    assert "2 numbers (1 added, 0 updated, 0 unchanged), 6 short aliases" in done.stdout
    missing = run_cli("mirror", "build", tmp_path / "m", tmp_path / "nope.json")
    assert missing.returncode == 2 and "nope.json: no such file" in missing.stderr


# ---------------------------------------------------------------- pithtex serve


def test_pithtex_serve_negotiates_and_revalidates(mirror: Path) -> None:
    with pithtex_serve(mirror, "--max-age", "120") as base:
        status, headers, page = get(f"{base}/pith/{SEED_BODY}")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Vary"].startswith("Accept") and b"<!DOCTYPE html>" in page
        status, headers, body = get(f"{base}/pith/{SEED_BODY}/", "application/ld+json")
        assert headers["Content-Type"] == "application/ld+json; charset=utf-8"
        assert json.loads(body)["pith_number"] == SEED_NUMBER
        weighted = "text/html;q=0.5, application/ld+json"
        assert get(f"{base}/pith/J655K2KR", weighted)[1]["Content-Type"].startswith(
            "application/ld+json"
        )
        assert get(f"{base}/pith/{SEED_BODY}", "image/png")[0] == 406
        status, headers, body = get(f"{base}/pith/{SEED_BODY}/bundle.json")
        assert status == 200 and body == SEED_TEXT
        assert headers["Cache-Control"] == "public, max-age=120"
        etag = headers["ETag"]
        assert etag == '"' + hashlib.sha256(SEED_TEXT).hexdigest()[:32] + '"'
        status, _, body = get(f"{base}/pith/{SEED_BODY}/bundle.json", **{"If-None-Match": etag})
        assert status == 304 and body == b""
        status, headers, body = get(
            f"{base}/pith/{SEED_BODY}/bundle.json", **{"Accept-Encoding": "gzip"}
        )
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == SEED_TEXT
        assert get(f"{base}/pith/AAAAAAAA/bundle.json")[0] == 404
        assert get(f"{base}/pith/j655k2kr/bundle.json")[2] == SEED_TEXT, "301 to upper case"
        assert get(f"{base}/../../etc/passwd")[0] == 404
        index = json.loads(get(f"{base}/index.json")[2])
        assert index["count"] == 2
        assert b"Pith mirror" in get(f"{base}/")[2]
        post = urllib.request.Request(f"{base}/index.json", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(post, timeout=10)
        assert caught.value.code == 405


def test_client_against_pithtex_serve(tmp_path: Path, mirror: Path) -> None:
    with pithtex_serve(mirror) as base:
        resolver = client(tmp_path, base, cache_ttl=0.0)
        first = resolver.resolve("pith:J655K2KR")
        assert first.source_url == f"{base}/pith/J655K2KR/bundle.json" and not first.from_cache
        second = resolver.resolve("pith:J655K2KR")
        assert second.revalidated, "the server's ETag gives a 304"
        assert resolver.state(NUMBER).document["state_sha256"] == BUNDLE["state"]["state_sha256"]
        assert resolver.jsonld(SEED_NUMBER).number.full == SEED_NUMBER
        config = tmp_path / "empty.toml"
        config.touch()
        done = run_cli(
            "fetch", SEED_NUMBER, "--resolver", base, "-o", tmp_path / "out.json",
            env={"PITHTEX_CACHE_DIR": str(tmp_path / "cli"), "PITHTEX_CONFIG": str(config)},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.json").read_bytes() == SEED_TEXT


def test_pithtex_serve_reports_a_missing_directory(tmp_path: Path) -> None:
    done = run_cli("serve", tmp_path / "nope", "--port", "0", timeout=30)
    assert done.returncode == 2 and "not a directory" in done.stderr


# ---------------------------------------------------------------- stock servers


def test_python_http_server_hosts_the_layout(tmp_path: Path, mirror: Path) -> None:
    (mirror / "pith" / SEED_BODY / "bundle.json").unlink()  # only the well-known copy is left
    with stock_http_server(mirror) as base:
        resolver = client(tmp_path, base)
        seed = resolver.resolve(SEED_NUMBER)
        assert seed.source_url == f"{base}/.well-known/pith/{SEED_BODY}/bundle.json"
        assert seed.data == SEED_TEXT
        short = resolver.resolve(f"pith:{BODY[:16]}")
        assert short.number.full == NUMBER
        assert resolver.state(NUMBER).document["pith_number"] == NUMBER


@pytest.fixture
def nginx(tmp_path: Path, mirror: Path) -> Any:
    binary = require_tool("nginx")
    example = NGINX_EXAMPLE.read_text()
    assert "listen 80;" in example and "root /srv/pith-mirror;" in example
    port = free_port()
    site = tmp_path / "site.conf"
    site.write_text(
        example.replace("listen 80;", f"listen 127.0.0.1:{port};").replace(
            "root /srv/pith-mirror;", f"root {mirror};"
        )
    )
    run = tmp_path / "nginx"
    run.mkdir()
    conf = run / "nginx.conf"
    temp_paths = "\n".join(
        f"    {name}_temp_path {run}/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf.write_text(
        f"daemon off;\nmaster_process off;\npid {run}/nginx.pid;\n"
        f"error_log {run}/error.log warn;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    access_log off;\n    default_type application/octet-stream;\n"
        f"{temp_paths}\n    include {site};\n}}\n"
    )
    check = subprocess.run(
        [binary, "-t", "-p", str(run), "-c", str(conf)], capture_output=True, check=False
    )
    assert check.returncode == 0, check.stderr.decode()
    process = subprocess.Popen([binary, "-p", str(run), "-c", str(conf)], stderr=subprocess.PIPE)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_nginx_with_the_documented_config(tmp_path: Path, mirror: Path, nginx: str) -> None:
    status, headers, body = get(f"{nginx}/pith/{SEED_BODY}", "application/ld+json")
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/ld+json")
    assert headers["Vary"] == "Accept"
    assert json.loads(body)["pith_number"] == SEED_NUMBER
    status, headers, body = get(f"{nginx}/pith/J655K2KR/", "text/html,*/*;q=0.8")
    assert headers["Content-Type"].startswith("text/html") and b"<!DOCTYPE html>" in body
    resolver = client(tmp_path, nginx, cache_ttl=0.0)
    first = resolver.resolve("pith:J655K2KR")
    assert first.data == SEED_TEXT and not first.from_cache
    assert resolver.resolve("pith:J655K2KR").revalidated, "nginx's ETag gives a 304"
    assert resolver.jsonld(NUMBER).document["canonical_record"] == BUNDLE["canonical_record"]
    assert resolver.state(NUMBER).document["state_sha256"] == BUNDLE["state"]["state_sha256"]
    _, headers, body = get(f"{nginx}/pith/{BODY}/bundle.json", **{"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == (mirror / "pith" / BODY / "bundle.json").read_bytes()


def test_docs_show_the_tested_nginx_config() -> None:
    docs = (ROOT / "docs" / "resolver.md").read_text()
    assert NGINX_EXAMPLE.read_text() in docs


class _Scripts(HTMLParser):
    """The text of each ``<script>`` element, as an HTML parser sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._inside = tag == "script"
        if self._inside:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.scripts[-1] += data


@pytest.mark.parametrize(
    "title",
    [
        "Beware <!--<script> Comments",
        "Ends </script><h1>Forged</h1> Early",
        "Both <!-- and </SCRIPT > & more",
    ],
)
def test_record_page_survives_a_title_with_script_breakers(tmp_path: Path, title: str) -> None:
    paper = replace(TEST_PAPER, title=title)
    bundle = write_json(tmp_path / "b.json", make_test_bundle(paper=paper))
    directory = tmp_path / "mirror"
    build_mirror(directory, [bundle], keyring=keyring())
    body = json.loads(bundle.read_text())["pith_number"].rsplit(":", 1)[1]
    page = (directory / "pith" / body / "index.html").read_text(encoding="utf-8")
    _, _, rest = page.partition('<script type="application/ld+json">')
    script, _, after = rest.partition("</script>")
    assert "<!--" not in script and "</" not in script and "<script" not in script.lower()
    parser = _Scripts()
    parser.feed(page)
    assert len(parser.scripts) == 1
    document = json.loads(parser.scripts[0])
    assert document == json.loads((directory / "pith" / body / "index.jsonld").read_text())
    assert "<h1>" in after and "bundle.json" in after, "the rest of the page is intact"
    assert "<h1>Forged</h1>" not in page


def test_pithtex_serve_logs_one_line_per_failed_connection(mirror: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pithtex", "serve", str(mirror), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().split(" at ", 1)[1].strip().rstrip("/")
        host, port = base.removeprefix("http://").split(":")
        for _ in range(3):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(b"GET /pith/")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # a reset, mid-request
        time.sleep(0.5)
        status, _, _ = get(base + "/index.json")
        assert status == 200, "the server still answers"
    finally:
        process.terminate()
        _, log = process.communicate(timeout=10)
    assert "Traceback" not in log, log
    failures = [line for line in log.splitlines() if "failed" in line]
    assert len(failures) == 3, log
    assert all(f.startswith("pithtex serve: connection from 127.0.0.1 failed") for f in failures)
