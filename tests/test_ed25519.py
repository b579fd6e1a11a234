"""Strict Ed25519: RFC 8032, Wycheproof and speccheck vectors through our own verifier."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED

from pithtex.trust import ed25519
from pithtex.trust.ed25519 import SMALL_ORDER_Y, D, P, SigStatus

VECTORS = SHARED / "vectors"

# RFC 8032, section 7.1: TEST 1, 2 and 3 (secret key, public key, message, signature).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
        "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    from pithtex.trust.signing import SigningKey

    key = SigningKey.from_seed("rfc8032", bytes.fromhex(secret))
    assert key.public_raw.hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature
    assert ed25519.verify(
        bytes.fromhex(public), bytes.fromhex(signature), bytes.fromhex(message)
    ).ok
    flipped = bytearray(bytes.fromhex(signature))
    flipped[5] ^= 1
    assert ed25519.verify(bytes.fromhex(public), bytes(flipped), bytes.fromhex(message)) in (
        SigStatus.MISMATCH,
        SigStatus.R_NONCANONICAL,
        SigStatus.R_SMALL_ORDER,
    )
    assert not ed25519.verify(bytes.fromhex(public), bytes.fromhex(signature), b"other").ok


def _wycheproof_cases() -> list[tuple[int, str, str, str, str]]:
    doc = json.loads((VECTORS / "wycheproof_ed25519_test.json").read_text())
    return [
        (t["tcId"], g["publicKey"]["pk"], t["msg"], t["sig"], t["result"])
        for g in doc["testGroups"]
        for t in g["tests"]
    ]


WYCHEPROOF = _wycheproof_cases()


def test_wycheproof_file_is_complete() -> None:
    assert len(WYCHEPROOF) == 151


@pytest.mark.parametrize(
    ("tc_id", "pk", "msg", "sig", "expected"), WYCHEPROOF, ids=[f"tc{c[0]}" for c in WYCHEPROOF]
)
def test_wycheproof(tc_id: int, pk: str, msg: str, sig: str, expected: str) -> None:
    status = ed25519.verify(bytes.fromhex(pk), bytes.fromhex(sig), bytes.fromhex(msg))
    # the strict policy rejects what Wycheproof calls "acceptable"
    assert status.ok is (expected == "valid"), status


SPECCHECK = json.loads((VECTORS / "speccheck_cases.json").read_text())
SPECCHECK_EXPECTED = json.loads((VECTORS / "speccheck_expected.json").read_text())["expected"]


@pytest.mark.parametrize("index", range(len(SPECCHECK)))
def test_speccheck_strict_answers(index: int) -> None:
    case = SPECCHECK[index]
    status = ed25519.verify(
        bytes.fromhex(case["pub_key"]),
        bytes.fromhex(case["signature"]),
        bytes.fromhex(case["message"]),
    )
    assert ("valid" if status.ok else "invalid") == SPECCHECK_EXPECTED[str(index)], status


def test_speccheck_failures_are_named() -> None:
    def status(i: int) -> SigStatus:
        c = SPECCHECK[i]
        return ed25519.verify(
            bytes.fromhex(c["pub_key"]), bytes.fromhex(c["signature"]), bytes.fromhex(c["message"])
        )

    assert status(0) is SigStatus.KEY_SMALL_ORDER
    assert status(2) is SigStatus.R_SMALL_ORDER
    assert status(6) is SigStatus.S_OUT_OF_RANGE
    assert status(11) is SigStatus.KEY_SMALL_ORDER  # non-canonical encoding of a small-order key


# -- the small-order table, re-derived by point arithmetic -------------------------------


def _recover_x(y: int) -> int | None:
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    if x2 == 0:
        return 0
    x = pow(x2, (P + 3) // 8, P)
    if x * x % P != x2:
        x = x * pow(2, (P - 1) // 4, P) % P
    return x if x * x % P == x2 else None


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P
    return x3, y3


def _order(point: tuple[int, int]) -> int:
    current, n = point, 1
    while current != (0, 1):
        current, n = _add(current, point), n + 1
        if n > 8:
            return 0
    return n


def test_small_order_table_is_exactly_the_torsion_points() -> None:
    orders = []
    for y in SMALL_ORDER_Y:
        x = _recover_x(y)
        assert x is not None
        for sign in {x, (-x) % P}:
            orders.append(_order((sign, y)))
    assert sorted(orders) == [1, 2, 4, 4, 8, 8, 8, 8]


@pytest.mark.parametrize("y", sorted(SMALL_ORDER_Y))
def test_every_encoding_of_small_order_points_is_rejected(y: int) -> None:
    encodings = [y, y | (1 << 255)]
    if y + P < 2**255:
        encodings += [y + P, (y + P) | (1 << 255)]
    for value in encodings:
        raw = value.to_bytes(32, "little")
        assert ed25519.check_public_key(raw) is SigStatus.KEY_SMALL_ORDER
        signature = raw + (1).to_bytes(32, "little")
        good_key = bytes.fromhex(RFC8032[0][1])
        assert ed25519.verify(good_key, signature, b"") is SigStatus.R_SMALL_ORDER


def test_noncanonical_key_encoding_is_rejected() -> None:
    # y = p + 2 (not a small-order point, but not canonical either)
    raw = (P + 2).to_bytes(32, "little")
    assert ed25519.check_public_key(raw) in (SigStatus.KEY_NONCANONICAL, SigStatus.KEY_SMALL_ORDER)
    assert ed25519.check_public_key((P + 3).to_bytes(32, "little")) is SigStatus.KEY_NONCANONICAL


def test_off_curve_key_is_rejected() -> None:
    off = next(y for y in range(2, 100) if _recover_x(y) is None)
    assert ed25519.check_public_key(off.to_bytes(32, "little")) is SigStatus.KEY_INVALID


def test_wrong_lengths() -> None:
    key = bytes.fromhex(RFC8032[0][1])
    assert ed25519.verify(key, b"\0" * 63, b"") is SigStatus.BAD_LENGTH
    assert ed25519.verify(key[:31], b"\0" * 64, b"") is SigStatus.BAD_LENGTH
