"""Command line: ``preflight PATH... [--format table|json|sarif]`` (also ``python -m constructs_lib.preflight``).

PATH is a ``cdk.out`` / ``cdktf.out`` folder, a folder holding several of them, or a single template or
``*.tf.json`` file. Exit status: 0 when no finding is an error, 1 when one is, 2 on a usage error or bad input (a
missing path, a file that is not JSON or declares no resources, a folder with no stack): a check that read nothing
must not pass. Bad input is reported as one line naming the path and the problem. Importing this module imports
no CDK or Terraform binding.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from constructs_lib.model import Stack, load_stacks
from constructs_lib.preflight.pack import PACK, RULES_BY_ID
from constructs_lib.preflight.registry import Finding, Rule, Severity, run_rules
from constructs_lib.preflight.sarif import render_sarif

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
_SHORT_FORMATS = {"cloudformation": "cfn", "terraform": "tf"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="preflight",
        description="Check synthesized stacks (cdk.out, cdktf.out, or single template / cdk.tf.json files) for the "
        "mistakes that failed deploys in the seeds.",
    )
    parser.add_argument("paths", nargs="*", help="cdk.out / cdktf.out folders (or folders of them) or stack files")
    parser.add_argument(
        "--format", choices=("table", "json", "sarif"), default="table", help="report format (table; sarif = 2.1.0)"
    )
    parser.add_argument("--rule", action="append", metavar="RULE_ID", help="run only this rule (repeatable)")
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    return parser


def _selected_rules(rule_ids: Sequence[str] | None) -> tuple[Rule, ...]:
    if not rule_ids:
        return PACK
    unknown = [r for r in rule_ids if r not in RULES_BY_ID]
    if unknown:
        raise ValueError(f"unknown rule {', '.join(unknown)}; see --list-rules")
    return tuple(RULES_BY_ID[r] for r in rule_ids)


def render_table(stacks: Sequence[Stack], findings: Sequence[Finding], seconds: float) -> str:
    """Findings as aligned columns, each with its message and fix beneath, then a one-line summary."""
    lines: list[str] = []
    if findings:
        widths = [
            max(len(h), *(len(v) for v in values))
            for h, values in (
                ("SEVERITY", [f.severity for f in findings]),
                ("RULE", [f.rule_id for f in findings]),
                ("STACK", [f.stack for f in findings]),
            )
        ]
        indent = " " * (sum(widths) + 2 * len(widths))

        def row(*cells: str) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, [*widths, 0], strict=True)).rstrip()

        lines.append(row("SEVERITY", "RULE", "STACK", "RESOURCE"))
        for f in findings:
            lines += [row(f.severity, f.rule_id, f.stack, f.resource), f"{indent}{f.message}", f"{indent}fix: {f.fix}"]
        lines.append("")
    errors = sum(f.severity is Severity.ERROR for f in findings)
    resources = sum(len(s.resources) for s in stacks)
    lines.append(
        f"{len(stacks)} stack(s), {resources} resources checked in {seconds:.2f} s: "
        f"{errors} error(s), {len(findings) - errors} warning(s)"
    )
    return "\n".join(lines)


def render_json(stacks: Sequence[Stack], findings: Sequence[Finding], seconds: float) -> str:
    """Findings and the stacks they were read from, for CI and other tools."""
    errors = sum(f.severity is Severity.ERROR for f in findings)
    return json.dumps(
        {
            "stacks": [
                {
                    "name": s.name,
                    "format": s.source_format,
                    "path": str(s.path),
                    "region": s.region,
                    "profile": s.profile,
                    "resources": len(s.resources),
                }
                for s in stacks
            ],
            "findings": [f.to_dict() for f in findings],
            "summary": {"errors": errors, "warnings": len(findings) - errors, "seconds": round(seconds, 3)},
        },
        indent=2,
    )


def render_rules(rules: Sequence[Rule]) -> str:
    """One line per rule: id, default severity, formats it reads, seeds it comes from, title."""
    width = max(len(r.rule_id) for r in rules)
    return "\n".join(
        f"{r.rule_id.ljust(width)}  {r.severity:<7}  {'+'.join(_SHORT_FORMATS[f] for f in sorted(r.formats)):<6}  "
        f"seeds {','.join(r.seeds) or '-':<11}  {r.title}"
        for r in rules
    )


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the pack over the given paths and print the report; returns the exit status."""
    out = out or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        rules = _selected_rules(args.rule)
        if args.list_rules:
            print(render_rules(rules), file=out)
            return EXIT_OK
        if not args.paths:
            parser.print_usage(sys.stderr)
            print("preflight: give at least one cdk.out / cdktf.out folder or stack file", file=sys.stderr)
            return EXIT_USAGE
        started = time.perf_counter()
        stacks = load_stacks(args.paths)
        findings = run_rules(stacks, rules)
        seconds = time.perf_counter() - started
    except ValueError as error:  # StackFileError (missing, not JSON, no resources, empty folder), unknown rule
        print(f"preflight: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "sarif":
        print(render_sarif(findings, rules), file=out)
    else:
        render = render_json if args.format == "json" else render_table
        print(render(stacks, findings, seconds), file=out)
    return EXIT_ERRORS if any(f.severity is Severity.ERROR for f in findings) else EXIT_OK
