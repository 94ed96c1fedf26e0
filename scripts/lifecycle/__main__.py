"""Run every deploy lifecycle check against fresh local emulators and print what each stack showed.

    python -m scripts.lifecycle                 # all five stacks, each group on its own emulator, side by side
    python -m scripts.lifecycle --stack streamflix --stack IotPlatform     # these, on one emulator
    python -m scripts.lifecycle --phase prod --stack streamflix --tool cdktf   # one phase (see GROUPS)

In order, per emulator: bad configuration; on dev, interrupted deploy (with the state lock), untracked adopted, no
drift, then dev leaves nothing; S3 state lock (cdktf); prod keeps its data; README's commands; the emulator empty at
the end. The figures go to ``cfn-outputs/deploy-checks.json`` and the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from scripts import ROOT
from scripts.deployer import commands, protocol, shared_synthesis, stack_outputs
from scripts.lifecycle import (
    CheckOutcome,
    StackFigures,
    bad_config,
    interrupted_deploy,
    no_drift,
    prod_data,
    readme_commands,
    s3_state,
    table,
    teardown,
    untracked_adopted,
)
from scripts.lifecycle.inventory import Inventory, count, shown

#: The suffix of the stacks these checks deploy (unique, so they never meet a developer's own local stacks).
SUFFIX = "checks"
RESULTS_FILE = "deploy-checks.json"
#: Where the groups' shared cdktf syntheses go, beside their work directories.
SHARED_SYNTHESIS = "shared-cdktf"
FINAL_CHECK = "emulator empty at the end"
#: The phases of the checks, in the order one run takes them.
PHASES = ("bad-config", "dev", "s3-state", "prod", "readme")


@dataclass(frozen=True)
class Group:
    """Checks that run on an emulator of their own, beside the other groups: some phases on some stacks and tools."""

    name: str
    phases: tuple[str, ...]
    stacks: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()

    def command(self) -> list[str]:
        words = [f"--phase={phase}" for phase in self.phases] + [f"--stack={stack}" for stack in self.stacks]
        return [sys.executable, "-m", "scripts.lifecycle", *words, *(f"--tool={tool}" for tool in self.tools)]


#: Side by side, each on its own emulator and in its own work directory. A Terraform stack spends its time in the
#: provider's waits, so its dev, S3-state and prod checks (independent: their own stacks or state) each get a group;
#: the three CDK stacks deploy in seconds and share one; README's commands (a CDK and a Terraform deploy, through the
#: CLIs as a user runs them) get one, with the CDK bootstrap of README's region; bad configuration needs no stack.
GROUPS: tuple[Group, ...] = (
    *(
        Group(f"{stack}-{phase}", (phase,), (stack,), ("cdktf",))
        for stack in ("streamflix", "pci-platform")
        for phase in ("dev", "s3-state", "prod")
    ),
    Group("cdk", ("dev", "prod"), ("IotPlatform", "HealthcarePipeline", "StreamProcessor"), ("cdk",)),
    # Every CDK stack selected, though README deploys one: its `cdk bootstrap` bootstraps each region the app's stacks
    # name, and the baseline must hold those bootstraps.
    Group("readme", ("readme",), (), ("cdk",)),
    Group("bad-config", ("bad-config",)),
)
#: The first group's emulator port; the others follow.
GROUP_PORT = 5100


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


def run_checks(
    selected: list[str] | None, phases: Sequence[str] = PHASES, tool_names: Sequence[str] = ()
) -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
    """The checks of ``phases``, in order, on the emulator this process points at (fresh: nothing deployed), for the
    ``selected`` stacks of the named tools (default: every stack, every tool)."""
    outcomes: list[CheckOutcome] = []
    figures: dict[str, StackFigures] = {}
    if "bad-config" in phases:
        timed(outcomes, "bad configuration", lambda: bad_config.check_bad_configuration(figures))
    if set(phases) == {"bad-config"}:  # it proves itself that nothing was created: no stack, no baseline here
        return outcomes, figures

    if "readme" in phases:
        # README's commands bootstrap the region a user's shell names: the stacks here deploy there too, so that
        # bootstrap belongs to the baseline instead of being counted as left behind.
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = readme_commands.REGION
    names = sorted(tool_names or commands.TOOLS)
    # The baseline's stacks: prod's when prod is all this run deploys (the check would synthesize prod anyway).
    baseline_profile = "prod" if set(phases) <= {"prod", "bad-config"} else "dev"
    tools = [commands.TOOLS[name](baseline_profile, SUFFIX) for name in names]
    for tool in tools:
        tool.synthesize()
        tool.prepare(commands.selected_stacks(tool, selected))  # the CDK bootstrap belongs to the baseline
    inventory = Inventory(teardown.regions_of(tools))
    baseline = inventory.snapshot()
    stacks = {tool.name: commands.selected_stacks(tool, selected) for tool in tools}
    if "dev" in phases:
        dev = tools
        timed(
            outcomes,
            "interrupted deploy (dev)",
            lambda: interrupted_deploy.check_interrupted_deploy(dev, stacks, figures),
        )
        timed(outcomes, "untracked adopted (dev)", lambda: untracked_adopted.check_untracked_adopted(dev, stacks))
        timed(outcomes, "no drift (dev)", lambda: no_drift.check_no_drift(dev, stacks))
        timed(
            outcomes,
            "dev leaves nothing",
            lambda: teardown.check_dev_leaves_nothing(dev, figures, baseline, selected, inventory),
        )
    cdktf_selected = [stack.construct_id for stack in stacks.get("cdktf", [])]
    if "s3-state" in phases and cdktf_selected:
        timed(outcomes, "S3 state lock (cdktf)", lambda: s3_state.check_s3_state_lock(cdktf_selected))
    if "prod" in phases:
        prod = [commands.TOOLS[name]("prod", SUFFIX) for name in names]
        timed(outcomes, "prod keeps its data", lambda: prod_data.check_prod_keeps_data(prod, figures, selected))
    if "readme" in phases:
        timed(outcomes, "README commands", readme_commands.check_readme_commands)

    left = inventory.diff(baseline)
    outcomes.append(
        CheckOutcome(
            FINAL_CHECK, "*", not left, f"{count(left)} beyond the baseline" + (f": {shown(left)}" if left else "")
        )
    )
    return outcomes, figures


def run_here(args: argparse.Namespace) -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
    """The checks on one fresh emulator that this process starts and stops."""
    try:
        emulator("start")
    except protocol.DeployError as error:
        return [CheckOutcome("deploy checks", "*", False, str(error))], {}
    try:
        point_at_emulator()
        return run_checks(args.stacks, args.phases or PHASES, args.tools or ())
    except protocol.DeployError as error:
        return [CheckOutcome("deploy checks", "*", False, str(error))], {}
    finally:
        emulator("stop")


def run_groups(groups: Sequence[Group]) -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
    """One child process per group, side by side, each with its own emulator port and work directory, sharing one
    cdktf synthesis per variant (``scripts/deployer/shared_synthesis.py``); their progress lines are echoed with the
    group's name, their results merged."""
    children = []
    shared = ROOT / ".build" / "lifecycle" / SHARED_SYNTHESIS
    shutil.rmtree(shared, ignore_errors=True)  # this run's code, synthesized once by the first group that needs it
    for index, group in enumerate(groups):
        work_dir = ROOT / ".build" / "lifecycle" / group.name
        environment = {
            **os.environ,
            "LOCAL_AWS_PORT": str(GROUP_PORT + index),
            "DEPLOY_WORK_DIR": str(work_dir),
            shared_synthesis.ENV_DIRECTORY: str(shared),
        }
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION"):
            environment.pop(name, None)
        process = subprocess.Popen(
            group.command(), cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        children.append((group.name, work_dir, process))
    echoes = [threading.Thread(target=_echo, args=(name, process), daemon=True) for name, _, process in children]
    for echo in echoes:
        echo.start()
    outcomes: list[CheckOutcome] = []
    figures: dict[str, StackFigures] = {}
    for (name, work_dir, process), echo in zip(children, echoes, strict=True):
        process.wait()
        echo.join()
        found, measured = read_results(work_dir / "cfn-outputs" / RESULTS_FILE)
        if not found:
            found = [CheckOutcome("deploy checks", name, False, f"the group exited {process.returncode}, no results")]
        outcomes.extend(found)
        for stack, measured_here in measured.items():
            figures[stack] = merged(figures[stack], measured_here) if stack in figures else measured_here
    return outcomes, figures


def merged(first: StackFigures, second: StackFigures) -> StackFigures:
    """One stack's figures from two groups (its dev checks in one, its prod data in another): each measured field."""
    values = {name: getattr(second, name) for name in first.__dataclass_fields__ if getattr(second, name) is not None}
    return replace(first, **values)


def _echo(name: str, process: subprocess.Popen) -> None:
    for line in process.stdout or []:
        if line.startswith("["):
            print(f"[{name}] {line.rstrip()}", flush=True)


def read_results(path: Path) -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
    """Outcomes and figures a run wrote (nothing when it wrote no file)."""
    if not path.exists():
        return [], {}
    data = json.loads(path.read_text())
    figures = {item["stack"]: StackFigures(**item) for item in data["figures"]}
    return [CheckOutcome(**item) for item in data["outcomes"]], figures


def write_results(path: Path, outcomes: list[CheckOutcome], figures: dict[str, StackFigures]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    results = {"outcomes": [asdict(item) for item in outcomes], "figures": [asdict(item) for item in figures.values()]}
    path.write_text(json.dumps(results, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument("--phase", action="append", dest="phases", choices=PHASES, help="default: every phase")
    parser.add_argument("--tool", action="append", dest="tools", choices=sorted(commands.TOOLS), help="default: both")
    args = parser.parse_args(argv)
    started = time.monotonic()
    outcomes, figures = run_here(args) if args.stacks or args.phases else run_groups(GROUPS)
    write_results(stack_outputs.OUTPUTS_DIR / RESULTS_FILE, outcomes, figures)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    print()
    print(table(outcomes, figures))
    print(
        f"deploy checks: {len(outcomes) - len(failed)} passed, {len(failed)} failed, {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
