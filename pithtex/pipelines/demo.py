"""The whole toolchain on the sample paper, in one folder: ``pithtex demo``.

:func:`run_demo` copies the sample paper (``samples/lamb/paper.tex``) and the
seed's signed bundle into a folder, then does what an author and a pipeline
do, step by step, and what a reader does at the end:

1. ``render``: write ``pith.sty`` and the paper's data file (the bundle is
   verified against the keyring first);
2. ``compile``: latexmk with pdfLaTeX, no shell escape;
3. ``stamp``: the Pith XMP metadata and the bundle as an embedded file;
4. ``check``: :func:`pithtex.pdf.check.check_pdf` on the stamped PDF, using the
   bundle it carries (no network);
5. ``png``: page 1 as a PNG (``pdftoppm``), to look at the badge.

Every step is timed; nothing here prints (the CLI does).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pithtex.core.errors import InputError, MissingToolError
from pithtex.core.resources import shipped_dir
from pithtex.jobs.progress import NULL_PROGRESS, ProgressBar
from pithtex.jobs.steps import Step, StepTimer
from pithtex.tex.install import install_hint

if TYPE_CHECKING:
    from pithtex.pdf.check import CheckReport
    from pithtex.trust.keyring import Keyring

__all__ = [
    "MARKER",
    "PNG_RESOLUTION",
    "REQUIRED_TOOLS",
    "SAMPLE",
    "SAMPLE_FILES",
    "DemoResult",
    "page_one_png",
    "prepare_directory",
    "require_tools",
    "run_demo",
    "samples_dir",
]

SAMPLE = "lamb"
SAMPLE_FILES = ("paper.tex", "bundle.json")
PNG_RESOLUTION = 110
REQUIRED_TOOLS = ("latexmk", "pdflatex", "pdftoppm")
"""Programs the demo runs."""


@dataclass
class DemoResult:
    directory: Path
    pdf: Path
    png: Path | None = None
    report: CheckReport | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.report is not None and self.report.verdict.value == "verified"

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "pithtex.demo/1",
            "directory": str(self.directory),
            "pdf": str(self.pdf),
            "png": None if self.png is None else str(self.png),
            "verdict": None if self.report is None else self.report.verdict.value,
            "number": None if self.report is None else self.report.number,
            "steps": [
                {"name": s.name, "seconds": round(s.seconds, 4), "detail": s.detail}
                for s in self.steps
            ],
            "checks": [] if self.report is None else [c.to_json() for c in self.report.checks],
        }


def samples_dir() -> Path:
    """``samples/``, installed or in a checkout."""
    return shipped_dir("samples", marker=f"{SAMPLE}/{SAMPLE_FILES[0]}")


def require_tools() -> None:
    """Raise :class:`MissingToolError` (exit 5) naming every missing program and its fix."""
    missing = [name for name in REQUIRED_TOOLS if shutil.which(name) is None]
    if missing:
        raise MissingToolError(f"the demo cannot run: {install_hint(missing)}")


MARKER = ".pithtex-demo"
"""File that marks a folder as the output of an earlier demo."""


def prepare_directory(directory: Path, *, force: bool) -> None:
    """Create ``directory``; refuse a non-empty one unless ``force``.

    A folder an earlier demo wrote (it holds :data:`MARKER`) is reused, so the
    README's first command can be run again and again.
    """
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: exists and is not a directory", code="demo.not_a_dir")
    earlier_demo = (directory / MARKER).is_file()
    if directory.is_dir() and any(directory.iterdir()) and not (force or earlier_demo):
        raise InputError(
            f"{directory}: the folder is not empty; choose another folder or use --force "
            "to write into it",
            code="demo.not_empty",
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("written by pithtex demo; the folder is rewritten by it\n")


def run_demo(
    directory: Path,
    keyring: Keyring,
    *,
    force: bool = False,
    on_step: Callable[[Step], None] | None = None,
    progress: ProgressBar = NULL_PROGRESS,
) -> DemoResult:
    """Render, compile, stamp, check and picture the sample paper in ``directory``."""
    require_tools()
    sample = samples_dir() / SAMPLE
    prepare_directory(directory, force=force)
    steps = StepTimer(on_step, progress)
    paper = directory / "paper.tex"
    bundle = directory / "bundle.json"
    with steps.step("copy") as detail:
        for name in SAMPLE_FILES:
            shutil.copyfile(sample / name, directory / name)
        detail.append(f"{sample} -> {directory}")
    with steps.step("render") as detail:
        detail.extend(_render(directory, bundle, keyring))
    with steps.step("compile") as detail:
        from pithtex.tex.run import compile_tex

        compiled = compile_tex(paper, "pdflatex")
        detail.append(f"pdflatex via latexmk -> {compiled.pdf.name}")
    result = DemoResult(directory, compiled.pdf, steps=steps.steps)
    with steps.step("stamp") as detail:
        detail.append(_stamp(compiled.pdf, bundle, keyring))
    with steps.step("check") as detail:
        result.report = _check(compiled.pdf, keyring)
        detail.append(f"{result.report.verdict.value} {result.report.number or ''}".strip())
    with steps.step("png") as detail:
        result.png = page_one_png(compiled.pdf, directory / "paper-page1.png")
        detail.append(result.png.name)
    return result


def _render(directory: Path, bundle: Path, keyring: Keyring) -> list[str]:
    from pithtex.tex.render import paper_data_from_file, write_data, write_sty

    sty = write_sty(directory)
    data, _ = paper_data_from_file(bundle, keyring)
    written = write_data(data, directory)
    return [sty.name, written.name]


def _stamp(pdf: Path, bundle: Path, keyring: Keyring) -> str:
    from pithtex.pdf.stamp import StampOptions, prepare, stamp_pdf

    spec = prepare(bundle, keyring)
    stamped = stamp_pdf(pdf, pdf, spec, StampOptions(embed_bundle=True))
    if stamped.error is not None:
        raise stamped.error
    return f"XMP + embedded bundle ({stamped.status.value}, {stamped.method.value})"


def _check(pdf: Path, keyring: Keyring) -> CheckReport:
    from pithtex.pdf.check import CheckOptions, check_pdf

    return check_pdf(str(pdf), CheckOptions(keyring=keyring, registry=None))


def page_one_png(pdf: Path, target: Path, *, resolution: int = PNG_RESOLUTION) -> Path:
    """Render page 1 of ``pdf`` to ``target`` (a PNG) with poppler's ``pdftoppm``."""
    import tempfile

    from pithtex.core.fileio import atomic_write_bytes

    command = ["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1", "-singlefile"]
    with tempfile.TemporaryDirectory(prefix="pithtex-png-") as scratch:
        stem = Path(scratch) / "page1"
        result = subprocess.run(
            [*command, str(pdf), str(stem)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=120,
            check=False,
        )
        png = stem.with_suffix(".png")
        if result.returncode != 0 or not png.is_file():
            raise InputError(
                f"pdftoppm could not render page 1 of {pdf}: {result.stderr.strip()[:300]}",
                code="demo.png_failed",
            )
        atomic_write_bytes(target, png.read_bytes())
    return target
