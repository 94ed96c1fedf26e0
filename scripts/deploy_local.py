"""Deploy every stack to the local AWS emulator (or destroy them), and write the outputs the integration tests read.

    eval "$(python -m scripts.local_aws.server env)"  # after `python -m scripts.local_aws.server start`
    python scripts/deploy_local.py deploy             # synth once, bootstrap, deploy each stack
    .venv/bin/pytest tests/integration
    python scripts/deploy_local.py destroy            # destroy each stack; any stack left behind exits non-zero
    python scripts/deploy_local.py outputs            # only (re)write cfn-outputs/ from the deployed stacks
    python scripts/deploy_local.py summary            # per stack: resources, outputs, tests, seconds

``deploy`` and ``destroy`` refuse to run without ``AWS_ENDPOINT_URL`` (the emulator), so they never touch a real
account. ``outputs`` works against either: after a real ``cdk deploy`` (and ``cdktf deploy``, whose state it reads
from ``cdktf.out``) it writes the same files from AWS; ``--tool cdk`` limits it to CDK stacks.

Each IaC tool is a :class:`Tool` (synthesize, list stacks, prepare the account, deploy, destroy, read outputs);
``TOOLS`` names them and ``--tool`` picks some (default: all). How CDK stacks reach the emulator, measured and
chosen: the app is synthesized once, as for AWS, into ``cdk.out.local``; the real CDK CLI bootstraps the emulator's
account and runs ``cdk deploy --app cdk.out.local --method=direct`` per stack (assets are uploaded to the bootstrap
bucket by the CLI; ``direct`` is CreateStack, whose failures the emulator rolls back like CloudFormation). CDK for
Terraform stacks: the app is synthesized once with ``AWS_ENDPOINT_URL`` set (the provider's endpoints, nothing else,
change) into ``cdktf.out.local``, then each stack is ``terraform init``/``apply``-ed from the offline provider mirror,
both stacks side by side, and must show an empty ``plan`` right after (:class:`TerraformTool`). Every CLI call runs
under ``timeout``. ``destroy`` of a Terraform stack synthesized for prod (its ``Profile`` tag) is the prod teardown:
refused while anything is deletion-protected; what prod retains leaves state first, so it is kept with its data.

Outputs come from the deployed stacks (DescribeStacks; ``terraform output -json`` for CDK for Terraform, whose list
outputs stay JSON lists), never from a CLI's own file: ``cfn-outputs/<Stack>.json`` holds one stack's
``{OutputKey: value}``, ``cfn-outputs/flat-outputs.json`` every deployed stack's outputs as
``"<Stack>.<Key>"`` (keys repeat across stacks, e.g. ``KmsKeyArn``), ``cfn-outputs/deploy-report.json`` the seconds
and resource counts the summary prints.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as ``python scripts/deploy_local.py``: its sibling modules import as ``scripts.*``
    sys.path.insert(0, str(ROOT))

from scripts import terraform_orphans  # noqa: E402

OUTPUTS_DIR = ROOT / "cfn-outputs"
FLAT_OUTPUTS = OUTPUTS_DIR / "flat-outputs.json"
REPORT = OUTPUTS_DIR / "deploy-report.json"
ASSEMBLY_DIR = ROOT / "cdk.out.local"
#: Where the cdktf app is synthesized for the emulator, and for AWS (``cdktf synth``'s default).
CDKTF_LOCAL_DIR = ROOT / "cdktf.out.local"
CDKTF_AWS_DIR = ROOT / "cdktf.out"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
#: Seconds one CLI call may take. moto creates a stack in a few seconds; a hang is a bug (e.g. a custom resource).
BOOTSTRAP_TIMEOUT_SECONDS = 180
DEPLOY_TIMEOUT_SECONDS = 300
DESTROY_TIMEOUT_SECONDS = 300
SYNTH_TIMEOUT_SECONDS = 600
#: Terraform: init reads the offline mirror (~1 s); apply and destroy are mostly the provider's own waits (RDS, S3).
INIT_TIMEOUT_SECONDS = 120
DEPLOY_TIMEOUT_TF = 900
DESTROY_TIMEOUT_TF = 900
#: Concurrent operations per apply: the emulator answers at once, the provider's waits are what takes the time.
PARALLELISM = ("-parallelism=20",)
APPLY = ["apply", "-auto-approve", "-input=false", "-no-color", *PARALLELISM]
#: Rounds of imports of what an interrupted apply left outside the state, each then applying again: a clash needs one;
#: a later one adopts what a clashing dependency kept the apply from reaching (a group, then its rules).
ADOPTION_ROUNDS = 3
#: Profile and suffix of a local deployment unless the caller says otherwise.
DEFAULT_PROFILE = "dev"
DEFAULT_SUFFIX = "local"
#: CloudFormation states of a stack that is up, and of one that is gone.
DEPLOYED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
GONE = "DELETE_COMPLETE"
#: Terraform arguments that make a delete fail: RDS ``deletion_protection`` (ELB, DynamoDB spell it so too), Network
#: Firewall ``delete_protection``, and the ``_enabled`` spelling of some other services.
DELETION_PROTECTION_ATTRIBUTES = ("deletion_protection", "delete_protection", "deletion_protection_enabled")
#: Status words of a Terraform stack: resources in its state, or none.
TF_APPLIED = "APPLIED"
TF_DESTROYED = "DESTROYED"


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
    #: Whether the tool's stacks may deploy and destroy side by side (independent stacks, slow provider waits).
    concurrent_stacks: bool

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
        lines = log_file.read_text().splitlines()
        tail = "\n".join(lines[-25:])
        reason = "timed out" if result.returncode == 124 else f"exited {result.returncode}"
        raised = raised_error(lines[-25:])
        headline = f"{' '.join(command[:3])} {reason} (log: {shown(log_file)})"
        raise DeployError(f"{headline}: {raised}\n{tail}" if raised else f"{headline}\n{tail}")


#: The last line of a Python traceback: ``package.module.SomeError: message``.
RAISED_ERROR = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?(?P<error>[A-Za-z_]\w*(?:Error|Exception)): (?P<message>.+)$")


def raised_error(lines: list[str]) -> str:
    """The error a failed Python program (the CDK or cdktf app at synth) raised, as ``SomeError: message``, or ""
    when its output ends without one. Put first in the failure, so a bad setting's message is the first thing read."""
    for line in reversed(lines):
        match = RAISED_ERROR.match(line)
        if match:
            return f"{match['error']}: {match['message']}"
    return ""


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

    def deploy_command(self, stack: Stack) -> list[str]:
        """The ``cdk deploy`` of one stack (also what the interrupted-deploy check starts and kills)."""
        command = [str(CDK), "deploy", stack.construct_id, "--app", str(self.assembly), "--method=direct"]
        return [*command, "--require-approval=never", "--progress=events"]

    def deploy(self, stack: Stack) -> None:
        self.wait_until_settled(stack)
        run_cli(
            self.deploy_command(stack),
            timeout=DEPLOY_TIMEOUT_SECONDS,
            env=self.environment(stack.region),
            log_file=OUTPUTS_DIR / "logs" / f"{stack.construct_id}-deploy.log",
        )
        self.check_no_drift(stack)

    def wait_until_settled(self, stack: Stack, timeout: float = DEPLOY_TIMEOUT_SECONDS, poll: float = 1.0) -> str:
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
                raise DeployError(f"{stack.construct_id}: still {status} after {timeout:.0f} s")
            time.sleep(poll)

    def check_no_drift(self, stack: Stack) -> None:
        """``cdk diff --fail`` after deploy: exit 1 means the deployed template is not the synthesized one.

        ``--method=template`` compares the deployed template with the assembly's; the default change-set method only
        adds replacement details, writes a change set to the account and takes twice as long (3.4 s against 1.8 s).
        """
        command = [str(CDK), "diff", stack.construct_id, "--app", str(self.assembly), "--fail", "--method=template"]
        try:
            run_cli(
                command,
                timeout=DEPLOY_TIMEOUT_SECONDS,
                env=self.environment(stack.region),
                log_file=OUTPUTS_DIR / "logs" / f"{stack.construct_id}-diff.log",
            )
        except DeployError as error:
            if " exited 1 (" in str(error):  # not 10-19: run_cli writes "exited <code> (log: ...)"
                message = f"{stack.construct_id}: cdk diff after deploy is not empty (drift)"
                raise DeployError(f"{message}\n{error}") from None
            raise

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


