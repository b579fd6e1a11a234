"""Strict Ed25519 signature verification.

Ed25519 libraries disagree on edge cases: pyca/cryptography (OpenSSL) verifies
the RFC 8032 equation but accepts small-order public keys, small-order ``R``
and a non-canonical key encoding.  :func:`verify` first applies the checks that
make verification strict, in the sense of "Taming the many EdDSAs":

* ``A`` and ``R`` must be canonical encodings (``y < p``),
* ``A`` and ``R`` must not be points of small order, in any encoding,
* ``S`` must be below the group order ``L``,

and names which one failed.  The (cofactorless) equation is then checked by
libsodium through PyNaCl, which is itself strict and about twice as fast as
OpenSSL here; strictness does not depend on it, since the checks above come
first.  The same key checks apply to every key admitted to a keyring
(:func:`check_public_key`).  Signing lives in :mod:`pithtex.trust.signing`.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

__all__ = [
    "SMALL_ORDER_Y",
    "D",
    "L",
    "P",
    "SigStatus",
    "check_point_encoding",
    "check_public_key",
    "verify",
]

P = 2**255 - 19
"""The field prime."""
L = 2**252 + 27742317777372353535851937790883648493
"""The prime order of the base point."""

# y-coordinates (mod p) of the eight points of small order: the identity (y=1),
# the point of order 2 (y=-1), the two of order 4 (y=0) and the four of order 8.
# Every encoding of these points, canonical or not, with either sign bit, reduces
# to one of these y values (tests re-derive them by point arithmetic).
D = (-121665 * pow(121666, P - 2, P)) % P
"""The curve constant d of edwards25519."""
_ORDER8_Y = 0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7
SMALL_ORDER_Y = frozenset({0, 1, P - 1, _ORDER8_Y, P - _ORDER8_Y})


class SigStatus(Enum):
    """Outcome of a strict verification; values are the status-code suffixes."""

    OK = "ok"
    BAD_LENGTH = "malformed"
    KEY_NONCANONICAL = "key_noncanonical"
    KEY_SMALL_ORDER = "key_small_order"
    KEY_INVALID = "key_invalid"
    R_NONCANONICAL = "r_noncanonical"
    R_SMALL_ORDER = "r_small_order"
    S_OUT_OF_RANGE = "s_out_of_range"
    MISMATCH = "mismatch"

    @property
    def ok(self) -> bool:
        return self is SigStatus.OK

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_EXPLANATIONS = {
    SigStatus.OK: "signature verifies",
    SigStatus.BAD_LENGTH: "signature must be 64 bytes and key 32 bytes",
    SigStatus.KEY_NONCANONICAL: "public key is a non-canonical encoding (y >= p)",
    SigStatus.KEY_SMALL_ORDER: "public key is a point of small order",
    SigStatus.KEY_INVALID: "public key is not a point on the curve",
    SigStatus.R_NONCANONICAL: "signature R is a non-canonical encoding (y >= p)",
    SigStatus.R_SMALL_ORDER: "signature R is a point of small order",
    SigStatus.S_OUT_OF_RANGE: "signature S is not below the group order L",
    SigStatus.MISMATCH: "signature does not verify for this key and message",
}


def _point_y(encoded: bytes) -> int:
    return int.from_bytes(encoded, "little") & ((1 << 255) - 1)


def check_point_encoding(encoded: bytes) -> tuple[bool, bool]:
    """(canonical, small_order) for a 32-byte compressed Edwards point."""
    y = _point_y(encoded)
    if y >= P:
        return False, (y - P) in SMALL_ORDER_Y
    return True, y in SMALL_ORDER_Y


def check_public_key(raw: bytes) -> SigStatus:
    """Whether ``raw`` is acceptable as a strict Ed25519 public key."""
    if len(raw) != 32:
        return SigStatus.BAD_LENGTH
    canonical, small = check_point_encoding(raw)
    if small:
        return SigStatus.KEY_SMALL_ORDER
    if not canonical:
        return SigStatus.KEY_NONCANONICAL
    if not _on_curve(_point_y(raw)):
        return SigStatus.KEY_INVALID
    return SigStatus.OK


@lru_cache(maxsize=256)
def _on_curve(y: int) -> bool:
    """Whether some x satisfies -x^2 + y^2 = 1 + d x^2 y^2, i.e. (y^2-1)/(d y^2+1) is a square."""
    yy = y * y % P
    ratio = (yy - 1) * pow(D * yy + 1, P - 2, P) % P
    return ratio == 0 or pow(ratio, (P - 1) // 2, P) == 1


def verify(public_key: bytes, signature: bytes, message: bytes) -> SigStatus:
    """Strictly verify an Ed25519 ``signature`` of ``message`` under ``public_key``."""
    if len(signature) != 64:
        return SigStatus.BAD_LENGTH
    key_status = check_public_key(public_key)
    if not key_status.ok:
        return key_status
    r_canonical, r_small = check_point_encoding(signature[:32])
    if r_small:
        return SigStatus.R_SMALL_ORDER
    if not r_canonical:
        return SigStatus.R_NONCANONICAL
    if int.from_bytes(signature[32:], "little") >= L:
        return SigStatus.S_OUT_OF_RANGE
    # libsodium's own binding: importing it alone (not nacl.signing, which brings
    # the rest of PyNaCl's high-level API) keeps start-up short.
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        return SigStatus.MISMATCH
    return SigStatus.OK
