"""The LaTeX side: rendering ``pith.sty`` and the per-paper data file from templates.

``pith.sty`` is two parts joined: a short header rendered from
``templates/pith-header.sty.j2`` (identification, version, date, and every
name the package shares with the stamper and the checker: XMP namespace,
property names, Info keys, resolver, number syntax, all from
:mod:`pithtex.core.names` and :mod:`pithtex.core.numbers`), then the
package's static, commented expl3 source ``latex/src/pith-code.sty``, copied
as it is.  The committed ``latex/pith.sty`` is exactly :func:`render_sty`'s
output; a test fails when they drift.

The per-paper data file ``pith-<BODY>.tex`` (``templates/pith-data.tex.j2``)
carries what ``\\pithnumber`` cannot know by itself: the year, the canonical
hash, the title, the resolver URL and the QR code as rectangles
(:mod:`pithtex.core.qr`).  Every value taken from a bundle goes through
:func:`tex_escape`, so that no title can inject TeX.

Templates use a dedicated Jinja environment whose delimiters cannot clash
with TeX or PDF (whose dictionaries are ``<< >>``): ``<@ value @>``,
``<% statement %>``, ``<@# comment #@>``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pithtex.core import names as xmpschema
from pithtex.core import numbers
from pithtex.core.errors import InputError
from pithtex.core.layout import RESOLVER_CHARACTERS, check_resolver_base, resolver_url
from pithtex.core.resources import shipped_dir
from pithtex.core.version import __version__

if TYPE_CHECKING:
    import jinja2

    from pithtex.core.model import Bundle
    from pithtex.core.numbers import PithNumber
    from pithtex.core.qr import QRDrawing
    from pithtex.trust.keyring import Keyring
    from pithtex.trust.verify import BundleVerification, VerifiedBundle


__all__ = [
    "DATA_FILE_PREFIX",
    "DATA_FORMAT",
    "DATA_TEMPLATE",
    "LATEX_DIR",
    "PACKAGE_DATE",
    "PACKAGE_NAME",
    "PACKAGE_VERSION",
    "STY_CODE",
    "STY_FILE",
    "STY_TEMPLATE",
    "PaperData",
    "data_file_name",
    "environment",
    "expl_string",
    "latex_dir",
    "paper_data_from_bundle",
    "paper_data_from_file",
    "paper_data_from_number",
    "paper_data_of",
    "paper_data_unverified",
    "qr_pen_steps",
    "render_data",
    "render_sty",
    "templates_dir",
    "tex_escape",
    "write_data",
    "write_sty",
]
PACKAGE_NAME = "pith"
PACKAGE_DATE = "2026-11-24"
"""Release date written into ``\\ProvidesExplPackage``: fixed, so rendering is reproducible."""
PACKAGE_VERSION = __version__
STY_FILE = f"{PACKAGE_NAME}.sty"
STY_TEMPLATE = "pith-header.sty.j2"
STY_CODE = "src/pith-code.sty"
"""The static expl3 body of ``pith.sty``, relative to :func:`latex_dir`."""
DATA_TEMPLATE = "pith-data.tex.j2"
DATA_FORMAT = 1
"""Version of the data file's command set; ``pith.sty`` refuses newer formats."""
DATA_FILE_PREFIX = "pith-"
LATEX_DIR = "latex"
"""Where the package (source, rendering, manual, tests) lives, relative to the repository root."""

_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def templates_dir() -> Path:
    """The ``templates/`` directory, installed or in a checkout."""
    return shipped_dir("templates", marker=STY_TEMPLATE)


def latex_dir() -> Path:
    """The ``latex/`` directory (the LaTeX package's sources), installed or in a checkout."""
    return shipped_dir(LATEX_DIR, marker=STY_CODE)


