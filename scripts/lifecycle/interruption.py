"""How a deploy is cut off part-way: started as its own process group, watched until some but not all of its
resources exist, sent SIGTERM, and waited for. Shared by the interrupted-deploy check and its tests.

``interrupt(interruptible(tool), stack, log_file)`` returns an :class:`Interruption`; :func:`paced_stack_creation`
slows the emulator's CloudFormation for the duration so that a CDK deploy can be caught mid-way.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scripts import ROOT
from scripts.deployer import commands, protocol, terraform_tool
from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.protocol import DeployError, Stack, Tool
from scripts.deployer.terraform_tool import TerraformTool

#: CloudFormation's pace while the check runs: moto alone creates a whole stack too fast to catch it part-way.
SECONDS_PER_RESOURCE = 0.2
#: Share of the resources that must exist before the kill (at least one, never all).
KILL_AT_SHARE = 1 / 3
POLL_SECONDS = 0.2
#: How long the interrupted deploy may take to reach the kill point, and to exit after SIGTERM (Terraform waits for
#: the provider calls in flight).
REACH_TIMEOUT_SECONDS = 600.0
EXIT_TIMEOUT_SECONDS = 300.0
#: Path of the emulator's stack-creation setting (``scripts/emulator/``).
STACK_CREATION_PATH = "/moto-api/extensions/stack-creation"


@dataclass(frozen=True)
class Progress:
    """Resources that exist so far, out of how many the deploy creates (0 while unknown)."""

    created: int
    total: int

    def part_way(self, share: float = KILL_AT_SHARE) -> bool:
        """Some but not all: at least ``share`` of the total (and at least one), fewer than the total."""
        return self.total > 0 and max(1, int(self.total * share)) <= self.created < self.total


class Interruptible(Protocol):
    """How one tool's deploy is started as a process and how far it has got."""

    tool: Tool

    def command(self, stack: Stack) -> tuple[list[str], dict[str, str]]: ...
    def progress(self, stack: Stack, log_text: str) -> Progress: ...
    def kept(self, stack: Stack) -> tuple[int, str]: ...


class CdkDeploy:
    """``cdk deploy``: progress is what CloudFormation has created (the emulator's ListStackResources)."""

    def __init__(self, tool: CdkTool) -> None:
        self.tool = tool

    def command(self, stack: Stack) -> tuple[list[str], dict[str, str]]:
        return self.tool.deploy_command(stack), self.tool.environment(stack.region)

    def total(self, stack: Stack) -> int:
        manifest = json.loads((self.tool.assembly / "manifest.json").read_text())
        template_file = manifest["artifacts"][stack.construct_id]["properties"]["templateFile"]
        return len(json.loads((self.tool.assembly / template_file).read_text())["Resources"])

    def progress(self, stack: Stack, log_text: str) -> Progress:
        return Progress(self.kept(stack)[0], self.total(stack))

    def kept(self, stack: Stack) -> tuple[int, str]:
        """Resources the stack has now, and its status."""
        state = self.tool.state(stack)
        return (0 if state.gone else self.tool.resource_count(stack)), state.status


_PLANNED = re.compile(r"Plan: (\d+) to add")
_CREATED = re.compile(r": Creation complete after ")


class TerraformDeploy:
    """``terraform apply``: progress is the creations the apply has reported; what it kept is its state."""

    def __init__(self, tool: TerraformTool) -> None:
        self.tool = tool

    def command(self, stack: Stack) -> tuple[list[str], dict[str, str]]:
        directory = self.tool.directory(stack)
        arguments = ["apply", "-auto-approve", "-input=false", "-no-color", *terraform_tool.PARALLELISM]
        return ["terraform", f"-chdir={directory}", *arguments], self.tool.environment()

    def progress(self, stack: Stack, log_text: str) -> Progress:
        planned = _PLANNED.search(log_text)
        return Progress(len(_CREATED.findall(log_text)), int(planned.group(1)) if planned else 0)

    def kept(self, stack: Stack) -> tuple[int, str]:
        return self.tool.resource_count(stack), self.tool.state(stack).status


