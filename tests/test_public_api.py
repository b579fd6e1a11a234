"""The declared public API: what ``pithtex`` re-exports, ``__all__`` everywhere, old paths."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import ROOT, require_tool

import pithtex
from pithtex import _compat


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(pithtex.__path__, "pithtex."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts[1:]) or parts[1] == "cli":
            continue
        names.append(info.name)
    return names


def test_every_public_name_resolves_to_its_defining_module() -> None:
    for name in pithtex.__all__:
        value = getattr(pithtex, name)
        if name != "__version__":
            assert getattr(importlib.import_module(pithtex._PUBLIC[name]), name) is value


def test_all_lists_exactly_the_lazy_names() -> None:
    assert set(pithtex.__all__) == {"__version__", *pithtex._PUBLIC}
    assert sorted(dir(pithtex)) == sorted(pithtex.__all__)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = pithtex.nothing_here  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", _public_modules())
def test_every_public_module_declares_its_names(module: str) -> None:
    loaded = importlib.import_module(module)
    assert loaded.__doc__, f"{module} has no docstring saying what it owns"
    if module.count(".") == 1 or not hasattr(loaded, "__path__"):
        exported = getattr(loaded, "__all__", None)
        if hasattr(loaded, "__path__") and exported is None:
            return  # a layer's package with nothing of its own
        assert exported is not None, f"{module} has no __all__"
        missing = [n for n in exported if not hasattr(loaded, n)]
        assert not missing, f"{module}.__all__ names what it lacks: {missing}"


def test_import_pithtex_loads_no_heavy_module() -> None:
    heavy = ("pikepdf", "pypdfium2", "pypdf", "lxml", "jinja2", "cryptography", "nacl")
    code = f"import sys, pithtex; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("old", sorted(_compat.MOVED_MODULES))
def test_old_module_paths_still_import_with_a_warning(old: str) -> None:
    new = _compat.MOVED_MODULES[old]
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message) for w in caught)


def test_documented_old_imports_keep_working() -> None:
    """The imports the 0.1 guides used."""
    code = (
        "import warnings; warnings.simplefilter('ignore'); "
        "from pithtex.trust import Keyring; "
        "from pithtex.stamp import prepare, stamp_pdf, StampOptions; "
        "from pithtex.check import check_pdf, CheckOptions; "
        "from pithtex.resolver import resolve_bundle, cached_bundle, Resolver, make_resolver; "
        "print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == "ok", out.stderr


@pytest.mark.tex
def test_the_api_guide_example_runs_as_written(tmp_path: Path) -> None:
    require_tool("latexmk")
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    printed = re.search(r"It prints:\n\n```text\n(.*?)```", text, re.S)
    assert code is not None and printed is not None
    for name in ("paper.tex", "bundle.json"):
        shutil.copy(ROOT / "samples" / "lamb" / name, tmp_path / name)
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code.group(1)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == printed.group(1)