# ---------------------------------------------------------------------------------------------------------------------
# CDK for Terraform
# ---------------------------------------------------------------------------------------------------------------------


class TerraformTool:
    """Synthesize the cdktf app once, then ``terraform init`` / ``apply`` / ``destroy`` each stack in its directory.

    With ``AWS_ENDPOINT_URL`` set at synth, the stacks' provider sends every service to the emulator (one setting,
    ``constructs_lib/cdktf/provider.py``); the synthesized app goes to ``cdktf.out.local`` so it never mixes with the
    AWS one in ``cdktf.out``. Providers come from the offline filesystem mirror (``scripts/terraform_cli_config.py``).
    After each apply a ``terraform plan -detailed-exitcode`` must find nothing to change: what the emulator reads
    back is what was applied (a permanent diff is an emulator bug to fix, or a stack bug). State is local, in the
    stack's directory, so ``outputs`` after a real ``cdktf deploy`` (``cdktf.out``) reads the same way; with
    ``state_bucket`` the app is synthesized for S3 state (the stacks' ``stateBucket``), read through the backend.
    """

    name = "cdktf"
    #: The stacks share nothing and Terraform spends its time in the provider's waits (RDS, S3): run side by side.
    concurrent_stacks = True

    def __init__(self, profile: str, suffix: str, outdir: Path | None = None, state_bucket: str | None = None) -> None:
        self.profile = profile
        self.suffix = suffix
        self.outdir = outdir or (CDKTF_LOCAL_DIR if os.environ.get("AWS_ENDPOINT_URL") else CDKTF_AWS_DIR)
        self.state_bucket = state_bucket
        self.cli_config = ROOT / ".build" / "terraformrc"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        return env

    def synthesize(self) -> None:
        """The app as ``cdktf synth`` runs it (cdktf.json's ``app``), with profile and suffix as context."""
        settings = json.loads((ROOT / "cdktf.json").read_text())
        context = {**settings.get("context", {}), "profile": self.profile, "environmentSuffix": self.suffix}
        env = self.environment()
        if self.state_bucket:
            context["stateBucket"] = self.state_bucket
        env.update(CDKTF_OUTDIR=str(self.outdir), CDKTF_CONTEXT_JSON=json.dumps(context))
        run_cli(
            settings["app"].split(),
            timeout=SYNTH_TIMEOUT_SECONDS,
            env=env,
            log_file=OUTPUTS_DIR / "logs" / "cdktf-synth.log",
        )

    def synthesized(self) -> bool:
        return (self.outdir / "manifest.json").exists()

    def directory(self, stack: Stack) -> Path:
        return self.outdir / "stacks" / stack.construct_id

    def stacks(self) -> list[Stack]:
        """The app's stacks (manifest order); each one's region is its provider's."""
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        found = []
        for name, entry in manifest["stacks"].items():
            config = json.loads((self.outdir / entry["synthesizedStackPath"]).read_text())
            found.append(Stack(name, name, config["provider"]["aws"][0]["region"]))
        return found

    def prepare(self, stacks: list[Stack]) -> None:
        """Write the CLI config (offline provider mirror) and ``terraform init`` each stack."""
        run_cli(
            [sys.executable, str(ROOT / "scripts" / "terraform_cli_config.py"), "--output", str(self.cli_config)],
            timeout=60,
            env=self.environment(),
            log_file=OUTPUTS_DIR / "logs" / "terraform-cli-config.log",
        )
        for stack in stacks:
            self._terraform(stack, "init", ["init", "-input=false", "-no-color"], INIT_TIMEOUT_SECONDS)

    def deploy(self, stack: Stack) -> None:
        """``apply``, then the no-drift check. An apply that failed only because resources exist that its state
        lacks (what an interrupted apply leaves) adopts those it can prove are the stack's own
        (:mod:`scripts.terraform_orphans`) and applies again; its log is kept as ``<stack>-apply-clashed.log``.
        Before the apply, what an interrupted create left that would not clash is adopted too
        (:meth:`adopt_untracked`)."""
        self.adopt_untracked(stack)
        for attempt in range(ADOPTION_ROUNDS + 1):
            try:
                self._terraform(stack, "apply", APPLY, DEPLOY_TIMEOUT_TF)
                break
            except DeployError:
                apply_log = self._log(stack, "apply")
                orphans = terraform_orphans.orphans_in(apply_log.read_text())
                if not orphans or attempt == ADOPTION_ROUNDS:
                    raise
                apply_log.replace(self._log(stack, "apply-clashed"))
                self.adopt(stack, orphans)
        self.check_no_drift(stack)

    def adopt(self, stack: Stack, orphans: list[terraform_orphans.Orphan]) -> None:
        """``terraform import`` each orphan by the id its planned values give, once it is shown to be the stack's:
        an untagged one hangs off a resource in the state, a tagged one carries the stack's default tags (else it
        leaves the state again and the deploy fails naming it)."""
        planned = self.planned_creations(stack)
        account = self.account(stack)
        identities = terraform_orphans.state_identities(self.managed_resources(stack))
        default_tags = self.default_tags(stack)
        tainted = self.tainted_addresses(stack)
        for index, orphan in enumerate(orphans):
            values = planned.get(orphan.address)
            if values is None:
                raise DeployError(
                    f"{stack.construct_id}: {orphan.address} already exists, but the plan does not create it"
                )
            try:
                identifier = terraform_orphans.import_id(orphan, values, account)
                terraform_orphans.check_parents(orphan, values, identities)
            except terraform_orphans.AdoptionRefusedError as refused:
                raise DeployError(f"{stack.construct_id}: {refused}") from None
            log(f"{stack.construct_id}: {orphan.address} exists outside the state ({orphan.message})")
            if orphan.address in tainted:
                # Its own create failed because the orphan holds what it needed (AWS makes a NAT gateway whose
                # address is taken, 'failed'); that failed object is AWS's to remove, the orphan takes its place.
                log(f"{stack.construct_id}: {orphan.address}: its failed (tainted) create leaves the state")
                self.forget(stack, [orphan.address])
            log(f"{stack.construct_id}: importing {orphan.address} as {identifier}")
            self.import_resource(stack, orphan.address, identifier, f"import-{index}")
            imported = next(
                attributes for address, _, attributes in self.managed_resources(stack) if address == orphan.address
            )
            try:
                terraform_orphans.check_tags(orphan, imported, default_tags)
            except terraform_orphans.AdoptionRefusedError as refused:
                self.forget(stack, [orphan.address])
                raise DeployError(f"{stack.construct_id}: {refused}") from None

    def adopt_untracked(self, stack: Stack) -> None:
        """``terraform import`` each live resource that carries the stack's default tags, is of a type whose id AWS
        chooses, and is missing from the state, as the one planned creation it matches: without this the apply would
        create a second one and leave the first behind. One tagging-API call when there is none (every deploy); a
        plan only when there is one. A resource with no one-to-one match is logged and left alone."""
        default_tags = self.default_tags(stack)
        if not default_tags:
            return
        from botocore.exceptions import ClientError

        known = terraform_orphans.state_identities(self.managed_resources(stack))
        try:
            strays = terraform_orphans.untracked(self.account(stack), default_tags, known)
        except ClientError as error:  # a deploy role without tag:GetResources or kms:DescribeKey still deploys
            log(f"{stack.construct_id}: resources outside the state not looked for: {error}")
            return
        if not strays:
            return
        pairs, left = terraform_orphans.pair_untracked(strays, self.planned_creations(stack), default_tags)
        for reason in left:
            log(f"{stack.construct_id}: {reason}")
        for index, (address, stray) in enumerate(pairs.items()):
            log(f"{stack.construct_id}: {stray.arn} carries the stack's tags outside its state: importing as {address}")
            self.import_resource(stack, address, stray.identifier, f"import-untracked-{index}")

    def planned_creations(self, stack: Stack) -> dict[str, dict[str, Any]]:
        """``{address: planned values}`` of every resource the next apply would create (a saved plan, as JSON)."""
        plan_file = "adoption.tfplan"
        command = ["plan", "-input=false", "-no-color", "-refresh=false", f"-out={plan_file}", *PARALLELISM]
        self._terraform(stack, "adoption-plan", command, DEPLOY_TIMEOUT_TF)
        try:
            plan = json.loads(self.read(stack, ["show", "-json", "-no-color", plan_file]))
        finally:
            (self.directory(stack) / plan_file).unlink(missing_ok=True)
        return {
            change["address"]: change["change"].get("after") or {}
            for change in plan.get("resource_changes", [])
            if "create" in change["change"]["actions"]
        }

    def account(self, stack: Stack) -> terraform_orphans.Account:
        """Partition and account of the credentials the provider uses, for the import ids that are ARNs."""
        identity = client("sts", stack.region).get_caller_identity()
        return terraform_orphans.Account(
            identity["Arn"].split(":")[1],
            identity["Account"],
            stack.region,
            lambda service: client(service, stack.region),
        )

    def check_no_drift(self, stack: Stack) -> None:
        """``plan -detailed-exitcode`` after apply: exit 2 (changes) means something did not read back as applied."""
        command = ["plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false", *PARALLELISM]
        try:
            self._terraform(stack, "plan", command, DEPLOY_TIMEOUT_TF)
        except DeployError as error:
            if " exited 2 (" in str(error):  # not 20-29: run_cli writes "exited <code> (log: ...)"
                raise DeployError(f"{stack.construct_id}: the plan after apply is not empty (drift)\n{error}") from None
            raise

    def destroy(self, stack: Stack) -> None:
        """``terraform destroy``; a stack synthesized for prod gets :meth:`prod_teardown` instead."""
        if not (self.directory(stack) / ".terraform").exists():
            self._terraform(stack, "init", ["init", "-input=false", "-no-color"], INIT_TIMEOUT_SECONDS)
        if self.stack_profile(stack) == "prod":
            self.prod_teardown(stack)
            return
        command = ["destroy", "-auto-approve", "-input=false", "-no-color", *PARALLELISM]
        self._terraform(stack, "destroy", command, DESTROY_TIMEOUT_TF)

    def stack_profile(self, stack: Stack) -> str | None:
        """The profile the stack was synthesized for: its provider's default ``Profile`` tag (what every resource
        carries), read from the synthesized config rather than from this tool's own setting."""
        from constructs_lib.model.stack import PROFILE_TAG

        return self.default_tags(stack).get(PROFILE_TAG)

    def default_tags(self, stack: Stack) -> dict[str, str]:
        """The tags the stack's provider puts on every resource it creates (its ``default_tags``)."""
        config = json.loads((self.directory(stack) / "cdk.tf.json").read_text())
        tags: dict[str, str] = {}
        for provider in config.get("provider", {}).get("aws", []):
            for default_tags in provider.get("default_tags", []):
                tags.update(default_tags.get("tags", {}))
        return tags

    def prod_teardown(self, stack: Stack) -> None:
        """The deliberate teardown of a prod stack: Terraform has no Retain, so what prod keeps leaves state first.

        1. ``apply -refresh-only``: state shows what is live, e.g. a deletion protection the operator has lifted.
        2. Refuse while any resource is deletion-protected, naming them (lifting it is the operator's explicit step).
        3. ``state rm`` every resource whose type prod keeps (``TERRAFORM_PROD_RETAINED_TYPES``: buckets with all their
           configuration, keys and aliases, streams, queues, secrets), so their data, controls and keys survive.
        4. ``destroy`` the rest without another refresh: databases take their final snapshot, log groups rendered with
           ``skip_destroy`` are forgotten, not deleted.
        """
        refresh = ["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color", *PARALLELISM]
        self._terraform(stack, "refresh", refresh, DESTROY_TIMEOUT_TF)
        protected = [address for address, _, _ in self.protected_resources(stack)]
        if protected:
            raise DeployError(
                f"{stack.construct_id}: prod teardown refused: deletion protection is on for {', '.join(protected)}; "
                "lift it on purpose (the operator's step: e.g. ModifyDBCluster DeletionProtection=false, "
                "UpdateFirewallDeleteProtection) and destroy again"
            )
        kept = self.retained_addresses(stack)
        if kept:
            log(f"{stack.construct_id}: prod teardown keeps {len(kept)} resources (state rm): {', '.join(kept)}")
            self.forget(stack, kept)
        command = ["destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", *PARALLELISM]
        self._terraform(stack, "destroy", command, DESTROY_TIMEOUT_TF)

    def managed_resources(self, stack: Stack) -> list[tuple[str, str, dict[str, Any]]]:
        """``(address, type, attributes)`` of every managed resource instance in the stack's state."""
        return [(address, kind, instance.get("attributes") or {}) for address, kind, instance in self._instances(stack)]

    def tainted_addresses(self, stack: Stack) -> set[str]:
        """Addresses whose instance in the state is tainted: a create that failed after the object was made."""
        return {address for address, _, instance in self._instances(stack) if instance.get("status") == "tainted"}

    def _instances(self, stack: Stack) -> list[tuple[str, str, dict[str, Any]]]:
        """``(address, type, instance)`` of every managed resource instance, as the state records it."""
        found = []
        for resource in self._state(stack).get("resources", []):
            if resource.get("mode") != "managed":
                continue
            for instance in resource.get("instances", []):
                suffix = f"[{json.dumps(instance['index_key'])}]" if "index_key" in instance else ""
                found.append((f"{resource['type']}.{resource['name']}{suffix}", resource["type"], instance))
        return found

    def protected_resources(self, stack: Stack) -> list[tuple[str, str, dict[str, Any]]]:
        """``(address, type, attributes)`` of the resources whose state says deletion protection is on (RDS, Network
        Firewall...)."""
        return [
            resource
            for resource in self.managed_resources(stack)
            if any(resource[2].get(name) is True for name in DELETION_PROTECTION_ATTRIBUTES)
        ]

    def retained_addresses(self, stack: Stack) -> list[str]:
        """Addresses of the resources the prod teardown keeps, by the policy's list of retained types."""
        from constructs_lib.policy.profiles import terraform_retained_in_prod

        return [address for address, kind, _ in self.managed_resources(stack) if terraform_retained_in_prod(kind)]

    def import_resource(self, stack: Stack, address: str, identifier: str, step: str) -> None:
        """``terraform import``: the stack manages the existing resource ``identifier`` as ``address`` from now on
        (its log is ``<stack>-<step>.log``)."""
        command = ["import", "-input=false", "-no-color", address, identifier]
        self._terraform(stack, step, command, INIT_TIMEOUT_SECONDS)

    def forget(self, stack: Stack, addresses: list[str]) -> None:
        """``terraform state rm``: the resources stay in the account, the stack no longer manages them."""
        self._terraform(stack, "state-rm", ["state", "rm", "-no-color", *addresses], INIT_TIMEOUT_SECONDS)

    def _terraform(self, stack: Stack, step: str, arguments: list[str], timeout: int) -> None:
        command = ["terraform", f"-chdir={self.directory(stack)}", *arguments]
        run_cli(command, timeout=timeout, env=self.environment(), log_file=self._log(stack, step))

    def _log(self, stack: Stack, step: str) -> Path:
        return OUTPUTS_DIR / "logs" / f"{stack.construct_id}-{step}.log"

    def _state(self, stack: Stack) -> dict[str, Any]:
        """The stack's state: the local file, or through the backend (``state pull``) when it is remote."""
        if self.remote_backend(stack):
            if not (self.directory(stack) / ".terraform").exists():
                return {}
            pulled = self.read(stack, ["state", "pull"])
            return json.loads(pulled) if pulled.strip() else {}
        path = self.directory(stack) / backend_state_file(stack.construct_id)
        if not path.exists() or not path.read_text().strip():
            return {}
        return json.loads(path.read_text())

    def remote_backend(self, stack: Stack) -> str | None:
        """The backend type the stack was synthesized with when it is not local (``s3``), else None."""
        path = self.directory(stack) / "cdk.tf.json"
        config = json.loads(path.read_text()) if path.exists() else {}
        backends = set(config.get("terraform", {}).get("backend", {})) - {"local"}
        return next(iter(backends), None)

    def _managed(self, stack: Stack) -> list[str]:
        """Addresses of the managed resource instances in the stack's state (data sources excluded)."""
        return [address for address, _, _ in self.managed_resources(stack)]

    def state(self, stack: Stack) -> StackState:
        managed = self._managed(stack)
        if not managed:
            return StackState(TF_DESTROYED, deployed=False, gone=True)
        return StackState(TF_APPLIED, deployed=True, gone=False, reason=f"left: {', '.join(managed[:5])}")

    def outputs(self, stack: Stack) -> dict[str, Any]:
        """``terraform output -json``: each output's value (strings, and lists as JSON lists)."""
        if not self._managed(stack):
            raise DeployError(f"{stack.construct_id} is not applied (no state in {shown(self.directory(stack))})")
        shown_outputs = json.loads(self.read(stack, ["output", "-json", "-no-color"]))
        return {key: item["value"] for key, item in shown_outputs.items()}

    def read(self, stack: Stack, arguments: list[str]) -> str:
        """What a read-only ``terraform`` command prints (``output``, ``show``, ``state list/pull``); its failure
        raises with the command and Terraform's own error."""
        done = subprocess.run(
            ["terraform", f"-chdir={self.directory(stack)}", *arguments],
            env=self.environment(),
            capture_output=True,
            text=True,
            check=False,
            timeout=INIT_TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            command = " ".join(["terraform", *(word for word in arguments[:2] if not word.startswith("-"))])
            raise DeployError(f"{command} {stack.construct_id} exited {done.returncode}: {done.stderr[-2000:]}")
        return done.stdout

    def resource_count(self, stack: Stack) -> int:
        return len(self._managed(stack))


def backend_state_file(stack_name: str) -> str:
    """The local state file name of a stack (the policy's ``LOCAL_STATE_FILE``), relative to its directory."""
    from constructs_lib.policy.cdktf_backend import LOCAL_STATE_FILE

    return LOCAL_STATE_FILE.format(stack=stack_name)


#: The IaC tools this script drives, by name.
TOOLS: dict[str, Callable[[str, str], Tool]] = {"cdk": CdkTool, "cdktf": TerraformTool}


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
            for_each_stack(tool, stacks, lambda stack, tool=tool: _deploy_stack(tool, stack, report))
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
        stacks = list(reversed(selected_stacks(tool, selected)))
        for_each_stack(tool, stacks, lambda stack, tool=tool: _destroy_stack(tool, stack, report, failures))
    rebuild_flat_outputs(known_stacks(tools))
    report.save()
    if failures:
        raise DeployError("destroy failed:\n" + "\n".join(failures))
    return report


def for_each_stack(tool: Tool, stacks: list[Stack], action: Callable[[Stack], None]) -> None:
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


def _destroy_stack(tool: Tool, stack: Stack, report: Report, failures: list[str]) -> None:
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
