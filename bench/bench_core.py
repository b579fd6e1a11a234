"""Core: bundle verification throughput and command start-up (issue: core)."""

from __future__ import annotations

import sys

from harness import SEED_BUNDLE, Row, command_seconds, per_second, pithtex_argv

from pithtex.model import parse_bundle
from pithtex.trust import Keyring
from pithtex.verify import verify_bundle


def run() -> list[Row]:
    data = SEED_BUNDLE.read_bytes()
    keyring = Keyring.default()

    def verify_seed() -> None:
        result = verify_bundle(parse_bundle(data), keyring)
        assert result.verified

    rate = per_second(verify_seed)
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
