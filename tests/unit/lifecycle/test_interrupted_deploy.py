"""scripts/lifecycle/interrupted_deploy.py: what the check reports for each way a re-run can end (the interruption
itself replaced by a scripted one, the tool by a fake)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.deployer import stack_outputs
from scripts.deployer.cdk_tool import GONE
from scripts.deployer.protocol import DeployError, Stack, StackState
from scripts.lifecycle import StackFigures, interrupted_deploy
from scripts.lifecycle.interruption import Interruption, Progress

STACK = Stack("Alpha", "Alpha-test", "eu-west-2")


class FakeTool:
    """A tool whose stack is absent until deployed; ``deploy`` may fail (drift) instead."""

    name = "fake"
    concurrent_stacks = False

    def __init__(self, deploy_error: str = "") -> None:
        self.deployed = False
        self.deploy_error = deploy_error
        self.calls: list[str] = []

    def state(self, stack: Stack) -> StackState:
        return StackState("UP", True, False) if self.deployed else StackState(GONE, False, True)

    def destroy(self, stack: Stack) -> None:
        self.calls.append("destroy")
        self.deployed = False

    def deploy(self, stack: Stack) -> None:
        self.calls.append("deploy")
        if self.deploy_error:
            raise DeployError(self.deploy_error)
        self.deployed = True

    def resource_count(self, stack: Stack) -> int:
        return 6 if self.deployed else 0


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Interruption]:
    """check_stack's interruption and tool dispatch replaced: the next interruption is the list's first."""
    cuts: list[Interruption] = []
    monkeypatch.setattr(interrupted_deploy, "interruptible", lambda tool: tool)
    monkeypatch.setattr(interrupted_deploy, "interrupt", lambda deploy, stack, log_file, whole_group: cuts.pop(0))
    monkeypatch.setattr(stack_outputs, "OUTPUTS_DIR", tmp_path)
    return cuts


def test_a_recovered_stack_passes_with_its_figures(scripted: list[Interruption]) -> None:
    scripted.append(Interruption(Progress(2, 6), -15, 2, "CREATE_IN_PROGRESS"))
    tool, figures = FakeTool(), {}
    tool.deployed = True  # left over from before: destroyed first
    [outcome] = interrupted_deploy.check_stack(tool, STACK, figures)
    assert outcome.ok and tool.calls == ["destroy", "deploy"]
    assert "SIGTERM at 2/6 resources (exit -15; 2 kept, CREATE_IN_PROGRESS)" in outcome.detail
    assert "6/6" in outcome.detail and "no drift" in outcome.detail
    assert isinstance(figures["Alpha"], StackFigures) and figures["Alpha"].redeploy_after_interrupt_seconds >= 0


def test_a_stack_already_complete_after_the_kill_fails(scripted: list[Interruption]) -> None:
    scripted.append(Interruption(Progress(2, 6), -15, 6, "CREATE_COMPLETE"))
    tool, figures = FakeTool(), {}
    [outcome] = interrupted_deploy.check_stack(tool, STACK, figures)
    assert not outcome.ok and "not partial after the kill: 6/6 resources" in outcome.detail
    assert tool.calls == [] and figures["Alpha"].redeploy_after_interrupt_seconds is None


def test_a_re_run_with_drift_fails_with_the_deploy_message(scripted: list[Interruption]) -> None:
    scripted.append(Interruption(Progress(2, 6), 1, 2, "APPLIED"))
    [outcome] = interrupted_deploy.check_stack(FakeTool("Alpha: the plan after apply is not empty (drift)"), STACK, {})
    assert not outcome.ok and "(drift)" in outcome.detail
