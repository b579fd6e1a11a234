"""A refused XMP packet in UTF-16 or UTF-32 that mentions pith is FAILED, never NO-CLAIM.

The XML parser reads packets in UTF-16 and UTF-32 as well as UTF-8, so a claim may hide
in a packet whose ASCII bytes never spell ``pith``.  A packet the checker refuses (a
DOCTYPE, or not well-formed) and that mentions pith in any of those encodings could
hold a claim: the verdict is FAILED (exit 1), not "no claim" (exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEED_NUMBER, run_cli
from pdfsamples import make_pdf, xmp_packet

from pithtex.pdf.xmp.read import mentions_pith

ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
DOCTYPE = '<!DOCTYPE x:xmpmeta [<!ENTITY n "1">]>\n'


def _check(pdf: Path) -> tuple[int, dict]:
    result = run_cli("check", "--json", "--offline", pdf)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _pdf(path: Path, packet: str, encoding: str) -> Path:
    return make_pdf(path, title="A Paper", xmp=packet.encode(encoding))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_refused_wide_packet_that_mentions_pith_is_failed(tmp_path: Path, encoding: str) -> None:
    packet = xmp_packet({"number": SEED_NUMBER}).decode()
    pdf = _pdf(tmp_path / "hidden.pdf", DOCTYPE + packet, encoding)
    code, doc = _check(pdf)
    assert (code, doc["verdict"], doc["code"]) == (1, "failed", "check.xmp.entities")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32-be"])
def test_a_malformed_wide_packet_that_mentions_pith_is_failed(
    tmp_path: Path, encoding: str
) -> None:
    packet = xmp_packet({"number": SEED_NUMBER}).decode().replace("</rdf:RDF>", "", 1)
    code, doc = _check(_pdf(tmp_path / "broken.pdf", packet, encoding))
    assert (code, doc["verdict"], doc["code"]) == (1, "failed", "check.xmp.malformed")


def test_a_refused_wide_packet_without_pith_is_no_claim(tmp_path: Path) -> None:
    packet = xmp_packet(title="A Paper").decode().replace("xmlns:pith=", "xmlns:other=")
    packet = packet.replace("https://pith.science/ns/xmp/1.0/", "https://example.org/ns/")
    code, doc = _check(_pdf(tmp_path / "plain.pdf", DOCTYPE + packet, "utf-16"))
    assert (code, doc["verdict"]) == (3, "no-claim")


@pytest.mark.parametrize("encoding", ["utf-8", *ENCODINGS])
def test_mentions_pith_in_every_encoding_and_case(encoding: str) -> None:
    assert mentions_pith("<x:PiTh:number>".encode(encoding))
    assert not mentions_pith("<x:path:number>".encode(encoding))
