"""deploy, destroy and outputs over every selected stack of every tool, as the command line runs them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from scripts.deployer import cdk_tool, images, protocol, stack_outputs, terraform_tool

#: Profile and suffix of a local deployment unless the caller says otherwise.
DEFAULT_PROFILE = "dev"


DEFAULT_SUFFIX = "local"


#: The IaC tools this script drives, by name.
TOOLS: dict[str, Callable[[str, str], protocol.Tool]] = {"cdk": cdk_tool.CdkTool, "cdktf": terraform_tool.TerraformTool}


def require_emulator() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise protocol.DeployError(
            "AWS_ENDPOINT_URL is not set: this script deploys to the local emulator only. Run "
            '`eval "$(python -m scripts.emulator.server env)"` first (scripts/integration.sh does all of it).'
        )
    return endpoint


def selected_stacks(tool: protocol.Tool, selected: list[str] | None) -> list[protocol.Stack]:
    return [stack for stack in tool.stacks() if not selected or stack.construct_id in selected]


def known_stacks(tools: list[protocol.Tool]) -> list[str]:
    return [stack.construct_id for tool in tools if tool.synthesized() for stack in tool.stacks()]


def deploy(tools: list[protocol.Tool], selected: list[str] | None, reuse: bool = False) -> stack_outputs.Report:
    """Synthesize (unless ``reuse`` and already done), prepare, deploy each stack, write outputs; fail on the first."""
    require_emulator()
    report = stack_outputs.Report()
    try:
        for tool in tools:
            if not (reuse and tool.synthesized()):
                report.timed(f"synth {tool.name}", tool.synthesize)
            stacks = selected_stacks(tool, selected)
            report.timed(f"prepare {tool.name}", lambda tool=tool, stacks=stacks: tool.prepare(stacks))
            for_each_stack(tool, stacks, lambda stack, tool=tool: _deploy_stack(tool, stack, report))
    finally:
        stack_outputs.rebuild_flat_outputs(known_stacks(tools))
        report.save()
    return report


def _deploy_stack(tool: protocol.Tool, stack: protocol.Stack, report: stack_outputs.Report) -> None:
    result = stack_outputs.StackResult(stack.construct_id, tool.name, stack.stack_name, stack.region)
    report.stacks[stack.construct_id] = result
    protocol.log(f"deploying {stack.construct_id} ({stack.stack_name}, {stack.region})")
    try:
        report.timed(f"deploy {stack.construct_id}", lambda: tool.deploy(stack))
    finally:
        result.deploy_seconds = report.steps.pop(f"deploy {stack.construct_id}")
    state = tool.state(stack)
    result.status = state.status
    if not state.deployed:
        raise protocol.DeployError(f"{stack.construct_id}: status {state.status} after deploy {state.reason}".rstrip())
    outputs = tool.outputs(stack)
    stack_outputs.write_stack_outputs(stack.construct_id, outputs)
    if images.built_images(outputs):
        for uri in report.timed(f"images {stack.construct_id}", lambda: images.publish(stack, outputs)):
            protocol.log(f"{stack.construct_id}: built and pushed {uri}")
    result.outputs = len(outputs)
    result.resources = tool.resource_count(stack)
    protocol.log(
        f"{stack.construct_id}: {result.status}, {result.resources} resources, {result.outputs} outputs, "
        f"{result.deploy_seconds:.1f} s"
    )


def destroy(tools: list[protocol.Tool], selected: list[str] | None) -> stack_outputs.Report:
    """Destroy every selected stack (all of them, even after a failure), then fail if any is not gone."""
    require_emulator()
    report = stack_outputs.Report.load()
    failures = []
    for tool in tools:
        if not tool.synthesized():
            report.timed(f"synth {tool.name}", tool.synthesize)
        stacks = list(reversed(selected_stacks(tool, selected)))
        for_each_stack(tool, stacks, lambda stack, tool=tool: _destroy_stack(tool, stack, report, failures))
    stack_outputs.rebuild_flat_outputs(known_stacks(tools))
    report.save()
    if failures:
        raise protocol.DeployError("destroy failed:\n" + "\n".join(failures))
    return report


def for_each_stack(tool: protocol.Tool, stacks: list[protocol.Stack], action: Callable[[protocol.Stack], None]) -> None:
    """``action`` on every stack: one after the other (stopping at the first failure), or side by side when the tool
    allows it (every stack runs to its end; then the first failure is raised)."""
    if not getattr(tool, "concurrent_stacks", False) or len(stacks) < 2:
        for stack in stacks:
            action(stack)
        return
    with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        futures = [pool.submit(action, stack) for stack in stacks]
    errors = [error for error in (future.exception() for future in futures) if error is not None]
    if errors:
        raise errors[0]


def _destroy_stack(
    tool: protocol.Tool, stack: protocol.Stack, report: stack_outputs.Report, failures: list[str]
) -> None:
    result = report.stacks.setdefault(stack.construct_id, stack_outputs.StackResult(stack.construct_id, tool.name))
    started = time.monotonic()
    try:
        tool.destroy(stack)
    except protocol.DeployError as error:
        failures.append(str(error))
    result.destroy_seconds = round(time.monotonic() - started, 1)
    state = tool.state(stack)
    result.status = state.status
    if state.gone:
        (stack_outputs.OUTPUTS_DIR / f"{stack.construct_id}.json").unlink(missing_ok=True)
    else:
        failures.append(f"{stack.construct_id}: {state.status} after destroy: {state.reason}".rstrip(": "))
    protocol.log(f"{stack.construct_id}: {state.status} ({result.destroy_seconds:.1f} s)")


def write_outputs(tools: list[protocol.Tool], selected: list[str] | None) -> None:
    """Re-read the outputs of the deployed stacks (emulator or AWS) into cfn-outputs/."""
    for tool in tools:
        if not tool.synthesized():
            tool.synthesize()
        for stack in selected_stacks(tool, selected):
            stack_outputs.write_stack_outputs(stack.construct_id, tool.outputs(stack))
    flat = stack_outputs.rebuild_flat_outputs(known_stacks(tools))
    protocol.log(f"wrote {len(flat)} outputs to {protocol.shown(stack_outputs.FLAT_OUTPUTS)}")
