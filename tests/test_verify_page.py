"""The verify page over plain HTTP: ``pithtex ui`` as a real server on 127.0.0.1.

The form posts as a browser without JavaScript does (``multipart/form-data``)
and gets the report page; the script's route (``?fragment=1``) and JSON give
the same reports.  Every refusal is tested as the attack it stops: oversized
bodies and files, too many files, cross-site uploads, another ``Host`` (DNS
rebinding), malformed forms; and the server keeps answering while a hostile
PDF is being checked.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_NUMBER, SEED_TITLE, SHARED
from webpage import PageProcess, Samples, multipart, post, request, results

pytest_plugins = ("webfixtures",)
pytestmark = [pytest.mark.network, pytest.mark.tex]

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageProcess]:
    temp = tmp_path_factory.mktemp("ui-temp")
    server = PageProcess(
        [
            "ui",
            "--port",
            "0",
            "--offline",
            "--max-upload",
            "1",
            "--workers",
            "2",
            "--timeout",
            "20",
        ],
        temp,
        env={"PITHTEX_CACHE_DIR": str(temp / "cache")},
    )
    yield server
    server.stop()


def test_the_form_page_loads_only_from_its_own_origin(page: PageProcess) -> None:
    answer = request("GET", page.url)
    assert answer.status == 200
    csp = answer.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    html = answer.text
    # every resource the page names is its own, relative to it; no inline script or style
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#", "data:")), url
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    assert 'enctype="multipart/form-data"' in html and 'name="pdf"' in html
    assert '<label for="pdf"' in html
    for name, kind in (("page.css", "text/css"), ("page.js", "text/javascript")):
        static = request("GET", page.url + "static/" + name)
        assert static.status == 200 and static.headers["content-type"].startswith(kind)
    assert request("GET", page.url + "static/../app.py").status == 404


def test_a_form_post_of_the_sample_gives_the_verified_report_page(
    page: PageProcess, samples: Samples
) -> None:
    answer = post(page.url, [("paper.pdf", samples.stamped.read_bytes())])
    assert answer.status == 200
    assert answer.headers["cache-control"] == "no-store"
    html = answer.text
    assert 'data-verdict="verified"' in html
    assert "VERIFIED" in html and "paper.pdf" in html
    assert SEED_TITLE in html and SEED_NUMBER in html
    assert 'download="paper.check.json"' in html
    assert "<svg" in html and 'class="region region-badge"' in html  # page 1 with the badge
    downloaded = re.search(r'href="data:application/json;base64,([^"]+)"', html)
    assert downloaded is not None
    import base64

    report = json.loads(base64.b64decode(downloaded.group(1)))
    assert report["verdict"] == "verified" and report["file"] == "paper.pdf"
    assert page.uploads_left() == []  # the PDF is not kept after the answer


def test_json_answers_carry_the_check_report_and_the_record(
    page: PageProcess, samples: Samples
) -> None:
    (report,) = results(
        post(page.url, [("paper.pdf", samples.stamped.read_bytes())], accept="application/json")
    )
    assert report["schema"] == "pithtex.check/1"
    assert (report["verdict"], report["exit_code"], report["number"]) == (
        "verified",
        0,
        SEED_NUMBER,
    )
    assert report["record"]["title"] == SEED_TITLE
    assert report["record"]["source"]["id"] == "1904.00962"
    text = json.dumps(report)
    assert str(page.temp) not in text  # the worker's temporary path never shows
    assert results(
        post(page.url, [("paper.pdf", samples.stamped.read_bytes())], query="?format=json")
    )


def test_a_tampered_pdf_fails_and_the_failing_check_is_named(
    page: PageProcess, samples: Samples
) -> None:
    (report,) = results(
        post(page.url, [("t.pdf", samples.tampered.read_bytes())], accept="application/json")
    )
    assert (report["verdict"], report["code"]) == ("failed", "check.hash.mismatch")
    html = post(page.url, [("t.pdf", samples.tampered.read_bytes())]).text
    assert 'data-verdict="failed"' in html and "FAILED" in html
    decisive = re.search(r'<tr class="check tone-bad decisive" data-check="([^"]+)"', html)
    assert decisive is not None and decisive.group(1) == "check.hash"
    assert "A check failed: The record hash in the PDF." in html
    assert "The record this PDF claims" in html  # not shown as the paper's record


def test_a_file_that_is_not_a_pdf_is_unusable(page: PageProcess, samples: Samples) -> None:
    (report,) = results(
        post(page.url, [("notes.pdf", samples.not_pdf.read_bytes())], accept="application/json")
    )
    assert report["verdict"] == "unusable" and report["code"].startswith("check.pdf.")
    html = post(page.url, [("notes.pdf", samples.not_pdf.read_bytes())]).text
    assert 'data-verdict="unusable"' in html and "UNUSABLE" in html
    assert "No picture of page 1" in html


def test_several_files_in_one_post_each_get_their_report_in_order(
    page: PageProcess, samples: Samples
) -> None:
    files = [
        ("a.pdf", samples.stamped.read_bytes()),
        ("b.pdf", samples.not_pdf.read_bytes()),
        ("c.pdf", samples.tampered.read_bytes()),
    ]
    reports = results(post(page.url, files, accept="application/json"))
    assert [(r["file"], r["verdict"]) for r in reports] == [
        ("a.pdf", "verified"),
        ("b.pdf", "unusable"),
        ("c.pdf", "failed"),
    ]
    html = post(page.url, files).text
    assert html.count('<article class="result') == 3
    ids = re.findall(r'id="(verdict-[^"]+)"', html)
    assert len(ids) == len(set(ids)) == 3


def test_the_fragment_route_answers_the_results_alone(page: PageProcess, samples: Samples) -> None:
    html = post(page.url, [("p.pdf", samples.stamped.read_bytes())], query="?fragment=1").text
    assert html.lstrip().startswith("<article") and "<html" not in html


def test_an_oversized_upload_is_refused_before_it_is_read(page: PageProcess) -> None:
    big = b"%PDF-1.7\n" + b"0" * (2 * MIB)
    answer = post(page.url, [("big.pdf", big)])
    assert answer.status == 413
    assert 'data-verdict="refused"' in answer.text and "upload.too_large" in answer.text
    refused = post(page.url, [("big.pdf", big)], accept="application/json")
    assert json.loads(refused.body)["refused"]["code"] == "upload.too_large"
    # a declared length over the cap is refused without reading the body
    body, content_type = multipart([("x.pdf", b"x")])
    answer = request(
        "POST",
        page.url + "check",
        body,
        {"Content-Type": content_type, "Content-Length": str(100 * 1024 * MIB)},
    )
    assert answer.status == 413
    assert page.uploads_left() == []


def test_a_file_over_its_cap_in_a_body_under_the_cap_is_refused(
    page: PageProcess, samples: Samples
) -> None:
    # two files fit the body's cap, one of them is over the per-file cap
    files = [("ok.pdf", samples.not_pdf.read_bytes()), ("big.pdf", b"0" * (MIB + 10))]
    answer = post(page.url, files, accept="application/json")
    assert answer.status == 413
    assert json.loads(answer.body)["refused"]["code"] == "upload.too_large"
    assert page.uploads_left() == []


def test_bad_forms_are_refused_with_their_status(page: PageProcess) -> None:
    url = page.url + "check"
    body, content_type = multipart([("x.pdf", b"x")])
    assert request("POST", url, body, {"Content-Type": "application/pdf"}).status == 415
    assert (
        request("POST", url, b"--nope\r\n", {"Content-Type": "multipart/form-data"}).status == 415
    )
    truncated = body[: len(body) // 2]
    assert request("POST", url, truncated, {"Content-Type": content_type}).status == 400
    empty, empty_type = multipart([("", b"")])  # the form sent with no file chosen
    answer = request("POST", url, empty, {"Content-Type": empty_type})
    assert answer.status == 400 and "upload.empty" in answer.text
    other, other_type = multipart([("x.pdf", b"x")], field="something")
    assert request("POST", url, other, {"Content-Type": other_type}).status == 400
    assert request("PUT", page.url, b"", {}).status == 405
    assert request("GET", page.url + "nothing").status == 404
    assert request("GET", url).status == 303  # a reload of the result page goes to the form
    # no Content-Length: refused, the connection closed
    import socket

    host, port = page.origin.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /check HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 411")


def test_uploads_from_other_sites_and_other_hosts_are_refused(
    page: PageProcess, samples: Samples
) -> None:
    data = [("p.pdf", samples.not_pdf.read_bytes())]
    refused = post(page.url, data, headers={"Origin": "https://evil.example"})
    assert refused.status == 403
    assert refused.headers["connection"] == "close"  # its body was not read: not reused
    assert post(page.url, data, headers={"Origin": "null"}).status == 403
    assert post(page.url, data, headers={"Sec-Fetch-Site": "cross-site"}).status == 403
    assert post(page.url, data, headers={"Sec-Fetch-Site": "same-site"}).status == 403
    assert post(page.url, data, headers={"Origin": page.origin}).status == 200
    assert post(page.url, data, headers={"Sec-Fetch-Site": "same-origin"}).status == 200
    # DNS rebinding: a name that resolves to 127.0.0.1 but is not the page's own
    rebound = request("GET", page.url, headers={"Host": "attacker.example:80"})
    assert rebound.status == 403
    port = page.origin.rsplit(":", 1)[1]
    assert request("GET", page.url, headers={"Host": f"localhost:{port}"}).status == 200


def test_urllib_posts_the_form_like_a_browser(page: PageProcess, samples: Samples) -> None:
    body, content_type = multipart([("paper.pdf", samples.stamped.read_bytes())])
    sent = urllib.request.Request(
        page.url + "check", data=body, headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(sent, timeout=60) as answer:
        html = answer.read().decode()
    assert 'data-verdict="verified"' in html and SEED_TITLE in html


def test_the_server_keeps_answering_while_a_hostile_pdf_is_checked(
    page: PageProcess, samples: Samples
) -> None:
    hostile: dict[str, object] = {}

    def upload() -> None:
        started = time.monotonic()
        answer = post(
            page.url, [("slow.pdf", samples.slow.read_bytes())], accept="application/json"
        )
        hostile["seconds"] = time.monotonic() - started
        hostile["answer"] = answer

    thread = threading.Thread(target=upload)
    thread.start()
    try:
        time.sleep(0.5)
        gets = []
        while thread.is_alive() and len(gets) < 20:
            started = time.monotonic()
            assert request("GET", page.url, timeout=5).status == 200
            gets.append(time.monotonic() - started)
        # a genuine paper is verified meanwhile, by the second worker
        (report,) = results(
            post(page.url, [("p.pdf", samples.stamped.read_bytes())], accept="application/json")
        )
        assert report["verdict"] == "verified"
        assert thread.is_alive(), "the hostile PDF should still be being checked"
    finally:
        thread.join(120)
    assert max(gets) < 2.0, gets
    assert float(hostile["seconds"]) > 1.0  # type: ignore[arg-type]
    (report,) = results(hostile["answer"])  # type: ignore[arg-type]
    assert report["verdict"] in ("no-claim", "unusable")


def test_a_hostile_pdf_over_the_time_bound_is_unusable_and_the_server_lives(
    tmp_path: Path, samples: Samples
) -> None:
    server = PageProcess(["ui", "--port", "0", "--offline", "--timeout", "1"], tmp_path / "t")
    try:
        started = time.monotonic()
        (report,) = results(
            post(server.url, [("slow.pdf", samples.slow.read_bytes())], accept="application/json")
        )
        assert time.monotonic() - started < 15
        assert (report["verdict"], report["code"]) == ("unusable", "check.pdf.timeout")
        assert request("GET", server.url).status == 200
        assert server.uploads_left() == []
    finally:
        server.stop()


@pytest.mark.slow
def test_the_public_hostile_corpora_each_get_a_clean_answer(page: PageProcess) -> None:
    corpus = sorted((SHARED / "corpora" / "qpdf-fuzz").glob("*.fuzz"))[:12]
    corpus += sorted((SHARED / "corpora" / "safedocs").glob("*.pdf"))[:8]
    assert len(corpus) == 20
    for path in corpus:
        data = path.read_bytes()
        if len(data) > MIB - 64:
            continue
        files = [(path.name, data), (path.name + ".pdf", b"%PDF-1.7\n" + data)]
        for report in results(post(page.url, files, accept="application/json")):
            assert report["verdict"] in ("failed", "unusable", "no-claim"), report
            html = post(page.url, [(report["file"], data)]).text
            assert "<article" in html
    assert request("GET", page.url).status == 200
    assert page.uploads_left() == []


def test_the_page_needs_a_loopback_address(tmp_path: Path) -> None:
    from conftest import run_cli

    result = run_cli("ui", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert "listens on this computer only" in result.stderr


@pytest.mark.parametrize(
    "options",
    [
        ["--port", "70000"],
        ["--workers", "0"],
        ["--memory", "10"],
        ["--timeout", "0"],
        ["--max-upload", "0"],
    ],
)
def test_bad_options_exit_2_before_listening(options: list[str]) -> None:
    from conftest import run_cli

    result = run_cli("ui", *options)
    assert result.returncode == 2 and result.stderr.startswith("pithtex: error: ")


def test_without_python_multipart_the_page_says_how_to_install_it() -> None:
    import subprocess
    import sys

    from conftest import ROOT

    script = (
        "import sys; sys.modules['python_multipart'] = None; from pithtex.cli import main; "
        "sys.exit(main(['ui', '--port', '0']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 5
    assert "python-multipart" in result.stderr and "reinstall pithtex" in result.stderr


EVIL = '</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)> & "q"'


def test_hostile_titles_and_file_names_are_text_never_markup(
    tmp_path: Path, test_keyring: Path, bundle_factory: Any
) -> None:
    import dataclasses

    from conftest import TEST_PAPER
    from pdfsamples import claimed_pdf

    bundle = bundle_factory(paper=dataclasses.replace(TEST_PAPER, title=EVIL))
    pdf = claimed_pdf(tmp_path / "evil.pdf", bundle)
    server = PageProcess(
        ["ui", "--port", "0", "--offline"],
        tmp_path / "t",
        env={"PITHTEX_KEYRING": str(test_keyring)},
    )
    try:
        name = "<img src=x onerror=alert(3)>.pdf"
        answer = post(server.url, [(name, pdf.read_bytes())])
        (report,) = results(post(server.url, [(name, pdf.read_bytes())], accept="application/json"))
    finally:
        server.stop()
    html = answer.text
    assert report["record"]["title"] == EVIL  # the signed record's title, shown on the card
    assert html.count("<script") == 1  # the page's own script element, nothing else
    assert "<img" not in html and "<!-- <img" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!--" in html
    assert "&lt;img src=x onerror=alert(3)&gt;.pdf" in html
