"""Finding and adding the pith lines of a TeX source (no TeX run needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEED_BODY, SEED_NUMBER

from pithtex.core.numbers import parse_full_number
from pithtex.tex.source import (
    PithLinesError,
    has_pdfoutput,
    insert_pdfoutput,
    insert_pith_lines,
    require_pith_lines,
    scan,
    scan_text,
)
from pithtex.tex.syntax import mask_comments

NUMBER = parse_full_number(SEED_NUMBER)
BARE = (
    "\\documentclass[11pt]{article}\n\\usepackage{amsmath}\n"
    "\\begin{document}\nHi.\n\\end{document}\n"
)


def test_comments_are_masked_but_escaped_percent_is_text() -> None:
    text = "a % \\usepackage{pith}\nb \\% c % d\ne \\\\% f\n"
    masked = mask_comments(text)
    assert len(masked) == len(text)
    assert "pith" not in masked and "\\% c" in masked and " d" not in masked
    assert "e \\\\" in masked and " f" not in masked


def test_scan_finds_lines_in_package_lists_and_ignores_comments() -> None:
    found = scan_text(
        "%\\usepackage{pith}\n\\usepackage[qr]{amsmath, pith}\n  \\pithnumber { J655 }\n",
        "main.tex",
    )
    assert [(o.line, o.argument) for o in found.packages] == [(2, "amsmath, pith")]
    assert [(o.where, o.argument) for o in found.numbers] == [("main.tex:3", "J655")]
    assert not scan_text("\\usepackage{pithy}\n", "x.tex").packages


def test_scan_reads_every_tex_file_but_not_the_package_itself(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "main.tex").write_text(BARE)
    (tmp_path / "sub" / "preamble.tex").write_text(
        f"\\usepackage{{pith}}\\pithnumber{{{SEED_BODY}}}\n"
    )
    (tmp_path / "pith.sty").write_text("\\pithnumber{XXXX}\n")
    (tmp_path / f"pith-{SEED_BODY}.tex").write_text("\\pithnumber{YYYY}\n")
    found = scan(tmp_path)
    assert [o.file for o in found.packages] == ["sub/preamble.tex"]
    assert [o.argument for o in found.numbers] == [SEED_BODY]
    require_pith_lines(found, NUMBER)  # both present, the right number: no error


def test_missing_and_wrong_lines_are_clear_errors() -> None:
    with pytest.raises(PithLinesError, match=r"no \\usepackage\{pith\} and no \\pithnumber"):
        require_pith_lines(scan_text(BARE, "main.tex"), NUMBER)
    wrong = scan_text("\\usepackage{pith}\n\\pithnumber{AAAAAAAAAAAAAAAAAAAAAAAAAA}\n", "m.tex")
    with pytest.raises(PithLinesError, match=r"m\.tex:2.*another paper") as info:
        require_pith_lines(wrong, NUMBER)
    assert info.value.code == "source.number_mismatch"
    short = scan_text("\\usepackage{pith}\n\\pithnumber{pith:J655K2KR}\n", "m.tex")
    with pytest.raises(PithLinesError, match="not a full Pith Number"):
        require_pith_lines(short, NUMBER)
    other_year = scan_text(f"\\usepackage{{pith}}\\pithnumber{{pith:2020:{SEED_BODY}}}", "m")
    with pytest.raises(PithLinesError, match="another paper"):
        require_pith_lines(other_year, NUMBER)


def test_insert_after_documentclass_without_hyperref() -> None:
    text, added = insert_pith_lines(BARE, "main.tex", scan_text(BARE, "main.tex"), NUMBER)
    lines = text.splitlines()
    assert lines[1:3] == ["\\usepackage{pith}", f"\\pithnumber{{{SEED_NUMBER}}}"]
    assert [(a.line, a.text.splitlines()[0]) for a in added] == [(2, "\\usepackage{pith}")]


def test_insert_after_the_last_hyperref_and_before_an_existing_number() -> None:
    source = (
        "\\documentclass\n  [a4paper]{article}\n\\usepackage[colorlinks]{hyperref}\n"
        f"\\pithnumber{{{SEED_BODY}}}\n\\begin{{document}}\n\\end{{document}}\n"
    )
    text, added = insert_pith_lines(source, "m.tex", scan_text(source, "m.tex"), NUMBER)
    lines = text.splitlines()
    assert lines[3] == "\\usepackage{pith}" and lines[4] == f"\\pithnumber{{{SEED_BODY}}}"
    assert len(added) == 1 and added[0].line == 4


def test_insert_number_after_the_package_line_or_before_the_body() -> None:
    source = "\\documentclass{article}\n\\usepackage[qr]{pith}\n\\begin{document}\n\\end{document}"
    text, _ = insert_pith_lines(source, "m.tex", scan_text(source, "m.tex"), NUMBER)
    assert text.splitlines()[2] == f"\\pithnumber{{{SEED_NUMBER}}}"
    elsewhere = scan_text("\\usepackage{pith}", "preamble.tex")
    text, added = insert_pith_lines(BARE, "main.tex", elsewhere, NUMBER)
    assert text.splitlines()[2:4] == [f"\\pithnumber{{{SEED_NUMBER}}}", "\\begin{document}"]
    assert added[0].line == 3


def test_nothing_to_insert_when_both_lines_exist() -> None:
    source = f"\\documentclass{{article}}\\usepackage{{pith}}\\pithnumber{{{SEED_BODY}}}\n"
    assert insert_pith_lines(source, "m", scan_text(source, "m"), NUMBER) == (source, [])


def test_pdfoutput_in_the_first_lines() -> None:
    assert not has_pdfoutput(BARE)
    assert has_pdfoutput("\\pdfoutput=1\n" + BARE)
    assert not has_pdfoutput("%\\pdfoutput=1\n" + BARE)
    assert not has_pdfoutput("\n" * 6 + "\\pdfoutput=1\n")
    text, added = insert_pdfoutput(BARE)
    assert has_pdfoutput(text) and added[0].line == 1 and text.endswith(BARE)


def test_a_commented_out_main_file_is_not_one() -> None:
    from pithtex.tex.syntax import is_main_file

    assert is_main_file("\\documentclass{article}\n\\begin{document}\nx\n\\end{document}\n")
    assert not is_main_file("% \\documentclass{article}\n\\begin{document}\n")
    # \\% starts a comment (an escaped backslash, then %), \% does not
    assert not is_main_file("x\\\\% \\documentclass{article}\n\\begin{document}\n")
    assert is_main_file("50\\% \\documentclass{article}\n\\begin{document}\n")
