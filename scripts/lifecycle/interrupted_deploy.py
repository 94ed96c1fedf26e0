"""The interrupted-deploy check: a deploy killed part-way (SIGTERM to the CLI, as ``kill`` and a cancelled CI job
send) is run again, completes, and shows no drift; for Terraform the re-run also proves the state lock.

    eval "$(python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.interrupted_deploy [--tool cdk|cdktf] [--stack IotPlatform] [--signal-group]

``--signal-group`` sends SIGTERM to the deploy's whole process group (the provider plugins die mid-call too). The
stacks stay deployed (dev) for the checks that follow.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from scripts.deployer import commands, protocol, stack_outputs
from scripts.deployer.protocol import DeployError, Stack, Tool
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import CheckOutcome, StackFigures, chosen_stacks, report, stacks_of, state_lock
from scripts.lifecycle.interruption import Interruptible, Interruption, interrupt, interruptible, paced_stack_creation

CHECK = "interrupted deploy recovers"


def check_stack(
    tool: Tool, stack: Stack, figures: dict[str, StackFigures], whole_group: bool = False
) -> list[CheckOutcome]:
    """Interrupt, prove the interruption, re-run, prove convergence (and, for Terraform, the lock)."""
    started = time.monotonic()
    deploy = interruptible(tool)
    figure = figures.setdefault(stack.construct_id, StackFigures(stack.construct_id, tool.name))
    outcomes: list[CheckOutcome] = []
    try:
        cut = interrupted_from_nothing(tool, deploy, stack, whole_group)
        rerun_started = time.monotonic()
        lock_detail = deploy_again(tool, stack)
        figure.redeploy_after_interrupt_seconds = round(time.monotonic() - rerun_started, 1)
        full, status = converged(tool, stack, cut)
        outcomes.append(
            CheckOutcome(
                CHECK,
                stack.construct_id,
                True,
                f"SIGTERM at {cut.at_kill.created}/{cut.at_kill.total} resources (exit {cut.exit_code}; "
                f"{cut.kept} kept, {cut.status}); re-deploy {figure.redeploy_after_interrupt_seconds:.1f} s: "
                f"{full}/{cut.at_kill.total}, {status}, no drift",
                round(time.monotonic() - started, 1),
            )
        )
        if isinstance(tool, TerraformTool):
            outcomes.append(state_lock.lock_outcome(tool, stack, lock_detail, full))
    except (DeployError, OSError, subprocess.SubprocessError) as error:
        outcomes.append(
            CheckOutcome(CHECK, stack.construct_id, False, str(error), round(time.monotonic() - started, 1))
        )
    for outcome in outcomes:
        protocol.log(f"{outcome.check} {outcome.stack}: {'ok' if outcome.ok else 'FAILED'}: {outcome.detail}")
    return outcomes


def interrupted_from_nothing(tool: Tool, deploy: Interruptible, stack: Stack, whole_group: bool) -> Interruption:
    """The stack destroyed if it exists, then ``deploy`` interrupted part-way; raises unless the stack is partial."""
    if not tool.state(stack).gone:
        protocol.log(f"{stack.construct_id}: destroying first, the check starts from nothing")
        tool.destroy(stack)
    log_file = stack_outputs.OUTPUTS_DIR / "logs" / f"{stack.construct_id}-interrupted-deploy.log"
    cut = interrupt(deploy, stack, log_file, whole_group=whole_group)
    if not cut.partial:
        raise DeployError(f"not partial after the kill: {cut.kept}/{cut.at_kill.total} resources, {cut.status}")
    protocol.log(
        f"{stack.construct_id}: SIGTERM at {cut.at_kill.created}/{cut.at_kill.total} resources, exit "
        f"{cut.exit_code}, {cut.kept} kept ({cut.status}); deploying again"
    )
    return cut


def deploy_again(tool: Tool, stack: Stack) -> str:
    """The stack's deploy, run again; for Terraform while a second apply probes the lock: what that probe saw."""
    if isinstance(tool, TerraformTool):
        return state_lock.deploy_holding_lock(tool, stack)
    tool.deploy(stack)
    return ""


def converged(tool: Tool, stack: Stack, cut: Interruption) -> tuple[int, str]:
    """After the re-run: how many resources the stack has and its status; raises unless deployed and complete."""
    state = tool.state(stack)
    full = tool.resource_count(stack)
    if not state.deployed or full < cut.at_kill.total:
        raise DeployError(f"after the re-run: {state.status}, {full}/{cut.at_kill.total} resources")
    return full, state.status


def check_interrupted_deploy(
    tools: Sequence[Tool],
    stacks: Mapping[str, Sequence[Stack]] | None,
    figures: dict[str, StackFigures],
    whole_group: bool = False,
) -> list[CheckOutcome]:
    """Run the check on every stack: ``stacks`` maps a tool's name to its stacks (absent: all the tool's stacks).

    Tools run side by side; a tool's stacks run side by side when the tool allows it (Terraform). Each tool is
    synthesized and prepared if needed. The emulator's CloudFormation pace is set for the run and put back."""
    with paced_stack_creation():
        with ThreadPoolExecutor(max_workers=max(1, len(tools))) as pool:
            futures = [pool.submit(_check_tool, tool, stacks, figures, whole_group) for tool in tools]
        return [outcome for future in futures for outcome in future.result()]


def _check_tool(
    tool: Tool, stacks: Mapping[str, Sequence[Stack]] | None, figures: dict[str, StackFigures], whole_group: bool
) -> list[CheckOutcome]:
    if not tool.synthesized():
        tool.synthesize()
    chosen = stacks_of(tool, stacks)
    if not chosen:
        return []
    tool.prepare(chosen)
    if not tool.concurrent_stacks or len(chosen) < 2:
        return [outcome for stack in chosen for outcome in check_stack(tool, stack, figures, whole_group)]
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        futures = [pool.submit(check_stack, tool, stack, figures, whole_group) for stack in chosen]
    return [outcome for future in futures for outcome in future.result()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", action="append", dest="tools", choices=sorted(commands.TOOLS))
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument(
        "--signal-group", action="store_true", help="SIGTERM every process of the deploy's group, not the CLI alone"
    )
    parser.add_argument("--suffix", default=os.environ.get("ENVIRONMENT_SUFFIX") or commands.DEFAULT_SUFFIX)
    args = parser.parse_args(argv)
    tools = [commands.TOOLS[name]("dev", args.suffix) for name in (args.tools or sorted(commands.TOOLS))]
    selected = chosen_stacks(tools, args.stacks)

    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        figures: dict[str, StackFigures] = {}
        return check_interrupted_deploy(tools, selected, figures, whole_group=args.signal_group), figures

    return report(run)


if __name__ == "__main__":
    sys.exit(main())
