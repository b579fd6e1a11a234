"""Counted nouns in messages: ``1 page``, ``2 pages``, never ``1 pages``."""

from __future__ import annotations

__all__ = ["counted"]


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and the noun in the number it needs (``plural`` defaults to ``+s``)."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count} {noun}"
