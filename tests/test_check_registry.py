"""The bundle from the local cache or a resolver, when the PDF carries none.

A real mirror (``pithtex mirror build``) is served by ``pithtex serve`` on
127.0.0.1; the checker fetches from it, caches, and then works offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_test_bundle, run_cli, write_json
from conftest import test_key as signing_key
from httpfixtures import free_port, pithtex_serve
from pdfsamples import claimed_pdf


def check(pdf: Path, *options: str | Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--json", *options, pdf)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def mirror_of(directory: Path, bundle: dict[str, Any], keyring: Path) -> Path:
    source = write_json(directory / "source.json", bundle)
    site = directory / "site"
    run_cli("mirror", "build", site, source, "--keyring", keyring, check=True)
    return site


@pytest.fixture
def paper(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """A fresh bundle and a PDF claiming it in every channel but the embedded bundle."""
    bundle = make_test_bundle()
    pdf = claimed_pdf(tmp_path / "paper.pdf", bundle, bundle=None)
    return bundle, pdf


def test_fetched_from_a_resolver_then_read_from_the_cache(
    tmp_path: Path, paper: tuple[dict, Path], test_keyring: Path
) -> None:
    bundle, pdf = paper
    cache = tmp_path / "cache"
    trust = ("--keyring", test_keyring, "--cache-dir", cache)
    with pithtex_serve(mirror_of(tmp_path, bundle, test_keyring)) as base:
        code, doc = check(pdf, *trust, "--resolver", base)
    assert code == 0, doc["reason"]
    assert doc["bundle"]["source"] == "resolver"
    used = next(c for c in doc["checks"] if c["check"] == "check.bundle")
    assert base in used["reason"]
    code, doc = check(pdf, *trust, "--offline")  # the server is gone: the cache answers
    assert code == 0, doc["reason"]
    assert doc["bundle"]["source"] == "cache"


def test_links_to_a_configured_mirror_are_claims(tmp_path: Path, test_keyring: Path) -> None:
    bundle = make_test_bundle()
    body = bundle["pith_number"].rsplit(":", 1)[-1]
    with pithtex_serve(mirror_of(tmp_path, bundle, test_keyring)) as base:
        pdf = claimed_pdf(tmp_path / "m.pdf", bundle, bundle=None, link=f"{base}/pith/{body}")
        code, doc = check(
            pdf, "--keyring", test_keyring, "--cache-dir", tmp_path / "c", "--resolver", base
        )
    assert code == 0, doc["reason"]
    assert any(c["channel"] == "link" and c["value"].startswith(base) for c in doc["claims"])


def test_offline_without_a_cached_copy(tmp_path: Path, paper: tuple[dict, Path]) -> None:
    _, pdf = paper
    code, doc = check(pdf, "--offline", "--cache-dir", tmp_path / "empty")
    assert (code, doc["code"]) == (4, "check.bundle.unavailable")
    assert "not in the cache" in doc["reason"]


def test_unreachable_resolver(tmp_path: Path, paper: tuple[dict, Path]) -> None:
    _, pdf = paper
    dead = f"http://127.0.0.1:{free_port()}"
    code, doc = check(pdf, "--resolver", dead, "--cache-dir", tmp_path / "c")
    assert (code, doc["code"]) == (4, "check.bundle.unreachable")
    assert dead in doc["reason"]


def test_number_unknown_to_the_resolver(tmp_path: Path, paper: tuple[dict, Path]) -> None:
    _, pdf = paper
    site = tmp_path / "empty-site"
    site.mkdir()
    with pithtex_serve(site) as base:
        code, doc = check(pdf, "--resolver", base, "--cache-dir", tmp_path / "c")
    assert (code, doc["code"]) == (4, "check.bundle.unavailable")


def test_resolver_serving_an_untrusted_bundle_is_rejected(
    tmp_path: Path, test_keyring: Path
) -> None:
    rogue = make_test_bundle(key=signing_key(7))
    rogue_keyring = write_json(
        tmp_path / "rogue-keyring.json", {"keys": [signing_key(7).public_entry()]}
    )
    pdf = claimed_pdf(tmp_path / "rogue.pdf", rogue, bundle=None)
    with pithtex_serve(mirror_of(tmp_path, rogue, rogue_keyring)) as base:
        code, doc = check(
            pdf, "--keyring", test_keyring, "--resolver", base, "--cache-dir", tmp_path / "c"
        )
    assert (code, doc["code"]) == (4, "check.bundle.rejected")
    bundle_check = next(c for c in doc["checks"] if c["check"] == "check.bundle")
    assert bundle_check["subject"] == "resolver.untrusted"
