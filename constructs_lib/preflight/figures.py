"""Preflight's figures on a set of stacks: how many were read, what was found by rule, and how fast.

    python -m constructs_lib.preflight.figures tests/unit/preflight/corpus [--repeat 5] [--format json]

Each run loads every stack from disk and runs the whole pack, as the command does; the time reported is the median
of ``--repeat`` runs, and the rate is stacks (templates and Terraform JSON files) per second. For a benchmark, not a
test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from constructs_lib.model import CLOUDFORMATION, load_stacks
from constructs_lib.preflight.pack import PACK
from constructs_lib.preflight.registry import Severity, run_rules


@dataclass(frozen=True)
class Figures:
    """What one pass of the pack over ``paths`` read and found, and the median wall time of ``runs`` passes."""

    templates: int
    terraform: int
    resources: int
    errors: int
    warnings: int
    errors_by_rule: dict[str, int] = field(default_factory=dict)
    warnings_by_rule: dict[str, int] = field(default_factory=dict)
    runs: int = 1
    seconds: float = 0.0

    @property
    def stacks_per_second(self) -> float:
        return (self.templates + self.terraform) / self.seconds if self.seconds else 0.0


def measure(paths: Sequence[str | Path], repeat: int = 5) -> Figures:
    """Load and check ``paths`` ``repeat`` times; the figures of the last pass with the median time."""
    times: list[float] = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        stacks = load_stacks(paths)
        findings = run_rules(stacks, PACK)
        times.append(time.perf_counter() - started)
    errors = Counter(f.rule_id for f in findings if f.severity is Severity.ERROR)
    warnings = Counter(f.rule_id for f in findings if f.severity is Severity.WARNING)
    return Figures(
        templates=sum(s.source_format == CLOUDFORMATION for s in stacks),
        terraform=sum(s.source_format != CLOUDFORMATION for s in stacks),
        resources=sum(len(s.resources) for s in stacks),
        errors=sum(errors.values()),
        warnings=sum(warnings.values()),
        errors_by_rule=dict(sorted(errors.items())),
        warnings_by_rule=dict(sorted(warnings.items())),
        runs=len(times),
        seconds=statistics.median(times),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m constructs_lib.preflight.figures", description=__doc__)
    parser.add_argument("paths", nargs="+", help="folders or stack files, as for the preflight command")
    parser.add_argument("--repeat", type=int, default=5, help="passes to take the median time of (5)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        figures = measure(args.paths, args.repeat)
    except ValueError as error:
        print(f"preflight: {error}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps({**asdict(figures), "stacks_per_second": round(figures.stacks_per_second, 1)}, indent=2))
        return 0
    print(
        f"{figures.templates} CloudFormation templates, {figures.terraform} Terraform JSON files, "
        f"{figures.resources} resources: {figures.errors} error(s), {figures.warnings} warning(s)"
    )
    for rule, count in figures.errors_by_rule.items():
        print(f"  error    {rule:<32} {count}")
    for rule, count in figures.warnings_by_rule.items():
        print(f"  warning  {rule:<32} {count}")
    print(
        f"{figures.seconds:.2f} s (median of {figures.runs}): {figures.stacks_per_second:.0f} stacks/s, "
        "loading included"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
