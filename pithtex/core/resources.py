"""Files shipped with pithtex besides its code: templates, the sample paper, the docs.

In an installed pithtex they sit inside the package (``pithtex/templates``,
``pithtex/samples``, ``pithtex/docs``, ``pithtex/latex``, mapped there by
``pyproject.toml``); in a checkout they are the top-level folders of the
same names.  :func:`shipped_dir`
finds either, so code never guesses paths itself.
"""

from __future__ import annotations

from pathlib import Path

from pithtex.core.errors import InputError

__all__ = ["SHIPPED", "shipped_dir"]

SHIPPED = ("templates", "samples", "docs", "latex")
"""The folders that ship as package data."""

_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_dir(name: str, *, marker: str) -> Path:
    """The shipped folder ``name`` (one of :data:`SHIPPED`) that holds ``marker``.

    Raises :class:`~pithtex.core.errors.InputError` (code ``install.incomplete``)
    when neither the installed nor the checkout copy has it.
    """
    if name not in SHIPPED:
        raise ValueError(f"{name!r} is not a shipped folder")
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if (candidate / marker).is_file():
            return candidate
    raise InputError(
        f"this pithtex installation lacks {name}/{marker}: reinstall pithtex "
        "(pip install --force-reinstall pithtex)",
        code="install.incomplete",
    )
