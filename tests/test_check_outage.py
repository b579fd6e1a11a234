"""A registry outage during a batch check: one lookup per number per run, a miss included.

Twenty PDFs name the same number; the only resolver is a real HTTP server on 127.0.0.1
that stalls (answers nothing until the client's timeout) or refuses connections.  The
batch must ask once, report every file INDETERMINATE (exit 4, never FAILED) and take
about one timeout, not twenty.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from conftest import make_test_bundle, run_cli
from httpfixtures import FaultServer, free_port, stalled_route
from pdfsamples import claimed_pdf

FILES = 20
TIMEOUT = 1.0


def _papers(directory: Path) -> tuple[str, Path]:
    bundle = make_test_bundle()
    first = claimed_pdf(directory / "paper-00.pdf", bundle, bundle=None)
    for index in range(1, FILES):
        shutil.copy(first, directory / f"paper-{index:02}.pdf")
    return bundle["pith_number"].rsplit(":", 1)[-1], directory


def _config(directory: Path) -> Path:
    config = directory / "config.toml"
    config.write_text(
        "[resolver]\n"
        f"connect_timeout = {TIMEOUT}\nread_timeout = {TIMEOUT}\ntotal_timeout = {TIMEOUT}\n"
        "retries = 0\n",
        encoding="utf-8",
    )
    return config


def _batch(folder: Path, base: str, tmp_path: Path) -> tuple[int, list[dict], float]:
    env = {"PITHTEX_CONFIG": str(_config(tmp_path)), "PITHTEX_CACHE_DIR": str(tmp_path / "c")}
    started = time.monotonic()
    result = run_cli("check", "--json", "--resolver", base, folder, env=env, timeout=120)
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, lines, elapsed


def _assert_all_indeterminate(code: int, lines: list[dict], outcome: str) -> None:
    reports = [line for line in lines if line.get("schema") == "pithtex.check/1"]
    summary = lines[-1]
    assert len(reports) == FILES
    assert {r["verdict"] for r in reports} == {"indeterminate"}
    assert {r["code"] for r in reports} == {f"check.bundle.{outcome}"}
    assert {r["exit_code"] for r in reports} == {4}
    assert summary["verdicts"]["indeterminate"] == FILES
    assert summary["verdicts"]["failed"] == 0
    assert (code, summary["exit_code"]) == (4, 4)


@pytest.fixture
def folder(tmp_path: Path) -> tuple[str, Path]:
    papers = tmp_path / "papers"
    papers.mkdir()
    return _papers(papers)


def test_a_stalled_resolver_costs_one_timeout_for_the_whole_batch(
    tmp_path: Path, folder: tuple[str, Path]
) -> None:
    body, papers = folder
    route = stalled_route(TIMEOUT * 4)
    with FaultServer({f"/pith/{body}/bundle.json": route}) as server:
        code, lines, elapsed = _batch(papers, server.base, tmp_path)
        asked = len(server.log)
    _assert_all_indeterminate(code, lines, "unreachable")
    assert asked == 1, f"{asked} requests for one number"
    # one timeout plus start-up and twenty reads; twenty timeouts would be 20 s or more
    assert elapsed < TIMEOUT * FILES / 2, f"{elapsed:.1f} s"


def test_a_refusing_resolver_is_asked_once(tmp_path: Path, folder: tuple[str, Path]) -> None:
    _, papers = folder
    dead = f"http://127.0.0.1:{free_port()}"
    code, lines, _ = _batch(papers, dead, tmp_path)
    _assert_all_indeterminate(code, lines, "unreachable")
    reasons = {r["reason"] for r in lines if r.get("schema") == "pithtex.check/1"}
    assert len(reasons) == 1 and dead in reasons.pop()


def test_a_number_unknown_to_the_resolver_is_asked_once(
    tmp_path: Path, folder: tuple[str, Path]
) -> None:
    _, papers = folder
    with FaultServer({}) as server:
        code, lines, _ = _batch(papers, server.base, tmp_path)
        asked = len(server.log)
    _assert_all_indeterminate(code, lines, "unavailable")
    assert asked == 2  # both layouts of the one number, once


def test_check_many_with_a_plain_resolver_asks_once_per_number(
    tmp_path: Path, folder: tuple[str, Path]
) -> None:
    from pithtex.pdf.check import CheckOptions
    from pithtex.pipelines.batch import check_many
    from pithtex.registry.config import ResolverSettings
    from pithtex.registry.resolver import make_resolver
    from pithtex.trust.keyring import Keyring

    body, papers = folder
    with FaultServer({f"/pith/{body}/bundle.json": stalled_route(TIMEOUT * 4)}) as server:
        settings = ResolverSettings(
            urls=(server.base,),
            connect_timeout=TIMEOUT,
            read_timeout=TIMEOUT,
            total_timeout=TIMEOUT,
            retries=0,
        )
        resolver = make_resolver(Keyring.default(), settings=settings, cache=tmp_path / "c")
        options = CheckOptions(keyring=Keyring.default(), registry=resolver)
        started = time.monotonic()
        reports = list(check_many(sorted(papers.glob("*.pdf")), options, jobs=1))
        elapsed = time.monotonic() - started
        asked = len(server.log)
    assert [(r.verdict.value, int(r.exit_code)) for r in reports] == [("indeterminate", 4)] * FILES
    assert {r.code for r in reports} == {"check.bundle.unreachable"}
    assert asked == 1, f"{asked} requests for one number"
    assert elapsed < TIMEOUT * FILES / 2, f"{elapsed:.1f} s"
