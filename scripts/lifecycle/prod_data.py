"""The prod-keeps-data check: deploy with the prod profile, write to every data store, show that a destroy is
refused while protection is on, lift the protections on purpose, destroy, read back what was kept, clean it up.

    eval "$(LOCAL_AWS_PORT=5102 python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.prod_data [--stack X] [--tool cdk|cdktf] [--suffix S]

The stores come from :mod:`scripts.lifecycle.data_stores`; writing and reading them from
:mod:`scripts.lifecycle.store_probes`.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from constructs_lib.model import OnDelete, load_stacks
from constructs_lib.model.kinds import KINDS
from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.commands import TOOLS, for_each_stack, require_emulator
from scripts.deployer.protocol import DeployError, Stack, Tool, log
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import CheckOutcome, StackFigures, report
from scripts.lifecycle.data_stores import STATE_NAME_ATTRIBUTES, STORE_KINDS, DataStore, aws, stores_of
from scripts.lifecycle.store_probes import clean_up, read_back, still_there, write_probe

CHECK = "prod keeps its data"
PROD = "prod"


@dataclass
class StackRun:
    """What one stack's check saw: the probes written (store -> what to read back), steps, problems and figures."""

    stack: Stack
    tool: str
    probes: dict[DataStore, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    deploy_seconds: float = 0.0
    destroy_seconds: float = 0.0

    def note(self, text: str) -> None:
        self.steps.append(text)
        log(f"{self.stack.construct_id}: {text}")

    def fail(self, text: str) -> None:
        self.problems.append(text)
        log(f"{self.stack.construct_id}: PROBLEM {text}")


@contextmanager
def refused(run: StackRun, action: str, expected: str) -> Iterator[None]:
    """The block must fail with ``expected`` in its message; a success or another message is a problem."""
    try:
        yield
    except Exception as error:  # a ClientError or DeployError: both carry the service's message
        message = str(error)
        if expected.lower() in message.lower():
            first = next((line for line in message.splitlines() if expected.lower() in line.lower()), message)
            first = first.encode("ascii", "ignore").decode().strip()  # the CDK CLI's status symbols
            run.note(f"{action}: refused ({first[:300]})")
        else:
            run.fail(f"{action}: failed, but not with '{expected}': {message[:300]}")
        return
    run.fail(f"{action}: was NOT refused")


def synthesized_profiles(tool: Tool) -> dict[str, str | None]:
    """Each synthesized stack's profile, from the Profile tag its resources carry (not from the tool's setting)."""
    folder = tool.assembly if isinstance(tool, CdkTool) else tool.outdir  # type: ignore[attr-defined]
    return {model.name: model.profile for model in load_stacks([folder])}


# ---------------------------------------------------------------------------------------------------------------------
# Protection: refused, then lifted on purpose
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Protected:
    """A resource that refuses to be deleted: its kind, the name or ARN its service knows it by, where it came from."""

    kind: str
    name: str
    source: str


#: Deletion-protected resources that hold no data of their own: the model's kind -> (the check's kind, the state
#: attribute that names it in the API). A protected data store is named as data_stores names it.
PROTECTED_OTHERS: dict[str, tuple[str, str]] = {
    "network_firewall": ("firewall", "arn"),
}


def protected_kind(resource_type: str) -> tuple[str, str]:
    """The check's kind of a protected Terraform resource and the state attribute that names it (its type and ``id``
    when the check knows no better)."""
    model_kind = KINDS.get(resource_type, "")
    if model_kind in STORE_KINDS:
        return STORE_KINDS[model_kind], STATE_NAME_ATTRIBUTES[STORE_KINDS[model_kind]]
    return PROTECTED_OTHERS.get(model_kind, (resource_type, "id"))


def protected_resources(tool: Tool, stack: Stack, stores: list[DataStore], probes: dict[DataStore, Any]) -> list[Any]:
    """What refuses deletion: for Terraform what its state says (any type), for CDK the databases read back."""
    if isinstance(tool, TerraformTool):
        found = []
        for address, resource_type, attributes in tool.protected_resources(stack):
            kind, name_attribute = protected_kind(resource_type)
            found.append(Protected(kind, str(attributes.get(name_attribute) or ""), address))
        return found
    databases = [store for store in stores if store.kind in ("db_instance", "db_cluster")]
    return [
        Protected(store.kind, store.name, store.source)
        for store in databases
        if (probes.get(store) or {}).get("deletion_protection")
    ]


def show_protection(run: StackRun, tool: Tool, stores: list[DataStore]) -> list[Protected]:
    """A destroy, and a direct delete of each protected database, must be refused while protection is on."""
    stack = run.stack
    protected = protected_resources(tool, stack, stores, run.probes)
    if isinstance(tool, CdkTool):
        with refused(run, "cdk destroy with termination protection on", "TerminationProtection"):
            tool.destroy(stack)
    if isinstance(tool, TerraformTool):
        if protected:
            with refused(run, "prod teardown (terraform) with deletion protection on", "deletion protection is on"):
                tool.destroy(stack)
        else:
            run.fail("terraform: nothing in this prod stack is deletion-protected, so nothing refuses a destroy")
    if not tool.state(stack).deployed:
        run.fail("the stack is not deployed any more after the refused destroy")
    rds = aws("rds", stack.region)
    for item in protected:
        if item.kind not in ("db_instance", "db_cluster"):
            continue
        action = f"DeleteDB{'Instance' if item.kind == 'db_instance' else 'Cluster'} {item.name} without snapshot"
        with refused(run, action, "deletion protection"):
            if item.kind == "db_instance":
                rds.delete_db_instance(DBInstanceIdentifier=item.name, SkipFinalSnapshot=True)
            else:
                rds.delete_db_cluster(DBClusterIdentifier=item.name, SkipFinalSnapshot=True)
    for store in stores:
        if store.kind in ("db_instance", "db_cluster") and not (run.probes.get(store) or {}).get("deletion_protection"):
            run.fail(f"{store.kind} {store.name} is not deletion-protected in prod")
    return protected


def lift_protection(run: StackRun, tool: Tool, protected: list[Protected]) -> None:
    """The operator's deliberate step before a prod teardown: explicit API calls, each logged."""
    stack = run.stack
    if isinstance(tool, CdkTool):
        aws("cloudformation", stack.region).update_termination_protection(
            StackName=stack.stack_name, EnableTerminationProtection=False
        )
        run.note(f"lifted: UpdateTerminationProtection {stack.stack_name} EnableTerminationProtection=false")
    for item in protected:
        if item.kind == "db_instance":
            aws("rds", stack.region).modify_db_instance(
                DBInstanceIdentifier=item.name, DeletionProtection=False, ApplyImmediately=True
            )
            run.note(f"lifted: ModifyDBInstance {item.name} DeletionProtection=false")
        elif item.kind == "db_cluster":
            aws("rds", stack.region).modify_db_cluster(
                DBClusterIdentifier=item.name, DeletionProtection=False, ApplyImmediately=True
            )
            run.note(f"lifted: ModifyDBCluster {item.name} DeletionProtection=false")
        elif item.kind == "firewall":
            aws("network-firewall", stack.region).update_firewall_delete_protection(
                FirewallArn=item.name, DeleteProtection=False
            )
            run.note(f"lifted: UpdateFirewallDeleteProtection {item.name} DeleteProtection=false")
        else:
            run.fail(f"no known way to lift the deletion protection of {item.kind} {item.source}")


# ---------------------------------------------------------------------------------------------------------------------
# One stack, end to end
# ---------------------------------------------------------------------------------------------------------------------


def check_stack(tool: Tool, stack: Stack) -> StackRun:
    """Deploy, write, refuse, lift, destroy, read back, clean up: one stack; every problem is collected, not raised."""
    run = StackRun(stack, tool.name)
    token = f"prod-keeps-data {stack.construct_id} {uuid.uuid4()}"
    started = time.monotonic()
    tool.deploy(stack)
    run.deploy_seconds = round(time.monotonic() - started, 1)
    if not tool.state(stack).deployed:
        run.fail(f"not deployed: {tool.state(stack)}")
        return run
    run.note(f"deployed (prod) in {run.deploy_seconds:.1f} s")
    stores = stores_of(tool, stack)
    for store in stores:
        try:
            run.probes[store] = write_probe(store, token)
        except Exception as error:
            run.fail(f"write to {store.kind} {store.name}: {error}")
    for store in stores:
        if store.kind in ("db_instance", "db_cluster"):
            settings = run.probes.get(store, {})
            run.note(f"{store.kind} {store.name}: {settings}, on delete: {store.on_delete}")
            if not settings.get("backup_days"):
                run.fail(f"{store.kind} {store.name} keeps no automated backups")
            if store.on_delete is not OnDelete.SNAPSHOT:
                run.fail(f"{store.kind} {store.name} takes no final snapshot on delete ({store.source})")
    protected = show_protection(run, tool, stores)
    lift_protection(run, tool, protected)
    started = time.monotonic()
    try:
        tool.destroy(stack)
    except DeployError as error:
        run.fail(f"prod teardown failed: {str(error)[:500]}")
    run.destroy_seconds = round(time.monotonic() - started, 1)
    state = tool.state(stack)
    if not state.gone:
        run.fail(f"stack not gone after the prod teardown: {state.status} {state.reason}")
    run.note(f"destroyed in {run.destroy_seconds:.1f} s")
    kept_stores = [store for store in stores if store.on_delete is not OnDelete.DELETE]
    for store in kept_stores:
        try:
            run.kept.append(read_back(store, token, run.probes.get(store)))
        except Exception as error:
            run.fail(f"not kept: {store.kind} {store.name} ({store.source}): {error}")
    for store in kept_stores:
        try:
            clean_up(store)
            if still_there(store):
                run.fail(f"still there after clean-up: {store.kind} {store.name}")
        except Exception as error:
            run.fail(f"clean-up of {store.kind} {store.name}: {error}")
    run.note(f"kept {len(run.kept)}, cleaned up {len(kept_stores)}")
    return run


def check_prod_keeps_data(
    tools: list[Tool], figures: dict[str, StackFigures], selected: list[str] | None = None
) -> list[CheckOutcome]:
    """The check on every stack of ``tools``, built for prod (``TOOLS[name]("prod", suffix)``): one outcome per stack;
    fills ``figures[stack].kept_by_prod_destroy`` (and ``deploy_seconds`` when no earlier check measured it).

    A tool's output folder may hold another profile's synthesis (checks share ``cdk.out.local``): a prod tool is
    synthesized again then. Which profile a stack has is read from its Profile tag, so a stack that is not prod fails.
    """
    require_emulator()
    outcomes: list[CheckOutcome] = []
    lock = threading.Lock()
    for tool in tools:
        if not tool.synthesized() or (
            getattr(tool, "profile", None) == PROD and set(synthesized_profiles(tool).values()) != {PROD}
        ):
            tool.synthesize()
        profiles = synthesized_profiles(tool)
        stacks = [stack for stack in tool.stacks() if not selected or stack.construct_id in selected]
        tool.prepare(stacks)

        def one(stack: Stack, tool: Tool = tool, profiles: dict[str, str | None] = profiles) -> None:
            started = time.monotonic()
            if profiles.get(stack.stack_name) != PROD:
                found = profiles.get(stack.stack_name)
                outcome = CheckOutcome(CHECK, stack.construct_id, False, f"synthesized for profile {found!r}, not prod")
            else:
                try:
                    outcome = outcome_of(check_stack(tool, stack), time.monotonic() - started, figures)
                except Exception as error:  # a deploy that failed: the outcome says so, other stacks go on
                    outcome = CheckOutcome(CHECK, stack.construct_id, False, f"{type(error).__name__}: {error}"[:800])
            outcome.seconds = round(time.monotonic() - started, 1)
            with lock:
                outcomes.append(outcome)

        for_each_stack(tool, stacks, one)
    return outcomes


def outcome_of(run: StackRun, seconds: float, figures: dict[str, StackFigures]) -> CheckOutcome:
    name = run.stack.construct_id
    figure = figures.setdefault(name, StackFigures(name, run.tool))
    figure.kept_by_prod_destroy = len(run.kept)
    if figure.deploy_seconds is None:
        figure.deploy_seconds = run.deploy_seconds
    summary = (
        f"deploy {run.deploy_seconds:.1f} s, destroy {run.destroy_seconds:.1f} s, kept {len(run.kept)}: "
        + "; ".join(run.kept)
    )
    if run.problems:
        return CheckOutcome(CHECK, name, False, "; ".join(run.problems) + f" | {summary}", round(seconds, 1))
    refusals = [step for step in run.steps if "refused" in step]
    return CheckOutcome(CHECK, name, True, " | ".join([*refusals, summary]), round(seconds, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", dest="stacks", help="construct id (repeatable; default: all)")
    parser.add_argument("--tool", action="append", dest="tools", choices=sorted(TOOLS), help="default: every tool")
    parser.add_argument("--suffix", default="prodkeep", help="environment suffix of the prod deployment")
    parser.add_argument("--reuse-assembly", action="store_true", help="use what is synthesized (no synth)")
    args = parser.parse_args(argv)
    tools = [TOOLS[name](PROD, args.suffix) for name in (args.tools or sorted(TOOLS))]
    if not args.reuse_assembly:
        for tool in tools:
            tool.synthesize()

    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        figures: dict[str, StackFigures] = {}
        return check_prod_keeps_data(tools, figures, args.stacks), figures

    return report(run)


if __name__ == "__main__":
    sys.exit(main())
