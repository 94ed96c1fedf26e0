"""scripts/lifecycle/interruption.py: when a deploy counts as part-way, that SIGTERM reaches the deploy's whole
process group, and what the kill left.

Deploys are stand-in shell scripts that print what ``terraform apply`` prints; no emulator is needed here.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.protocol import DeployError, Stack
from scripts.lifecycle import interruption
from scripts.lifecycle.interruption import CdkDeploy, Interruption, Progress, TerraformDeploy

STACK = Stack("Alpha", "Alpha-test", "eu-west-2")

#: Prints a six-resource plan and one creation every 0.2 s; its helper (same process group) notes a SIGTERM it gets.
#: On SIGTERM the script gives the helper up to 2 s to write that note (or it would race the group's SIGKILL).
APPLY_SCRIPT = """
(trap 'echo TERM > "{pid_file}.term"; exit 0' TERM; sleep 300 & wait) & echo $! > "{pid_file}"
noted() {{ for i in $(seq 100); do [ -e "{pid_file}.term" ] && return; sleep 0.02; done; }}
trap 'echo "Interrupt received."; noted; exit 1' TERM
echo "Plan: 6 to add, 0 to change, 0 to destroy."
for n in 1 2 3 4 5 6; do sleep 0.2; echo "thing.n$n: Creation complete after 0s [id=$n]"; done
wait
"""


class ScriptedDeploy(TerraformDeploy):
    """A Terraform-like deploy whose command is a shell script."""

    def __init__(self, script: str, kept: tuple[int, str] = (2, "APPLIED")) -> None:
        self.script = script
        self.kept_after = kept

    def command(self, stack: Stack) -> tuple[list[str], dict[str, str]]:
        return ["bash", "-c", self.script], {"PATH": os.environ["PATH"]}

    def kept(self, stack: Stack) -> tuple[int, str]:
        return self.kept_after


def dies(pid: int, within: float = 5.0) -> bool:
    """Whether ``pid`` is gone within ``within`` seconds: a SIGKILL is delivered at once but the exit takes a moment."""
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


@pytest.mark.parametrize(
    ("created", "total", "part_way"),
    [(0, 0, False), (0, 6, False), (1, 6, False), (2, 6, True), (5, 6, True), (6, 6, False), (1, 2, True)],
)
def test_part_way_means_a_third_or_more_but_not_all(created: int, total: int, part_way: bool) -> None:
    assert Progress(created, total).part_way() is part_way


def test_terraform_progress_is_read_from_the_plan_and_the_creations() -> None:
    deploy = TerraformDeploy.__new__(TerraformDeploy)
    assert deploy.progress(STACK, "") == Progress(0, 0)
    text = "Plan: 12 to add, 0 to change, 0 to destroy.\na.b: Creation complete after 1s [id=x]\nc.d: Creating...\n"
    assert deploy.progress(STACK, text) == Progress(1, 12)


def test_cdk_total_is_the_template_resource_count(tmp_path: Path) -> None:
    manifest = {"artifacts": {"Alpha": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "A.json"}}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "A.json").write_text(json.dumps({"Resources": {"One": {}, "Two": {}, "Three": {}}}))
    assert CdkDeploy(CdkTool("dev", "test", tmp_path)).total(STACK) == 3


@pytest.mark.parametrize("whole_group", [False, True])
def test_sigterm_part_way_and_nothing_of_the_group_outlives_it(tmp_path: Path, whole_group: bool) -> None:
    """The CLI alone gets SIGTERM (its helper is SIGKILLed once it has exited), or every process of the group."""
    pid_file = tmp_path / "child.pid"
    script = ScriptedDeploy(APPLY_SCRIPT.format(pid_file=pid_file))
    cut = interruption.interrupt(script, STACK, tmp_path / "apply.log", whole_group=whole_group)
    assert cut.at_kill.part_way() and cut.at_kill.total == 6
    assert cut.exit_code == 1 and "Interrupt received." in (tmp_path / "apply.log").read_text()
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dies(child), "the deploy's helper outlived the deploy"
    assert Path(f"{pid_file}.term").exists() is whole_group
    assert cut.partial


def test_a_deploy_that_finishes_first_is_reported(tmp_path: Path) -> None:
    quick = 'echo "Plan: 6 to add, 0 to change, 0 to destroy."; exit 0'
    with pytest.raises(DeployError, match=r"exited 0 before it could be interrupted \(0/6 resources"):
        interruption.interrupt(ScriptedDeploy(quick), STACK, tmp_path / "quick.log")


def test_a_deploy_ignoring_sigterm_is_reported_and_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interruption, "EXIT_TIMEOUT_SECONDS", 0.5)
    stubborn = APPLY_SCRIPT.format(pid_file=tmp_path / "pid").replace("exit 1", "echo ignored")
    started = time.monotonic()
    with pytest.raises(DeployError, match=r"still running 0 s after SIGTERM"):
        interruption.interrupt(ScriptedDeploy(stubborn), STACK, tmp_path / "stubborn.log")
    assert time.monotonic() - started < 20
    assert dies(int((tmp_path / "pid").read_text()))


def test_a_complete_stack_after_the_kill_is_not_partial() -> None:
    assert not Interruption(Progress(2, 6), -15, 6, "CREATE_COMPLETE").partial
    assert Interruption(Progress(2, 6), -15, 6, "CREATE_IN_PROGRESS").partial
    assert Interruption(Progress(2, 6), 1, 3, "APPLIED").partial


class UnknownTool:
    """Neither the CDK nor Terraform."""

    name = "fake"


def test_an_unknown_tool_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'fake': the interrupted-deploy check knows cdk and cdktf"):
        interruption.interruptible(UnknownTool())
