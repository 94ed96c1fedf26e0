"""Checks 1 and 2 of the deploy lifecycle: a deployed stack shows no drift, and a deploy killed part-way recovers
when it is run again.

Check 1 (:func:`check_no_drift`) is the tool's own check that every deploy already ends with (``cdk diff --fail``,
``terraform plan -detailed-exitcode``), reported per stack. Check 2 (:func:`check_interrupted_deploy`), per stack:
the stack's deploy command (``cdk deploy`` / ``terraform apply``, exactly as :mod:`scripts.deployer` runs it)
starts as its own process group; once some but not all of the stack's resources exist the CLI gets SIGTERM, what
``kill`` and a cancelled CI job send. The check proves the process is gone and the stack partial, then runs the
tool's deploy again (which ends with the no-drift check) and times it. For Terraform stacks it also proves the state
lock: while that re-run holds the state, a second ``apply -lock-timeout=0s`` must fail with Terraform's lock error,
and afterwards the state lists every resource. The stacks stay deployed (dev) for the teardown check.

What counts as "part-way": CDK, the stack's resources in the emulator (ListStackResources; CloudFormation carries on
after the CLI dies, the re-run waits for it); Terraform, the creations the apply reported, then the resources its
state kept after the graceful stop. The emulator creates CloudFormation resources at
:data:`SECONDS_PER_RESOURCE` while the check runs, so a CDK deploy can be caught mid-way.

    eval "$(python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.converge [--tool cdk|cdktf] [--stack IotPlatform] [--suffix local]

A Terraform re-run may meet what the interrupted apply created but never recorded (its graceful stop cancels the
provider's calls in flight): the deploy adopts each such resource it can prove is the stack's own
(:mod:`scripts.deployer.adoption`), so the re-run completes. ``--signal-group`` sends SIGTERM to the whole process
group instead, which also kills the provider plugins mid-call: more is orphaned (measured on streamflix: routes,
security groups, NAT gateways), the harder test of that adoption. What AWS names itself (a KMS key, a VPC) does not
clash but would be duplicated; the deploy finds it by the stack's tags before the apply and adopts it too, which
:func:`check_untracked_adopted` proves on every Terraform stack by taking one of each such type out of state.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scripts import ROOT
from scripts.deployer import adoption, commands, protocol, stack_outputs, terraform_tool
from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.protocol import DeployError, Stack, Tool
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import CheckOutcome, StackFigures, report

CHECK = "interrupted deploy recovers"
DRIFT_CHECK = "no drift after deploy"
LOCK_CHECK = "state lock holds"
UNTRACKED_CHECK = "untracked resources adopted"
#: CloudFormation's pace while the check runs: moto alone creates a 65-resource stack in well under a second.
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


def lock_file(tool: TerraformTool, stack: Stack) -> Path:
    """The local backend's lock record: ``.<state file>.lock.info`` next to the state, present while locked."""
    state = tool.directory(stack) / terraform_tool.backend_state_file(stack.construct_id)
    return state.parent / f".{state.name}.lock.info"


def probe_lock(
    tool: TerraformTool, stack: Stack, holder: threading.Thread, locked: Callable[[], bool] | None = None
) -> str:
    """While ``holder`` (an apply) holds the lock, a second apply with ``-lock-timeout=0s`` must fail on the lock.

    ``locked`` says whether the lock is held (default: the local backend's lock file exists). Returns what was seen;
    raises DeployError when the second apply did not fail on the lock."""
    lock = lock_file(tool, stack)
    is_locked = locked or lock.exists
    while holder.is_alive() and not is_locked():
        time.sleep(POLL_SECONDS)
    if not is_locked():
        raise DeployError("the re-run apply ended before its lock could be probed")
    directory = tool.directory(stack)
    second = subprocess.run(
        ["terraform", f"-chdir={directory}", "apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s"],
        env=tool.environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=terraform_tool.INIT_TIMEOUT_SECONDS,
    )
    output = second.stdout + second.stderr
    if second.returncode == 0 or "Error acquiring the state lock" not in output:
        raise DeployError(f"a second apply during the re-run exited {second.returncode}:\n{output[-1500:]}")
    return f"second apply exited {second.returncode} with 'Error acquiring the state lock'"