def interruptible(tool: Tool) -> Interruptible:
    if isinstance(tool, CdkTool):
        return CdkDeploy(tool)
    if isinstance(tool, TerraformTool):
        return TerraformDeploy(tool)
    raise ValueError(f"tool {getattr(tool, 'name', tool)!r}: the interrupted-deploy check knows cdk and cdktf")


@dataclass
class Interruption:
    """What the kill left: resources at the kill, the total, the exit code, and what stayed afterwards."""

    at_kill: Progress
    exit_code: int
    kept: int
    status: str

    @property
    def partial(self) -> bool:
        """Fewer resources than the total, or CloudFormation still creating them (it carries on after the CLI)."""
        return self.kept < self.at_kill.total or self.status.endswith("_IN_PROGRESS")


def interrupt(
    deploy: Interruptible,
    stack: Stack,
    log_file: Path,
    sleep: Callable[[float], None] = time.sleep,
    whole_group: bool = False,
) -> Interruption:
    """Start the deploy as its own process group, SIGTERM it part-way, wait until it has exited; nothing of the
    group outlives it.

    The signal goes to the CLI (``kill <pid>``), which stops its own helpers: Terraform asks its provider plugins to
    stop and records what they finished. ``whole_group`` signals every process of the group instead: the provider
    plugins then die mid-call (they ignore SIGINT, not SIGTERM), and what they had just created is in no state."""
    command, env = deploy.command(stack)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as handle:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the signal reaches the CLI and whatever it started
        )
        try:
            deadline = time.monotonic() + REACH_TIMEOUT_SECONDS
            while True:
                progress = deploy.progress(stack, log_file.read_text())
                if progress.part_way():
                    break
                if process.poll() is not None:
                    raise DeployError(
                        f"the deploy exited {process.returncode} before it could be interrupted "
                        f"({progress.created}/{progress.total} resources; log {protocol.shown(log_file)})"
                    )
                if time.monotonic() > deadline:
                    raise DeployError(f"no part-way point within {REACH_TIMEOUT_SECONDS:.0f} s ({progress})")
                sleep(POLL_SECONDS)
            if whole_group:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.send_signal(signal.SIGTERM)
            try:
                exit_code = process.wait(EXIT_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                raise DeployError(f"still running {EXIT_TIMEOUT_SECONDS:.0f} s after SIGTERM") from None
        finally:
            _end_group(process)
    kept, status = deploy.kept(stack)
    return Interruption(progress, exit_code, kept, status)


def _end_group(process: subprocess.Popen) -> None:
    """SIGKILL whatever is left of the deploy's process group (the CLI, or helpers it left behind)."""
    with contextlib.suppress(ProcessLookupError):  # the whole group is already gone
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait()


def set_stack_creation(settings: dict[str, Any]) -> dict[str, Any]:
    """Change (and return) the emulator's stack-creation setting; the previous one is what a GET returned."""
    endpoint = commands.require_emulator()
    request = urllib.request.Request(
        endpoint + STACK_CREATION_PATH,
        data=json.dumps(settings).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # the local emulator only
        return json.loads(response.read())


def stack_creation() -> dict[str, Any]:
    endpoint = commands.require_emulator()
    with urllib.request.urlopen(endpoint + STACK_CREATION_PATH, timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def paced_stack_creation(seconds_per_resource: float = SECONDS_PER_RESOURCE) -> Iterator[None]:
    """Inside the block the emulator creates CloudFormation resources at ``seconds_per_resource``; afterwards at its
    previous pace. Refused when the emulator creates stacks inside the request: nothing could be caught part-way."""
    commands.require_emulator()
    previous = stack_creation()
    if not previous.get("background"):
        raise DeployError("the emulator creates stacks inside the request: start it with scripts.emulator.server")
    set_stack_creation({"seconds_per_resource": seconds_per_resource})
    try:
        yield
    finally:
        set_stack_creation({"seconds_per_resource": previous["seconds_per_resource"]})
