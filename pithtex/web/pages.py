"""The HTML of the verify page, from the Jinja templates in ``pithtex/web/templates``.

Autoescape is on for every template, and undefined names are errors, so a
file name, a title or a check's reason is always text on the page, never
markup.  The pages carry no inline script or style: the one script and the
one style sheet are static files of the page (:func:`static_files`), so the
``Content-Security-Policy`` can forbid everything else.

* :func:`index_page`: the form;
* :func:`report_page`: the results of a form post, with the form again;
* :func:`results_fragment`: the results alone (``?fragment=1``: what the
  script asks for, one file at a time);
* :func:`refusal_page` / :func:`refusal_fragment`: an upload refused, and why.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from pithtex.web.limits import MIB, PageLimits
from pithtex.web.view import ResultView, status_words

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "STATIC_TYPES",
    "PageContext",
    "index_page",
    "preload",
    "refusal_fragment",
    "refusal_page",
    "report_page",
    "results_fragment",
    "static_files",
]

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class PageContext:
    """What every page says about where it runs and what it accepts."""

    prefix: str
    """The page's URL path, ending in ``/`` (``/`` for ``pithtex ui``, ``/check/`` on a mirror)."""
    where: str
    """Where files are checked, for the footer: ``this computer``, ``this server``."""
    max_file_bytes: int
    max_files: int
    ident: str = ""
    """Prefix of the element ids of one answer's results (unique among answers)."""

    @classmethod
    def of(cls, prefix: str, where: str, limits: PageLimits) -> PageContext:
        return cls(prefix, where, limits.max_file_bytes, limits.max_files)

    @property
    def max_file_mib(self) -> str:
        return f"{self.max_file_bytes / MIB:g} MiB"


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pithtex.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["status_words"] = status_words
    return env


def _render(template: str, page: PageContext, **values: Any) -> str:
    answer = PageContext(
        page.prefix, page.where, page.max_file_bytes, page.max_files, secrets.token_hex(4)
    )
    return _environment().get_template(template).render(page=answer, **values)


def index_page(page: PageContext) -> str:
    return _render("index.html.j2", page)


def report_page(page: PageContext, results: Sequence[ResultView]) -> str:
    return _render("report.html.j2", page, results=results)


def results_fragment(page: PageContext, results: Sequence[ResultView]) -> str:
    return _render("results.html.j2", page, results=results)


def refusal_page(page: PageContext, status: int, code: str, message: str) -> str:
    return _render("refused.html.j2", page, status=status, code=code, message=message)


def refusal_fragment(page: PageContext, status: int, code: str, message: str) -> str:
    return _render("refusal.html.j2", page, status=status, code=code, message=message)


def static_files() -> dict[str, tuple[bytes, str]]:
    """The page's static files by name, with their media types (read once, served from memory)."""
    folder = resources.files("pithtex.web") / "static"
    files = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if entry.is_file() and suffix in STATIC_TYPES:
            files[entry.name] = (entry.read_bytes(), STATIC_TYPES[suffix])
    return files


def preload() -> None:
    """Import Jinja and compile every template now (a server does it before it forks)."""
    env = _environment()
    for name in env.list_templates():
        env.get_template(name)
