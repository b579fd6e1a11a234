"""Strict JSON in, canonical JSON out.

The Pith formats hash and sign *canonical JSON*::

    json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

encoded as UTF-8.  Canonical JSON is only well defined for a subset of JSON,
so :func:`loads` accepts exactly that subset and rejects, with the JSON path of
the offending value, everything where two implementations could disagree:

* duplicate object keys (Python keeps the last, other parsers the first),
* floats, ``NaN`` and ``Infinity`` (the formats have no non-integers),
* integers outside the exactly representable range ``±(2**53 - 1)``,
* lone UTF-16 surrogates (they cannot be encoded as UTF-8),
* nesting deeper than a limit, and input larger than a cap.

The encoder is orjson, which writes exactly those bytes for every value of that
subset (same escapes, keys sorted by code point, integers in decimal) about six
times faster than the standard library; values orjson refuses (subclasses of
the JSON types, non-string keys, integers beyond 64 bits, lone surrogates) go
through the ``json.dumps`` definition itself.  Floats, which no document can
hold, are the one place where the two differ (exponent spelling): see
``docs/formats.md``.

Parsing takes a fast path for plain documents (orjson, then whole-document
tests) and falls back to a decoder with a hook on every object and number,
which finds and names each problem; both accept exactly the same documents.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from pithtex.core.errors import JSONFormatError

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "PLAIN_MAX_CONTAINERS",
    "ParseLimits",
    "canonical_bytes",
    "loads",
    "path_join",
    "reference_canonical_bytes",
    "sha256_digest",
    "sha256_hex",
    "without",
]

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer every JSON implementation represents exactly."""

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Caps applied by :func:`loads`; both are configurable per call."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH


DEFAULT_LIMITS = ParseLimits()


class _Rejected:
    """Placeholder the decoder hooks leave where a forbidden value stood.

    The hooks cannot know the JSON path, so they mark the value and the walk
    that follows the parse reports it with its path.
    """

    __slots__ = ("code", "message")

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


class _DuplicateKeys(dict[str, Any]):
    """An object that had a repeated key; remembers which one."""

    duplicate: str = ""


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Decoder:
    """A strict decoder for one document; remembers whether any hook objected."""

    __slots__ = ("decoder", "suspicious")

    def __init__(self) -> None:
        self.suspicious = False
        self.decoder = json.JSONDecoder(
            object_pairs_hook=self._object,
            parse_float=self._float,
            parse_constant=self._constant,
            parse_int=self._int,
        )

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        self.suspicious = True
        seen: set[str] = set()
        marked = _DuplicateKeys(pairs)
        for key, _ in pairs:
            if key in seen:
                marked.duplicate = key
                break
            seen.add(key)
        return marked

    def _float(self, text: str) -> _Rejected:
        self.suspicious = True
        return _Rejected("json.float", f"number {text} is not an integer (floats are not allowed)")

    def _constant(self, text: str) -> _Rejected:
        self.suspicious = True
        return _Rejected("json.nonfinite", f"{text} is not allowed")

    def _int(self, text: str) -> int | _Rejected:
        if len(text) <= 15:  # |n| < 10**15 < 2**53: always in range
            return int(text)
        value = int(text) if len(text) <= 17 else None
        if value is not None and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        self.suspicious = True
        return _Rejected("json.integer_range", f"integer {text[:24]} is out of range ±(2^53-1)")


def _max_depth(root: Any, limit: int) -> int:
    """Container nesting depth of a parsed value, level by level (stops past ``limit``).

    Objects with duplicate keys are not descended into: they are reported anyway.
    """
    level, depth = [root], 0
    while level and depth <= limit:
        depth += 1
        level = [
            child
            for value in level
            for child in (value.values() if type(value) is dict else value)
            if type(child) is dict or type(child) is list
        ]
    return depth


