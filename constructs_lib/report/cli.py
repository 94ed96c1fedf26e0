"""Command line: ``python -m constructs_lib.report cdk.out cdktf.out [--format table|json] [--live] [--diagrams DIR]``.

Per stack: the idle monthly cost line by line (with what was not priced), what ``destroy`` leaves behind with the
verdict for its profile, and the size of its architecture diagram (drawn to ``DIR/<system>.png`` with
``--diagrams``; ``DIR/<system>-prod.png`` for a prod stack).

Exit status: 0 when every stack passes; 1 when a teardown verdict fails or a dev stack costs its budget or more
idle; 2 on a usage error, when no stack is found (a report that read nothing must not pass), when ``--live`` cannot
read prices, or when a diagram cannot be drawn.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from constructs_lib.model import Stack, load_stacks
from constructs_lib.policy.prices import HOURS_PER_MONTH
from constructs_lib.report.cost import CostReport, PriceSource, TablePrices, estimate
from constructs_lib.report.diagram import DiagramModel, build
from constructs_lib.report.live import LivePrices, LivePricesError
from constructs_lib.report.render import RenderError, picture_name, render
from constructs_lib.report.teardown import DEV, TeardownReport, assess

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_RULES = {DEV: "dev: destroy must leave nothing", "prod": "prod: destroy must keep every data store"}


@dataclass(frozen=True)
class StackReport:
    """Everything the report says about one stack."""

    stack: Stack
    cost: CostReport
    teardown: TeardownReport
    diagram: DiagramModel
    picture: Path | None = None

    @property
    def failed(self) -> bool:
        return self.teardown.verdict == "fail" or self.cost.over_budget

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.stack.name,
            "system": self.stack.system,
            "profile": self.stack.profile,
            "format": self.stack.source_format,
            "path": str(self.stack.path),
            "cost": self.cost.to_dict(),
            "teardown": self.teardown.to_dict(),
            "diagram": {**self.diagram.to_dict(), "png": str(self.picture) if self.picture else None},
        }


def report_stack(stack: Stack, prices: PriceSource, pictures: Path | None = None) -> StackReport:
    """Cost, teardown and diagram of one stack (and its PNG under ``pictures`` when given)."""
    diagram = build(stack)
    picture = None
    if pictures is not None:
        picture = render(diagram, pictures / picture_name(stack.system, stack.name, stack.profile))
    return StackReport(stack, estimate(stack, prices), assess(stack), diagram, picture)


def _money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _columns(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def _cost_lines(cost: CostReport) -> list[str]:
    region = cost.region + (f" ({cost.region_note})" if cost.region_note else "")
    lines = [f"idle cost, USD a month of {HOURS_PER_MONTH} h, {cost.prices}, {region}:"]
    if cost.lines:
        rows = [("RESOURCE", "ITEM", "QUANTITY", "UNIT PRICE", "MONTHLY")]
        rows += [
            (
                line.resource,
                line.item,
                line.detail,
                f"${line.unit_price:g}/{line.unit}",
                _money(line.monthly),
            )
            for line in cost.lines
        ]
        lines += _columns(rows)
        lines += [f"    note ({line.resource}): {line.note}" for line in cost.lines if line.note]
    budget = cost.budget
    verdict = ""
    if budget is not None:
        status = "OVER BUDGET" if cost.over_budget else "within budget" if cost.profile == DEV else "budget is for dev"
        verdict = f"  (dev budget < {_money(budget.usd)}: {budget.reason}; {status})"
    lines.append(f"  total {_money(cost.total)}{verdict}")
    for item in cost.not_priced:
        lines.append(f"  not priced: {item.resource} ({item.type}): {item.reason}")
    if cost.usage_only:
        kinds = sorted({u.type for u in cost.usage_only})
        lines.append(f"  usage only, nothing idle: {len(cost.usage_only)} resource(s) of {', '.join(kinds)}")
    return lines


def _teardown_lines(teardown: TeardownReport) -> list[str]:
    rule = _RULES.get(teardown.profile or "", "no Profile tag: not judged")
    lines = [f"teardown ({rule}): {teardown.verdict}"]
    for item in teardown.leftovers:
        lines.append(f"  left behind: {item.resource}: {item.outcome}: {item.detail}")
    if teardown.deleted_buffers:
        lines.append(f"  deleted with the stack (buffers, not data stores): {', '.join(teardown.deleted_buffers)}")
    for violation in teardown.violations:
        lines += [f"  {violation.severity}: {violation.resource}: {violation.message}", f"    fix: {violation.fix}"]
    return lines


def render_table(reports: Sequence[StackReport]) -> str:
    """Every stack's section, then a summary table."""
    out: list[str] = []
    for report in reports:
        stack = report.stack
        out.append(f"== {stack.name} ({stack.system or '?'}, {stack.profile or 'no profile'}, {stack.source_format})")
        out += _cost_lines(report.cost)
        out += _teardown_lines(report.teardown)
        drawn = f", drawn to {report.picture}" if report.picture else ""
        out.append(f"diagram: {len(report.diagram.nodes)} nodes, {len(report.diagram.edges)} edges{drawn}")
        out.append("")
    rows = [("STACK", "PROFILE", "IDLE/MONTH", "DEV BUDGET", "NOT PRICED", "TEARDOWN")]
    for report in reports:
        budget = report.cost.budget
        rows.append(
            (
                report.stack.name,
                report.stack.profile or "-",
                _money(report.cost.total) + (" OVER" if report.cost.over_budget else ""),
                f"< {_money(budget.usd)}" if budget and report.stack.profile == DEV else "-",
                str(len(report.cost.not_priced)),
                report.teardown.verdict,
            )
        )
    out += _columns(rows, indent="")
    return "\n".join(out)


def render_json(reports: Sequence[StackReport], prices: PriceSource) -> str:
    return json.dumps(
        {
            "prices": prices.name,
            "stacks": [r.to_dict() for r in reports],
            "summary": {
                "stacks": len(reports),
                "failed": [f"{r.stack.name} ({r.stack.profile})" for r in reports if r.failed],
            },
        },
        indent=2,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m constructs_lib.report",
        description="Per synthesized stack: idle monthly cost, what destroy leaves behind, architecture diagram.",
    )
    parser.add_argument("paths", nargs="*", help="cdk.out / cdktf.out folders or stack files")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="report format (table)")
    parser.add_argument("--live", action="store_true", help="read prices from the AWS Price List API (credentials)")
    parser.add_argument("--diagrams", type=Path, metavar="DIR", help="draw each stack to DIR/<system>.png")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, session: Any = None) -> int:
    """Report on the given paths; returns the exit status."""
    out = out or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.paths:
        parser.print_usage(sys.stderr)
        print("report: give at least one cdk.out / cdktf.out folder or stack file", file=sys.stderr)
        return EXIT_USAGE
    try:
        stacks = load_stacks(args.paths)
        if not stacks:
            print(f"report: no stack found under {', '.join(args.paths)}", file=sys.stderr)
            return EXIT_USAGE
        prices: PriceSource = LivePrices.connect(session) if args.live else TablePrices()
        reports = [report_stack(stack, prices, args.diagrams) for stack in stacks]
    except (ValueError, LivePricesError, RenderError) as error:  # StackFileError, bad JSON, live prices, drawing
        print(f"report: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(render_json(reports, prices) if args.format == "json" else render_table(reports), file=out)
    return EXIT_FAILED if any(r.failed for r in reports) else EXIT_OK
