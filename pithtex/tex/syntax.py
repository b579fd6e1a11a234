"""The little of TeX syntax pithtex reads: comments, ``\\documentclass``, ``\\begin{document}``.

One definition of each, shared by finding the main file
(:mod:`pithtex.tex.run`) and finding or adding the pith lines
(:mod:`pithtex.tex.source`).
"""

from __future__ import annotations

import re

__all__ = ["BEGIN_DOCUMENT", "DOCUMENTCLASS", "is_main_file", "mask_comments"]

DOCUMENTCLASS = re.compile(r"\\documentclass\s*(?:\[[^\]]*\])?\s*\{[^}]*\}")
"""``\\documentclass[options]{class}``."""
BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")


def mask_comments(text: str) -> str:
    """``text`` with every ``%`` comment replaced by spaces: offsets stay valid.

    A backslash escapes the next character, so ``\\%`` is text and ``\\\\%``
    starts a comment.
    """
    out = list(text)
    index = 0
    in_comment = False
    while index < len(out):
        char = out[index]
        if in_comment:
            if char == "\n":
                in_comment = False
            else:
                out[index] = " "
        elif char == "\\":
            index += 1
        elif char == "%":
            in_comment = True
            out[index] = " "
        index += 1
    return "".join(out)


def is_main_file(tex: str) -> bool:
    """Whether ``tex`` (comments ignored) has a ``\\documentclass`` and a ``\\begin{document}``."""
    body = mask_comments(tex)
    return bool(DOCUMENTCLASS.search(body) and BEGIN_DOCUMENT.search(body))
