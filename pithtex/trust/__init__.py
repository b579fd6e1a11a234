"""The trust layer: signatures, the keyring, the merge, verification and signing.

Trust comes only from a :class:`~pithtex.trust.keyring.Keyring`, never from keys
a bundle carries about itself.  :func:`~pithtex.trust.verify.require_verified`
is the one way to a :class:`~pithtex.trust.verify.VerifiedBundle`, which is
what the layers above accept.

The names of the 0.1 module ``pithtex.trust`` (now
:mod:`pithtex.trust.keyring`) are still importable from here.
"""

from __future__ import annotations

import importlib
from typing import Any

_KEYRING_NAMES = (
    "Keyring",
    "SignatureClaim",
    "fingerprint_b32",
    "fingerprint_hex",
    "key_entry",
    "key_problems",
    "parse_keyring",
    "signature_checks",
    "signed_within_validity",
)
_VERIFY_NAMES = ("VerifiedBundle", "require_verified", "verify_bundle")

__all__ = [
    "Keyring",
    "SignatureClaim",
    "VerifiedBundle",
    "fingerprint_b32",
    "fingerprint_hex",
    "key_entry",
    "key_problems",
    "parse_keyring",
    "require_verified",
    "signature_checks",
    "signed_within_validity",
    "verify_bundle",
]


def __getattr__(name: str) -> Any:
    if name in _KEYRING_NAMES:
        module = "pithtex.trust.keyring"
    elif name in _VERIFY_NAMES:
        module = "pithtex.trust.verify"
    else:
        raise AttributeError(f"module 'pithtex.trust' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
