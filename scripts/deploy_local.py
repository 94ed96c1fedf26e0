"""Deploy every stack to the local AWS emulator (or destroy them), and write the outputs the integration tests read.

    eval "$(python -m scripts.local_aws.server env)"  # after `python -m scripts.local_aws.server start`
    python scripts/deploy_local.py deploy             # synth once, bootstrap, deploy each stack
    .venv/bin/pytest tests/integration
    python scripts/deploy_local.py destroy            # destroy each stack; any stack left behind exits non-zero
    python scripts/deploy_local.py outputs            # only (re)write cfn-outputs/ from the deployed stacks
    python scripts/deploy_local.py summary            # per stack: resources, outputs, tests, seconds

``deploy`` and ``destroy`` refuse to run without ``AWS_ENDPOINT_URL`` (the emulator), so they never touch a real
account. ``outputs`` works against either: after a real ``cdk deploy`` it writes the same files from AWS.

Each IaC tool is a :class:`Tool` (synthesize, list stacks, prepare the account, deploy, destroy, read outputs);
``TOOLS`` names them and ``--tool`` picks some (default: all). How CDK stacks reach the emulator, measured and
chosen: the app is synthesized once, as for AWS, into ``cdk.out.local``; the real CDK CLI bootstraps the emulator's
account and runs ``cdk deploy --app cdk.out.local --method=direct`` per stack (assets are uploaded to the bootstrap
bucket by the CLI; ``direct`` is CreateStack, whose failures the emulator rolls back like CloudFormation). Every CLI
call runs under ``timeout``.

Outputs come from the deployed stacks (DescribeStacks), never from a CLI's own file: ``cfn-outputs/<Stack>.json``
holds one stack's ``{OutputKey: value}``, ``cfn-outputs/flat-outputs.json`` every deployed stack's outputs as
``"<Stack>.<Key>"`` (keys repeat across stacks, e.g. ``KmsKeyArn``), ``cfn-outputs/deploy-report.json`` the seconds
and resource counts the summary prints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS_DIR = ROOT / "cfn-outputs"
FLAT_OUTPUTS = OUTPUTS_DIR / "flat-outputs.json"
REPORT = OUTPUTS_DIR / "deploy-report.json"
ASSEMBLY_DIR = ROOT / "cdk.out.local"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
#: Seconds one CLI call may take. moto creates a stack in a few seconds; a hang is a bug (e.g. a custom resource).
BOOTSTRAP_TIMEOUT_SECONDS = 180
DEPLOY_TIMEOUT_SECONDS = 300
DESTROY_TIMEOUT_SECONDS = 300
SYNTH_TIMEOUT_SECONDS = 600
#: Profile and suffix of a local deployment unless the caller says otherwise.
DEFAULT_PROFILE = "dev"
DEFAULT_SUFFIX = "local"
#: CloudFormation states of a stack that is up, and of one that is gone.
DEPLOYED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
GONE = "DELETE_COMPLETE"


class DeployError(RuntimeError):
    """A deploy or destroy step failed; the message names the stack and the log to read."""


@dataclass(frozen=True)
class Stack:
    """One deployable stack: the construct id (file and output prefix), its deployed name and region."""

    construct_id: str
    stack_name: str
    region: str


@dataclass(frozen=True)
class StackState:
    """What a tool sees deployed: a status word, whether it is up or gone, and why it failed (if it did)."""

    status: str
    deployed: bool
    gone: bool
    reason: str = ""


class Tool(Protocol):
    """What deploy/destroy need from an IaC tool (CDK here; CDK for Terraform plugs in the same way)."""

    name: str

    def synthesize(self) -> None: ...
    def synthesized(self) -> bool: ...
    def stacks(self) -> list[Stack]: ...
    def prepare(self, stacks: list[Stack]) -> None: ...
    def deploy(self, stack: Stack) -> None: ...
    def destroy(self, stack: Stack) -> None: ...
    def state(self, stack: Stack) -> StackState: ...
    def outputs(self, stack: Stack) -> dict[str, str]: ...
    def resource_count(self, stack: Stack) -> int: ...


@dataclass
class StackResult:
    """What the summary prints for one stack."""

    stack: str
    tool: str
    stack_name: str = ""
    region: str = ""
    deploy_seconds: float = 0.0
    destroy_seconds: float = 0.0
    resources: int = 0
    outputs: int = 0
    status: str = ""


@dataclass
class Report:
    steps: dict[str, float] = field(default_factory=dict)
    stacks: dict[str, StackResult] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Report:
        if not REPORT.exists():
            return cls()
        data = json.loads(REPORT.read_text())
        return cls(data.get("steps", {}), {k: StackResult(**v) for k, v in data.get("stacks", {}).items()})

    def save(self) -> None:
        OUTPUTS_DIR.mkdir(exist_ok=True)
        data = {"steps": self.steps, "stacks": {k: asdict(v) for k, v in self.stacks.items()}}
        REPORT.write_text(json.dumps(data, indent=2) + "\n")

    def timed(self, step: str, action: Callable[[], Any]) -> Any:
        started = time.monotonic()
        try:
            return action()
        finally:
            self.steps[step] = round(time.monotonic() - started, 1)


def shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it (shorter in messages)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def log(message: str) -> None:
    print(f"[deploy-local] {message}", flush=True)


def run_cli(command: list[str], *, timeout: int, env: dict[str, str], log_file: Path) -> None:
    """Run one CLI call under coreutils ``timeout``; its output goes to ``log_file``; failure raises with the tail."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as handle:
        result = subprocess.run(
            ["timeout", "--kill-after=10", str(timeout), *command],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(log_file.read_text().splitlines()[-25:])
        reason = "timed out" if result.returncode == 124 else f"exited {result.returncode}"
        raise DeployError(f"{' '.join(command[:3])} {reason} (log: {shown(log_file)})\n{tail}")


def client(service: str, region: str) -> Any:
    """A boto3 client from the environment: the emulator when AWS_ENDPOINT_URL is set, AWS otherwise."""
    import boto3

    return boto3.client(service, region_name=region)


def write_stack_outputs(construct_id: str, outputs: dict[str, str]) -> Path:
    OUTPUTS_DIR.mkdir(exist_ok=True)
    path = OUTPUTS_DIR / f"{construct_id}.json"
    path.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    return path


def rebuild_flat_outputs(known_stacks: list[str]) -> dict[str, str]:
    """``flat-outputs.json`` from every ``cfn-outputs/<Stack>.json`` of a known stack: ``{"<Stack>.<Key>": value}``."""
    flat: dict[str, str] = {}
    for construct_id in known_stacks:
        path = OUTPUTS_DIR / f"{construct_id}.json"
        if path.exists():
            flat.update({f"{construct_id}.{key}": value for key, value in json.loads(path.read_text()).items()})
    OUTPUTS_DIR.mkdir(exist_ok=True)
    FLAT_OUTPUTS.write_text(json.dumps(flat, indent=2, sort_keys=True) + "\n")
    return flat


# ---------------------------------------------------------------------------------------------------------------------
# AWS CDK
# ---------------------------------------------------------------------------------------------------------------------


def default_region(pinned: list[str | None]) -> str:
    """Where environment-agnostic stacks go: $AWS_REGION, else the region the region-bound stacks use."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        return region
    named = sorted({item for item in pinned if item})
    if not named:
        raise DeployError("no stack names a region: set AWS_REGION")
    return named[0]


class CdkTool:
    """Synthesize the CDK app once, then bootstrap and deploy/destroy its stacks with the real CDK CLI."""

    name = "cdk"

    def __init__(self, profile: str, suffix: str, assembly: Path = ASSEMBLY_DIR) -> None:
        self.profile = profile
        self.suffix = suffix
        self.assembly = assembly

    def environment(self, region: str) -> dict[str, str]:
        # CDK_* variables change the CLI's behaviour; the account comes from the emulator, not from the caller.
        env = {key: value for key, value in os.environ.items() if not key.startswith("CDK_")}
        env.update(
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
            NODE_NO_WARNINGS="1",  # the AWS SDK's Node 20 notice, printed by every CLI call
            AWS_REGION=region,
            AWS_DEFAULT_REGION=region,
        )
        return env

    def synthesize(self) -> None:
        """The app, as ``cdk synth`` runs it, into ``cdk.out.local``: cdk.json's context plus profile and suffix.

        Run directly rather than by the CLI so that no account is looked up: stacks stay account-agnostic (AZs by
        ``Fn::GetAZs``), as in the unit tests, and nothing is written to ``cdk.context.json``.
        """
        settings = json.loads((ROOT / "cdk.json").read_text())
        context = {**settings.get("context", {}), "profile": self.profile, "environmentSuffix": self.suffix}
        env = {key: value for key, value in os.environ.items() if not key.startswith("CDK_")}
        env.update(
            CDK_OUTDIR=str(self.assembly),
            CDK_CONTEXT_JSON=json.dumps(context),
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        )
        command = settings["app"].split()
        run_cli(command, timeout=SYNTH_TIMEOUT_SECONDS, env=env, log_file=OUTPUTS_DIR / "logs" / "cdk-synth.log")

    def synthesized(self) -> bool:
        return (self.assembly / "manifest.json").exists()

    def stacks(self) -> list[Stack]:
        """The assembly's stacks; an environment-agnostic one is deployed to :func:`default_region`."""
        manifest = json.loads((self.assembly / "manifest.json").read_text())
        found = []
        for construct_id, artifact in manifest["artifacts"].items():
            if artifact["type"] == "aws:cloudformation:stack":
                region = artifact["environment"].rsplit("/", 1)[-1]
                found.append(
                    (construct_id, artifact["properties"]["stackName"], None if "unknown" in region else region)
                )
        fallback = default_region([region for _, _, region in found])
        return [Stack(construct_id, name, region or fallback) for construct_id, name, region in found]

    def prepare(self, stacks: list[Stack]) -> None:
        """``cdk bootstrap`` the emulator's account in each region used, unless the toolkit stack is there."""
        for region in sorted({stack.region for stack in stacks}):
            toolkit = self.state(Stack("CDKToolkit", "CDKToolkit", region))
            if toolkit.deployed:
                continue
            account = client("sts", region).get_caller_identity()["Account"]
            run_cli(
                [str(CDK), "bootstrap", f"aws://{account}/{region}", "--app", str(self.assembly)],
                timeout=BOOTSTRAP_TIMEOUT_SECONDS,
                env=self.environment(region),
                log_file=OUTPUTS_DIR / "logs" / f"cdk-bootstrap-{region}.log",
            )

    def deploy(self, stack: Stack) -> None:
        command = [str(CDK), "deploy", stack.construct_id, "--app", str(self.assembly), "--method=direct"]
        run_cli(
            [*command, "--require-approval=never", "--progress=events"],
            timeout=DEPLOY_TIMEOUT_SECONDS,
            env=self.environment(stack.region),
            log_file=OUTPUTS_DIR / "logs" / f"{stack.construct_id}-deploy.log",
        )

    def destroy(self, stack: Stack) -> None:
        run_cli(
            [str(CDK), "destroy", stack.construct_id, "--app", str(self.assembly), "--force"],
            timeout=DESTROY_TIMEOUT_SECONDS,
            env=self.environment(stack.region),
            log_file=OUTPUTS_DIR / "logs" / f"{stack.construct_id}-destroy.log",
        )

    def _describe(self, stack: Stack) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return client("cloudformation", stack.region).describe_stacks(StackName=stack.stack_name)["Stacks"][0]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise

    def state(self, stack: Stack) -> StackState:
        described = self._describe(stack)
        if described is None:
            return StackState(GONE, deployed=False, gone=True)
        status = described["StackStatus"]
        reason = ""
        if status.endswith(("FAILED", "ROLLBACK_COMPLETE")):
            events = client("cloudformation", stack.region).describe_stack_events(StackName=stack.stack_name)
            failed = [e for e in events["StackEvents"] if e["ResourceStatus"].endswith("FAILED")]
            reason = failed[0].get("ResourceStatusReason", "") if failed else ""
        return StackState(status, deployed=status in DEPLOYED, gone=status == GONE, reason=reason)

    def outputs(self, stack: Stack) -> dict[str, str]:
        described = self._describe(stack)
        if described is None:
            raise DeployError(f"{stack.stack_name} is not deployed in {stack.region}")
        return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs") or []}

    def resource_count(self, stack: Stack) -> int:
        paginator = client("cloudformation", stack.region).get_paginator("list_stack_resources")
        return sum(len(page["StackResourceSummaries"]) for page in paginator.paginate(StackName=stack.stack_name))


#: The IaC tools this script drives, by name. CDK for Terraform joins here with a class of the same shape.
TOOLS: dict[str, Callable[[str, str], Tool]] = {"cdk": CdkTool}


# ---------------------------------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------------------------------


def require_emulator() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise DeployError(
            "AWS_ENDPOINT_URL is not set: this script deploys to the local emulator only. Run "
            '`eval "$(python -m scripts.local_aws.server env)"` first (scripts/integration.sh does all of it).'
        )
    return endpoint


def selected_stacks(tool: Tool, selected: list[str] | None) -> list[Stack]:
    return [stack for stack in tool.stacks() if not selected or stack.construct_id in selected]


def known_stacks(tools: list[Tool]) -> list[str]:
    return [stack.construct_id for tool in tools if tool.synthesized() for stack in tool.stacks()]


def deploy(tools: list[Tool], selected: list[str] | None, reuse: bool = False) -> Report:
    """Synthesize (unless ``reuse`` and already done), prepare, deploy each stack, write outputs; fail on the first."""
    require_emulator()
    report = Report()
    try:
        for tool in tools:
            if not (reuse and tool.synthesized()):
                report.timed(f"synth {tool.name}", tool.synthesize)
            stacks = selected_stacks(tool, selected)
            report.timed(f"prepare {tool.name}", lambda tool=tool, stacks=stacks: tool.prepare(stacks))
            for stack in stacks:
                _deploy_stack(tool, stack, report)
    finally:
        rebuild_flat_outputs(known_stacks(tools))
        report.save()
    return report


def _deploy_stack(tool: Tool, stack: Stack, report: Report) -> None:
    result = StackResult(stack.construct_id, tool.name, stack.stack_name, stack.region)
    report.stacks[stack.construct_id] = result
    log(f"deploying {stack.construct_id} ({stack.stack_name}, {stack.region})")
    try:
        report.timed(f"deploy {stack.construct_id}", lambda: tool.deploy(stack))
    finally:
        result.deploy_seconds = report.steps.pop(f"deploy {stack.construct_id}")
    state = tool.state(stack)
    result.status = state.status
    if not state.deployed:
        raise DeployError(f"{stack.construct_id}: status {state.status} after deploy {state.reason}".rstrip())
    outputs = tool.outputs(stack)
    write_stack_outputs(stack.construct_id, outputs)
    result.outputs = len(outputs)
    result.resources = tool.resource_count(stack)
    log(
        f"{stack.construct_id}: {result.status}, {result.resources} resources, {result.outputs} outputs, "
        f"{result.deploy_seconds:.1f} s"
    )


def destroy(tools: list[Tool], selected: list[str] | None) -> Report:
    """Destroy every selected stack (all of them, even after a failure), then fail if any is not gone."""
    require_emulator()
    report = Report.load()
    failures = []
    for tool in tools:
        if not tool.synthesized():
            report.timed(f"synth {tool.name}", tool.synthesize)
        for stack in reversed(selected_stacks(tool, selected)):
            result = report.stacks.setdefault(stack.construct_id, StackResult(stack.construct_id, tool.name))
            started = time.monotonic()
            try:
                tool.destroy(stack)
            except DeployError as error:
                failures.append(str(error))
            result.destroy_seconds = round(time.monotonic() - started, 1)
            state = tool.state(stack)
            result.status = state.status
            if state.gone:
                (OUTPUTS_DIR / f"{stack.construct_id}.json").unlink(missing_ok=True)
            else:
                failures.append(f"{stack.construct_id}: {state.status} after destroy: {state.reason}".rstrip(": "))
            log(f"{stack.construct_id}: {state.status} ({result.destroy_seconds:.1f} s)")
    rebuild_flat_outputs(known_stacks(tools))
    report.save()
    if failures:
        raise DeployError("destroy failed:\n" + "\n".join(failures))
    return report


def write_outputs(tools: list[Tool], selected: list[str] | None) -> None:
    """Re-read the outputs of the deployed stacks (emulator or AWS) into cfn-outputs/."""
    for tool in tools:
        if not tool.synthesized():
            tool.synthesize()
        for stack in selected_stacks(tool, selected):
            write_stack_outputs(stack.construct_id, tool.outputs(stack))
    flat = rebuild_flat_outputs(known_stacks(tools))
    log(f"wrote {len(flat)} outputs to {shown(FLAT_OUTPUTS)}")


def summary() -> str:
    """One line per stack: deployed resources, outputs, integration tests, deploy and destroy seconds."""
    report = Report.load()
    tests_file = OUTPUTS_DIR / "integration-report.json"
    tests = json.loads(tests_file.read_text()).get("stacks", {}) if tests_file.exists() else {}
    lines = [
        f"{'stack':<20} {'tool':<6} {'resources':>9} {'outputs':>7} {'tests':>6} {'passed':>6} {'failed':>6} "
        f"{'deploy s':>8} {'destroy s':>9}  status"
    ]
    for name, result in report.stacks.items():
        counts = tests.get(name, {})
        lines.append(
            f"{name:<20} {result.tool:<6} {result.resources:>9} {result.outputs:>7} {sum(counts.values()):>6} "
            f"{counts.get('passed', 0):>6} {counts.get('failed', 0):>6} {result.deploy_seconds:>8.1f} "
            f"{result.destroy_seconds:>9.1f}  {result.status}"
        )
    if report.steps:
        lines.append("other steps: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.steps.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["deploy", "destroy", "outputs", "summary"])
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument("--tool", action="append", dest="tools", choices=sorted(TOOLS), help="default: every tool")
    parser.add_argument("--profile", default=os.environ.get("DEPLOY_PROFILE") or DEFAULT_PROFILE)
    parser.add_argument("--suffix", default=os.environ.get("ENVIRONMENT_SUFFIX") or DEFAULT_SUFFIX)
    parser.add_argument("--reuse-assembly", action="store_true", help="deploy what is synthesized (no synth)")
    args = parser.parse_args(argv)
    tools = [TOOLS[name](args.profile, args.suffix) for name in (args.tools or sorted(TOOLS))]
    try:
        if args.command == "deploy":
            deploy(tools, args.stacks, args.reuse_assembly)
        elif args.command == "destroy":
            destroy(tools, args.stacks)
        elif args.command == "outputs":
            write_outputs(tools, args.stacks)
        else:
            print(summary())
    except DeployError as error:
        log(f"FAILED: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
