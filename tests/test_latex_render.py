"""Rendering pith.sty and the data file: templates, escaping, QR drawing (no TeX needed)."""

from __future__ import annotations

import re
import subprocess
import sys

import jinja2
import pytest
from conftest import ROOT, SEED_BODY, SEED_BUNDLE, SEED_HASH, SEED_NUMBER
from hypothesis import given
from hypothesis import strategies as st

from pithtex.core import names as xmpschema
from pithtex.core.errors import InputError
from pithtex.core.model import load_bundle
from pithtex.core.numbers import PithNumber
from pithtex.core.qr import QUIET_ZONE, qr_drawing, qr_matrix
from pithtex.tex import render as latex
from pithtex.trust.keyring import Keyring
from pithtex.trust.verify import require_verified

TEMPLATE_SYNTAX = re.compile(r"<@|@>|<%|%>|<@#|#@>")


def test_committed_sty_is_the_rendering_of_the_templates() -> None:
    committed = (ROOT / latex.LATEX_DIR / latex.STY_FILE).read_text(encoding="utf-8")
    assert committed == latex.render_sty(), (
        "latex/pith.sty drifted from templates/pith-header.sty.j2 + latex/src/pith-code.sty: "
        "run 'python3 -m pithtex sty -o latex'"
    )


def test_rendering_is_deterministic_across_processes(tmp_path) -> None:
    for seed in ("0", "12345"):
        out = tmp_path / seed
        out.mkdir()
        subprocess.run(
            [sys.executable, "-m", "pithtex", "sty", "-o", str(out)],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
        )
        assert (out / "pith.sty").read_text(encoding="utf-8") == latex.render_sty()


def test_rendered_files_carry_no_template_syntax() -> None:
    data = latex.render_data(
        latex.paper_data_from_bundle(require_verified(load_bundle(SEED_BUNDLE), Keyring.default()))
    )
    for text in (latex.render_sty(), data):
        assert not TEMPLATE_SYNTAX.search(text)


def test_sty_uses_the_shared_contract() -> None:
    sty = latex.render_sty()
    assert xmpschema.NAMESPACE_URI in sty
    for key in xmpschema.INFO_KEYS.values():
        assert f"/{key}" in sty
    for name in ("number", "resolver", "canonicalSHA256"):
        assert f"{xmpschema.PREFIX}:{name}" in sty
    assert f"{{ {xmpschema.RESOLVER_PATH} }}" in sty
    assert (
        f"\\ProvidesExplPackage{{pith}}{{{latex.PACKAGE_DATE}}}{{{latex.PACKAGE_VERSION}}}" in sty
    )


def test_environment_is_strict_and_tex_safe() -> None:
    env = latex.environment()
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("<@ missing @>").render()
    # TeX and PDF syntax passes through untouched
    source = r"\def\x#1{<<#1>>}{%<#1>%}"
    assert env.from_string(source).render() == source


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("Plain title", "Plain title"),
        ("100% & more", r"100\% \& more"),
        ("{Braces} $x$ #1 a_b", r"\{Braces\} \$x\$ \#1 a\_b"),
        ("back\\slash ^ ~", r"back\textbackslash{}slash \textasciicircum{} \textasciitilde{}"),
        ("line\nbreak\r\n\tand\x00nul", "line break and nul"),
        ("Ünïcödé — ok", "Ünïcödé — ok"),
        ("e\u0301", "é"),
        ("  spaced   out  ", "spaced out"),
        ("^^5c^^M", r"\textasciicircum{}\textasciicircum{}5c\textasciicircum{}\textasciicircum{}M"),
    ],
)
def test_tex_escape(text: str, escaped: str) -> None:
    assert latex.tex_escape(text) == escaped


_SAFE_COMMANDS = re.compile(
    r"\\textbackslash\{\}|\\textasciicircum\{\}|\\textasciitilde\{\}|\\[{}$&#%_]"
)


