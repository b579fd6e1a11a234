"""pith.sty's user interface compiled for real: argument checking, options, data file, escaping.

Bad input must give a ``Package pith Error`` that says what is wrong, never a
raw TeX error; options must do what docs/latex.md says.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SEED_BODY, SEED_BUNDLE, SEED_HASH, SEED_NUMBER, make_test_bundle, run_cli
from pagegeometry import Rect, badge_layout, read_page
from texdocs import (
    PITH_LABEL,
    SEED_URL,
    PdfFacts,
    compile_source,
    decode_qr,
    log_messages,
    log_warnings,
    render_png,
    tex_errors,
)

from pithtex.core.model import load_bundle
from pithtex.tex import render as latex
from pithtex.trust.keyring import Keyring
from pithtex.trust.signing import PaperMetadata
from pithtex.trust.verify import require_verified

pytestmark = [pytest.mark.tex]

TITLE_BLOCK = r"""\title{Large Batch Optimization}
\author{Yang You}
\date{}
"""
BODY = r"""\begin{document}
\maketitle
\section{Introduction}
Text of the paper.
\end{document}
"""


@pytest.fixture(scope="module")
def seed_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("seeddata")
    return latex.write_data(
        latex.paper_data_from_bundle(require_verified(load_bundle(SEED_BUNDLE), Keyring.default())),
        directory,
    )


NUMBER_LINE = 3
"""The line of the preamble :func:`paper` puts first (where tests give \\pithnumber)."""


def paper(preamble: str = "", body: str = BODY, options: str = "") -> str:
    opts = f"[{options}]" if options else ""
    return (
        f"\\documentclass{{article}}\n\\usepackage{opts}{{pith}}\n{preamble}\n{TITLE_BLOCK}{body}"
    )


def with_data(directory: Path, data_file: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(data_file, directory / data_file.name)
    return directory


# ------------------------------------------------------------- \pithnumber's argument

BAD_ARGUMENTS = {
    SEED_BODY[:-1]: "it has 25 characters",
    SEED_BODY + "Q": "it has 27 characters",
    SEED_BODY[:-1] + "0": "'0' cannot appear in a Pith Number",
    SEED_BODY[:8]: "it has 8 characters",
    "": "it is empty",
    "pith:19:" + SEED_BODY: "it has 34 characters",
    "pith:20a9:" + SEED_BODY: "the year must be four digits",
    "pith-2019-" + SEED_BODY: "it is not of the form pith:YEAR:BODY",
    SEED_BODY[:-2] + "#5": "'#' cannot appear",
    SEED_BODY[:-2] + "&5": "'&' cannot appear",
    "$" + SEED_BODY[1:-1] + "$": "'$' cannot appear",
    SEED_BODY[:-2] + r"\_5": "characters",
    "{" + SEED_BODY + "}": "it has 28 characters",
    SEED_BODY[:-1] + "~": "'~' cannot appear",
    r"\relax " + SEED_BODY: "characters",
    SEED_BODY[:-3] + "ü1": "cannot appear",
}


def test_bad_arguments_are_package_errors(tmp_path: Path) -> None:
    calls = "\n".join(f"\\pithnumber{{{arg}}}" for arg in BAD_ARGUMENTS)
    result = compile_source(tmp_path, paper(calls), halt=False)
    errors = log_messages(result.log)
    assert len(errors) == len(BAD_ARGUMENTS), errors
    for message, reason in zip(errors, BAD_ARGUMENTS.values(), strict=True):
        assert "is not a Pith Number" in message
        assert reason in message, (reason, message)
    # every error of the run is one of ours: no raw TeX error
    assert len(tex_errors(result.log)) == len(BAD_ARGUMENTS)
    assert PITH_LABEL not in PdfFacts(result.pdf).all_text()


def test_accepted_forms(tmp_path: Path, seed_data: Path) -> None:
    for index, arg in enumerate(
        (SEED_BODY, SEED_NUMBER, SEED_NUMBER.lower(), f"  {SEED_BODY.lower()} ", SEED_BODY)
    ):
        directory = with_data(tmp_path / str(index), seed_data)
        result = compile_source(directory, paper(f"\\pithnumber{{{arg}}}"))
        assert result.ok, result.output[-2000:]
        assert PdfFacts(result.pdf).info()["/PithNumber"] == SEED_NUMBER
        assert log_messages(result.log) == []


def test_number_given_twice(tmp_path: Path) -> None:
    other = "A" * 26
    result = compile_source(
        tmp_path,
        paper(f"\\pithnumber{{{SEED_BODY}}}\\pithnumber{{{SEED_BODY}}}\\pithnumber{{{other}}}"),
        halt=False,
    )
    assert log_messages(result.log) == [
        f"\\pithnumber was already given as pith:{SEED_BODY}; '{other}' is ignored."
    ]


# ------------------------------------------------------------- the data file


def test_data_file_year_disagrees(tmp_path: Path, seed_data: Path) -> None:
    """A mistyped year: a warning naming the file and the command, where \\pithnumber stands."""
    directory = with_data(tmp_path, seed_data)
    typed = f"pith:2020:{SEED_BODY.lower()}"
    result = compile_source(directory, paper(f"\\pithnumber{{{typed}}}"))
    assert result.ok and log_messages(result.log) == []
    assert log_messages(result.log, "Warning") == [
        f"The data file {seed_data.name} is for {SEED_NUMBER}, but \\pithnumber{{{typed}}} on "
        f"line {NUMBER_LINE} says pith:2020:{SEED_BODY}: the data file is ignored. Run "
        f"`pithtex tex {typed}' to write the file of this number, or correct "
        f"\\pithnumber{{{typed}}} (it may be mistyped)"
    ]
    assert "/PithCanonicalSHA256" not in PdfFacts(result.pdf).info()


def test_data_file_for_another_number(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    data = directory / seed_data.name
    other = "B" * 26
    data.write_text(data.read_text().replace(f"{{{SEED_NUMBER}}}", f"{{pith:2019:{other}}}"))
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}"))
    assert result.ok and log_messages(result.log) == []
    (warning,) = log_messages(result.log, "Warning")
    assert warning.startswith(
        f"The data file {seed_data.name} is for pith:2019:{other}, but "
        f"\\pithnumber{{{SEED_BODY}}} on line {NUMBER_LINE} says pith:{SEED_BODY}: the data "
        "file is ignored."
    )


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("\\PithDataFormat{1}", "\\PithDataFormat{2}", "has format 2, but this pith.sty reads"),
        (SEED_HASH, SEED_HASH[:-1] + "x", "its canonical-sha256 is not 64 hex digits"),
        (SEED_URL, SEED_URL.replace("https://", "https://a(b)"), "its resolver is not"),
        ("\\PithDataQR{37}{%", "\\PithDataQR{37}{\\relax%", "its QR code is not a list"),
    ],
)
def test_damaged_data_file(
    tmp_path: Path, seed_data: Path, old: str, new: str, reason: str
) -> None:
    directory = with_data(tmp_path, seed_data)
    data = directory / seed_data.name
    text = data.read_text()
    assert old in text
    data.write_text(text.replace(old, new, 1))
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}"), halt=False)
    messages = log_messages(result.log)
    assert len(messages) == 1 and reason in messages[0], messages
    assert len(tex_errors(result.log)) == 1
    info = PdfFacts(result.pdf).info()
    assert info["/PithResolver"] == SEED_URL and "/PithCanonicalSHA256" not in info


def test_titles_from_bundles_cannot_inject_tex(tmp_path: Path, test_keyring: Path) -> None:
    hostile = (
        r"Braces {x}, 100% & Ünïcödé \ Escapes }\endinput\def\x{ $a^b_c$ #1 ~ ^^5c "
        r"\input{/etc/passwd} \immediate\write18{touch pwned}"
    )
    bundle = make_test_bundle(
        paper=PaperMetadata(
            source_id="2611.00001",
            title=hostile,
            abstract="a",
            submitted_at="2026-11-02T10:00:00Z",
            primary_cat="cs.DL",
        )
    )
    bundle_file = tmp_path / "bundle.json"
    import json

    bundle_file.write_text(json.dumps(bundle))
    run_cli("tex", bundle_file, "-o", tmp_path, "--keyring", test_keyring, check=True)
    body = bundle["pith_number"].rsplit(":", 1)[1]
    source = (
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
        "\\usepackage{pith}\n"
        f"\\pithnumber{{{body}}}\n\\begin{{document}}\nTITLE<\\pithfield{{title}}>END\n"
        "\\end{document}\n"
    )
    result = compile_source(tmp_path, source)
    assert result.ok, result.output[-2000:]
    assert not (tmp_path / "pwned").exists()
    text = " ".join(PdfFacts(result.pdf).all_text().split())
    assert "TITLE<" + " ".join(hostile.split()) + ">END" in text


# ------------------------------------------------------------- options


def test_bad_options_are_package_errors(tmp_path: Path) -> None:
    body = BODY.replace("\\maketitle", "\\maketitle\\pithsetup{xmp=false}")
    result = compile_source(
        tmp_path,
        paper(
            f"\\pithnumber{{{SEED_BODY}}}\\pithsetup{{resolver=ftp://mirror}}",
            body,
            options="badge=side",
        ),
        halt=False,
    )
    assert log_messages(result.log) == [
        "'side' is not a value of the option 'badge' (title, manual, footnote, none).",
        "'ftp://mirror' is not a usable resolver base URL.",
        "The option 'xmp' can only be set in the preamble.",
    ]
    errors = tex_errors(result.log)
    assert errors[-1] == "! Package pith Error: The option 'xmp' can only be set in the preamble."
    assert len(errors) == 3


def test_badge_none_and_by_hand(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    body = BODY.replace("Text of the paper.", "Registered as \\pithbadge.")
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}", body, "badge=none"))
    facts = PdfFacts(result.pdf)
    assert facts.all_text().count(PITH_LABEL) == 1
    assert "Registered as" in facts.all_text()
    assert [link["uri"] for link in facts.link_annotations()] == [SEED_URL]
    assert log_messages(result.log, "Warning") == []


def test_badge_twice_warns(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    body = BODY.replace("Text of the paper.", "\\pithbadge")
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}", body))
    assert PdfFacts(result.pdf).all_text().count(PITH_LABEL) == 2
    assert log_messages(result.log, "Warning") == [
        "The badge was printed automatically (badge=title) and again by \\pithbadge; "
        "use badge=none to place it only by hand"
    ]


def test_badge_as_footnote(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    result = compile_source(
        directory, paper(f"\\pithnumber{{{SEED_BODY}}}", options="badge=footnote")
    )
    facts = PdfFacts(result.pdf)
    (badge,) = facts.find_text(PITH_LABEL)
    (section,) = facts.find_text("Introduction")
    assert badge.top < section.bottom - 100, "a footnote sits at the foot of the page"
    assert facts.all_text().count(PITH_LABEL) == 1
    assert log_warnings(result.log) == []


def test_no_title_falls_back_to_the_foot_of_page_one(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    body = BODY.replace("\\maketitle", "\\begin{center}\\Large My own title\\end{center}")
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}", body))
    facts = PdfFacts(result.pdf)
    (badge,) = facts.find_text(PITH_LABEL)
    (section,) = facts.find_text("Introduction")
    assert badge.top < section.bottom
    assert [link["uri"] for link in facts.link_annotations()] == [SEED_URL]
    (warning,) = log_messages(result.log, "Warning")
    assert warning == (
        "No title was made before page 1 was shipped out (no \\maketitle, titlecmd or "
        "titleenv); the badge was set at the foot of page 1. For a title set by hand, use "
        "badge=manual and put \\pithbadge after it"
    )


def no_data_warning(typed: str, line: int = 0) -> str:
    """The warning for a number without its data file, \\pithnumber on ``line``
    (default: the line :func:`paper` gives the preamble)."""
    body = typed.rsplit(":", maxsplit=1)[-1].upper()
    return (
        f"No data file pith-{body}.tex was found for \\pithnumber{{{typed}}} on line "
        f"{line or NUMBER_LINE}: the badge has no QR code and the metadata no canonical hash. "
        f"Run `pithtex tex {typed}' beside the paper; if it does not know the number, "
        f"\\pithnumber{{{typed}}} may be mistyped"
    )


def test_qr_without_data_file_warns(tmp_path: Path) -> None:
    result = compile_source(tmp_path, paper(f"\\pithnumber{{{SEED_NUMBER}}}", options="qr"))
    assert result.ok
    assert log_messages(result.log, "Warning") == [no_data_warning(SEED_NUMBER)]
    assert PdfFacts(result.pdf).all_text().count(PITH_LABEL) == 1
    assert decode_qr(render_png(result.pdf, tmp_path / "page")) == []


def test_resolver_option_and_mirror_data(tmp_path: Path) -> None:
    mirror = "https://mirror.example.org/registry"
    mirror_url = f"{mirror}/pith/{SEED_BODY}"
    run_cli("tex", SEED_BUNDLE, "-o", tmp_path, "--resolver", mirror + "/", check=True)
    body = BODY.replace(
        "Text of the paper.", "\\tiny\\noindent R=\\pithfield{resolver}\\par U=\\pithfield{url}"
    )
    result = compile_source(tmp_path, paper(f"\\pithnumber{{{SEED_BODY}}}", body, "qr"))
    facts = PdfFacts(result.pdf)
    assert [link["uri"] for link in facts.link_annotations()] == [mirror_url]
    assert facts.info()["/PithResolver"] == mirror_url
    assert decode_qr(render_png(result.pdf, tmp_path / "page")) == [mirror_url]
    assert f"R={mirror} U={mirror_url}" in " ".join(facts.all_text().split())
    assert log_messages(result.log, "Warning") == []
    # the option overrides the data file; the QR code still holds the data file's URL
    other = tmp_path / "other"
    shutil.copytree(tmp_path, other, ignore=shutil.ignore_patterns("paper.*", "page*"))
    result = compile_source(
        other, paper(f"\\pithnumber{{{SEED_BODY}}}", options="qr,resolver=https://pith.science")
    )
    assert [link["uri"] for link in PdfFacts(result.pdf).link_annotations()] == [SEED_URL]
    (warning,) = log_messages(result.log, "Warning")
    expected = f"The QR code of pith-{SEED_BODY}.tex encodes {mirror_url} but the badge links"
    assert warning.replace(" ", "").startswith(expected.replace(" ", ""))


def test_fields(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    fields = ("number", "body", "short", "year", "url", "resolver", "hash", "title")
    body = BODY.replace(
        "Text of the paper.",
        "\\tiny\\raggedright " + "\\par ".join(f"[{f}=\\pithfield{{{f}}}]" for f in fields),
    )
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}", body))
    text = " ".join(PdfFacts(result.pdf).all_text().split())
    for name, value in {
        "number": SEED_NUMBER,
        "body": SEED_BODY,
        "short": PITH_LABEL,
        "year": "2019",
        "url": SEED_URL,
        "resolver": "https://pith.science",
        "hash": SEED_HASH,
        "title": "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
    }.items():
        assert f"[{name}={value}]" in text


def test_colours_and_load_order(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    source = (
        "\\documentclass{article}\n\\usepackage[color=MidnightBlue]{pith}\n"
        "\\usepackage[dvipsnames]{xcolor}\n\\usepackage{hyperref}\n"
        f"\\pithnumber{{{SEED_BODY}}}\n{TITLE_BLOCK}{BODY}"
    )
    result = compile_source(directory, source)
    assert result.ok and log_messages(result.log, "Warning") == []
    assert [link["uri"] for link in PdfFacts(result.pdf).link_annotations()] == [SEED_URL]
    result = compile_source(
        directory, paper(f"\\pithnumber{{{SEED_BODY}}}", options="color=red!60!black")
    )
    assert result.ok and log_warnings(result.log) == []


def test_xmp_false_keeps_the_info_keys(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}", options="xmp=false"))
    facts = PdfFacts(result.pdf)
    assert facts.metadata_streams() == 0
    assert facts.info()["/PithNumber"] == SEED_NUMBER


def test_missing_and_late_numbers_warn(tmp_path: Path, seed_data: Path) -> None:
    result = compile_source(tmp_path / "missing", paper())
    assert log_messages(result.log, "Warning") == [
        "No \\pithnumber before the end of page 1: no badge, and no metadata unless it comes later"
    ]
    assert "/PithNumber" not in PdfFacts(result.pdf).info()
    directory = with_data(tmp_path / "late", seed_data)
    body = BODY.replace("\\section", f"\\pithnumber{{{SEED_BODY}}}\\section")
    result = compile_source(directory, paper(body=body))
    assert log_messages(result.log, "Warning") == [
        "\\pithnumber came after the title: the badge goes to the foot of page 1 if page 1 "
        "is still to come. Give \\pithnumber in the preamble"
    ]
    facts = PdfFacts(result.pdf)
    assert facts.info()["/PithNumber"] == SEED_NUMBER
    (badge,) = facts.find_text(PITH_LABEL)
    assert badge.top < facts.find_text("Introduction")[0].bottom


def test_badge_without_number_is_an_error(tmp_path: Path) -> None:
    body = BODY.replace("Text of the paper.", "\\pithbadge")
    result = compile_source(tmp_path, paper(body=body), halt=False)
    assert log_messages(result.log) == ["\\pithbadge needs \\pithnumber first."]


# ------------------------------------------------------------- places and mistakes


def badge_box(result_pdf: Path) -> Rect:
    return badge_layout(read_page(result_pdf), PITH_LABEL, SEED_URL).rect


def test_mistyped_number_is_named_where_pithnumber_stands(tmp_path: Path, seed_data: Path) -> None:
    """A typo that is still base32 finds no data file: the warning names the number as
    typed, the command that would make its file, and the line of \\pithnumber."""
    directory = with_data(tmp_path, seed_data)
    typed = SEED_BODY[:-1].lower() + "4"
    body = BODY.replace("\\section", f"\\pithnumber{{{typed}}}\n\\section")
    result = compile_source(directory, paper(body=body, options="qr"))
    assert result.ok
    warnings = log_messages(result.log, "Warning")
    line = paper(body=body).splitlines().index(f"\\pithnumber{{{typed}}}") + 1
    assert warnings[0] == no_data_warning(typed, line)


def test_class_without_a_hookable_maketitle(tmp_path: Path, seed_data: Path) -> None:
    """\\maketitle let to \\relax (as some classes leave it): never a LaTeX error."""
    directory = with_data(tmp_path, seed_data)
    preamble = f"\\pithnumber{{{SEED_BODY}}}\\let\\maketitle\\relax"
    for options in ("badge=none", ""):
        result = compile_source(directory, paper(preamble, options=options))
        assert result.ok and tex_errors(result.log) == [], result.output[-2000:]
    assert log_messages(result.log, "Warning")[0].startswith("No title was made")
    assert PdfFacts(result.pdf).all_text().count(PITH_LABEL) == 1


def test_titlecmd_replaces_the_default_places(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    preamble = (
        f"\\pithnumber{{{SEED_BODY}}}\\pithsetup{{titlecmd=venue}}\n"
        "\\newcommand\\venue[1]{\\begin{center}\\itshape #1\\end{center}}"
    )
    body = BODY.replace("\\maketitle", "\\maketitle\n\\venue{Presented at the Venue}")
    result = compile_source(directory, paper(preamble, body))
    page = read_page(result.pdf)
    (venue,) = page.find("Presented at the Venue")
    assert badge_box(result.pdf).top <= venue.rect.bottom, "the badge is not after \\venue"
    assert log_warnings(result.log) == []


def test_titleenv_places_after_the_environment(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    preamble = (
        f"\\pithnumber{{{SEED_BODY}}}\\pithsetup{{titleenv=authors}}\n"
        "\\newenvironment{authors}{\\begin{center}}{\\end{center}}"
    )
    body = BODY.replace("\\maketitle", "\\maketitle\n\\begin{authors}Jing Li\\end{authors}")
    result = compile_source(directory, paper(preamble, body))
    (authors,) = read_page(result.pdf).find("Jing Li")
    assert badge_box(result.pdf).top <= authors.rect.bottom
    assert log_warnings(result.log) == []


@pytest.mark.parametrize(
    ("definition", "reason"),
    [
        ("", "does not exist"),
        ("\\let\\venue\\relax", "is not a macro"),
        # a definition that does not read back the same (an active character in it)
        ("\\begingroup\\catcode`\\|=13 \\gdef\\venue#1{|#1}\\endgroup", "cannot be patched"),
    ],
)
def test_titlecmd_that_cannot_take_a_hook(
    tmp_path: Path, seed_data: Path, definition: str, reason: str
) -> None:
    """A titlecmd LaTeX cannot patch is a warning that says why, never an error."""
    directory = with_data(tmp_path, seed_data)
    preamble = f"\\pithnumber{{{SEED_BODY}}}\\pithsetup{{titlecmd=venue}}\n{definition}"
    result = compile_source(directory, paper(preamble), halt=False)
    assert result.ok and tex_errors(result.log) == [], result.output[-2000:]
    warnings = log_messages(result.log, "Warning")
    assert warnings[0] == f"\\venue (titlecmd) {reason}: the badge cannot follow it"
    assert warnings[1].startswith("No title was made before page 1 was shipped out")


def test_manual_badge_follows_the_alignment_around_it(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    for env, check in (("flushleft", "left"), ("center", "center")):
        body = BODY.replace(
            "\\maketitle", f"\\begin{{{env}}}\\Large My own title\\par\\pithbadge\\end{{{env}}}"
        )
        result = compile_source(
            with_data(directory / env, seed_data),
            paper(f"\\pithnumber{{{SEED_BODY}}}", body, "badge=manual"),
        )
        assert log_warnings(result.log) == [], env
        page = read_page(result.pdf)
        (title,) = page.find("My own title")
        badge = badge_box(result.pdf)
        assert badge.top <= title.rect.bottom
        if check == "left":
            assert abs(badge.left - title.rect.left) <= 2.0
        else:
            assert abs(badge.center_x - title.rect.center_x) <= 2.0


def test_manual_badge_forgotten_falls_back_with_a_warning(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    result = compile_source(
        directory, paper(f"\\pithnumber{{{SEED_BODY}}}", options="badge=manual")
    )
    assert log_messages(result.log, "Warning") == [
        "badge=manual, but page 1 was shipped out without \\pithbadge; the badge was set at "
        "the foot of page 1. Put \\pithbadge after the title"
    ]
    assert PdfFacts(result.pdf).all_text().count(PITH_LABEL) == 1


def test_align_left(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}", options="align=left"))
    text_left = min(line.rect.left for line in read_page(result.pdf).lines)
    assert abs(badge_box(result.pdf).left - text_left) <= 2.0


def test_badge_size_follows_the_body_text(tmp_path: Path, seed_data: Path) -> None:
    """A class whose \\small is 5 pt: the badge keeps the body size."""
    directory = with_data(tmp_path, seed_data)
    preamble = (
        f"\\pithnumber{{{SEED_BODY}}}\\renewcommand\\small{{\\fontsize{{5}}{{6}}\\selectfont}}"
    )
    result = compile_source(directory, paper(preamble))
    page = read_page(result.pdf)
    assert badge_layout(page, PITH_LABEL, SEED_URL).size == pytest.approx(10.0, abs=0.1)
    result = compile_source(directory / "plain", paper(f"\\pithnumber{{{SEED_BODY}}}"))
    assert badge_layout(read_page(result.pdf), PITH_LABEL, SEED_URL).size == pytest.approx(
        9.0, abs=0.1
    )


@pytest.mark.parametrize(
    ("name", "ending"),
    [
        ("negative-space", "\\vspace{-2.5em}"),  # pulls the columns up into the block
        ("rule", "\\par\\vspace{4pt}\\hrule"),
    ],
)
def test_badge_never_overprints_what_ends_the_title_block(
    tmp_path: Path, seed_data: Path, name: str, ending: str
) -> None:
    """A two-column title block that ends in negative space or a rule: the badge
    overlaps neither the columns below nor the rule."""
    directory = with_data(tmp_path / name, seed_data)
    source = (
        "\\documentclass[twocolumn]{article}\n\\usepackage{pith}\n"
        f"\\pithnumber{{{SEED_BODY}}}\n{TITLE_BLOCK}"
        f"\\makeatletter\\g@addto@macro\\@maketitle{{{ending}}}\\makeatother\n"
        "\\begin{document}\n\\maketitle\n"
        + "\n\n".join(["Text of the paper, in the columns below the title block."] * 30)
        + "\n\\end{document}\n"
    )
    result = compile_source(directory, source)
    assert result.ok, result.output[-2000:]
    page = read_page(result.pdf)
    layout = badge_layout(page, PITH_LABEL, SEED_URL)
    assert layout.touching == ()
    (author,) = page.find("Yang You")
    assert layout.rect.top <= author.rect.bottom
    column_tops = [line.rect.top for line in page.find("Text of the paper")]
    assert max(column_tops) <= layout.rect.bottom


def test_fallback_under_a_footnote_overprints_nothing(tmp_path: Path, seed_data: Path) -> None:
    directory = with_data(tmp_path, seed_data)
    body = BODY.replace(
        "\\maketitle",
        "\\begin{center}\\Large My own title\\end{center}"
        "Text\\footnote{A footnote at the foot of page 1, long enough to take two lines "
        "of the footnote area below the text block of the page.}",
    )
    result = compile_source(directory, paper(f"\\pithnumber{{{SEED_BODY}}}", body))
    page = read_page(result.pdf)
    layout = badge_layout(page, PITH_LABEL, SEED_URL)
    assert layout.touching == ()
    (footnote,) = page.find("A footnote at the foot")
    assert layout.rect.top <= footnote.rect.bottom, "the badge is not below the footnote"
