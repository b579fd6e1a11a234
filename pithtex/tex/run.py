"""Running TeX the way arXiv does: finding the main file, choosing the engine, latexmk.

* The main file is the ``.tex`` file with ``\\documentclass`` and
  ``\\begin{document}`` (preferring the top folder and the usual names).
* The engine is pdfLaTeX unless the source asks for another one with a magic
  comment (``% !TEX program = xelatex``), as arXiv's own auto-TeX does.
* Compiles run latexmk with ``-interaction=nonstopmode -halt-on-error``, the
  recorder on (so the files the compile read are known) and shell escape
  forced off, with a time limit.
* A failed compile raises :class:`CompileError` carrying the failing log lines,
  not the whole log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pithtex.core.errors import ExitCode, InputError, MissingToolError, PithError
from pithtex.tex.install import install_hint
from pithtex.tex.syntax import is_main_file

__all__ = [
    "DEFAULT_ENGINE",
    "DEFAULT_TIMEOUT",
    "ENGINE_FLAGS",
    "PREFERRED_MAIN_NAMES",
    "CompileError",
    "CompileResult",
    "compile_tex",
    "detect_engine",
    "find_main_file",
    "latexmk_command",
    "log_errors",
    "read_tex",
    "recorded_inputs",
    "require_programs",
]

ENGINE_FLAGS = {
    "pdflatex": "-pdf",
    "xelatex": "-pdfxe",
    "lualatex": "-pdflua",
    "latex": "-pdfps",  # latex + dvips + ps2pdf: arXiv's route for EPS figures
}
DEFAULT_ENGINE = "pdflatex"
DEFAULT_TIMEOUT = 600.0
PREFERRED_MAIN_NAMES = ("main.tex", "ms.tex", "paper.tex", "article.tex")

_MAGIC = re.compile(r"^%\s*!\s*TeX\s+(?:TS-)?program\s*=\s*([A-Za-z]+)", re.IGNORECASE | re.M)
_ERROR_LINE = re.compile(r"^(!|[^:\s]+:\d+: )")


class CompileError(PithError):
    """The TeX source did not compile; ``log_excerpt`` holds the failing lines."""

    exit_code = ExitCode.FAILED
    default_code = "tex.compile_failed"

    def __init__(self, message: str, *, log_excerpt: str = "", code: str | None = None) -> None:
        full = f"{message}\n{log_excerpt}" if log_excerpt else message
        super().__init__(full, code=code)
        self.log_excerpt = log_excerpt


@dataclass(frozen=True)
class CompileResult:
    pdf: Path
    log: Path
    recorder: Path
    engine: str
    seconds: float


def read_tex(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def find_main_file(source_dir: Path) -> Path:
    """The main ``.tex`` file of a source tree, or a clear error naming the candidates."""
    if not source_dir.is_dir():
        raise InputError(f"{source_dir}: not a directory", code="source.missing")
    candidates = sorted(
        p for p in source_dir.rglob("*.tex") if p.is_file() and is_main_file(read_tex(p))
    )
    if not candidates:
        raise InputError(
            f"{source_dir}: no .tex file has both \\documentclass and \\begin{{document}}",
            code="source.no_main",
        )
    top = [p for p in candidates if p.parent == source_dir] or candidates
    if len(top) == 1:
        return top[0]
    for name in PREFERRED_MAIN_NAMES:
        for path in top:
            if path.name == name:
                return path
    listed = ", ".join(str(p.relative_to(source_dir)) for p in top)
    raise InputError(
        f"{source_dir}: several main files ({listed}); name one with --main",
        code="source.ambiguous_main",
    )


def detect_engine(tex: str) -> str:
    """The engine a source asks for with a ``% !TEX program =`` comment, else pdfLaTeX."""
    match = _MAGIC.search(tex)
    if match is None:
        return DEFAULT_ENGINE
    wanted = match.group(1).lower()
    if wanted not in ENGINE_FLAGS:
        raise InputError(
            f"the source asks for TeX program {wanted!r}; supported: {', '.join(ENGINE_FLAGS)}",
            code="source.engine_unsupported",
        )
    return wanted


def require_programs(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        raise MissingToolError(install_hint(missing))


def latexmk_command(main: Path, engine: str) -> list[str]:
    return [
        "latexmk",
        "-norc",
        ENGINE_FLAGS[engine],
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-file-line-error",
        "-recorder",
        "-latexoption=-no-shell-escape",
        main.name,
    ]


SAFE_TEX_ENV = {"shell_escape": "f", "openout_any": "p"}
"""What every TeX run gets in its environment: no shell escape, files written only below
the working folder (kpathsea's paranoid mode)."""


def run_tex_program(
    command: list[str], cwd: Path, *, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a TeX program (or latexmk) in ``cwd`` with :data:`SAFE_TEX_ENV`, no input, its
    output captured; a run over ``timeout`` seconds raises :class:`CompileError`
    (``tex.timeout``)."""
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            env={**(env or os.environ), **SAFE_TEX_ENV},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CompileError(
            f"{command[-1]}: {command[0]} did not finish within {timeout:.0f} s",
            code="tex.timeout",
        ) from exc


def compile_tex(
    main: Path, engine: str = DEFAULT_ENGINE, *, timeout: float = DEFAULT_TIMEOUT
) -> CompileResult:
    """Compile ``main`` in its own folder with latexmk until references settle."""
    require_programs("latexmk", engine)
    started = time.perf_counter()
    result = run_tex_program(latexmk_command(main, engine), main.parent, timeout=timeout)
    seconds = time.perf_counter() - started
    stem = main.with_suffix("")
    log = stem.with_suffix(".log")
    pdf = stem.with_suffix(".pdf")
    if result.returncode != 0 or not pdf.exists():
        excerpt = log_errors(log) if log.exists() else result.stdout[-2000:]
        raise CompileError(f"{main.name}: {engine} failed", log_excerpt=excerpt)
    return CompileResult(pdf, log, stem.with_suffix(".fls"), engine, seconds)


def log_errors(log: Path, *, context: int = 3, limit: int = 40) -> str:
    """The error lines of a TeX log, each with a little context (no whole-log dumps)."""
    lines = log.read_bytes().decode("utf-8", errors="replace").splitlines()
    picked: list[str] = []
    for index, line in enumerate(lines):
        if _ERROR_LINE.match(line):
            picked.extend(lines[index : index + context + 1])
            picked.append("")
            if len(picked) >= limit:
                break
    if not picked:
        picked = lines[-15:]
    return "\n".join(picked[:limit]).rstrip()


def recorded_inputs(recorder: Path, root: Path) -> list[Path]:
    """Source files under ``root`` that a compile read, from latexmk's ``.fls`` file.

    Files the engine wrote itself (``.aux``, ``.toc``, ``.out``, …) are left out: a
    fresh compile makes them again.  Files other programs wrote and TeX read
    (BibTeX's ``.bbl``, makeindex's ``.ind``) are kept: arXiv does not run those
    programs.
    """
    base = recorder.parent.resolve()
    given_root, root = root, root.resolve()
    local_prefixes = (f"{root}{os.sep}", f"{given_root.absolute()}{os.sep}")
    inputs: set[Path] = set()
    outputs: set[Path] = set()
    for line in recorder.read_text(errors="replace").splitlines():
        kind, _, name = line.partition(" ")
        if kind not in ("INPUT", "OUTPUT"):
            continue
        name = name.strip()
        if name.startswith(os.sep) and not name.startswith(local_prefixes):
            continue  # a file of the TeX installation (most lines): no need to resolve it
        path = Path(name)
        path = path.resolve() if path.is_absolute() else (base / path).resolve()
        (inputs if kind == "INPUT" else outputs).add(path)
    return sorted(p for p in inputs - outputs if p.is_file() and p.is_relative_to(root))
