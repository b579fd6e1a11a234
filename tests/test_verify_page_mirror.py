"""The verify page on a mirror: ``pithtex serve SITE --check-page`` as a real server.

The mirror's own files are served as before; the page at ``/check/`` has a
size cap and a per-client rate limit, and never writes under the site.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEED_BODY, SEED_BUNDLE, SEED_TEXT, SEED_TITLE, run_cli
from webpage import PageProcess, Samples, post, request, results

from pithtex.registry.mirror import build_mirror
from pithtex.trust.keyring import Keyring

pytest_plugins = ("webfixtures",)
pytestmark = [pytest.mark.network, pytest.mark.tex]

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("site") / "mirror"
    build_mirror(directory, [SEED_BUNDLE], keyring=Keyring.default())
    return directory


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root`` with its size and modification time."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            stat = path.lstat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def mirror(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageProcess]:
    temp = tmp_path_factory.mktemp("serve-temp")
    server = PageProcess(
        ["serve", site, "--port", "0", "--check-page", "--max-upload", "1", "--rate", "0"],
        temp,
        env={"PITHTEX_CACHE_DIR": str(temp / "cache")},
    )
    yield server
    server.stop()


def test_the_mirror_still_serves_its_files(mirror: PageProcess) -> None:
    base = mirror.origin
    answer = request("GET", f"{base}/pith/{SEED_BODY}/bundle.json")
    assert answer.status == 200 and answer.body == SEED_TEXT
    assert answer.headers["access-control-allow-origin"] == "*"
    assert request("POST", f"{base}/index.json", b"x").status == 405
    assert request("GET", f"{base}/check").headers["location"] == "/check/"


def test_the_page_is_served_under_check(mirror: PageProcess) -> None:
    assert mirror.url.endswith("/check/")
    page = request("GET", mirror.url)
    assert page.status == 200 and 'action="/check/check"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "access-control-allow-origin" not in page.headers
    assert "at most\n1 MiB" in page.text or "at most 1 MiB" in " ".join(page.text.split())
    assert request("HEAD", mirror.url).status == 200
    assert request("GET", mirror.url + "static/page.js").status == 200


def test_the_sample_verifies_and_nothing_is_written_under_the_site(
    mirror: PageProcess, site: Path, samples: Samples
) -> None:
    before = tree(site)
    (report,) = results(
        post(mirror.url, [("paper.pdf", samples.stamped.read_bytes())], accept="application/json")
    )
    assert report["verdict"] == "verified" and report["record"]["title"] == SEED_TITLE
    html = post(mirror.url, [("paper.pdf", samples.stamped.read_bytes())]).text
    assert 'data-verdict="verified"' in html and "this server" in html
    assert tree(site) == before
    assert mirror.uploads_left() == []


def test_the_mirror_page_caps_the_upload_size(mirror: PageProcess) -> None:
    answer = post(mirror.url, [("big.pdf", b"%PDF-1.7\n" + b"0" * (MIB + 100))])
    assert answer.status == 413 and "upload.too_large" in answer.text
    many = [(f"{n}.pdf", b"x") for n in range(5)]  # the mirror takes 4 files at a time
    answer = post(mirror.url, many, accept="application/json")
    assert answer.status == 413
    assert json.loads(answer.body)["refused"]["code"] == "upload.too_many"


def test_the_mirror_page_limits_the_rate_per_client(
    site: Path, tmp_path: Path, samples: Samples
) -> None:
    server = PageProcess(["serve", site, "--port", "0", "--check-page", "--rate", "6"], tmp_path)
    try:
        data = [("notes.pdf", samples.not_pdf.read_bytes())]
        statuses = [post(server.url, data, accept="application/json").status for _ in range(5)]
        assert statuses == [200] * 5  # the burst
        refused = post(server.url, data, accept="application/json")
        assert refused.status == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 10  # one file per 10 s
        assert json.loads(refused.body)["refused"]["code"] == "upload.rate_limited"
        html = post(server.url, data)
        assert html.status == 429 and "REFUSED" in html.text
        # the rate limit is the page's: the mirror's files are still served
        assert request("GET", f"{server.origin}/pith/{SEED_BODY}/bundle.json").status == 200
    finally:
        server.stop()


def test_without_the_option_there_is_no_page(site: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pithtex", "serve", str(site), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base = line.rsplit(" at ", 1)[1].strip().rstrip("/")
        assert request("GET", f"{base}/check/").status == 404
        assert request("POST", f"{base}/check/check", b"x").status == 405
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_a_temporary_folder_inside_the_site_is_refused(site: Path) -> None:
    inside = site / "tmp"
    inside.mkdir(exist_ok=True)
    try:
        result = run_cli("serve", site, "--port", "0", "--check-page", env={"TMPDIR": str(inside)})
    finally:
        inside.rmdir()
    assert result.returncode == 2
    assert "is inside the site" in result.stderr


def test_page_options_without_the_page_are_refused(site: Path) -> None:
    result = run_cli("serve", site, "--port", "0", "--rate", "3")
    assert result.returncode == 2
    assert "--rate applies to the verify page: add --check-page" in result.stderr
