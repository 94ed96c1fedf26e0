"""The dev-leaves-nothing check: each deployed dev stack is destroyed with its own tool, then the
:class:`~scripts.lifecycle.inventory.Inventory` must list nothing beyond the baseline for any kind the stack creates.

    LOCAL_AWS_PORT=5103 python -m scripts.emulator.server reset
    eval "$(LOCAL_AWS_PORT=5103 python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.teardown [--tool cdk|cdktf] [--stack X] [--reuse-assembly]

Run alone, it deploys the dev stacks itself, after taking the baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scripts.deployer import cdk_tool, commands, protocol, terraform_tool
from scripts.lifecycle import CheckOutcome, StackFigures, report
from scripts.lifecycle.inventory import (
    GLOBAL,
    LISTERS,
    Inventory,
    Snapshot,
    count,
    kinds_for,
    shown,
    synthesized_types,
)

CHECK = "dev leaves nothing"
PROFILE = "dev"


@dataclass
class Owned:
    """One stack as the check sees it: its region, the kinds it creates, and the ids it owned before destroy."""

    stack: protocol.Stack
    tool: str
    kinds: set[str]
    ids: set[str] = field(default_factory=set)


def id_forms(value: str) -> set[str]:
    """A resource id, and its last ``/`` and ``:`` parts: ARNs, URLs and names of the same resource meet here."""
    return {value, value.rsplit("/", 1)[-1], value.rsplit(":", 1)[-1]} - {""}


def owned_ids(tool: protocol.Tool, stack: protocol.Stack) -> set[str]:
    """The ids a deployed stack owns: CloudFormation's physical ids, or the ``id``/``arn``/``name`` in its state."""
    values: set[str] = {stack.stack_name}
    if isinstance(tool, terraform_tool.TerraformTool):
        for _, _, attributes in tool.managed_resources(stack):
            values |= {str(attributes[key]) for key in ("id", "arn", "name") if attributes.get(key)}
    else:
        cloudformation = protocol.client("cloudformation", stack.region)
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack.stack_name):
            values |= {
                item["PhysicalResourceId"] for item in page["StackResourceSummaries"] if item.get("PhysicalResourceId")
            }
    return {form for value in values for form in id_forms(value)}


def charge(left: Mapping[str, Iterable[str]], stacks: Iterable[Owned]) -> dict[str, dict[str, list[str]]]:
    """What is left, per stack: an id goes to the stack that owned it, else to every stack of its region (or any
    region, for a global kind) that creates its kind."""
    stacks = list(stacks)
    charged: dict[str, dict[str, list[str]]] = {owned.stack.construct_id: {} for owned in stacks}
    for kind, ids in left.items():
        for listed in ids:
            region, resource_id = listed.split("/", 1)
            owners = [owned for owned in stacks if id_forms(resource_id) & owned.ids]
            if not owners:
                owners = [owned for owned in stacks if kind in owned.kinds and region in (GLOBAL, owned.stack.region)]
            for owned in owners:
                charged[owned.stack.construct_id].setdefault(kind, []).append(listed)
    return charged


def output_path(tool: protocol.Tool) -> Path:
    """Where a tool's app is synthesized (CDK assembly or cdktf output)."""
    return tool.assembly if isinstance(tool, cdk_tool.CdkTool) else tool.outdir


def check_dev_leaves_nothing(
    tools: Iterable[protocol.Tool],
    figures: dict[str, StackFigures],
    baseline: Snapshot,
    selected: list[str] | None = None,
    inventory: Inventory | None = None,
    read_owned: Callable[[protocol.Tool, protocol.Stack], set[str]] = owned_ids,
    read_types: Callable[[protocol.Tool], dict[str, set[str]]] = lambda tool: synthesized_types(output_path(tool)),
) -> list[CheckOutcome]:
    """Destroy each (deployed, dev) stack, then list what is left that the baseline did not hold; 0 per stack passes.

    ``read_owned`` and ``read_types`` read a stack's ids (before destroy) and the synthesized types (fakes in tests).
    """
    tools = list(tools)
    stacks: list[Owned] = []
    destroyed: dict[str, tuple[bool, str, float]] = {}
    for tool in tools:
        types = read_types(tool)
        chosen = commands.selected_stacks(tool, selected)
        stacks += [
            Owned(stack, tool.name, kinds_for(types[stack.construct_id]), read_owned(tool, stack)) for stack in chosen
        ]

        def destroy(stack: protocol.Stack, tool: protocol.Tool = tool) -> None:
            started = time.monotonic()
            error = ""
            try:
                tool.destroy(stack)
            except protocol.DeployError as failure:
                error = str(failure).splitlines()[0]
            state = tool.state(stack)
            reason = error or ("" if state.gone else f"{state.status} after destroy {state.reason}".strip())
            destroyed[stack.construct_id] = (state.gone and not error, reason, round(time.monotonic() - started, 1))
            protocol.log(f"{stack.construct_id}: {state.status} ({destroyed[stack.construct_id][2]:.1f} s)")

        commands.for_each_stack(tool, list(reversed(chosen)), destroy)

    inventory = inventory or Inventory({owned.stack.region for owned in stacks})
    kinds = set().union(*(owned.kinds for owned in stacks)) if stacks else set()
    left = inventory.diff(baseline, kinds & set(LISTERS))
    charged = charge(left, stacks)
    outcomes = []
    for owned in stacks:
        name = owned.stack.construct_id
        gone, reason, seconds = destroyed[name]
        mine = charged[name]
        figures.setdefault(name, StackFigures(name, owned.tool)).left_by_dev_destroy = count(mine)
        detail = f"{count(mine)} left" + (f": {shown(mine)}" if mine else f" ({len(owned.kinds)} kinds listed)")
        if reason:
            detail = f"destroy failed: {reason}; {detail}"
        outcomes.append(CheckOutcome(CHECK, name, gone and not mine, detail, seconds))
    return outcomes


def regions_of(tools: Iterable[protocol.Tool]) -> set[str]:
    return {stack.region for tool in tools for stack in tool.stacks()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deploy the dev stacks, destroy them, and list what is left.")
    parser.add_argument("--tool", action="append", dest="tools", choices=sorted(commands.TOOLS))
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument("--suffix", default=commands.DEFAULT_SUFFIX)
    parser.add_argument("--reuse-assembly", action="store_true", help="use what is synthesized (no synth)")
    args = parser.parse_args(argv)
    tools = [commands.TOOLS[name](PROFILE, args.suffix) for name in (args.tools or sorted(commands.TOOLS))]

    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        commands.require_emulator()
        for tool in tools:
            if not (args.reuse_assembly and tool.synthesized()):
                tool.synthesize()
            tool.prepare(commands.selected_stacks(tool, args.stacks))
        inventory = Inventory(regions_of(tools))
        baseline = inventory.snapshot()
        protocol.log(f"baseline: {count(baseline)} resources in {', '.join(inventory.regions)}")
        figures: dict[str, StackFigures] = {}
        deployed = commands.deploy(tools, args.stacks, reuse=True)
        for name, result in deployed.stacks.items():
            figures[name] = StackFigures(name, result.tool, deploy_seconds=result.deploy_seconds)
        return check_dev_leaves_nothing(tools, figures, baseline, args.stacks, inventory), figures

    return report(run)


if __name__ == "__main__":
    sys.exit(main())
