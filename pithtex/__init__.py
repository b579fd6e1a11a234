"""pithtex: verifiable Pith Number badges for scientific papers.

The package is a library first; the ``pithtex`` command is a thin layer over
it.  What a pipeline needs is importable from here (``from pithtex import
check_pdf``); the names are loaded on first use, so ``import pithtex`` costs
nothing.  ``docs/api.md`` documents them and what is stable.

The subpackages are layers, each importing only from those below it (an
import-linter contract in ``pyproject.toml`` enforces it):

* :mod:`pithtex.core`: formats: canonical JSON, numbers, digests, the model,
  check results, the published names, the resolver URL layout, the QR symbol;
* :mod:`pithtex.trust`: strict Ed25519, the keyring, the merge, verification
  and the signing side;
* :mod:`pithtex.registry`, :mod:`pithtex.pdf`, :mod:`pithtex.tex`: resolvers
  and mirrors; reading, checking and stamping PDFs; the LaTeX side;
* :mod:`pithtex.jobs`: the one batch executor, progress and timed steps;
* :mod:`pithtex.pipelines`: many-file check and stamp, arXiv uploads, the demo;
* :mod:`pithtex.cli`: the ``pithtex`` command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pithtex import _compat
from pithtex.core.version import __version__

if TYPE_CHECKING:
    from pithtex.core.errors import ExitCode, PithError, batch_exit_code
    from pithtex.core.model import Bundle, load_bundle, parse_bundle
    from pithtex.core.numbers import PithNumber, PithRef, parse_number
    from pithtex.pdf.check import CheckOptions, CheckReport, Verdict, check_pdf
    from pithtex.pdf.stamp import StampOptions, StampResult, StampSpec, prepare, stamp_pdf
    from pithtex.pipelines.arxiv import UploadOptions, UploadResult, make_upload
    from pithtex.pipelines.batch import check_many, stamp_many
    from pithtex.registry.resolver import Resolver, make_resolver, resolve_bundle
    from pithtex.tex.render import (
        PaperData,
        paper_data_from_bundle,
        render_data,
        render_sty,
        write_data,
        write_sty,
    )
    from pithtex.tex.run import CompileResult, compile_tex
    from pithtex.trust.keyring import Keyring
    from pithtex.trust.verify import (
        BundleVerification,
        VerifiedBundle,
        require_verified,
        verify_bundle,
    )

_PUBLIC: dict[str, str] = {
    "PithError": "pithtex.core.errors",
    "ExitCode": "pithtex.core.errors",
    "batch_exit_code": "pithtex.core.errors",
    "PithNumber": "pithtex.core.numbers",
    "PithRef": "pithtex.core.numbers",
    "parse_number": "pithtex.core.numbers",
    "Bundle": "pithtex.core.model",
    "load_bundle": "pithtex.core.model",
    "parse_bundle": "pithtex.core.model",
    "Keyring": "pithtex.trust.keyring",
    "BundleVerification": "pithtex.trust.verify",
    "verify_bundle": "pithtex.trust.verify",
    "VerifiedBundle": "pithtex.trust.verify",
    "require_verified": "pithtex.trust.verify",
    "CheckOptions": "pithtex.pdf.check",
    "CheckReport": "pithtex.pdf.check",
    "Verdict": "pithtex.pdf.check",
    "check_pdf": "pithtex.pdf.check",
    "StampOptions": "pithtex.pdf.stamp",
    "StampResult": "pithtex.pdf.stamp",
    "StampSpec": "pithtex.pdf.stamp",
    "prepare": "pithtex.pdf.stamp",
    "stamp_pdf": "pithtex.pdf.stamp",
    "PaperData": "pithtex.tex.render",
    "paper_data_from_bundle": "pithtex.tex.render",
    "render_sty": "pithtex.tex.render",
    "write_sty": "pithtex.tex.render",
    "render_data": "pithtex.tex.render",
    "write_data": "pithtex.tex.render",
    "CompileResult": "pithtex.tex.run",
    "compile_tex": "pithtex.tex.run",
    "Resolver": "pithtex.registry.resolver",
    "make_resolver": "pithtex.registry.resolver",
    "resolve_bundle": "pithtex.registry.resolver",
    "UploadOptions": "pithtex.pipelines.arxiv",
    "UploadResult": "pithtex.pipelines.arxiv",
    "make_upload": "pithtex.pipelines.arxiv",
    "check_many": "pithtex.pipelines.batch",
    "stamp_many": "pithtex.pipelines.batch",
}
"""Each public name and the module that defines it."""

__all__ = [
    "Bundle",
    "BundleVerification",
    "CheckOptions",
    "CheckReport",
    "CompileResult",
    "ExitCode",
    "Keyring",
    "PaperData",
    "PithError",
    "PithNumber",
    "PithRef",
    "Resolver",
    "StampOptions",
    "StampResult",
    "StampSpec",
    "UploadOptions",
    "UploadResult",
    "Verdict",
    "VerifiedBundle",
    "__version__",
    "batch_exit_code",
    "check_many",
    "check_pdf",
    "compile_tex",
    "load_bundle",
    "make_resolver",
    "make_upload",
    "paper_data_from_bundle",
    "parse_bundle",
    "parse_number",
    "prepare",
    "render_data",
    "render_sty",
    "require_verified",
    "resolve_bundle",
    "stamp_many",
    "stamp_pdf",
    "verify_bundle",
    "write_data",
    "write_sty",
]

_compat.install()


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'pithtex' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
