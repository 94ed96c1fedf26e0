"""Run every deploy lifecycle check against a fresh local emulator and print what each stack showed.

    python -m scripts.lifecycle                 # all five stacks; exit 1 if any check failed
    python -m scripts.lifecycle --stack streamflix --stack IotPlatform

In order: bad configuration; on dev, interrupted deploy (with the state lock), untracked adopted, no drift, then dev
leaves nothing; S3 state lock (cdktf); prod keeps its data; the emulator empty at the end. The figures go to
``cfn-outputs/deploy-checks.json`` and the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict

from scripts import ROOT
from scripts.deployer import commands, protocol, stack_outputs
from scripts.lifecycle import (
    CheckOutcome,
    StackFigures,
    bad_config,
    interrupted_deploy,
    no_drift,
    prod_data,
    s3_state,
    table,
    teardown,
    untracked_adopted,
)
from scripts.lifecycle.inventory import Inventory, count, shown

#: The suffix of the stacks these checks deploy (unique, so they never meet a developer's own local stacks).
SUFFIX = "checks"
RESULTS = stack_outputs.OUTPUTS_DIR / "deploy-checks.json"
FINAL_CHECK = "emulator empty at the end"


def emulator(command: str) -> str:
    """``python -m scripts.emulator.server <command>``; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.emulator.server", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise protocol.DeployError(f"emulator {command} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def point_at_emulator() -> None:
    """Export what ``server env`` prints (endpoint, placeholder credentials) into this process's environment."""
    for line in emulator("env").splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            os.environ[key] = value.strip("'\"")


def timed(outcomes: list[CheckOutcome], label: str, check: Callable[[], list[CheckOutcome]]) -> None:
    started = time.monotonic()
    print(f"[deploy-checks] {label} ...", flush=True)
    try:
        found = check()
    except Exception as error:  # a check that could not finish is a failed check; the others still run
        found = [CheckOutcome(label, "*", False, f"{type(error).__name__}: {error}")]
    outcomes.extend(found)
    failed = [outcome for outcome in found if not outcome.ok]
    print(
        f"[deploy-checks] {label}: {len(found) - len(failed)} passed, {len(failed)} failed "
        f"({time.monotonic() - started:.0f} s)",
        flush=True,
    )


def run_checks(selected: list[str] | None) -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
    """Every check, in order, on the emulator this process points at (fresh: nothing deployed)."""
    outcomes: list[CheckOutcome] = []
    figures: dict[str, StackFigures] = {}
    timed(outcomes, "bad configuration", lambda: bad_config.check_bad_configuration(figures))

    dev = [commands.TOOLS[name]("dev", SUFFIX) for name in sorted(commands.TOOLS)]
    for tool in dev:
        tool.synthesize()
        tool.prepare(commands.selected_stacks(tool, selected))  # the CDK bootstrap belongs to the baseline
    inventory = Inventory(teardown.regions_of(dev))
    baseline = inventory.snapshot()
    stacks = {tool.name: commands.selected_stacks(tool, selected) for tool in dev}
    timed(
        outcomes, "interrupted deploy (dev)", lambda: interrupted_deploy.check_interrupted_deploy(dev, stacks, figures)
    )
    timed(outcomes, "untracked adopted (dev)", lambda: untracked_adopted.check_untracked_adopted(dev, stacks))
    timed(outcomes, "no drift (dev)", lambda: no_drift.check_no_drift(dev, stacks))
    timed(
        outcomes,
        "dev leaves nothing",
        lambda: teardown.check_dev_leaves_nothing(dev, figures, baseline, selected, inventory),
    )
    cdktf_selected = [stack.construct_id for stack in stacks.get("cdktf", [])]
    if cdktf_selected:
        timed(outcomes, "S3 state lock (cdktf)", lambda: s3_state.check_s3_state_lock(cdktf_selected))

    prod = [commands.TOOLS[name]("prod", SUFFIX) for name in sorted(commands.TOOLS)]
    timed(outcomes, "prod keeps its data", lambda: prod_data.check_prod_keeps_data(prod, figures, selected))

    left = inventory.diff(baseline)
    outcomes.append(
        CheckOutcome(
            FINAL_CHECK, "*", not left, f"{count(left)} beyond the baseline" + (f": {shown(left)}" if left else "")
        )
    )
    return outcomes, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        emulator("start")
    except protocol.DeployError as error:
        protocol.log(f"FAILED: {error}")
        return 1
    try:
        point_at_emulator()
        outcomes, figures = run_checks(args.stacks)
    except protocol.DeployError as error:
        outcomes, figures = [CheckOutcome("deploy checks", "*", False, str(error))], {}
    finally:
        emulator("stop")
    stack_outputs.OUTPUTS_DIR.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"outcomes": [asdict(item) for item in outcomes], "figures": [asdict(item) for item in figures.values()]},
            indent=2,
        )
        + "\n"
    )
    failed = [outcome for outcome in outcomes if not outcome.ok]
    print()
    print(table(outcomes, figures))
    print(
        f"deploy checks: {len(outcomes) - len(failed)} passed, {len(failed)} failed, {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
