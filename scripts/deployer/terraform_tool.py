"""CDK for Terraform stacks: the app synthesized once, then ``terraform init`` / ``apply`` / ``destroy`` per stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from constructs_lib import model
from constructs_lib.model.terraform import stack_from_configuration
from scripts import ROOT, WORK_DIR
from scripts.deployer import adoption, protocol, shared_synthesis, stack_outputs

#: Where the cdktf app is synthesized for the emulator, and for AWS (``cdktf synth``'s default).
CDKTF_LOCAL_DIR = WORK_DIR / "cdktf.out.local"


CDKTF_AWS_DIR = ROOT / "cdktf.out"


#: Terraform: init reads the offline mirror (~1 s); apply and destroy are mostly the provider's own waits (RDS, S3).
INIT_TIMEOUT_SECONDS = 120


DEPLOY_TIMEOUT_TF = 900


DESTROY_TIMEOUT_TF = 900


#: Concurrent operations per apply: the emulator answers at once, the provider's waits are what takes the time.
PARALLELISM = ("-parallelism=20",)


APPLY = ["apply", "-auto-approve", "-input=false", "-no-color", *PARALLELISM]


#: The file a deploy writes beside the app for what it adopts by tags: Terraform ``import`` blocks that its apply
#: carries out together with everything else (removed when the apply is over).
ADOPTION_IMPORTS = "adoption-imports.tf.json"

#: Rounds of imports of what an interrupted apply left outside the state, each then applying again: a clash needs one;
#: a later one adopts what a clashing dependency kept the apply from reaching (a group, then its rules).
ADOPTION_ROUNDS = 3


#: Terraform arguments that make a delete fail: RDS ``deletion_protection`` (ELB, DynamoDB spell it so too), Network
#: Firewall ``delete_protection``, and the ``_enabled`` spelling of some other services.
DELETION_PROTECTION_ATTRIBUTES = ("deletion_protection", "delete_protection", "deletion_protection_enabled")


#: Status words of a Terraform stack: resources in its state, or none.
TF_APPLIED = "APPLIED"


TF_DESTROYED = "DESTROYED"


class TerraformTool:
    """Synthesize the cdktf app once, then ``terraform init`` / ``apply`` / ``destroy`` each stack in its directory.

    With ``AWS_ENDPOINT_URL`` set at synth, the stacks' provider sends every service to the emulator (one setting,
    ``constructs_lib/cdktf/provider.py``); the synthesized app goes to ``cdktf.out.local`` so it never mixes with the
    AWS one in ``cdktf.out``. Providers come from the offline filesystem mirror (:mod:`scripts.terraform_cli_config`).
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
        shared = shared_synthesis.directory_from(env)
        endpoint = env.get("AWS_ENDPOINT_URL")
        if shared is None or not endpoint:
            self._synthesize_app(settings["app"], context, env, self.outdir)
            return
        key = shared_synthesis.variant_key(context, env)
        source = shared_synthesis.shared_output(
            shared,
            key,
            lambda outdir, placeholder: self._synthesize_app(
                settings["app"], context, {**env, "AWS_ENDPOINT_URL": placeholder}, outdir
            ),
        )
        shared_synthesis.copy_for_endpoint(source, self.outdir, endpoint)
        protocol.log(f"cdktf app ({self.profile}) copied from the shared synthesis {key}, for {endpoint}")

    def _synthesize_app(self, app: str, context: dict[str, Any], env: dict[str, str], outdir: Path) -> None:
        env = {**env, "CDKTF_OUTDIR": str(outdir), "CDKTF_CONTEXT_JSON": json.dumps(context)}
        protocol.run_cli(
            app.split(),
            timeout=protocol.SYNTH_TIMEOUT_SECONDS,
            env=env,
            log_file=stack_outputs.OUTPUTS_DIR / "logs" / "cdktf-synth.log",
        )

    def synthesized(self) -> bool:
        return (self.outdir / "manifest.json").exists()

    def directory(self, stack: protocol.Stack) -> Path:
        return self.outdir / "stacks" / stack.construct_id

    def stacks(self) -> list[protocol.Stack]:
        """The app's stacks (manifest order); each one's region is its provider's."""
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        found = []
        for name, entry in manifest["stacks"].items():
            region = read_configuration(self.outdir / entry["synthesizedStackPath"], name).region
            if region is None:
                raise protocol.DeployError(f"{name}: its provider names no region")
            found.append(protocol.Stack(name, name, region))
        return found

    def configuration(self, stack: protocol.Stack) -> model.Stack:
        """The stack's synthesized ``cdk.tf.json``, read by the one model reader."""
        return read_configuration(self.directory(stack) / "cdk.tf.json", stack.construct_id)

    def prepare(self, stacks: list[protocol.Stack]) -> None:
        """Write the CLI config (offline provider mirror) and ``terraform init`` each stack."""
        protocol.run_cli(
            [sys.executable, "-m", "scripts.terraform_cli_config", "--output", str(self.cli_config)],
            timeout=60,
            env=self.environment(),
            log_file=stack_outputs.OUTPUTS_DIR / "logs" / "terraform-cli-config.log",
        )
        for stack in stacks:
            self._terraform(stack, "init", ["init", "-input=false", "-no-color"], INIT_TIMEOUT_SECONDS)

    def deploy(self, stack: protocol.Stack) -> None:
        """``apply``, then the no-drift check. An apply that failed only because resources exist that its state
        lacks (what an interrupted apply leaves) adopts those it can prove are the stack's own
        (:mod:`scripts.deployer.adoption`) and applies again; its log is kept as ``<stack>-apply-clashed.log``.
        Before the apply, what an interrupted create left that would not clash is adopted too
        (:meth:`adopt_untracked`), by the first apply itself."""
        imports = self.directory(stack) / ADOPTION_IMPORTS
        try:
            self.adopt_untracked(stack)
            for attempt in range(ADOPTION_ROUNDS + 1):
                try:
                    self._terraform(stack, "apply", APPLY, DEPLOY_TIMEOUT_TF)
                    break
                except protocol.DeployError:
                    apply_log = self._log(stack, "apply")
                    orphans = adoption.orphans_in(apply_log.read_text())
                    if not orphans or attempt == ADOPTION_ROUNDS:
                        raise
                    apply_log.replace(self._log(stack, "apply-clashed"))
                    self.adopt(stack, orphans)
        finally:
            imports.unlink(missing_ok=True)
        self.check_no_drift(stack)

    def adopt(self, stack: protocol.Stack, orphans: list[adoption.Orphan]) -> None:
        """``terraform import`` each orphan by the id its planned values give, once it is shown to be the stack's:
        an untagged one hangs off a resource in the state, a tagged one carries the stack's default tags (else it
        leaves the state again and the deploy fails naming it)."""
        planned = self.planned_creations(stack)
        account = self.account(stack)
        identities = adoption.state_identities(self.managed_resources(stack))
        default_tags = self.default_tags(stack)
        tainted = self.tainted_addresses(stack)
        for index, orphan in enumerate(orphans):
            values = planned.get(orphan.address)
            if values is None:
                raise protocol.DeployError(
                    f"{stack.construct_id}: {orphan.address} already exists, but the plan does not create it"
                )
            try:
                identifier = adoption.import_id(orphan, values, account)
                adoption.check_parents(orphan, values, identities)
            except adoption.AdoptionRefusedError as refused:
                raise protocol.DeployError(f"{stack.construct_id}: {refused}") from None
            protocol.log(f"{stack.construct_id}: {orphan.address} exists outside the state ({orphan.message})")
            if orphan.address in tainted:
                # Its own create failed because the orphan holds what it needed (AWS makes a NAT gateway whose
                # address is taken, 'failed'); that failed object is AWS's to remove, the orphan takes its place.
                protocol.log(f"{stack.construct_id}: {orphan.address}: its failed (tainted) create leaves the state")
                self.forget(stack, [orphan.address])
            protocol.log(f"{stack.construct_id}: importing {orphan.address} as {identifier}")
            self.import_resource(stack, orphan.address, identifier, f"import-{index}")
            imported = next(
                attributes for address, _, attributes in self.managed_resources(stack) if address == orphan.address
            )
            try:
                adoption.check_tags(orphan, imported, default_tags)
            except adoption.AdoptionRefusedError as refused:
                self.forget(stack, [orphan.address])
                raise protocol.DeployError(f"{stack.construct_id}: {refused}") from None

    def adopt_untracked(self, stack: protocol.Stack) -> None:
        """Import each live resource that carries the stack's default tags, is of a type whose id AWS chooses, and
        is missing from the state, as the one planned creation it matches: without this the apply would create a
        second one and leave the first behind. The imports are ``import`` blocks in :data:`ADOPTION_IMPORTS`, which
        the next apply carries out. One tagging-API call when there is none (every deploy); a plan only when there is
        one. A resource with no one-to-one match is logged and left alone."""
        default_tags = self.default_tags(stack)
        if not default_tags:
            return
        from botocore.exceptions import ClientError

        known = adoption.state_identities(self.managed_resources(stack))
        try:
            strays = adoption.untracked(self.account(stack), default_tags, known)
        except ClientError as error:  # a deploy role without tag:GetResources or kms:DescribeKey still deploys
            protocol.log(f"{stack.construct_id}: resources outside the state not looked for: {error}")
            return
        if not strays:
            return
        pairs, left = adoption.pair_untracked(strays, self.planned_creations(stack), default_tags)
        for reason in left:
            protocol.log(f"{stack.construct_id}: {reason}")
        for address, stray in pairs.items():
            protocol.log(
                f"{stack.construct_id}: {stray.arn} carries the stack's tags outside its state: the apply imports it"
                f" as {address}"
            )
        if pairs:
            blocks = [{"to": address, "id": stray.identifier} for address, stray in pairs.items()]
            (self.directory(stack) / ADOPTION_IMPORTS).write_text(json.dumps({"import": blocks}, indent=2))

    def planned_creations(self, stack: protocol.Stack) -> dict[str, dict[str, Any]]:
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

    def account(self, stack: protocol.Stack) -> adoption.Account:
        """Partition and account of the credentials the provider uses, for the import ids that are ARNs."""
        identity = protocol.client("sts", stack.region).get_caller_identity()
        return adoption.Account(
            identity["Arn"].split(":")[1],
            identity["Account"],
            stack.region,
            lambda service: protocol.client(service, stack.region),
        )

    def check_no_drift(self, stack: protocol.Stack) -> None:
        """``plan -detailed-exitcode`` after apply: exit 2 (changes) means something did not read back as applied."""
        command = ["plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false", *PARALLELISM]
        try:
            self._terraform(stack, "plan", command, DEPLOY_TIMEOUT_TF)
        except protocol.DeployError as error:
            if " exited 2 (" in str(error):  # not 20-29: run_cli writes "exited <code> (log: ...)"
                raise protocol.DeployError(
                    f"{stack.construct_id}: the plan after apply is not empty (drift)\n{error}"
                ) from None
            raise

    def destroy(self, stack: protocol.Stack) -> None:
        """``terraform destroy``; a stack synthesized for prod gets :meth:`prod_teardown` instead."""
        if not (self.directory(stack) / ".terraform").exists():
            self._terraform(stack, "init", ["init", "-input=false", "-no-color"], INIT_TIMEOUT_SECONDS)
        if self.stack_profile(stack) == "prod":
            self.prod_teardown(stack)
            return
        command = ["destroy", "-auto-approve", "-input=false", "-no-color", *PARALLELISM]
        self._terraform(stack, "destroy", command, DESTROY_TIMEOUT_TF)

    def stack_profile(self, stack: protocol.Stack) -> str | None:
        """The profile the stack was synthesized for: its provider's default ``Profile`` tag (what every resource
        carries), read from the synthesized config rather than from this tool's own setting."""
        from constructs_lib.model.stack import PROFILE_TAG

        return self.default_tags(stack).get(PROFILE_TAG)

    def default_tags(self, stack: protocol.Stack) -> dict[str, str]:
        """The tags the stack's provider puts on every resource it creates (its ``default_tags``)."""
        return dict(self.configuration(stack).default_tags)

    def prod_teardown(self, stack: protocol.Stack) -> None:
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
            raise protocol.DeployError(
                f"{stack.construct_id}: prod teardown refused: deletion protection is on for {', '.join(protected)}; "
                "lift it on purpose (the operator's step: e.g. ModifyDBCluster DeletionProtection=false, "
                "UpdateFirewallDeleteProtection) and destroy again"
            )
        kept = self.retained_addresses(stack)
        if kept:
            protocol.log(
                f"{stack.construct_id}: prod teardown keeps {len(kept)} resources (state rm): {', '.join(kept)}"
            )
            self.forget(stack, kept)
        command = ["destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", *PARALLELISM]
        self._terraform(stack, "destroy", command, DESTROY_TIMEOUT_TF)

    def managed_resources(self, stack: protocol.Stack) -> list[tuple[str, str, dict[str, Any]]]:
        """``(address, type, attributes)`` of every managed resource instance in the stack's state."""
        return [(address, kind, instance.get("attributes") or {}) for address, kind, instance in self._instances(stack)]

    def tainted_addresses(self, stack: protocol.Stack) -> set[str]:
        """Addresses whose instance in the state is tainted: a create that failed after the object was made."""
        return {address for address, _, instance in self._instances(stack) if instance.get("status") == "tainted"}

    def _instances(self, stack: protocol.Stack) -> list[tuple[str, str, dict[str, Any]]]:
        """``(address, type, instance)`` of every managed resource instance, as the state records it."""
        found = []
        for resource in self._state(stack).get("resources", []):
            if resource.get("mode") != "managed":
                continue
            for instance in resource.get("instances", []):
                suffix = f"[{json.dumps(instance['index_key'])}]" if "index_key" in instance else ""
                found.append((f"{resource['type']}.{resource['name']}{suffix}", resource["type"], instance))
        return found

    def protected_resources(self, stack: protocol.Stack) -> list[tuple[str, str, dict[str, Any]]]:
        """``(address, type, attributes)`` of the resources whose state says deletion protection is on (RDS, Network
        Firewall...)."""
        return [
            resource
            for resource in self.managed_resources(stack)
            if any(resource[2].get(name) is True for name in DELETION_PROTECTION_ATTRIBUTES)
        ]

    def retained_addresses(self, stack: protocol.Stack) -> list[str]:
        """Addresses of the resources the prod teardown keeps, by the policy's list of retained types."""
        from constructs_lib.policy.profiles import terraform_retained_in_prod

        return [address for address, kind, _ in self.managed_resources(stack) if terraform_retained_in_prod(kind)]

    def import_resource(self, stack: protocol.Stack, address: str, identifier: str, step: str) -> None:
        """``terraform import``: the stack manages the existing resource ``identifier`` as ``address`` from now on
        (its log is ``<stack>-<step>.log``)."""
        command = ["import", "-input=false", "-no-color", address, identifier]
        self._terraform(stack, step, command, INIT_TIMEOUT_SECONDS)

    def forget(self, stack: protocol.Stack, addresses: list[str]) -> None:
        """``terraform state rm``: the resources stay in the account, the stack no longer manages them."""
        self._terraform(stack, "state-rm", ["state", "rm", "-no-color", *addresses], INIT_TIMEOUT_SECONDS)

    def _terraform(self, stack: protocol.Stack, step: str, arguments: list[str], timeout: int) -> None:
        command = ["terraform", f"-chdir={self.directory(stack)}", *arguments]
        protocol.run_cli(command, timeout=timeout, env=self.environment(), log_file=self._log(stack, step))

    def _log(self, stack: protocol.Stack, step: str) -> Path:
        return stack_outputs.OUTPUTS_DIR / "logs" / f"{stack.construct_id}-{step}.log"

    def _state(self, stack: protocol.Stack) -> dict[str, Any]:
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

    def remote_backend(self, stack: protocol.Stack) -> str | None:
        """The backend type the stack was synthesized with when it is not local (``s3``), else None."""
        if not (self.directory(stack) / "cdk.tf.json").exists():
            return None
        backend = self.configuration(stack).backend
        return backend.type if backend and backend.type != "local" else None

    def _managed(self, stack: protocol.Stack) -> list[str]:
        """Addresses of the managed resource instances in the stack's state (data sources excluded)."""
        return [address for address, _, _ in self.managed_resources(stack)]

    def state(self, stack: protocol.Stack) -> protocol.StackState:
        managed = self._managed(stack)
        if not managed:
            return protocol.StackState(TF_DESTROYED, deployed=False, gone=True)
        return protocol.StackState(TF_APPLIED, deployed=True, gone=False, reason=f"left: {', '.join(managed[:5])}")

    def outputs(self, stack: protocol.Stack) -> dict[str, Any]:
        """``terraform output -json``: each output's value (strings, and lists as JSON lists)."""
        if not self._managed(stack):
            raise protocol.DeployError(
                f"{stack.construct_id} is not applied (no state in {protocol.shown(self.directory(stack))})"
            )
        shown_outputs = json.loads(self.read(stack, ["output", "-json", "-no-color"]))
        return {key: item["value"] for key, item in shown_outputs.items()}

    def read(self, stack: protocol.Stack, arguments: list[str]) -> str:
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
            raise protocol.DeployError(
                f"{command} {stack.construct_id} exited {done.returncode}: {done.stderr[-2000:]}"
            )
        return done.stdout

    def resource_count(self, stack: protocol.Stack) -> int:
        return len(self._managed(stack))


def backend_state_file(stack_name: str) -> str:
    """The local state file name of a stack (the policy's ``LOCAL_STATE_FILE``), relative to its directory."""
    from constructs_lib.policy.cdktf_backend import LOCAL_STATE_FILE

    return LOCAL_STATE_FILE.format(stack=stack_name)


def read_configuration(path: Path, name: str) -> model.Stack:
    """A synthesized ``cdk.tf.json`` as the model reads it (a stack with nothing in it yet included)."""
    return stack_from_configuration(json.loads(path.read_text()), name=name, path=path)
