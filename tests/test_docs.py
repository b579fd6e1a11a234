"""The documentation stays complete: every verb in docs/cli.md, every page linked, no dead links."""

from __future__ import annotations

import re

from conftest import ROOT

from pithtex.cli import build_parser

DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _verbs() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "verb")
    return sorted(sub.choices)  # type: ignore[arg-type]


def test_every_verb_has_a_section_in_the_cli_reference() -> None:
    headings = [
        line for line in (DOCS / "cli.md").read_text().splitlines() if line[:3] in ("## ", "* `")
    ]
    text = "\n".join(headings)
    missing = [verb for verb in _verbs() if f"pithtex {verb}" not in text]
    assert not missing, f"docs/cli.md has no section for: {missing}"


def test_readme_links_every_doc_page() -> None:
    readme = (ROOT / "README.md").read_text()
    linked = {m.group(1) for m in LINK.finditer(readme)}
    pages = {f"docs/{p.name}" for p in DOCS.glob("*.md")}
    assert pages <= linked, f"README.md does not link: {sorted(pages - linked)}"


def test_relative_links_resolve() -> None:
    broken = []
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for match in LINK.finditer(page.read_text()):
            target = match.group(1)
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken
