"""scripts/lifecycle/no_drift.py: a row per deployed stack, from the tool's own no-drift check."""

from __future__ import annotations

from scripts.deployer.cdk_tool import GONE
from scripts.deployer.protocol import DeployError, Stack, StackState
from scripts.lifecycle import no_drift

STACK = Stack("Alpha", "Alpha-test", "eu-west-2")


class DriftingTool:
    """A deployed stack whose no-drift check fails when ``drift`` names a change."""

    name = "fake"

    def __init__(self, drift: str = "") -> None:
        self.deployed = True
        self.drift = drift

    def state(self, stack: Stack) -> StackState:
        return StackState("UP", True, False) if self.deployed else StackState(GONE, False, True)

    def resource_count(self, stack: Stack) -> int:
        return 6 if self.deployed else 0

    def stacks(self) -> list[Stack]:
        return [STACK]

    def check_no_drift(self, stack: Stack) -> None:
        if self.drift:
            raise DeployError(f"{stack.construct_id}: the plan after apply is not empty (drift)\n{self.drift}")


def test_the_no_drift_row_passes_a_converged_stack_and_names_a_drifting_one() -> None:
    [clean] = no_drift.check_no_drift([DriftingTool()], None)
    assert (clean.check, clean.stack, clean.ok) == (no_drift.CHECK, "Alpha", True)
    assert clean.detail == "6 resources, nothing to change"
    [drifting] = no_drift.check_no_drift([DriftingTool("~ aws_s3_bucket.b")], {"fake": [STACK]})
    assert not drifting.ok and "aws_s3_bucket.b" in drifting.detail
    absent = DriftingTool()
    absent.deployed = False
    [missing] = no_drift.check_no_drift([absent], None)
    assert not missing.ok and missing.detail == f"not deployed ({GONE})"


def test_a_tool_none_of_whose_stacks_is_selected_gets_no_row() -> None:
    """A group of Terraform stacks only: the CDK tool's stacks are neither checked nor reported as not deployed."""

    class Untouchable:
        name = "cdk"

        def stacks(self) -> list:
            raise AssertionError("the unselected tool's stacks were listed")

    assert no_drift.check_no_drift([Untouchable()], {"cdk": [], "cdktf": []}) == []
