"""The default bounds of one batch item, as plain numbers.

:class:`pithtex.jobs.executor.Bounds` is made from them; they live apart so that
option parsers can show them without importing the executor (and
:mod:`multiprocessing`), which keeps ``pithtex --help`` fast.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MEMORY_MIB", "DEFAULT_TIMEOUT", "MIB", "MIN_MEMORY_MIB"]

MIB = 1024 * 1024

DEFAULT_TIMEOUT = 60.0
"""Seconds of wall time per item."""

DEFAULT_MEMORY_MIB = 1024
"""MiB of address space a worker may add to what it had when it started."""

MIN_MEMORY_MIB = 64
"""The smallest memory bound a verb accepts (less cannot even start a PDF library)."""
