"""The untracked-resources check: what an interrupted Terraform create leaves when AWS chooses the id (a KMS key,
VPC, subnet, route table, internet gateway, Elastic IP) is adopted by the next deploy, not duplicated
(:mod:`scripts.deployer.adoption`).

    eval "$(python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.untracked_adopted [--stack streamflix]

It runs on deployed dev cdktf stacks; CDK stacks have no such check (CloudFormation tracks what it creates).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from scripts.deployer import adoption, commands
from scripts.deployer.protocol import DeployError, Stack, Tool
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import CheckOutcome, StackFigures, chosen_stacks, report, stacks_of

CHECK = "untracked resources adopted"


def check_untracked_adopted(tools: Sequence[Tool], stacks: Mapping[str, Sequence[Stack]] | None) -> list[CheckOutcome]:
    """What an interrupted Terraform create leaves when AWS chooses the id (each type of
    :data:`~scripts.deployer.adoption.FOUND_BY_TAGS`) is adopted by the next deploy, not duplicated. An interruption
    leaves one only by chance (the provider's call must have been cut off after AWS made it), so the check makes one
    of each type for certain: ``state rm`` takes it out of the state, as the cut-off call leaves it; the deploy runs
    again, and each must be back at its address with the same id (a duplicate would have a new one), with no drift.
    The deployed stacks run side by side."""
    chosen = [(tool, stack) for tool in tools if isinstance(tool, TerraformTool) for stack in stacks_of(tool, stacks)]
    if not chosen:
        return []
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        futures = [pool.submit(_untracked_adopted, tool, stack) for tool, stack in chosen]
    return [future.result() for future in futures]


def _untracked_adopted(tool: TerraformTool, stack: Stack) -> CheckOutcome:
    started = time.monotonic()
    try:
        picked: dict[str, tuple[str, str]] = {}  # resource type -> (address, id): the first of each in the state
        for address, kind, attributes in tool.managed_resources(stack):
            if kind in adoption.FOUND_BY_TAGS.values():
                picked.setdefault(kind, (address, attributes["id"]))
        if not picked:
            raise DeployError(f"the state holds none of {sorted(adoption.FOUND_BY_TAGS.values())}")
        ids = dict(picked.values())
        tool.forget(stack, list(ids))
        tool.deploy(stack)
        now = {address: attributes.get("id") for address, _, attributes in tool.managed_resources(stack)}
        moved = {address: now.get(address) for address, identifier in ids.items() if now.get(address) != identifier}
        if moved:
            raise DeployError(f"not adopted with the ids they had ({ids}): now {moved}")
        ok, detail = True, f"{len(ids)} taken out of state, adopted with their ids: {', '.join(sorted(picked))}"
    except DeployError as error:
        ok, detail = False, str(error)
    return CheckOutcome(CHECK, stack.construct_id, ok, detail, round(time.monotonic() - started, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument("--suffix", default=os.environ.get("ENVIRONMENT_SUFFIX") or commands.DEFAULT_SUFFIX)
    args = parser.parse_args(argv)
    tools = [commands.TOOLS["cdktf"]("dev", args.suffix)]
    selected = chosen_stacks(tools, args.stacks)

    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        return check_untracked_adopted(tools, selected), {}

    return report(run)


if __name__ == "__main__":
    sys.exit(main())
