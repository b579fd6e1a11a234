"""Core: bundle verification throughput and command start-up (issue: core).

The verification rate is anchored to its floor in CPython, measured in the
same run: the work no implementation of the checks can skip, done with the
fastest calls available and nothing else (four libsodium signature
verifications, one ``json.loads`` of the bundle, and the canonical encodings
and SHA-256 digests of the record, the events, the state (twice: as carried
and as recomputed) and the bundle).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable

from harness import SEED_BUNDLE, Row, command_seconds, per_second, pithtex_argv

from pithtex.canonical import canonical_bytes, without
from pithtex.model import parse_bundle
from pithtex.records import EVENT_UNSIGNED_FIELDS
from pithtex.trust import Keyring
from pithtex.verify import verify_bundle


def _floor(data: bytes, keyring: Keyring) -> Callable[[], None]:
    """One pass of the unavoidable work, for the seed bundle."""
    from nacl.bindings import crypto_sign_open

    doc = json.loads(data)
    key = keyring.keys[0].raw
    receipt = doc["events"][0]["payload"]["receipt"]
    blocks = [receipt, *(e["signature"] for e in doc["events"]), doc["bundle_signature"]]
    messages = [
        receipt["canonical_sha256"],
        *(e["content_sha256"] for e in doc["events"]),
        doc["bundle_signature"]["bundle_sha256"],
    ]
    signed = [
        base64.b64decode(block["signature_b64"]) + bytes.fromhex(message)
        for block, message in zip(blocks, messages, strict=True)
    ]

    def one_pass() -> None:
        parsed = json.loads(data)
        digests = [hashlib.sha256(canonical_bytes(parsed["canonical_record"])).digest()]
        digests += [
            hashlib.sha256(canonical_bytes(without(e, *EVENT_UNSIGNED_FIELDS))).digest()
            for e in parsed["events"]
        ]
        state = without(parsed["state"], "state_sha256")
        digests += [hashlib.sha256(canonical_bytes(state)).digest() for _ in range(2)]
        unsigned = without(parsed, "bundle_signature")
        digests.append(hashlib.sha256(canonical_bytes(unsigned)).digest())
        for message in signed:
            crypto_sign_open(message, key)

    return one_pass


def run() -> list[Row]:
    data = SEED_BUNDLE.read_bytes()
    keyring = Keyring.default()

    def verify_seed() -> None:
        result = verify_bundle(parse_bundle(data), keyring)
        assert result.verified

    rate = per_second(verify_seed)
    floor = per_second(_floor(data, keyring))
    python_start = command_seconds([sys.executable, "-c", "pass"])
    help_time = command_seconds(pithtex_argv("--help"))
    return [
        Row(
            "core",
            "verify seed bundle (parse + all checks), in-process",
            rate,
            "bundles/s",
            ">= 2000/s on one core",
            rate >= 2000,
            anchor="floor (4 libsodium verifications, json.loads, 6 canonical SHA-256s)",
            anchor_value=floor,
        ),
        Row(
            "core",
            "pithtex --help, wall",
            help_time * 1000,
            "ms",
            "< 150 ms",
            help_time < 0.150,
            anchor="python -c pass",
            anchor_value=python_start * 1000,
        ),
    ]