def state_list(tool: TerraformTool, stack: Stack) -> list[str]:
    """``terraform state list`` without data sources: what the state manages, as Terraform itself reads it."""
    return [line for line in tool.read(stack, ["state", "list"]).splitlines() if line and not line.startswith("data.")]


def check_stack(
    tool: Tool, stack: Stack, figures: dict[str, StackFigures], whole_group: bool = False
) -> list[CheckOutcome]:
    """Interrupt, prove the interruption, re-run, prove convergence (and, for Terraform, the lock)."""
    started = time.monotonic()
    deploy = interruptible(tool)
    figure = figures.setdefault(stack.construct_id, StackFigures(stack.construct_id, tool.name))
    outcomes: list[CheckOutcome] = []
    try:
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
        lock_detail = ""
        rerun_started = time.monotonic()
        if isinstance(tool, TerraformTool):
            errors: list[BaseException] = []
            rerun = threading.Thread(
                target=capture_errors(tool.deploy, stack, errors), name=f"rerun-{stack.construct_id}"
            )
            rerun.start()
            try:
                lock_detail = probe_lock(tool, stack, rerun)
            except DeployError as error:
                lock_detail = f"FAILED: {error}"
            rerun.join()
            if errors:
                raise errors[0]
        else:
            tool.deploy(stack)
        figure.redeploy_after_interrupt_seconds = round(time.monotonic() - rerun_started, 1)
        state = tool.state(stack)
        full = tool.resource_count(stack)
        if not state.deployed or full < cut.at_kill.total:
            raise DeployError(f"after the re-run: {state.status}, {full}/{cut.at_kill.total} resources")
        outcomes.append(
            CheckOutcome(
                CHECK,
                stack.construct_id,
                True,
                f"SIGTERM at {cut.at_kill.created}/{cut.at_kill.total} resources (exit {cut.exit_code}; "
                f"{cut.kept} kept, {cut.status}); re-deploy {figure.redeploy_after_interrupt_seconds:.1f} s: "
                f"{full}/{cut.at_kill.total}, {state.status}, no drift",
                round(time.monotonic() - started, 1),
            )
        )
        if isinstance(tool, TerraformTool):
            listed = state_list(tool, stack)
            ok = not lock_detail.startswith("FAILED") and len(listed) == full
            outcomes.append(
                CheckOutcome(
                    LOCK_CHECK,
                    stack.construct_id,
                    ok,
                    f"{lock_detail}; afterwards state list {len(listed)}/{full}, plan empty",
                    0.0,
                )
            )
    except (DeployError, OSError, subprocess.SubprocessError) as error:
        outcomes.append(
            CheckOutcome(CHECK, stack.construct_id, False, str(error), round(time.monotonic() - started, 1))
        )
    for outcome in outcomes:
        protocol.log(f"{outcome.check} {outcome.stack}: {'ok' if outcome.ok else 'FAILED'}: {outcome.detail}")
    return outcomes


def capture_errors(action: Callable[[Stack], None], stack: Stack, errors: list[BaseException]) -> Callable[[], None]:
    """``action(stack)`` for a thread: what it raises is appended to ``errors``, for the caller to re-raise."""

    def run() -> None:
        try:
            action(stack)
        except BaseException as error:  # re-raised by the caller after join
            errors.append(error)

    return run


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