@cache
def environment() -> jinja2.Environment:
    """The Jinja environment for TeX templates: delimiters TeX and PDF never use, strict."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<@",
        variable_end_string="@>",
        comment_start_string="<@#",
        comment_end_string="#@>",
        line_statement_prefix=None,
        line_comment_prefix=None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 -- TeX, not HTML: values are escaped with tex_escape
    )
    env.filters["tex"] = tex_escape
    env.filters["expl_str"] = expl_string
    return env


def tex_escape(text: str) -> str:
    """``text`` as TeX source that typesets it literally and can never run a command.

    TeX specials become their text commands; control characters and line or
    paragraph separators become spaces (no ``\\par``, no ``^^`` notation);
    runs of white space collapse.  Other Unicode is kept as UTF-8 (NFC).
    """
    normal = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for char in normal:
        if char in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[char])
        elif char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            out.append(" ")
        else:
            out.append(char)
    return re.sub(r" {2,}", " ", "".join(out)).strip()


_EXPL_STRING = {" ": "~", "~": "\\c_tilde_str ", "#": "\\c_hash_str ", "%": "\\c_percent_str "}


def expl_string(text: str) -> str:
    """``text`` as the argument of ``\\str_const:Nx`` under expl3 syntax (spaces and ``~`` kept).

    Only for pithtex's own constants: braces and backslashes are refused, not escaped.
    """
    if any(char in text for char in "{}\\"):
        raise ValueError(f"{text!r} cannot be an expl3 string constant")
    return "".join(_EXPL_STRING.get(char, char) for char in text)


def data_file_name(body: str) -> str:
    """``pith-<BODY>.tex``: the name ``pith.sty`` derives from ``\\pithnumber``."""
    return f"{DATA_FILE_PREFIX}{body}.tex"


def _template_constants() -> dict[str, Any]:
    return {
        "package": PACKAGE_NAME,
        "version": PACKAGE_VERSION,
        "date": PACKAGE_DATE,
        "data_format": DATA_FORMAT,
        "data_prefix": DATA_FILE_PREFIX,
        "namespace_uri": xmpschema.NAMESPACE_URI,
        "prefix": xmpschema.PREFIX,
        "schema_name": xmpschema.SCHEMA_NAME,
        "properties": {p.name: p for p in xmpschema.PROPERTIES},
        "info_keys": xmpschema.INFO_KEYS,
        "default_resolver": xmpschema.DEFAULT_RESOLVER,
        "resolver_path": xmpschema.RESOLVER_PATH,
        "body_length": numbers.BODY_LENGTH,
        "short_length": numbers.DISPLAY_SHORT_LENGTH,
        "alphabet": numbers.BASE32_ALPHABET,
        "resolver_characters": RESOLVER_CHARACTERS,
    }


def render_sty() -> str:
    """The text of ``pith.sty`` (deterministic: the same bytes for the same pithtex).

    The rendered header, then the static source ``latex/src/pith-code.sty``.
    """
    header = environment().get_template(STY_TEMPLATE).render(**_template_constants())
    return header + (latex_dir() / STY_CODE).read_text(encoding="utf-8")


def write_sty(directory: str | Path) -> Path:
    """Render ``pith.sty`` into ``directory`` atomically; returns its path."""
    from pithtex.core.fileio import atomic_write_text

    target = Path(directory) / STY_FILE
    atomic_write_text(target, render_sty())
    return target


DataSource = Literal["bundle", "unverified-bundle", "number"]


@dataclass(frozen=True, slots=True)
class PaperData:
    """What the data file tells ``\\pithnumber`` about one paper."""

    number: PithNumber
    resolver_base: str = xmpschema.DEFAULT_RESOLVER
    canonical_sha256: str | None = None
    title: str | None = None
    source: DataSource = "number"
    """``bundle`` (verified), ``unverified-bundle`` (written with --force) or ``number``."""
    key_ids: tuple[str, ...] = ()
    """Keyring keys the bundle was verified with."""

    @property
    def url(self) -> str:
        return resolver_url(self.number.body, self.resolver_base)

    @property
    def file_name(self) -> str:
        return data_file_name(self.number.body)


def paper_data_from_bundle(
    verified: VerifiedBundle, *, resolver_base: str = xmpschema.DEFAULT_RESOLVER
) -> PaperData:
    """The data of a verified bundle: number with year, record hash, title, signer."""
    return _bundle_data(verified.bundle, resolver_base, source="bundle", key_ids=(verified.signer,))


def paper_data_unverified(
    bundle: Bundle, *, resolver_base: str = xmpschema.DEFAULT_RESOLVER
) -> PaperData:
    """The data of a bundle that did not verify (``pithtex tex --force``); the file says so."""
    return _bundle_data(bundle, resolver_base, source="unverified-bundle", key_ids=())


def _bundle_data(
    bundle: Bundle, resolver_base: str, *, source: DataSource, key_ids: tuple[str, ...]
) -> PaperData:
    return PaperData(
        number=numbers.parse_full_number(bundle.pith_number),
        resolver_base=check_resolver_base(resolver_base),
        canonical_sha256=bundle.canonical_sha256,
        title=bundle.title,
        source=source,
        key_ids=key_ids,
    )


def paper_data_from_file(
    path: str | Path,
    keyring: Keyring,
    *,
    resolver_base: str = xmpschema.DEFAULT_RESOLVER,
    force: bool = False,
) -> tuple[PaperData, BundleVerification]:
    """Verify the bundle in ``path`` with ``keyring`` and return its data.

    An unverified bundle raises :class:`~pithtex.core.errors.UnverifiedBundleError`
    naming the first failed check, unless ``force`` (the data file then says so).
    """
    from pithtex.core.model import load_bundle

    return paper_data_of(
        load_bundle(path), keyring, resolver_base=resolver_base, force=force, context=str(path)
    )


def paper_data_of(
    bundle: Bundle,
    keyring: Keyring,
    *,
    resolver_base: str = xmpschema.DEFAULT_RESOLVER,
    force: bool = False,
    context: str | None = None,
) -> tuple[PaperData, BundleVerification]:
    """:func:`paper_data_from_file` for a bundle already parsed (from stdin, say)."""
    from pithtex.core.errors import UnverifiedBundleError
    from pithtex.trust.verify import require_verified, verify_bundle

    base = check_resolver_base(resolver_base)
    try:
        verified = require_verified(
            bundle,
            keyring,
            refusal="refusing to write a data file for it (use --force to write it anyway)",
            context=context,
        )
    except UnverifiedBundleError:
        if not force:
            raise
        return paper_data_unverified(bundle, resolver_base=base), verify_bundle(bundle, keyring)
    return paper_data_from_bundle(verified, resolver_base=base), verified.verification


def paper_data_from_number(
    text: str, *, resolver_base: str = xmpschema.DEFAULT_RESOLVER
) -> PaperData:
    """Data for a full Pith Number alone: no canonical hash, no title."""
    from pithtex.core.numbers import parse_number

    ref = parse_number(text)
    if not ref.is_full:
        raise InputError(
            f"{text.strip()!r} is a short form; the data file needs the full "
            f"{numbers.BODY_LENGTH}-character number (or a bundle file)",
            code="number.short",
        )
    return PaperData(number=ref.to_number(), resolver_base=check_resolver_base(resolver_base))


def render_data(data: PaperData) -> str:
    """The text of the data file for ``data`` (deterministic)."""
    from pithtex.core.qr import qr_drawing

    drawing = qr_drawing(data.url)
    steps = ",".join(" ".join(map(str, step)) for step in qr_pen_steps(drawing))
    return (
        environment()
        .get_template(DATA_TEMPLATE)
        .render(
            **_template_constants(),
            data=data,
            number=data.number,
            url=data.url,
            qr=drawing,
            qr_steps=_wrap(steps, 78),
        )
    )


def qr_pen_steps(drawing: QRDrawing) -> list[tuple[int, int, int, int]]:
    """The QR code as TeX draws it: ``(dx, width, bottom, top)`` per rectangle, in modules.

    ``dx`` moves the pen from the right edge of the previous rule (or the left
    edge of the symbol) to the left edge of this one; a rule of ``width`` from
    ``bottom`` to ``top`` then advances it.  One kern and one rule per
    rectangle: the cheapest drawing TeX can do.
    """
    steps = []
    pen = 0
    for rect in drawing.rects:
        steps.append((rect.x - pen, rect.w, rect.y, rect.y + rect.h))
        pen = rect.x + rect.w
    return steps


def write_data(data: PaperData, directory: str | Path) -> Path:
    """Write ``pith-<BODY>.tex`` into ``directory`` atomically; returns its path."""
    from pithtex.core.fileio import atomic_write_text

    target = Path(directory) / data.file_name
    atomic_write_text(target, render_data(data))
    return target


def _wrap(items: str, width: int) -> list[str]:
    """Comma-separated ``items`` as lines of at most ``width`` characters, breaking after commas."""
    lines: list[str] = []
    line = ""
    for item in items.split(","):
        piece = f"{item},"
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    if line:
        lines.append(line.rstrip(","))
    return lines
