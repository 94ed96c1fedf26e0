"""scripts/lifecycle/converge.py: when a deploy counts as part-way, that SIGTERM reaches the deploy's whole
process group, what the check reports for each way a re-run can end, and Terraform's state lock (a real
``terraform apply`` of a builtin resource, no provider needed).

Deploys are stand-in shell scripts that print what ``terraform apply`` prints; no emulator is needed here.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from scripts.deployer import stack_outputs, terraform_tool
from scripts.deployer.cdk_tool import GONE, CdkTool
from scripts.deployer.protocol import DeployError, Stack, StackState
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import StackFigures, converge
from scripts.lifecycle.converge import CdkDeploy, Interruption, Progress, TerraformDeploy

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
    cut = converge.interrupt(script, STACK, tmp_path / "apply.log", whole_group=whole_group)
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
        converge.interrupt(ScriptedDeploy(quick), STACK, tmp_path / "quick.log")


def test_a_deploy_ignoring_sigterm_is_reported_and_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(converge, "EXIT_TIMEOUT_SECONDS", 0.5)
    stubborn = APPLY_SCRIPT.format(pid_file=tmp_path / "pid").replace("exit 1", "echo ignored")
    started = time.monotonic()
    with pytest.raises(DeployError, match=r"still running 0 s after SIGTERM"):
        converge.interrupt(ScriptedDeploy(stubborn), STACK, tmp_path / "stubborn.log")
    assert time.monotonic() - started < 20
    assert dies(int((tmp_path / "pid").read_text()))


def test_a_complete_stack_after_the_kill_is_not_partial() -> None:
    assert not Interruption(Progress(2, 6), -15, 6, "CREATE_COMPLETE").partial
    assert Interruption(Progress(2, 6), -15, 6, "CREATE_IN_PROGRESS").partial
    assert Interruption(Progress(2, 6), 1, 3, "APPLIED").partial


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
    monkeypatch.setattr(converge, "interruptible", lambda tool: ScriptedDeploy(""))
    monkeypatch.setattr(converge, "interrupt", lambda deploy, stack, log_file, whole_group: cuts.pop(0))
    monkeypatch.setattr(stack_outputs, "OUTPUTS_DIR", tmp_path)
    return cuts


def test_a_recovered_stack_passes_with_its_figures(scripted: list[Interruption]) -> None:
    scripted.append(Interruption(Progress(2, 6), -15, 2, "CREATE_IN_PROGRESS"))
    tool, figures = FakeTool(), {}
    tool.deployed = True  # left over from before: destroyed first
    [outcome] = converge.check_stack(tool, STACK, figures)
    assert outcome.ok and tool.calls == ["destroy", "deploy"]
    assert "SIGTERM at 2/6 resources (exit -15; 2 kept, CREATE_IN_PROGRESS)" in outcome.detail
    assert "6/6" in outcome.detail and "no drift" in outcome.detail
    assert isinstance(figures["Alpha"], StackFigures) and figures["Alpha"].redeploy_after_interrupt_seconds >= 0


def test_a_stack_already_complete_after_the_kill_fails(scripted: list[Interruption]) -> None:
    scripted.append(Interruption(Progress(2, 6), -15, 6, "CREATE_COMPLETE"))
    tool, figures = FakeTool(), {}
    [outcome] = converge.check_stack(tool, STACK, figures)
    assert not outcome.ok and "not partial after the kill: 6/6 resources" in outcome.detail
    assert tool.calls == [] and figures["Alpha"].redeploy_after_interrupt_seconds is None


def test_a_re_run_with_drift_fails_with_the_deploy_message(scripted: list[Interruption]) -> None:
    scripted.append(Interruption(Progress(2, 6), 1, 2, "APPLIED"))
    [outcome] = converge.check_stack(FakeTool("Alpha: the plan after apply is not empty (drift)"), STACK, {})
    assert not outcome.ok and "(drift)" in outcome.detail


def test_an_unknown_tool_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'fake': the interrupted-deploy check knows cdk and cdktf"):
        converge.interruptible(FakeTool())


class LocalTerraform(TerraformTool):
    """A Terraform stack in a temporary directory: one builtin ``terraform_data`` that takes ``seconds`` to create."""

    def __init__(self, root: Path) -> None:
        super().__init__("dev", "test", root)

    def directory(self, stack: Stack) -> Path:
        return self.outdir / stack.construct_id

    def environment(self) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "HOME": str(self.outdir),
        }


def test_a_second_apply_fails_on_the_lock_while_the_first_holds_it(tmp_path: Path) -> None:
    tool = LocalTerraform(tmp_path)
    directory = tool.directory(STACK)
    directory.mkdir()
    state = terraform_tool.backend_state_file(STACK.construct_id)
    (directory / "main.tf.json").write_text(
        json.dumps(
            {
                "terraform": {"backend": {"local": {"path": state}}},
                "resource": {"terraform_data": {"slow": {"provisioner": [{"local-exec": {"command": "sleep 4"}}]}}},
            }
        )
    )
    env = tool.environment()
    subprocess.run(
        ["terraform", f"-chdir={directory}", "init", "-input=false"], env=env, check=True, capture_output=True
    )
    first = threading.Thread(
        target=subprocess.run,
        args=(["terraform", f"-chdir={directory}", "apply", "-auto-approve", "-input=false"],),
        kwargs={"env": env, "capture_output": True, "check": True},
    )
    first.start()
    seen = converge.probe_lock(tool, STACK, first)
    first.join()
    assert "Error acquiring the state lock" in seen
    assert converge.state_list(tool, STACK) == ["terraform_data.slow"]
    assert not converge.lock_file(tool, STACK).exists()


class DriftingTool(FakeTool):
    """A deployed stack whose no-drift check fails when ``drift`` names a change."""

    def __init__(self, drift: str = "") -> None:
        super().__init__()
        self.deployed = True
        self.drift = drift

    def stacks(self) -> list[Stack]:
        return [STACK]

    def check_no_drift(self, stack: Stack) -> None:
        if self.drift:
            raise DeployError(f"{stack.construct_id}: the plan after apply is not empty (drift)\n{self.drift}")


def test_the_no_drift_row_passes_a_converged_stack_and_names_a_drifting_one() -> None:
    [clean] = converge.check_no_drift([DriftingTool()], None)
    assert (clean.check, clean.stack, clean.ok) == (converge.DRIFT_CHECK, "Alpha", True)
    assert clean.detail == "6 resources, nothing to change"
    [drifting] = converge.check_no_drift([DriftingTool("~ aws_s3_bucket.b")], {"fake": [STACK]})
    assert not drifting.ok and "aws_s3_bucket.b" in drifting.detail
    absent = DriftingTool()
    absent.deployed = False
    [missing] = converge.check_no_drift([absent], None)
    assert not missing.ok and missing.detail == f"not deployed ({GONE})"


class ForgetfulTerraform(TerraformTool):
    """A Terraform stack held in memory: ``forget`` drops addresses, ``deploy`` brings each back with the id
    ``recreated`` gives it (the one it had, when the deploy adopted it; a new one, when it duplicated it)."""

    def __init__(self, resources: dict[str, str], recreated: dict[str, str] | None = None) -> None:
        super().__init__("dev", "test", Path("unused"))
        self.resources = dict(resources)
        self.recreated = recreated or {}
        self.forgotten: list[str] = []

    def managed_resources(self, stack: Stack) -> list[tuple[str, str, dict[str, object]]]:
        return [(address, address.split(".")[0], {"id": identifier}) for address, identifier in self.resources.items()]

    def forget(self, stack: Stack, addresses: list[str]) -> None:
        self.forgotten = addresses
        for address in addresses:
            self.resources.pop(address)

    def deploy(self, stack: Stack) -> None:
        for address in self.forgotten:
            self.resources[address] = self.recreated.get(address, ORIGINAL_IDS[address])


ORIGINAL_IDS = {
    "aws_kms_key.key": "k-1",
    "aws_vpc.network": "vpc-1",
    "aws_subnet.private-0": "subnet-1",
    "aws_subnet.private-1": "subnet-2",
    "aws_route_table.private-0": "rtb-1",
    "aws_s3_bucket.media": "media-bucket",
}


def test_one_resource_of_each_type_aws_names_is_taken_out_of_state_and_must_come_back_with_its_id() -> None:
    tool = ForgetfulTerraform(ORIGINAL_IDS)

    [outcome] = converge.check_untracked_adopted([tool], {"cdktf": [STACK]})

    assert sorted(tool.forgotten) == [
        "aws_kms_key.key",
        "aws_route_table.private-0",
        "aws_subnet.private-0",
        "aws_vpc.network",
    ]
    assert (outcome.check, outcome.stack, outcome.ok) == (converge.UNTRACKED_CHECK, "Alpha", True)
    assert outcome.detail.startswith("4 taken out of state, adopted with their ids: aws_kms_key, aws_route_table")


def test_a_resource_the_deploy_made_anew_instead_of_adopting_fails_the_check_naming_it() -> None:
    tool = ForgetfulTerraform(ORIGINAL_IDS, recreated={"aws_kms_key.key": "k-2"})

    [outcome] = converge.check_untracked_adopted([tool], {"cdktf": [STACK]})

    assert not outcome.ok
    assert "now {'aws_kms_key.key': 'k-2'}" in outcome.detail


def test_a_stack_with_no_resource_aws_names_fails_rather_than_passing_unchecked() -> None:
    tool = ForgetfulTerraform({"aws_s3_bucket.media": "media-bucket"})

    [outcome] = converge.check_untracked_adopted([tool], {"cdktf": [STACK]})

    assert not outcome.ok and outcome.detail.startswith("the state holds none of")
    assert tool.forgotten == []


def test_cdk_stacks_have_no_untracked_check() -> None:
    assert converge.check_untracked_adopted([FakeTool()], None) == []