def check_no_drift(tools: Sequence[Tool], stacks: Mapping[str, Sequence[Stack]] | None) -> list[CheckOutcome]:
    """Check 1 as a table row per deployed stack: the tool's own no-drift check (``cdk diff --fail``, ``terraform
    plan -detailed-exitcode``), which every deploy already ends with; here it runs again, after everything else."""
    outcomes = []
    for tool in tools:
        for stack in (stacks or {}).get(tool.name) or tool.stacks():
            started = time.monotonic()
            try:
                if not tool.state(stack).deployed:
                    raise DeployError(f"not deployed ({tool.state(stack).status})")
                tool.check_no_drift(stack)  # type: ignore[attr-defined]
                ok, detail = True, f"{tool.resource_count(stack)} resources, nothing to change"
            except DeployError as error:
                ok, detail = False, str(error)
            outcomes.append(
                CheckOutcome(DRIFT_CHECK, stack.construct_id, ok, detail, round(time.monotonic() - started, 1))
            )
    return outcomes


def check_untracked_adopted(tools: Sequence[Tool], stacks: Mapping[str, Sequence[Stack]] | None) -> list[CheckOutcome]:
    """What an interrupted Terraform create leaves when AWS chooses the id (a KMS key, VPC, subnet, route table) is
    adopted by the next deploy, not duplicated. An interruption leaves one only by chance (the provider's call must
    have been cut off after AWS made it), so the check makes one of each type for certain: ``state rm`` takes it out
    of the state, as the cut-off call leaves it; the deploy runs again, and each must be back at its address with the
    same id (a duplicate would have a new one), with no drift. The deployed stacks run side by side."""
    chosen = [
        (tool, stack)
        for tool in tools
        if isinstance(tool, TerraformTool)
        for stack in (stacks or {}).get(tool.name) or tool.stacks()
    ]
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
    return CheckOutcome(UNTRACKED_CHECK, stack.construct_id, ok, detail, round(time.monotonic() - started, 1))


def check_interrupted_deploy(
    tools: Sequence[Tool],
    stacks: Mapping[str, Sequence[Stack]] | None,
    figures: dict[str, StackFigures],
    whole_group: bool = False,
) -> list[CheckOutcome]:
    """Run the check on every stack: ``stacks`` maps a tool's name to its stacks (absent: all the tool's stacks).

    Tools run side by side; a tool's stacks run side by side when the tool allows it (Terraform). Each tool is
    synthesized and prepared if needed. The emulator's CloudFormation pace is set for the run and put back."""
    commands.require_emulator()
    previous = stack_creation()
    if not previous.get("background"):
        raise DeployError("the emulator creates stacks inside the request: start it with scripts.emulator.server")
    set_stack_creation({"seconds_per_resource": SECONDS_PER_RESOURCE})
    try:
        with ThreadPoolExecutor(max_workers=max(1, len(tools))) as pool:
            futures = [
                pool.submit(_check_tool, tool, (stacks or {}).get(tool.name), figures, whole_group) for tool in tools
            ]
        return [outcome for future in futures for outcome in future.result()]
    finally:
        set_stack_creation({"seconds_per_resource": previous["seconds_per_resource"]})


def _check_tool(
    tool: Tool, stacks: Sequence[Stack] | None, figures: dict[str, StackFigures], whole_group: bool
) -> list[CheckOutcome]:
    if not tool.synthesized():
        tool.synthesize()
    chosen = list(stacks) if stacks is not None else tool.stacks()
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
    selected: dict[str, Sequence[Stack]] | None = None
    if args.stacks:
        selected = {}
        for tool in tools:
            if not tool.synthesized():
                tool.synthesize()
            selected[tool.name] = [stack for stack in tool.stacks() if stack.construct_id in args.stacks]

    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        figures: dict[str, StackFigures] = {}
        outcomes = check_interrupted_deploy(tools, selected, figures, whole_group=args.signal_group)
        outcomes += check_untracked_adopted(tools, selected)
        return outcomes + check_no_drift(tools, selected), figures

    return report(run)


if __name__ == "__main__":
    sys.exit(main())
