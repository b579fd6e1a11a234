"""Run the benchmarks and print one table of figures with their anchors.

Usage: ``python bench/run.py [--only SUBSTRING] [--json]``.  Each
``bench/bench_*.py`` module exposes ``run() -> list[Row]``; later work adds
modules, not edits to this runner.  Figures are measured, never asserted:
the table says whether each target was met in this run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from harness import Row  # noqa: E402


def discover(only: str | None) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [n for n in names if only is None or only in n]


def format_table(rows: list[Row]) -> str:
    header = ("area", "metric", "value", "anchor", "ratio", "target", "met")
    lines = [header]
    for row in rows:
        anchor = f"{row.anchor}: {row.anchor_value:.4g}" if row.anchor else "-"
        ratio = f"{row.ratio:.3f}x" if row.ratio is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[row.met]
        lines.append(
            (row.area, row.metric, f"{row.value:.4g} {row.unit}", anchor, ratio, row.target, met)
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only benchmark modules whose name contains this")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args()
    rows: list[Row] = []
    for name in discover(args.only):
        print(f"running {name} ...", file=sys.stderr)
        rows.extend(importlib.import_module(name).run())
    if args.json:
        print(json.dumps([{**row.__dict__, "ratio": row.ratio} for row in rows], indent=2))
    else:
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
