"""Plain Python values for the PDF objects the library writes.

The stamper, the badge and the watermark describe what they add to a PDF in
these terms (a :class:`Name`, a :class:`Stream`, an object made
:class:`Indirect`, and Python dicts, lists, numbers and strings) and never
touch a PDF library; :func:`to_object` builds the objects in one open PDF.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypeAlias

__all__ = ["Indirect", "Matrix", "Name", "Rect", "Stream", "Value", "compose", "to_object", "union"]

Rect = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)`` with ``x0 <= x1`` and ``y0 <= y1``, in PDF user space."""
Matrix = tuple[float, float, float, float, float, float]
"""A PDF matrix ``[a b c d e f]``: ``x' = a x + c y + e``, ``y' = b x + d y + f``."""


def compose(inner: Matrix, outer: Matrix) -> Matrix:
    """``inner`` then ``outer`` (PDF's row-vector convention: ``inner x outer``)."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def union(boxes: Sequence[Rect]) -> Rect | None:
    """The smallest box holding ``boxes`` (``None`` for none)."""
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


class Name(str):
    """A PDF name, written with its slash: ``Name("/Type")``."""

    __slots__ = ()


class Stream(NamedTuple):
    """A stream: ``data`` (already encoded as ``entries`` say) and its dictionary."""

    data: bytes
    entries: Mapping[str, Value]


class Indirect(NamedTuple):
    """A value written as an indirect object of its own (streams always are)."""

    value: Value


Value: TypeAlias = (
    "bool | int | float | str | Name | Stream | Indirect"
    " | Sequence[Value] | Mapping[str, Value] | None"
)
"""What :func:`to_object` converts: a ``str`` is a PDF string, a :class:`Name` a name,
a mapping a dictionary (keys are names, with or without their slash), a sequence an
array."""


def to_object(pdf: Any, value: Value) -> Any:
    """The pikepdf object of ``value``, made in ``pdf`` (the open ``pikepdf.Pdf``)."""
    import pikepdf

    if isinstance(value, Name):
        return pikepdf.Name(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return pikepdf.String(value)
    if isinstance(value, Stream):
        return pdf.make_stream(value.data, _dictionary(pdf, value.entries))
    if isinstance(value, Indirect):
        return pdf.make_indirect(to_object(pdf, value.value))
    if isinstance(value, Mapping):
        return _dictionary(pdf, value)
    return pikepdf.Array([to_object(pdf, item) for item in value])


def _dictionary(pdf: Any, entries: Mapping[str, Value]) -> Any:
    import pikepdf

    return pikepdf.Dictionary({_key(key): to_object(pdf, item) for key, item in entries.items()})


def _key(key: str) -> str:
    return key if key.startswith("/") else "/" + key
