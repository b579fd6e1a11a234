"""``pithtex stamp`` inputs that are not what they seem: a symbolic link stamped in place,
password files that are binary, huge or endless."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pikepdf
import pytest
from conftest import SEED_BUNDLE, SEED_NUMBER, run_cli
from stamp_pdfs import reportlab_pdf

from pithtex.core import names as xmpschema

PITH_NUMBER_KEY = f"{{{xmpschema.NAMESPACE_URI}}}number"


def _number(path: Path) -> str | None:
    with pikepdf.open(path) as pdf:
        if "/Metadata" not in pdf.Root:
            return None
        return pdf.open_metadata().get(PITH_NUMBER_KEY)  # type: ignore[no-any-return]


def _in_place(path: Path, *extra: str) -> tuple[int, dict, str]:
    result = run_cli("stamp", path, "--bundle", SEED_BUNDLE, "--in-place", "--json", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout else {}, result.stderr


@pytest.mark.parametrize("hops", [1, 2])
def test_in_place_through_a_link_stamps_the_file_it_points_to(tmp_path: Path, hops: int) -> None:
    papers, links = tmp_path / "papers", tmp_path / "links"
    papers.mkdir()
    links.mkdir()
    target = reportlab_pdf(papers / "paper.pdf")
    link = links / "paper.pdf"
    pointer = Path("../papers/paper.pdf")
    for hop in range(hops - 1):  # a chain: link -> link-1 -> ... -> the paper
        middle = links / f"hop-{hop}.pdf"
        middle.symlink_to(pointer)
        pointer = Path(middle.name)
    link.symlink_to(pointer)
    code, doc, _ = _in_place(link)
    assert (code, doc["status"]) == (0, "stamped")
    assert link.is_symlink() and os.readlink(link) == str(pointer)  # the link is untouched
    assert not target.is_symlink() and _number(target) == SEED_NUMBER
    assert Path(doc["output"]) == target.resolve()
    assert not list(papers.glob(".pithtex-*")) and not list(links.glob(".pithtex-*"))


def test_a_password_file_that_never_ends_is_refused_at_once(tmp_path: Path) -> None:
    paper = reportlab_pdf(tmp_path / "paper.pdf")
    before = paper.read_bytes()
    started = time.monotonic()
    code, _, stderr = _in_place(paper, "--password-file", "/dev/zero")
    assert time.monotonic() - started < 30
    assert code == 2 and "longer than 4096 bytes" in stderr and len(stderr.splitlines()) == 1
    assert paper.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\xff\xfe\x00s\x00e\x00c\x00r\x00e\x00t", "not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
        (b"secret\x00\n", "NUL byte"),
        (b"x" * 5000, "longer than 4096 bytes"),
    ],
    ids=["utf-16", "binary", "nul", "too-long"],
)
def test_a_password_file_that_is_not_a_password_is_a_clear_error(
    tmp_path: Path, content: bytes, said: str
) -> None:
    paper = reportlab_pdf(tmp_path / "paper.pdf")
    secret = tmp_path / "secret"
    secret.write_bytes(content)
    code, _, stderr = _in_place(paper, "--password-file", str(secret))
    assert code == 2 and said in stderr and str(secret) in stderr, stderr
    assert len(stderr.splitlines()) == 1 and _number(paper) is None


def test_a_password_file_gives_its_first_line(tmp_path: Path) -> None:
    from pithtex.cli.stamp import read_password_file

    secret = tmp_path / "secret"
    secret.write_bytes("\ufeffpässwörd\nsecond line\n".encode())
    assert read_password_file(str(secret)) == "pässwörd"
    secret.write_bytes(b"")
    assert read_password_file(str(secret)) == ""
