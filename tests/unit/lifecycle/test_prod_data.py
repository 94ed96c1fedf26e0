"""scripts/lifecycle/prod_data.py without a deploy: refusals, the outcome and figures of a stack's run, and one
outcome per stack whatever happens to the others."""

from __future__ import annotations

from pathlib import Path

from scripts.deployer.protocol import Stack
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import StackFigures, prod_data
from scripts.lifecycle.prod_data import StackRun


def run_for(name: str) -> StackRun:
    return StackRun(Stack(name, name, "us-east-1"), "cdk")


def test_a_refusal_must_happen_and_carry_the_expected_message() -> None:
    run = run_for("S")

    with prod_data.refused(run, "destroy", "TerminationProtection"):
        raise RuntimeError("x\nStack [S] cannot be deleted while TerminationProtection is enabled\ny")
    with prod_data.refused(run, "delete db", "deletion protection"):
        raise RuntimeError("DBInstanceNotFound")
    with prod_data.refused(run, "delete cluster", "deletion protection"):
        pass

    assert run.steps == ["destroy: refused (Stack [S] cannot be deleted while TerminationProtection is enabled)"]
    assert run.problems == [
        "delete db: failed, but not with 'deletion protection': DBInstanceNotFound",
        "delete cluster: was NOT refused",
    ]


def test_the_outcome_counts_what_was_kept_into_the_figures_and_fails_on_any_problem() -> None:
    figures = {"B": StackFigures("B", "cdk", deploy_seconds=9.0)}
    passed, failed = run_for("A"), run_for("B")
    passed.kept = ["stream s (record read back)", "key k (Enabled, decrypts)"]
    passed.steps = ["destroy: refused (protected)"]
    failed.kept = ["key k (Enabled, decrypts)"]
    failed.problems = ["not kept: bucket b"]

    ok = prod_data.outcome_of(passed, 1.0, figures)
    not_ok = prod_data.outcome_of(failed, 1.0, figures)

    assert ok.ok and ok.detail.startswith("destroy: refused (protected) | ") and "kept 2:" in ok.detail
    assert not not_ok.ok and not_ok.detail.startswith("not kept: bucket b | ")
    assert figures["A"].kept_by_prod_destroy == 2 and figures["A"].deploy_seconds == 0.0
    assert figures["B"].kept_by_prod_destroy == 1 and figures["B"].deploy_seconds == 9.0


class FakeTool:
    """A tool that deploys nothing: its stacks, and whether (and how often) it was synthesized."""

    name = "cdk"
    concurrent_stacks = False
    profile = "prod"

    def __init__(self) -> None:
        self.synthesized_times = 0
        self.prepared: list[str] = []

    def synthesized(self) -> bool:
        return True

    def synthesize(self) -> None:
        self.synthesized_times += 1

    def stacks(self) -> list[Stack]:
        return [Stack(name, f"{name}-x", "us-east-1") for name in ("Dev", "Prod", "Broken")]

    def prepare(self, stacks: list[Stack]) -> None:
        self.prepared = [stack.construct_id for stack in stacks]


def test_every_stack_gets_an_outcome_a_non_prod_stack_and_a_failed_deploy_fail_the_others_go_on(monkeypatch) -> None:
    tool = FakeTool()
    monkeypatch.setattr(prod_data, "require_emulator", lambda: "http://emulator")
    monkeypatch.setattr(
        prod_data, "synthesized_profiles", lambda _tool: {"Dev-x": "dev", "Prod-x": "prod", "Broken-x": "prod"}
    )

    def check_stack(_tool, stack: Stack) -> StackRun:
        if stack.construct_id == "Broken":
            raise prod_data.DeployError("Broken: apply exited 1")
        run = run_for(stack.construct_id)
        run.kept = ["key k (Enabled, decrypts)"]
        return run

    monkeypatch.setattr(prod_data, "check_stack", check_stack)
    figures: dict[str, StackFigures] = {}

    outcomes = {outcome.stack: outcome for outcome in prod_data.check_prod_keeps_data([tool], figures)}

    assert tool.synthesized_times == 1  # the folder held a dev synthesis: synthesized again for prod
    assert tool.prepared == ["Dev", "Prod", "Broken"]
    assert not outcomes["Dev"].ok and outcomes["Dev"].detail == "synthesized for profile 'dev', not prod"
    assert outcomes["Prod"].ok and figures["Prod"].kept_by_prod_destroy == 1
    assert not outcomes["Broken"].ok and outcomes["Broken"].detail == "DeployError: Broken: apply exited 1"
    assert "Dev" not in figures and "Broken" not in figures


class ProtectedTerraform(TerraformTool):
    """A Terraform stack whose state says these resources are deletion-protected."""

    def __init__(self) -> None:
        super().__init__("prod", "test", Path("unused"))

    def protected_resources(self, stack: Stack) -> list[tuple[str, str, dict[str, object]]]:
        return [
            ("aws_db_instance.db", "aws_db_instance", {"identifier": "db-1", "deletion_protection": True}),
            ("aws_rds_cluster.aurora", "aws_rds_cluster", {"cluster_identifier": "aurora-1"}),
            ("aws_networkfirewall_firewall.edge", "aws_networkfirewall_firewall", {"arn": "arn:fw"}),
            ("aws_dynamodb_table.t", "aws_dynamodb_table", {"id": "t-1"}),
        ]


def test_terraform_protected_resources_are_named_as_their_api_knows_them_by_the_models_kind() -> None:
    found = prod_data.protected_resources(ProtectedTerraform(), Stack("P", "P", "us-east-1"), [], {})

    assert [(item.kind, item.name) for item in found] == [
        ("db_instance", "db-1"),
        ("db_cluster", "aurora-1"),
        ("firewall", "arn:fw"),
        ("aws_dynamodb_table", "t-1"),
    ]