def path_join(path: str, key: str | int) -> str:
    """Extend a JSON path: ``$.events`` + 1 -> ``$.events[1]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=True)}]"


def _check_string(value: str, path: str) -> None:
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JSONFormatError(
            "string holds a lone UTF-16 surrogate", path=path, code="json.surrogate"
        ) from exc


def _walk(root: Any, max_depth: int) -> None:
    """Reject marked values, lone surrogates and excessive depth, with paths."""
    stack: list[tuple[Any, str, int]] = [(root, "$", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            _check_string(value, path)
        elif isinstance(value, dict):
            if depth >= max_depth:
                raise JSONFormatError(
                    f"nesting deeper than {max_depth} levels", path=path, code="json.depth"
                )
            if isinstance(value, _DuplicateKeys):
                raise JSONFormatError(
                    f"duplicate key {value.duplicate!r}", path=path, code="json.duplicate_key"
                )
            for key, item in value.items():
                child = path_join(path, key)
                _check_string(key, child)
                if not isinstance(item, bool | int | type(None)):
                    stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            if depth >= max_depth:
                raise JSONFormatError(
                    f"nesting deeper than {max_depth} levels", path=path, code="json.depth"
                )
            for index, item in enumerate(value):
                if not isinstance(item, bool | int | type(None)):
                    stack.append((item, f"{path}[{index}]", depth + 1))
        elif isinstance(value, _Rejected):
            raise JSONFormatError(value.message, path=path, code=value.code)


def _decode_text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONFormatError(
            f"input is not UTF-8 (invalid byte at offset {exc.start})", code="json.encoding"
        ) from exc


def loads(data: bytes | str, *, limits: ParseLimits = DEFAULT_LIMITS) -> Any:
    """Parse JSON under the strict profile described in the module docstring.

    Raises :class:`~pithtex.core.errors.JSONFormatError` naming the JSON path and a
    stable code (``json.duplicate_key``, ``json.float``, ...); never anything else.
    """
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise JSONFormatError(
            f"input is {size} bytes, over the {limits.max_bytes}-byte cap", code="json.too_large"
        )
    text = _decode_text(data)
    if text.count("{") + text.count("[") <= PLAIN_MAX_CONTAINERS:
        value = _plain_loads(text, limits.max_depth)
        if value is not _UNSURE:
            return value
    return _strict_loads(text, limits)


PLAIN_MAX_CONTAINERS = 512
"""Documents with more ``{`` and ``[`` than this skip the fast path.

orjson parses recursively on the C stack, so the fast path takes only
documents whose nesting is bounded by their number of containers."""

_UNSURE = object()


def _plain_loads(text: str, max_depth: int) -> Any:
    """The value of a document that is plainly within the profile, else ``_UNSURE``.

    The fast path for well-formed documents: orjson parses (it is stricter than
    the standard decoder: it refuses ``NaN`` and lone surrogates, and reads
    integers beyond 64 bits as floats), then whole-document tests, each exact
    in the direction that matters (a document that passes has no problem; one
    that fails may have none, and :func:`_strict_loads` decides and explains):

    * orjson re-encodes the value, refusing integers beyond ±(2**53 - 1);
    * no duplicate keys: every ``:`` of a JSON text is either a member's
      separator or a character inside a string, so the text and the
      re-encoding (which escapes no ``:``) hold as many as long as no member
      was dropped, and a dropped duplicate takes at least its own ``:`` with
      it.  A ``\\u003a`` escape would spell a ``:`` the text does not show, so
      a text with any ``\\u003`` is left to the strict path;
    * no floats, and the nesting depth, in one walk level by level.
    """
    try:
        value = orjson.loads(text)
        encoded = orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER)
    except (ValueError, TypeError):  # orjson.JSONDecodeError, orjson.JSONEncodeError
        return _UNSURE
    if text.count(":") != encoded.count(b":") or ("\\" in text and "\\u003" in text):
        return _UNSURE
    if type(value) is float:
        return _UNSURE
    if isinstance(value, dict | list) and not _plain_shape(value, max_depth):
        return _UNSURE
    return value


def _plain_shape(root: dict[str, Any] | list[Any], limit: int) -> bool:
    """Whether ``root`` nests at most ``limit`` containers deep and holds no float."""
    level: list[Any] = [root]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return False
        deeper = []
        for value in level:
            for child in value.values() if type(value) is dict else value:
                kind = type(child)
                if kind is dict or kind is list:
                    deeper.append(child)
                elif kind is float:
                    return False
        level = deeper
    return True


def _strict_loads(text: str, limits: ParseLimits) -> Any:
    """Parse with a hook on every object and number; raise naming the first problem."""
    decoder = _Decoder()
    try:
        value, end = decoder.decoder.raw_decode(text, _skip_space(text, 0))
    except json.JSONDecodeError as exc:
        raise JSONFormatError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            code="json.syntax",
        ) from exc
    except RecursionError as exc:
        raise JSONFormatError(
            f"nesting deeper than {limits.max_depth} levels", code="json.depth"
        ) from exc
    if _skip_space(text, end) != len(text):
        raise JSONFormatError("extra data after the JSON value", code="json.syntax")
    if (
        decoder.suspicious
        or (
            isinstance(value, dict | list)
            and _max_depth(value, limits.max_depth) > limits.max_depth
        )
        or _SURROGATE_ESCAPE.search(text)
        or not _encodable(text)
    ):
        _walk(value, limits.max_depth)  # finds the problem and raises with its JSON path
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)
"""Sorted keys, and refuse (rather than convert) what ``json.dumps`` would treat otherwise."""


def canonical_bytes(obj: Any) -> bytes:
    """The canonical JSON encoding of ``obj`` (sorted keys, no spaces, UTF-8)."""
    try:
        return orjson.dumps(obj, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: outside the subset orjson encodes alike
        return reference_canonical_bytes(obj)


def reference_canonical_bytes(obj: Any) -> bytes:
    """The definition of canonical JSON, with the standard library's encoder."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sha256_digest(obj: Any) -> bytes:
    """SHA-256 of the canonical JSON of ``obj`` (32 raw bytes)."""
    return hashlib.sha256(canonical_bytes(obj)).digest()


def sha256_hex(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj``, as 64 lower-case hex digits."""
    return hashlib.sha256(canonical_bytes(obj)).hexdigest()


def without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A shallow copy of ``obj`` without ``keys`` (the unsigned parts of a document)."""
    return {k: v for k, v in obj.items() if k not in keys}
