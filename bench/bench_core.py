"""Core: bundle verification throughput and command start-up (issue: core).

The verification rate is anchored to its floor in CPython, measured in the
same run: the work no implementation of the checks can skip, done with the
fastest calls available and nothing else (four libsodium signature
verifications, one ``json.loads`` of the bundle, and the canonical encodings
and SHA-256 digests of the record, the events, the state (twice: as carried
and as recomputed) and the bundle).

For comparison only (pithtex ships pure Python), the rate is also measured with
the core modules compiled by mypyc in a scratch copy, when mypyc and a C
compiler are at hand: what compiling would buy, measured in the same run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness import ROOT, SEED_BUNDLE, Row, command_seconds, per_second, pithtex_argv

from pithtex.core.canonical import canonical_bytes, without
from pithtex.core.digests import EVENT_UNSIGNED_FIELDS
from pithtex.core.model import parse_bundle
from pithtex.trust.keyring import Keyring
from pithtex.trust.verify import verify_bundle


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


COMPILED_MODULES = (
    "canonical",
    "ed25519",
    "merge",
    "model",
    "numbers",
    "records",
    "results",
    "trust",
    "verify",
)
"""The modules a verification runs through (errors.py stays interpreted: mypyc
does not support its exception classes' class attributes)."""

RATE_SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT / "bench")!r})
from harness import per_second
import pithtex.trust.verify
assert pithtex.trust.verify.__file__.endswith(".so"), pithtex.trust.verify.__file__
from pithtex.core.model import parse_bundle
from pithtex.trust.keyring import Keyring
data = open({str(SEED_BUNDLE)!r}, "rb").read()
keyring = Keyring.default()
def verify_seed():
    assert pithtex.trust.verify.verify_bundle(parse_bundle(data), keyring).verified
print(per_second(verify_seed))
"""


def _compiled_rate() -> float | None:
    """Bundles/s with the core modules compiled by mypyc (None when it cannot build)."""
    if shutil.which("cc") is None:
        return None
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        shutil.copytree(ROOT / "pithtex", work / "pithtex")
        sources = [f"pithtex/{name}.py" for name in COMPILED_MODULES]
        built = subprocess.run(
            [sys.executable, "-m", "mypyc", *sources], cwd=work, capture_output=True, check=False
        )
        if built.returncode != 0:
            return None
        measured = subprocess.run(
            [sys.executable, "-c", RATE_SCRIPT],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(measured.stdout)


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
    compiled = _compiled_rate()
    rows = [
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
    if compiled is not None:
        rows.insert(
            1,
            Row(
                "core",
                "same, core modules compiled with mypyc (comparison only: not shipped)",
                compiled,
                "bundles/s",
                "(>= 2000/s)",
                None,
                anchor="pure Python (row above)",
                anchor_value=rate,
            ),
        )
    return rows
