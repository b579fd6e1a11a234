"""Decoding PDF streams with a cap that holds before anything is allocated.

Plain Flate is inflated here in bounded steps; an unfiltered stream is read
raw; any other filter chain is decoded by qpdf only when its encoded size
times :attr:`ReadLimits.max_expansion` stays under the cap.  A decompression
bomb therefore costs at most its cap, never its decoded size.
"""

from __future__ import annotations

import zlib
from typing import Any

from pithtex.pdf._access.limits import DEFAULT_READ_LIMITS, ReadLimits, StreamError

__all__ = ["decoded_size_bound", "filters", "inflate_capped", "read_stream"]

FLATE_EXPANSION = 1032
"""The largest factor by which Deflate data can expand (RFC 1951's longest match)."""

_SHRINKING = {"/ASCIIHexDecode": 1, "/ASCII85Decode": 1, "/AHx": 1, "/A85": 1}
_BOUNDED = {"/FlateDecode": FLATE_EXPANSION, "/Fl": FLATE_EXPANSION, "/RunLengthDecode": 128}


def filters(stream: Any) -> list[str]:
    """The names of a stream's filter chain, first applied first."""
    import pikepdf

    value = stream.get("/Filter")
    if value is None:
        return []
    items = list(value) if isinstance(value, pikepdf.Array) else [value]
    return [str(item) for item in items]


def decoded_size_bound(raw_length: int, chain: list[str], limits: ReadLimits) -> int:
    """An upper bound of the decoded size of ``raw_length`` bytes under ``chain``."""
    bound = raw_length
    for name in chain:
        bound *= _SHRINKING.get(name) or _BOUNDED.get(name) or limits.max_expansion
    return bound


def read_stream(stream: Any, cap: int, limits: ReadLimits = DEFAULT_READ_LIMITS) -> bytes:
    """Decoded bytes of a stream, refusing (before allocating) more than ``cap`` bytes."""
    import pikepdf

    if not isinstance(stream, pikepdf.Stream):
        raise StreamError("stream.type", "expected a stream object")
    raw = bytes(stream.read_raw_bytes())
    chain = filters(stream)
    if not chain:
        if len(raw) > cap:
            raise StreamError("stream.too_large", f"stream of {len(raw)} bytes exceeds {cap}")
        return raw
    if chain == ["/FlateDecode"]:
        decoded = inflate_capped(raw, cap)
        if stream.get("/DecodeParms") is None:
            return decoded
    elif len(raw) * limits.max_expansion > cap:
        raise StreamError(
            "stream.too_large",
            f"stream with filters {' '.join(chain)} may expand beyond {cap} bytes",
        )
    try:
        data = bytes(stream.read_bytes())
    except pikepdf.PdfError as exc:
        raise StreamError("stream.corrupt", f"cannot decode stream: {exc}") from None
    if len(data) > cap:
        raise StreamError("stream.too_large", f"decoded stream exceeds {cap} bytes")
    return data


def inflate_capped(raw: bytes, cap: int) -> bytes:
    """zlib-inflate ``raw`` producing at most ``cap`` bytes (a bomb raises, not allocates)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, cap + 1)
    except zlib.error as exc:
        raise StreamError("stream.corrupt", f"corrupt Flate data: {exc}") from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise StreamError("stream.too_large", f"stream inflates beyond {cap} bytes")
    return out
