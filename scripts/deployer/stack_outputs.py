"""The deployed stacks' outputs in ``cfn-outputs/`` (per stack and flat) and the per-stack report the summary prints."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scripts import WORK_DIR

OUTPUTS_DIR = WORK_DIR / "cfn-outputs"


FLAT_OUTPUTS = OUTPUTS_DIR / "flat-outputs.json"


REPORT = OUTPUTS_DIR / "deploy-report.json"


@dataclass
class StackResult:
    """What the summary prints for one stack."""

    stack: str
    tool: str
    stack_name: str = ""
    region: str = ""
    deploy_seconds: float = 0.0
    destroy_seconds: float = 0.0
    resources: int = 0
    outputs: int = 0
    status: str = ""


@dataclass
class Report:
    steps: dict[str, float] = field(default_factory=dict)
    stacks: dict[str, StackResult] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Report:
        if not REPORT.exists():
            return cls()
        data = json.loads(REPORT.read_text())
        return cls(data.get("steps", {}), {k: StackResult(**v) for k, v in data.get("stacks", {}).items()})

    def save(self) -> None:
        OUTPUTS_DIR.mkdir(exist_ok=True)
        data = {"steps": self.steps, "stacks": {k: asdict(v) for k, v in self.stacks.items()}}
        REPORT.write_text(json.dumps(data, indent=2) + "\n")

    def timed(self, step: str, action: Callable[[], Any]) -> Any:
        started = time.monotonic()
        try:
            return action()
        finally:
            self.steps[step] = round(time.monotonic() - started, 1)


def write_stack_outputs(construct_id: str, outputs: dict[str, str]) -> Path:
    OUTPUTS_DIR.mkdir(exist_ok=True)
    path = OUTPUTS_DIR / f"{construct_id}.json"
    path.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    return path


def rebuild_flat_outputs(known_stacks: list[str]) -> dict[str, str]:
    """``flat-outputs.json`` from every ``cfn-outputs/<Stack>.json`` of a known stack: ``{"<Stack>.<Key>": value}``."""
    flat: dict[str, str] = {}
    for construct_id in known_stacks:
        path = OUTPUTS_DIR / f"{construct_id}.json"
        if path.exists():
            flat.update({f"{construct_id}.{key}": value for key, value in json.loads(path.read_text()).items()})
    OUTPUTS_DIR.mkdir(exist_ok=True)
    FLAT_OUTPUTS.write_text(json.dumps(flat, indent=2, sort_keys=True) + "\n")
    return flat


def summary() -> str:
    """One line per stack: deployed resources, outputs, integration tests, deploy and destroy seconds."""
    report = Report.load()
    tests_file = OUTPUTS_DIR / "integration-report.json"
    tests = json.loads(tests_file.read_text()).get("stacks", {}) if tests_file.exists() else {}
    lines = [
        f"{'stack':<20} {'tool':<6} {'resources':>9} {'outputs':>7} {'tests':>6} {'passed':>6} {'failed':>6} "
        f"{'deploy s':>8} {'destroy s':>9}  status"
    ]
    for name, result in report.stacks.items():
        counts = tests.get(name, {})
        lines.append(
            f"{name:<20} {result.tool:<6} {result.resources:>9} {result.outputs:>7} {sum(counts.values()):>6} "
            f"{counts.get('passed', 0):>6} {counts.get('failed', 0):>6} {result.deploy_seconds:>8.1f} "
            f"{result.destroy_seconds:>9.1f}  {result.status}"
        )
    if report.steps:
        lines.append("other steps: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.steps.items()))
    return "\n".join(lines)
