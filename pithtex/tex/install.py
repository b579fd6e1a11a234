"""How to install the TeX programs pithtex runs, on each platform.

One place for the advice every "not installed" message gives (exit code 5):
TeX Live with latexmk and the engines, and poppler's ``pdftoppm`` for the
demo's picture.  The same commands are in ``docs/install.md``
(``pithtex help install``).
"""

from __future__ import annotations

__all__ = ["INSTALL_COMMANDS", "install_hint"]

INSTALL_COMMANDS: dict[str, str] = {
    "Debian/Ubuntu": "sudo apt-get install texlive-latex-extra texlive-fonts-recommended "
    "texlive-publishers texlive-xetex texlive-luatex latexmk poppler-utils",
    "Fedora": "sudo dnf install texlive-scheme-medium latexmk poppler-utils",
    "Arch": "sudo pacman -S texlive-basic texlive-latexextra texlive-fontsrecommended "
    "texlive-xetex texlive-luatex texlive-binextra poppler",
    "macOS": "brew install --cask mactex-no-gui && brew install poppler (or BasicTeX: brew "
    "install --cask basictex, then sudo tlmgr install latexmk collection-latexextra "
    "collection-fontsrecommended)",
    "Windows": "install TeX Live (tug.org/texlive) or MiKTeX (miktex.org), which include "
    "latexmk; poppler from conda-forge (conda install poppler) for pdftoppm",
}
"""The install command per platform, for TeX Live (or MiKTeX), latexmk and poppler."""


def install_hint(missing: list[str]) -> str:
    """The sentence to show when the programs ``missing`` are not on ``PATH``."""
    verb = "is" if len(missing) == 1 else "are"
    ways = "; ".join(f"{platform}: {command}" for platform, command in INSTALL_COMMANDS.items())
    return (
        f"{', '.join(missing)} {verb} not installed (or not on PATH). Install TeX Live with "
        f"latexmk. {ways}. Details: pithtex help install"
    )
