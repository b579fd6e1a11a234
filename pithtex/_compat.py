"""The module paths of pithtex 0.1, kept importable for one release.

Before the library was split into layered subpackages its modules sat side by
side (``pithtex.check``, ``pithtex.stamp``, ...).  Importing one of those names
still works: it gives the module's new home and a :class:`DeprecationWarning`
naming it.  The aliases go away in the release after next; new code imports
from :mod:`pithtex` itself or from the subpackages.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

MOVED_MODULES: dict[str, str] = {
    "pithtex.arxiv": "pithtex.pipelines.arxiv",
    "pithtex.badge": "pithtex.pdf.stamp.badge",
    "pithtex.bounded": "pithtex.jobs.executor",
    "pithtex.cache": "pithtex.registry.cache",
    "pithtex.canonical": "pithtex.core.canonical",
    "pithtex.check": "pithtex.pdf.check",
    "pithtex.config": "pithtex.registry.config",
    "pithtex.demo": "pithtex.pipelines.demo",
    "pithtex.ed25519": "pithtex.trust.ed25519",
    "pithtex.errors": "pithtex.core.errors",
    "pithtex.fetching": "pithtex.registry.http",
    "pithtex.fileio": "pithtex.core.fileio",
    "pithtex.incremental": "pithtex.pdf.stamp.incremental",
    "pithtex.latex": "pithtex.tex.render",
    "pithtex.layout": "pithtex.core.layout",
    "pithtex.linkeddata": "pithtex.registry.jsonld",
    "pithtex.merge": "pithtex.trust.merge",
    "pithtex.mirror": "pithtex.registry.mirror",
    "pithtex.model": "pithtex.core.model",
    "pithtex.numbers": "pithtex.core.numbers",
    "pithtex.pdfread": "pithtex.pdf.evidence",
    "pithtex.qr": "pithtex.core.qr",
    "pithtex.records": "pithtex.core.digests",
    "pithtex.resolver": "pithtex.registry.resolver",
    "pithtex.results": "pithtex.core.results",
    "pithtex.server": "pithtex.registry.server",
    "pithtex.signing": "pithtex.trust.signing",
    "pithtex.stamp": "pithtex.pdf.stamp",
    "pithtex.steps": "pithtex.jobs.steps",
    "pithtex.texrun": "pithtex.tex.run",
    "pithtex.texsource": "pithtex.tex.source",
    "pithtex.verify": "pithtex.trust.verify",
    "pithtex.watermark": "pithtex.pdf.watermark",
    "pithtex.xmp": "pithtex.pdf.xmp.read",
    "pithtex.xmpschema": "pithtex.core.names",
    "pithtex.xmpwrite": "pithtex.pdf.xmp.write",
}
"""Old module path -> the module that now holds its contents."""


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module path and loads it as the module that replaced it."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED_MODULES[spec.name]
        warnings.warn(
            f"{spec.name} is now {new}; the old path goes away in the release after next",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was imported under its new name."""


def install() -> None:
    """Make the old module paths importable (idempotent)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())
