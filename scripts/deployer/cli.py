"""The deployer's command line: ``python -m scripts.deployer deploy|destroy|outputs|summary``."""

from __future__ import annotations

import argparse
import os

from scripts.deployer import commands, protocol, stack_outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Deploy the stacks to the local AWS emulator, or destroy them, and write their outputs."
    )
    parser.add_argument("command", choices=["deploy", "destroy", "outputs", "summary"])
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument(
        "--tool", action="append", dest="tools", choices=sorted(commands.TOOLS), help="default: every tool"
    )
    parser.add_argument("--profile", default=os.environ.get("DEPLOY_PROFILE") or commands.DEFAULT_PROFILE)
    parser.add_argument("--suffix", default=os.environ.get("ENVIRONMENT_SUFFIX") or commands.DEFAULT_SUFFIX)
    parser.add_argument("--reuse-assembly", action="store_true", help="deploy what is synthesized (no synth)")
    args = parser.parse_args(argv)
    tools = [commands.TOOLS[name](args.profile, args.suffix) for name in (args.tools or sorted(commands.TOOLS))]
    try:
        if args.command == "deploy":
            commands.deploy(tools, args.stacks, args.reuse_assembly)
        elif args.command == "destroy":
            commands.destroy(tools, args.stacks)
        elif args.command == "outputs":
            commands.write_outputs(tools, args.stacks)
        else:
            print(stack_outputs.summary())
    except protocol.DeployError as error:
        protocol.log(f"FAILED: {error}")
        return 1
    return 0
