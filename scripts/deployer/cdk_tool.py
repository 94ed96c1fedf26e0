"""AWS CDK stacks: the app synthesized once, bootstrapped and deployed/destroyed per stack by the real CDK CLI."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from scripts import ROOT, WORK_DIR
from scripts.deployer import images, protocol, stack_outputs

ASSEMBLY_DIR = WORK_DIR / "cdk.out.local"


CDK = ROOT / "node_modules" / ".bin" / "cdk"


#: Seconds one CLI call may take. moto creates a stack in a few seconds; a hang is a bug (e.g. a custom resource).
BOOTSTRAP_TIMEOUT_SECONDS = 180


DEPLOY_TIMEOUT_SECONDS = 300


DESTROY_TIMEOUT_SECONDS = 300


#: CloudFormation states of a stack that is up, and of one that is gone.
DEPLOYED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})


GONE = "DELETE_COMPLETE"


def default_region(pinned: list[str | None]) -> str:
    """Where environment-agnostic stacks go: $AWS_REGION, else the region the region-bound stacks use."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        return region
    named = sorted({item for item in pinned if item})
    if not named:
        raise protocol.DeployError("no stack names a region: set AWS_REGION")
    return named[0]


class CdkTool:
    """Synthesize the CDK app once, then bootstrap and deploy/destroy its stacks with the real CDK CLI."""

    name = "cdk"
    #: One CloudFormation stack deploys in seconds here; one after the other keeps the CLI logs readable.
    concurrent_stacks = False

    def __init__(self, profile: str, suffix: str, assembly: Path = ASSEMBLY_DIR) -> None:
        self.profile = profile
        self.suffix = suffix
        self.assembly = assembly

    def environment(self, region: str) -> dict[str, str]:
        # CDK_* variables change the CLI's behaviour; the account comes from the emulator, not from the caller.
        env = {key: value for key, value in os.environ.items() if not key.startswith("CDK_")}
        env.update(
            AWS_REGION=region,
            AWS_DEFAULT_REGION=region,
            # Image assets are built and pushed by the local container client (no Docker daemon here).
            CDK_DOCKER=str(images.LOCAL_DOCKER),
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
        )
        command = settings["app"].split()
        protocol.run_cli(
            command,
            timeout=protocol.SYNTH_TIMEOUT_SECONDS,
            env=env,
            log_file=stack_outputs.OUTPUTS_DIR / "logs" / "cdk-synth.log",
        )

    def synthesized(self) -> bool:
        return (self.assembly / "manifest.json").exists()

    def stacks(self) -> list[protocol.Stack]:
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
        return [protocol.Stack(construct_id, name, region or fallback) for construct_id, name, region in found]

    def prepare(self, stacks: list[protocol.Stack]) -> None:
        """``cdk bootstrap`` the emulator's account in each region used, unless the toolkit stack is there."""
        for region in sorted({stack.region for stack in stacks}):
            toolkit = self.state(protocol.Stack("CDKToolkit", "CDKToolkit", region))
            if toolkit.deployed:
                continue
            account = protocol.client("sts", region).get_caller_identity()["Account"]
            protocol.run_cli(
                [str(CDK), "bootstrap", f"aws://{account}/{region}", "--app", str(self.assembly)],
                timeout=BOOTSTRAP_TIMEOUT_SECONDS,
                env=self.environment(region),
                log_file=stack_outputs.OUTPUTS_DIR / "logs" / f"cdk-bootstrap-{region}.log",
            )

    def deploy_command(self, stack: protocol.Stack) -> list[str]:
        """The ``cdk deploy`` of one stack (also what the interrupted-deploy check starts and kills)."""
        command = [str(CDK), "deploy", stack.construct_id, "--app", str(self.assembly), "--method=direct"]
        return [*command, "--require-approval=never", "--progress=events"]

    def deploy(self, stack: protocol.Stack) -> None:
        self.wait_until_settled(stack)
        protocol.run_cli(
            self.deploy_command(stack),
            timeout=DEPLOY_TIMEOUT_SECONDS,
            env=self.environment(stack.region),
            log_file=stack_outputs.OUTPUTS_DIR / "logs" / f"{stack.construct_id}-deploy.log",
        )
        self.check_no_drift(stack)

    def wait_until_settled(
        self, stack: protocol.Stack, timeout: float = DEPLOY_TIMEOUT_SECONDS, poll: float = 1.0
    ) -> str:
        """Wait while the stack has an operation in progress; its settled status (``DELETE_COMPLETE`` if absent).

        Killing ``cdk deploy`` does not stop CloudFormation. A second deploy of the same template then finds the
        stack CREATE_IN_PROGRESS, sees no change and returns at once without waiting, leaving it unfinished; this
        wait makes the re-run end where CloudFormation ends (complete, or rolled back and then re-created).
        """
        deadline = time.monotonic() + timeout
        while True:
            status = self.state(stack).status
            if not status.endswith("_IN_PROGRESS"):
                return status
            if time.monotonic() > deadline:
                raise protocol.DeployError(f"{stack.construct_id}: still {status} after {timeout:.0f} s")
            time.sleep(poll)

    def check_no_drift(self, stack: protocol.Stack) -> None:
        """``cdk diff --fail`` after deploy: exit 1 means the deployed template is not the synthesized one.

        ``--method=template`` compares the deployed template with the assembly's; the default change-set method only
        adds replacement details, writes a change set to the account and takes twice as long (3.4 s against 1.8 s).
        """
        command = [str(CDK), "diff", stack.construct_id, "--app", str(self.assembly), "--fail", "--method=template"]
        try:
            protocol.run_cli(
                command,
                timeout=DEPLOY_TIMEOUT_SECONDS,
                env=self.environment(stack.region),
                log_file=stack_outputs.OUTPUTS_DIR / "logs" / f"{stack.construct_id}-diff.log",
            )
        except protocol.DeployError as error:
            if " exited 1 (" in str(error):  # not 10-19: run_cli writes "exited <code> (log: ...)"
                message = f"{stack.construct_id}: cdk diff after deploy is not empty (drift)"
                raise protocol.DeployError(f"{message}\n{error}") from None
            raise

    def destroy(self, stack: protocol.Stack) -> None:
        protocol.run_cli(
            [str(CDK), "destroy", stack.construct_id, "--app", str(self.assembly), "--force"],
            timeout=DESTROY_TIMEOUT_SECONDS,
            env=self.environment(stack.region),
            log_file=stack_outputs.OUTPUTS_DIR / "logs" / f"{stack.construct_id}-destroy.log",
        )

    def _describe(self, stack: protocol.Stack) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return protocol.client("cloudformation", stack.region).describe_stacks(StackName=stack.stack_name)[
                "Stacks"
            ][0]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise

    def state(self, stack: protocol.Stack) -> protocol.StackState:
        described = self._describe(stack)
        if described is None:
            return protocol.StackState(GONE, deployed=False, gone=True)
        status = described["StackStatus"]
        reason = ""
        if status.endswith(("FAILED", "ROLLBACK_COMPLETE")):
            events = protocol.client("cloudformation", stack.region).describe_stack_events(StackName=stack.stack_name)
            failed = [e for e in events["StackEvents"] if e["ResourceStatus"].endswith("FAILED")]
            reason = failed[0].get("ResourceStatusReason", "") if failed else ""
        return protocol.StackState(status, deployed=status in DEPLOYED, gone=status == GONE, reason=reason)

    def outputs(self, stack: protocol.Stack) -> dict[str, str]:
        described = self._describe(stack)
        if described is None:
            raise protocol.DeployError(f"{stack.stack_name} is not deployed in {stack.region}")
        return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs") or []}

    def resource_count(self, stack: protocol.Stack) -> int:
        paginator = protocol.client("cloudformation", stack.region).get_paginator("list_stack_resources")
        return sum(len(page["StackResourceSummaries"]) for page in paginator.paginate(StackName=stack.stack_name))