@given(st.text())
def test_tex_escape_leaves_no_active_specials(text: str) -> None:
    rest = _SAFE_COMMANDS.sub("", latex.tex_escape(text))
    assert not set(rest) & set("\\{}$&#%_^~")
    assert not any(c in rest for c in "\n\r\t\x00\x0c\u2028\u2029")


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://pith.science", "https://pith.science"),
        ("https://pith.science/", "https://pith.science"),
        ("http://localhost:8080/registry/", "http://localhost:8080/registry"),
        ("https://mirror.example.org/a_b~c+d@e", "https://mirror.example.org/a_b~c+d@e"),
    ],
)
def test_resolver_base_accepted(base: str, expected: str) -> None:
    assert latex.check_resolver_base(base) == expected


@pytest.mark.parametrize(
    "base",
    [
        "ftp://pith.science",
        "pith.science",
        "https://",
        "https://a b",
        "https://x/(y)",
        "https://x/%41",
        "https://x/#y",
        "https://x/?q=1",
        "https://x\\y",
    ],
)
def test_resolver_base_refused(base: str) -> None:
    with pytest.raises(InputError, match="not a usable resolver base URL"):
        latex.check_resolver_base(base)


@pytest.mark.parametrize("text", [f"https://pith.science/pith/{SEED_BODY}", "x", "A" * 300])
def test_qr_drawing_is_the_qrcode_matrix(text: str) -> None:
    drawing = qr_drawing(text)
    matrix, version = qr_matrix(text)
    assert drawing.version == version
    assert drawing.size == len(matrix) + 2 * QUIET_ZONE
    expected = {
        (c + QUIET_ZONE, r + QUIET_ZONE)
        for r, row in enumerate(matrix)
        for c, dark in enumerate(row)
        if dark
    }
    assert drawing.dark_modules() == expected
    covered = sum(r.w * r.h for r in drawing.rects)
    assert covered == len(expected), "rectangles overlap"
    for rect in drawing.rects:
        assert rect.x >= QUIET_ZONE and rect.x + rect.w <= drawing.size - QUIET_ZONE
        assert rect.y >= QUIET_ZONE and rect.y + rect.h <= drawing.size - QUIET_ZONE
    assert qr_drawing(text) == drawing


def test_data_file_of_the_seed() -> None:
    data = latex.paper_data_from_bundle(
        require_verified(load_bundle(SEED_BUNDLE), Keyring.default())
    )
    text = latex.render_data(data)
    assert data.file_name == f"pith-{SEED_BODY}.tex"
    assert f"\\PithData{{number}}{{{SEED_NUMBER}}}" in text
    assert "\\PithData{year}{2019}" in text
    assert f"\\PithData{{canonical-sha256}}{{{SEED_HASH}}}" in text
    assert f"\\PithData{{resolver}}{{https://pith.science/pith/{SEED_BODY}}}" in text
    assert (
        "\\PithData{title}{Large Batch Optimization for Deep Learning: Training BERT in 76 "
        "minutes}" in text
    )
    assert "verified with the keyring (pith-v1-2026-05)" in text
    size = qr_drawing(data.url).size
    assert f"\\PithDataQR{{{size}}}{{%" in text
    assert text.endswith("\\endinput\n")
    assert latex.render_data(data) == text


def test_data_file_of_a_number_alone() -> None:
    data = latex.paper_data_from_number(SEED_BODY.lower())
    text = latex.render_data(data)
    assert data.number == PithNumber(SEED_BODY)
    assert f"\\PithData{{number}}{{pith:{SEED_BODY}}}" in text
    assert "canonical-sha256" not in text and "\\PithData{title}" not in text
    assert "the canonical hash and the title are absent" in text
    with pytest.raises(InputError, match="short form"):
        latex.paper_data_from_number("pith:J655K2KR")


def test_sample_data_file_is_current() -> None:
    sample = ROOT / "samples" / "lamb" / f"pith-{SEED_BODY}.tex"
    data = latex.paper_data_from_bundle(
        require_verified(load_bundle(SEED_BUNDLE), Keyring.default())
    )
    assert sample.read_text(encoding="utf-8") == latex.render_data(data), (
        "regenerate with: python3 -m pithtex tex samples/lamb/bundle.json -o samples/lamb"
    )
