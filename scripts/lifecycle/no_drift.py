"""The no-drift check: each deployed stack shows no difference between its code and what is deployed, by the tool's
own test (``cdk diff --fail``, ``terraform plan -detailed-exitcode``), which every deploy already ends with; here it
runs again after the other dev checks, one row per stack.

    eval "$(python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.no_drift [--tool cdk|cdktf] [--stack IotPlatform]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping, Sequence

from scripts.deployer import commands
from scripts.deployer.protocol import DeployError, Stack, Tool
from scripts.lifecycle import CheckOutcome, StackFigures, chosen_stacks, report, stacks_of

CHECK = "no drift after deploy"


def check_no_drift(tools: Sequence[Tool], stacks: Mapping[str, Sequence[Stack]] | None) -> list[CheckOutcome]:
    """One row per stack (``stacks`` maps a tool's name to its stacks; absent: all the tool's stacks)."""
    outcomes = []
    for tool in tools:
        for stack in stacks_of(tool, stacks):
            started = time.monotonic()
            try:
                if not tool.state(stack).deployed:
                    raise DeployError(f"not deployed ({tool.state(stack).status})")
                tool.check_no_drift(stack)  # type: ignore[attr-defined]
                ok, detail = True, f"{tool.resource_count(stack)} resources, nothing to change"
            except DeployError as error:
                ok, detail = False, str(error)
            outcomes.append(CheckOutcome(CHECK, stack.construct_id, ok, detail, round(time.monotonic() - started, 1)))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", action="append", dest="tools", choices=sorted(commands.TOOLS))
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument("--suffix", default=os.environ.get("ENVIRONMENT_SUFFIX") or commands.DEFAULT_SUFFIX)
    args = parser.parse_args(argv)
    tools = [commands.TOOLS[name]("dev", args.suffix) for name in (args.tools or sorted(commands.TOOLS))]
    selected = chosen_stacks(tools, args.stacks)

    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        return check_no_drift(tools, selected), {}

    return report(run)


if __name__ == "__main__":
    sys.exit(main())
